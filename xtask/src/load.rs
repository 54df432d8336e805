//! Reads a spec file and checks it. Every error names the file and the JSON
//! path of the offending value.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::spec::{ConstantKind, Spec, TypeKind};
use crate::types::{TypeExpr, is_keyword, is_pascal_case, is_snake_case, snake_case};

/// A spec that cannot be used, with where and why.
#[derive(Debug)]
pub struct SpecError {
    /// The spec file.
    pub file: PathBuf,
    /// JSON path inside it, such as `endpoints[3].method`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: at `{}`: {}",
            self.file.display(),
            self.path,
            self.message
        )
    }
}

impl std::error::Error for SpecError {}

/// Reads and checks one spec file. `specs_dir` resolves example paths.
pub fn load(file: &Path, specs_dir: &Path) -> Result<Spec, Vec<SpecError>> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        vec![SpecError {
            file: file.to_owned(),
            path: ".".into(),
            message: format!("cannot read: {e}"),
        }]
    })?;
    let spec = parse(file, &text)?;
    let errors = check(&spec, file, specs_dir);
    if errors.is_empty() {
        Ok(spec)
    } else {
        Err(errors)
    }
}

/// Parses spec text, reporting the JSON path of a shape error.
pub fn parse(file: &Path, text: &str) -> Result<Spec, Vec<SpecError>> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        vec![SpecError {
            file: file.to_owned(),
            path,
            message: e.into_inner().to_string(),
        }]
    })
}

struct Checker<'a> {
    file: &'a Path,
    errors: Vec<SpecError>,
}

impl Checker<'_> {
    fn fail(&mut self, path: String, message: impl Into<String>) {
        self.errors.push(SpecError {
            file: self.file.to_owned(),
            path,
            message: message.into(),
        });
    }

    fn unique<'n>(&mut self, what: &str, names: impl Iterator<Item = (String, &'n str)>) {
        let mut seen = BTreeSet::new();
        for (path, name) in names {
            if !seen.insert(name) {
                self.fail(path, format!("duplicate {what} `{name}`"));
            }
        }
    }

    fn type_ref(&mut self, path: String, expr: &str, defined: &BTreeSet<&str>) -> Option<TypeExpr> {
        match TypeExpr::parse(expr) {
            Ok(parsed) => {
                for name in parsed.names() {
                    if !defined.contains(name) {
                        self.fail(
                            path.clone(),
                            format!("type `{name}` is not defined in `types`"),
                        );
                    }
                }
                Some(parsed)
            }
            Err(message) => {
                self.fail(path, message);
                None
            }
        }
    }
}

fn check(spec: &Spec, file: &Path, specs_dir: &Path) -> Vec<SpecError> {
    let mut c = Checker {
        file,
        errors: Vec::new(),
    };
    if !is_snake_case(&spec.service) {
        c.fail("service".into(), "must be snake_case");
    }
    let defined: BTreeSet<&str> = spec.types.iter().map(|t| t.name.as_str()).collect();

    c.unique(
        "constant",
        spec.constants
            .iter()
            .enumerate()
            .map(|(i, k)| (format!("constants[{i}].name"), k.name.as_str())),
    );
    for (i, constant) in spec.constants.iter().enumerate() {
        let ok_name = constant
            .name
            .chars()
            .all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit() || ch == '_');
        if !ok_name {
            c.fail(
                format!("constants[{i}].name"),
                "must be SCREAMING_SNAKE_CASE",
            );
        }
        let ok_value = match constant.kind {
            ConstantKind::Integer => constant.value.is_u64(),
            ConstantKind::String => constant.value.is_string(),
        };
        if !ok_value {
            c.fail(
                format!("constants[{i}].value"),
                format!("does not match type {:?}", constant.kind),
            );
        }
    }

    c.unique(
        "endpoint",
        spec.endpoints
            .iter()
            .enumerate()
            .map(|(i, e)| (format!("endpoints[{i}].name"), e.name.as_str())),
    );
    for (i, endpoint) in spec.endpoints.iter().enumerate() {
        let at = |field: &str| format!("endpoints[{i}].{field}");
        if !is_snake_case(&endpoint.name) {
            c.fail(at("name"), "must be snake_case");
        }
        if !endpoint.path.starts_with('/') {
            c.fail(at("path"), "must start with '/'");
        }
        let placeholders = placeholders(&endpoint.path);
        let declared: Vec<&str> = endpoint
            .path_params
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        if placeholders != declared {
            c.fail(
                at("path_params"),
                format!("must list the path's placeholders {placeholders:?} in order, found {declared:?}"),
            );
        }
        for (j, param) in endpoint.path_params.iter().enumerate() {
            if !param.required {
                c.fail(
                    format!("endpoints[{i}].path_params[{j}].required"),
                    "path parameters are always required",
                );
            }
        }
        c.unique(
            "query parameter",
            endpoint.query_params.iter().enumerate().map(|(j, p)| {
                (
                    format!("endpoints[{i}].query_params[{j}].name"),
                    p.name.as_str(),
                )
            }),
        );
        for (j, param) in endpoint
            .path_params
            .iter()
            .chain(&endpoint.query_params)
            .enumerate()
        {
            c.type_ref(
                format!("endpoints[{i}].params[{j}].type"),
                &param.ty,
                &defined,
            );
        }
        if let Some(request) = &endpoint.request {
            c.type_ref(at("request"), request, &defined);
        }
        if let Some(response) = &endpoint.response {
            c.type_ref(at("response"), response, &defined);
        }
    }

    c.unique(
        "type",
        spec.types
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("types[{i}].name"), t.name.as_str())),
    );
    for (i, ty) in spec.types.iter().enumerate() {
        let at = |field: &str| format!("types[{i}].{field}");
        if !is_pascal_case(&ty.name) {
            c.fail(at("name"), "must be PascalCase");
        }
        match ty.kind {
            TypeKind::Struct => {
                if ty.fields.is_empty() || !ty.variants.is_empty() {
                    c.fail(at("fields"), "a struct has fields and no variants");
                }
            }
            TypeKind::Enum => {
                if ty.variants.is_empty() || !ty.fields.is_empty() {
                    c.fail(at("variants"), "an enum has variants and no fields");
                }
            }
        }
        c.unique(
            "field",
            ty.fields
                .iter()
                .enumerate()
                .map(|(j, f)| (format!("types[{i}].fields[{j}].name"), f.name.as_str())),
        );
        let rust_names: Vec<String> = ty.fields.iter().map(field_rust_name).collect();
        c.unique(
            "Rust field name",
            rust_names
                .iter()
                .enumerate()
                .map(|(j, n)| (format!("types[{i}].fields[{j}].rust_name"), n.as_str())),
        );
        for (j, field) in ty.fields.iter().enumerate() {
            let at = |key: &str| format!("types[{i}].fields[{j}].{key}");
            let rust_name = &rust_names[j];
            if !is_snake_case(rust_name) || is_keyword(rust_name) {
                c.fail(
                    at("rust_name"),
                    format!("`{rust_name}` is not a usable Rust field name; set `rust_name`"),
                );
            }
            let Some(parsed) = c.type_ref(at("type"), &field.ty, &defined) else {
                continue;
            };
            let string_only = field.format.is_some()
                || field.pattern.is_some()
                || field.min_length.is_some()
                || field.max_length.is_some();
            if string_only && !parsed.is_string() {
                c.fail(
                    at("type"),
                    "format, pattern and lengths apply to strings only",
                );
            }
            if (field.minimum.is_some() || field.maximum.is_some()) && !parsed.is_numeric() {
                c.fail(at("type"), "minimum and maximum apply to numbers only");
            }
            if let Some(pattern) = &field.pattern
                && pattern.contains('"')
            {
                c.fail(at("pattern"), "must not contain '\"'");
            }
        }
        c.unique(
            "variant",
            ty.variants
                .iter()
                .enumerate()
                .map(|(j, v)| (format!("types[{i}].variants[{j}].wire"), v.wire.as_str())),
        );
        for (j, variant) in ty.variants.iter().enumerate() {
            if !is_pascal_case(&variant.name) || variant.name == "Unknown" {
                c.fail(
                    format!("types[{i}].variants[{j}].name"),
                    "must be PascalCase and not `Unknown`",
                );
            }
        }
        for (j, example) in ty.examples.iter().enumerate() {
            let path = specs_dir.join(example);
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    if let Err(e) = serde_json::from_str::<serde_json::Value>(&text) {
                        c.fail(
                            format!("types[{i}].examples[{j}]"),
                            format!("{example} is not JSON: {e}"),
                        );
                    }
                }
                Err(e) => c.fail(
                    format!("types[{i}].examples[{j}]"),
                    format!("cannot read {example}: {e}"),
                ),
            }
        }
    }

    let keys = spec
        .process_parameters
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            std::iter::once((format!("process_parameters[{i}].key"), p.key.as_str())).chain(
                p.aliases.iter().enumerate().map(move |(j, a)| {
                    (format!("process_parameters[{i}].aliases[{j}]"), a.as_str())
                }),
            )
        });
    c.unique("processing parameter key", keys);

    let mut codes = BTreeSet::new();
    for (i, code) in spec.error_codes.iter().enumerate() {
        if !codes.insert(code.code) {
            c.fail(
                format!("error_codes[{i}].code"),
                format!("duplicate code {}", code.code),
            );
        }
    }

    if let Some(webhook) = &spec.webhook {
        c.type_ref("webhook.payload".into(), &webhook.payload, &defined);
    }

    for (i, endpoint) in spec.endpoints.iter().enumerate() {
        if let Some(status) = endpoint.status
            && !(200..300).contains(&status)
        {
            c.fail(
                format!("endpoints[{i}].status"),
                format!("{status} is not a success status (200 to 299)"),
            );
        }
    }
    if let Some(errors) = &spec.http_errors {
        c.type_ref("http_errors.body".into(), &errors.body, &defined);
        let names: BTreeSet<&str> = spec.endpoints.iter().map(|e| e.name.as_str()).collect();
        for (i, response) in errors.responses.iter().enumerate() {
            if !(400..600).contains(&response.status) {
                c.fail(
                    format!("http_errors.responses[{i}].status"),
                    format!("{} is not an error status (400 to 599)", response.status),
                );
            }
            if let Some(body) = &response.body {
                c.type_ref(format!("http_errors.responses[{i}].body"), body, &defined);
            }
            for (j, name) in response.endpoints.iter().enumerate() {
                if !names.contains(name.as_str()) {
                    c.fail(
                        format!("http_errors.responses[{i}].endpoints[{j}]"),
                        format!("no endpoint is named `{name}`"),
                    );
                }
            }
        }
    }
    c.errors
}

/// The `{placeholders}` of a path template, in order.
pub fn placeholders(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect()
}

/// The Rust name of a field: `rust_name`, or the snake_case wire name.
pub fn field_rust_name(field: &crate::spec::FieldSpec) -> String {
    field
        .rust_name
        .clone()
        .unwrap_or_else(|| snake_case(&field.name))
}
