//! `specs/motiondynamic.graphql` is a valid schema in PostGraphile v4
//! conventions, and every query document in `specs/motiondynamic/queries/`
//! validates against it.

use std::path::{Path, PathBuf};

use apollo_compiler::{ExecutableDocument, Schema};

fn specs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs")
}

fn schema() -> apollo_compiler::validation::Valid<Schema> {
    let path = specs().join("motiondynamic.graphql");
    let sdl = std::fs::read_to_string(&path).unwrap();
    Schema::parse_and_validate(sdl, path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn schema_follows_postgraphile_conventions() {
    let schema = schema();
    for scalar in ["UUID", "Datetime", "JSON", "Cursor"] {
        assert!(schema.get_scalar(scalar).is_some(), "scalar {scalar}");
    }
    let query = schema.get_object("Query").unwrap();
    let all_themes = &query.fields["allThemes"];
    assert_eq!(
        all_themes.ty.inner_named_type().as_str(),
        "ThemesConnection"
    );
    let connection = schema.get_object("ThemesConnection").unwrap();
    for field in ["nodes", "edges", "pageInfo", "totalCount"] {
        assert!(
            connection.fields.contains_key(field),
            "ThemesConnection.{field}"
        );
    }
    assert!(query.fields.contains_key("themeByThemeId"));
    assert!(query.fields.contains_key("generationByGenerationId"));
    let theme = schema.get_object("Theme").unwrap();
    assert_eq!(
        theme.fields["parametersByThemeId"]
            .ty
            .inner_named_type()
            .as_str(),
        "ParametersConnection"
    );
    let mutation = schema.get_object("Mutation").unwrap();
    let create = &mutation.fields["createGeneration"];
    assert_eq!(
        create.ty.inner_named_type().as_str(),
        "CreateGenerationPayload"
    );
    assert_eq!(create.arguments[0].name.as_str(), "input");
    let input = schema.get_input_object("CreateGenerationInput").unwrap();
    assert!(input.fields.contains_key("generation"));
    let parameter = schema.get_object("Parameter").unwrap();
    for constraint in [
        "minLength",
        "maxLength",
        "pattern",
        "accept",
        "minWidth",
        "minHeight",
        "fitToCompWidth",
        "fileToReplace",
        "defaultColor",
        "layers",
    ] {
        assert!(
            parameter.fields.contains_key(constraint),
            "Parameter.{constraint}"
        );
    }
}

#[test]
fn every_query_document_validates_against_the_schema() {
    let schema = schema();
    let dir = specs().join("motiondynamic/queries");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let path = entry.path();
        let text = std::fs::read_to_string(&path).unwrap();
        let document = ExecutableDocument::parse_and_validate(&schema, text, &path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        names.extend(
            document
                .operations
                .iter()
                .filter_map(|op| op.name.as_ref().map(|n| n.to_string())),
        );
    }
    names.sort();
    assert_eq!(
        names,
        ["CreateGeneration", "GenerationById", "ThemeById", "Themes"]
    );
}

#[test]
fn an_invalid_query_is_rejected() {
    let schema = schema();
    let bad = "query { allThemes { nodes { noSuchField } } }";
    assert!(ExecutableDocument::parse_and_validate(&schema, bad, "bad.graphql").is_err());
}
