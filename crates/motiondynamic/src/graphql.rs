//! GraphQL at `/graphql`: the typed operations of [`crate::operations`]
//! run through the transport, with their results converted to the same
//! model types the REST calls return.
//!
//! Queries go through the `graphql_query` descriptor (idempotent, retried
//! on transient failures); mutations through `graphql_mutation` (never
//! re-sent blindly). The HTTP status is checked, and a non-empty `errors`
//! list is an [`Error::Graphql`] that keeps any partial `data`.

use graphql_client::GraphQLQuery;
use motionkit_models::motiondynamic::{
    Generation, GenerationRequest, GenerationStatus, GenerationValue, GraphqlRequest,
    GraphqlResponse, ParameterDefinition, ParameterType, Theme, ThemeParameter, requests,
};
use motionkit_transport::Body;
use serde::Serialize;

use crate::client::Client;
use crate::error::{Error, from_transport, one_line};
use crate::operations::{self, CreateGeneration, GenerationById, ThemeById, Themes};

/// True when `document` has the keyword `mutation` outside comments and
/// strings: such a document is treated as a mutation.
fn mentions_mutation(document: &str) -> bool {
    document.lines().any(|line| {
        let code = line.split('#').next().unwrap_or("");
        code.split('"')
            .step_by(2)
            .flat_map(|part| part.split(|c: char| !(c.is_alphanumeric() || c == '_')))
            .any(|token| token == "mutation")
    })
}

/// A GraphQL enum value (`COLOR`) as the REST wire value (`color`).
fn wire_enum<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_ascii_lowercase))
        .unwrap_or_default()
}

fn parameter_type<T: Serialize>(value: &T) -> ParameterType {
    ParameterType::from_wire(&wire_enum(value))
}

fn generation_status<T: Serialize>(value: &T) -> GenerationStatus {
    GenerationStatus::from_wire(&wire_enum(value))
}

fn list(values: Option<Vec<Option<String>>>) -> Option<Vec<String>> {
    values.map(|v| v.into_iter().flatten().collect())
}

/// Builds the REST shape of a parameter. `pattern` is printed as `null`
/// for text parameters (as REST does) and left out for the others.
fn parameter(kind: ParameterType, definition: ParameterDefinition) -> ThemeParameter {
    ThemeParameter {
        theme_id: definition.theme_id.clone(),
        kind,
        parameter: definition,
    }
}

fn values_of(value: serde_json::Value, operation: &str) -> Result<Vec<GenerationValue>, Error> {
    serde_json::from_value(value).map_err(|e| Error::Unexpected {
        request: format!("GraphQL {operation}"),
        message: format!(
            "values are not a list of {{value, parameter_id}}: {}",
            one_line(&e.to_string(), 200)
        ),
    })
}

macro_rules! convert_parameter {
    ($p:expr) => {{
        let p = $p;
        let kind = parameter_type(&p.type_);
        let text = kind == ParameterType::Text;
        parameter(
            kind,
            ParameterDefinition {
                parameter_type_id: p.parameter_type_id,
                theme_id: Some(p.theme_id),
                created_at: p.created_at,
                user_id: p.user_id,
                title: p.title,
                layer: p.layer,
                default_color: p.default_color,
                file_to_replace: p.file_to_replace,
                fit_to_comp_width: p.fit_to_comp_width,
                min_width: p.min_width,
                min_height: p.min_height,
                accept: list(p.accept),
                min_length: p.min_length,
                max_length: p.max_length,
                pattern: if text {
                    Some(p.pattern)
                } else {
                    p.pattern.map(Some)
                },
                layers: list(p.layers),
            },
        )
    }};
}

macro_rules! convert_theme {
    ($t:expr) => {{
        let t = $t;
        Theme {
            theme_id: t.theme_id,
            title: t.title,
            description: t.description,
            parameters: Some(
                t.parameters_by_theme_id
                    .nodes
                    .into_iter()
                    .flatten()
                    .map(|p| convert_parameter!(p))
                    .collect(),
            ),
        }
    }};
}

macro_rules! convert_generation {
    ($g:expr, $operation:expr) => {{
        let g = $g;
        Ok(Generation {
            generation_id: g.generation_id,
            theme_id: Some(g.theme_id),
            webhook: Some(g.webhook),
            values: Some(values_of(g.values, $operation)?),
            status: Some(generation_status(&g.status)),
            video: Some(g.video),
            created_at: Some(g.created_at),
        })
    }};
}

/// One page of themes read with GraphQL.
#[derive(Debug, Clone, PartialEq)]
pub struct ThemesPage {
    /// Every theme the token can see, not just this page.
    pub total_count: i64,
    /// Whether another page follows.
    pub has_next_page: bool,
    /// The cursor after the last theme of this page.
    pub end_cursor: Option<String>,
    /// The themes of this page, with their parameters, as REST returns them.
    pub themes: Vec<Theme>,
}

/// GraphQL calls of a [`Client`]; see [`Client::graphql`].
#[derive(Debug, Clone, Copy)]
pub struct Graphql<'a> {
    client: &'a Client,
}

impl Client {
    /// The GraphQL calls.
    pub fn graphql(&self) -> Graphql<'_> {
        Graphql::new(self)
    }
}

impl<'a> Graphql<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Graphql { client }
    }

    /// Runs any typed operation. A mutation (by its document) goes through
    /// the non-idempotent descriptor and is never retried automatically; a
    /// query may be.
    pub async fn run<Q: GraphQLQuery>(
        &self,
        variables: Q::Variables,
    ) -> Result<Q::ResponseData, Error> {
        let body = Q::build_query(variables);
        let mutation = is_mutation(body.query, body.operation_name);
        run_body(self.client, mutation, body.operation_name, &body).await
    }

    /// Runs a document of your own with JSON variables and returns its
    /// `data`. A document holding any mutation is sent as a mutation
    /// (never retried automatically). Errors keep partial `data`.
    pub async fn raw(
        &self,
        document: &str,
        variables: serde_json::Value,
    ) -> Result<serde_json::Value, Error> {
        let body = GraphqlRequest {
            query: document.to_owned(),
            variables: Some(variables),
            operation_name: None,
        };
        run_body(self.client, mentions_mutation(document), "query", &body).await
    }

    /// A page of themes with their parameters (`first` themes after
    /// skipping `offset`; `None` for all).
    pub async fn themes(
        &self,
        first: Option<i64>,
        offset: Option<i64>,
    ) -> Result<ThemesPage, Error> {
        let data = self
            .run::<Themes>(operations::themes::Variables { first, offset })
            .await?;
        let all = data.all_themes.ok_or_else(|| Error::Unexpected {
            request: "GraphQL Themes".into(),
            message: "allThemes is null".into(),
        })?;
        Ok(ThemesPage {
            total_count: all.total_count,
            has_next_page: all.page_info.has_next_page,
            end_cursor: all.page_info.end_cursor,
            themes: all
                .nodes
                .into_iter()
                .flatten()
                .map(|t| convert_theme!(t))
                .collect(),
        })
    }

    /// One theme with its parameters; [`Error::NotFound`] when there is
    /// none with this id.
    pub async fn theme(&self, theme_id: &str) -> Result<Theme, Error> {
        let theme_id = crate::client::check_uuid("theme_id", theme_id)?;
        let data = self
            .run::<ThemeById>(operations::theme_by_id::Variables {
                theme_id: theme_id.clone(),
            })
            .await?;
        let theme = data.theme_by_theme_id.ok_or(Error::NotFound {
            what: "theme",
            id: theme_id,
        })?;
        Ok(convert_theme!(theme))
    }

    /// One generation; [`Error::NotFound`] when there is none with this id.
    pub async fn generation(&self, generation_id: &str) -> Result<Generation, Error> {
        let generation_id = crate::client::check_uuid("generation_id", generation_id)?;
        let data = self
            .run::<GenerationById>(operations::generation_by_id::Variables {
                generation_id: generation_id.clone(),
            })
            .await?;
        let row = data.generation_by_generation_id.ok_or(Error::NotFound {
            what: "generation",
            id: generation_id,
        })?;
        convert_generation!(row, "GenerationById")
    }

    /// `createGeneration` with a checked request. Not public: generations
    /// are created through [`crate::Generate`], which validates first.
    pub(crate) async fn create_generation(
        &self,
        request: &GenerationRequest,
        client_mutation_id: Option<String>,
    ) -> Result<Generation, Error> {
        let values = serde_json::to_value(&request.values).map_err(|e| Error::Unexpected {
            request: "GraphQL CreateGeneration".into(),
            message: format!("values do not encode as JSON: {e}"),
        })?;
        let data = self
            .run::<CreateGeneration>(operations::create_generation::Variables {
                theme_id: request.theme_id.clone(),
                webhook: request.webhook.clone(),
                values,
                client_mutation_id,
            })
            .await?;
        let generation = data
            .create_generation
            .and_then(|payload| payload.generation)
            .ok_or_else(|| Error::Unexpected {
                request: "GraphQL CreateGeneration".into(),
                message: "createGeneration returned no generation".into(),
            })?;
        convert_generation!(generation, "CreateGeneration")
    }
}

/// Sends one GraphQL body and decodes `data`. A mutation goes through the
/// non-idempotent descriptor.
async fn run_body<B: Serialize, D: serde::de::DeserializeOwned>(
    client: &Client,
    mutation: bool,
    operation: &str,
    body: &B,
) -> Result<D, Error> {
    let label = format!("GraphQL {operation}");
    let body = Body::json(body)?;
    let sent = if mutation {
        let request = requests::GraphqlMutation::new();
        client.transport().send(&request, body).await
    } else {
        let request = requests::GraphqlQuery::new();
        client.transport().send(&request, body).await
    };
    let response = match sent {
        Ok(response) => response,
        Err(error) => {
            // A GraphQL server may answer 4xx/5xx with an `errors` body.
            if let motionkit_transport::Error::Http { body, .. } = &error
                && let Ok(parsed) = serde_json::from_str::<GraphqlResponse>(body)
                && let Some(errors) = parsed.errors.filter(|e| !e.is_empty())
            {
                return Err(Error::Graphql {
                    operation: operation.to_owned(),
                    errors,
                    data: parsed.data.flatten(),
                });
            }
            return Err(from_transport(error));
        }
    };
    let parsed: GraphqlResponse = response.json(&label)?;
    let data = parsed.data.flatten();
    if let Some(errors) = parsed.errors.filter(|e| !e.is_empty()) {
        return Err(Error::Graphql {
            operation: operation.to_owned(),
            errors,
            data,
        });
    }
    let data = data.ok_or_else(|| Error::Unexpected {
        request: label.clone(),
        message: "no data and no errors".into(),
    })?;
    serde_json::from_value(data).map_err(|e| Error::Unexpected {
        request: label,
        message: format!(
            "data does not match the operation: {}",
            one_line(&e.to_string(), 200)
        ),
    })
}

/// True when the operation `name` of `document` is a mutation.
pub(crate) fn is_mutation(document: &str, name: &str) -> bool {
    let mut previous = "";
    for line in document.lines() {
        let line = line.split('#').next().unwrap_or("");
        for token in line.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
            if token.is_empty() {
                continue;
            }
            if token == name && matches!(previous, "mutation" | "query" | "subscription") {
                return previous == "mutation";
            }
            previous = token;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_are_told_apart_from_queries() {
        let create = CreateGeneration::build_query(operations::create_generation::Variables {
            theme_id: String::new(),
            webhook: String::new(),
            values: serde_json::Value::Null,
            client_mutation_id: None,
        });
        assert!(is_mutation(create.query, create.operation_name));
        let themes = Themes::build_query(operations::themes::Variables {
            first: None,
            offset: None,
        });
        assert!(!is_mutation(themes.query, themes.operation_name));
        assert!(!is_mutation(
            "# mutation Themes\nquery Themes { a }",
            "Themes"
        ));
        assert!(mentions_mutation(
            "mutation { createGeneration(input: {}) { a } }"
        ));
        assert!(!mentions_mutation(
            "# a mutation\n{ allThemes(condition: {title: \"mutation\"}) { totalCount } }"
        ));
    }

    #[test]
    fn enums_map_to_rest_wire_values() {
        assert_eq!(
            parameter_type(&operations::themes::ParameterType::TEXT),
            ParameterType::Text
        );
        assert_eq!(
            generation_status(&operations::generation_by_id::GenerationStatus::DONE),
            GenerationStatus::Done
        );
        assert!(
            parameter_type(&operations::themes::ParameterType::Other("VIDEO".into())).is_unknown()
        );
    }
}
