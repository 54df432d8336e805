//! The spec format: what `specs/*.json` may contain. `specs/spec.schema.json`
//! is derived from these types, so the two cannot drift apart.

use schemars::JsonSchema;
use serde::Deserialize;

/// One service's wire format.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Path of this schema, for editors.
    #[serde(rename = "$schema")]
    pub schema: Option<String>,
    /// Module name of the service, snake_case.
    pub service: String,
    /// Human title.
    pub title: String,
    /// Revision of the source document.
    pub revision: String,
    /// Source document, relative to the folder that holds the repository.
    pub source: String,
    /// Documented base URLs.
    #[serde(default)]
    pub base_urls: Vec<BaseUrl>,
    /// Readings of the document that a careful integrator should know.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Documented constants.
    #[serde(default)]
    pub constants: Vec<Constant>,
    /// Every endpoint.
    pub endpoints: Vec<EndpointSpec>,
    /// Every request and response type.
    pub types: Vec<TypeSpec>,
    /// Processing parameters passed as `key=value` strings.
    #[serde(default)]
    pub process_parameters: Vec<ProcessParameter>,
    /// Error-code table.
    #[serde(default)]
    pub error_codes: Vec<ErrorCodeSpec>,
    /// Webhook events the service sends.
    pub webhook: Option<WebhookSpec>,
    /// HTTP error answers, for the OpenAPI document.
    pub http_errors: Option<HttpErrorsSpec>,
}

/// The HTTP error answers of a service.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpErrorsSpec {
    /// Body type of an error answer, a name in `types`.
    pub body: String,
    /// Readings of the document about errors.
    #[serde(default)]
    pub notes: Vec<String>,
    /// The error answers and the endpoints they apply to.
    pub responses: Vec<HttpErrorSpec>,
}

/// One HTTP error status and where it can be answered.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpErrorSpec {
    /// HTTP status code, 400 to 599.
    pub status: u16,
    /// When it is answered.
    pub description: String,
    /// Body type when it is not the service's usual error body.
    pub body: Option<String>,
    /// Only endpoints that authenticate this way; every endpoint when absent.
    pub auth: Option<Auth>,
    /// Only these endpoints (by name); every endpoint when empty.
    #[serde(default)]
    pub endpoints: Vec<String>,
    /// Only endpoints with path parameters.
    #[serde(default)]
    pub with_path_params: bool,
    /// Only endpoints with a request body or query parameters.
    #[serde(default)]
    pub with_input: bool,
    /// Response headers that carry data, such as `retry-after`.
    #[serde(default)]
    pub headers: Vec<String>,
}

/// A documented base URL.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BaseUrl {
    /// Environment name.
    pub name: String,
    /// The URL.
    pub url: String,
}

/// A named constant.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Constant {
    /// SCREAMING_SNAKE_CASE name.
    pub name: String,
    /// `integer` or `string`.
    #[serde(rename = "type")]
    pub kind: ConstantKind,
    /// The value.
    pub value: serde_json::Value,
    /// What it means.
    pub description: String,
}

/// Type of a constant.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ConstantKind {
    /// `u64`
    Integer,
    /// `&str`
    String,
}

/// HTTP method.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, PartialEq, Eq)]
#[allow(clippy::upper_case_acronyms)]
pub enum HttpMethod {
    /// GET
    GET,
    /// POST
    POST,
    /// PUT
    PUT,
    /// PATCH
    PATCH,
    /// DELETE
    DELETE,
}

/// How a request authenticates.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Auth {
    /// No credentials.
    None,
    /// Basic credentials, answered with a session cookie.
    Basic,
    /// The session cookie.
    Session,
    /// A bearer token.
    Bearer,
}

/// One endpoint.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointSpec {
    /// snake_case name; the generated constant is its upper-case form.
    pub name: String,
    /// One sentence.
    pub summary: String,
    /// Where the document describes it.
    pub doc_ref: String,
    /// HTTP method.
    pub method: HttpMethod,
    /// Path template with `{placeholders}`.
    pub path: String,
    /// Placeholders of `path`, in order.
    #[serde(default)]
    pub path_params: Vec<ParamSpec>,
    /// Query parameters.
    #[serde(default)]
    pub query_params: Vec<ParamSpec>,
    /// Request headers that matter beyond auth.
    #[serde(default)]
    pub request_headers: Vec<String>,
    /// Response headers that carry data.
    #[serde(default)]
    pub response_headers: Vec<String>,
    /// How it authenticates.
    pub auth: Auth,
    /// Whether sending it twice has the same effect as once.
    pub idempotent: bool,
    /// Request body type, if any.
    pub request: Option<String>,
    /// Status of a successful answer; 200 when absent.
    pub status: Option<u16>,
    /// Response body type, if any.
    pub response: Option<String>,
    /// Readings of the document.
    #[serde(default)]
    pub notes: Vec<String>,
}

/// A path or query parameter.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParamSpec {
    /// Name on the wire.
    pub name: String,
    /// Type expression.
    #[serde(rename = "type")]
    pub ty: String,
    /// Whether it must be given (path parameters always are).
    #[serde(default = "yes")]
    pub required: bool,
    /// What it means.
    pub description: String,
}

fn yes() -> bool {
    true
}

/// Kind of a type definition.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TypeKind {
    /// A JSON object.
    Struct,
    /// A string with known values; unknown values are kept, never rejected.
    Enum,
}

/// A request or response type.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TypeSpec {
    /// PascalCase name.
    pub name: String,
    /// Struct or enum.
    pub kind: TypeKind,
    /// What it is.
    pub description: String,
    /// Fields of a struct.
    #[serde(default)]
    pub fields: Vec<FieldSpec>,
    /// Known values of an enum.
    #[serde(default)]
    pub variants: Vec<VariantSpec>,
    /// Readings of the document.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Example payloads of this type, relative to `specs/`.
    #[serde(default)]
    pub examples: Vec<String>,
}

/// A struct field.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// Name on the wire, exactly.
    pub name: String,
    /// Rust field name when the snake_case form of `name` does not fit.
    pub rust_name: Option<String>,
    /// Other names accepted when reading.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Type expression: `string`, `integer`, `number`, `boolean`, `json`,
    /// `[T]` (array), `{T}` (object with string keys) or a type name.
    #[serde(rename = "type")]
    pub ty: String,
    /// Whether the key is always present.
    pub required: bool,
    /// Whether `null` is a value of its own, kept apart from absence.
    #[serde(default)]
    pub nullable: bool,
    /// Format of a string: `uri`, `uuid` or `date-time`.
    pub format: Option<StringFormat>,
    /// Smallest allowed number.
    pub minimum: Option<f64>,
    /// Largest allowed number.
    pub maximum: Option<f64>,
    /// Shortest allowed string.
    pub min_length: Option<u32>,
    /// Longest allowed string.
    pub max_length: Option<u32>,
    /// Regular expression a string must match.
    pub pattern: Option<String>,
    /// What it means.
    pub description: String,
}

/// Format of a string field.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, PartialEq, Eq)]
pub enum StringFormat {
    /// An absolute URI.
    #[serde(rename = "uri")]
    Uri,
    /// A UUID in any case.
    #[serde(rename = "uuid")]
    Uuid,
    /// An RFC 3339 date and time.
    #[serde(rename = "date-time")]
    DateTime,
}

impl StringFormat {
    /// JSON Schema `format` keyword value.
    pub fn as_str(self) -> &'static str {
        match self {
            StringFormat::Uri => "uri",
            StringFormat::Uuid => "uuid",
            StringFormat::DateTime => "date-time",
        }
    }
}

/// A known enum value.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantSpec {
    /// PascalCase Rust name.
    pub name: String,
    /// Value on the wire, exactly.
    pub wire: String,
    /// What it means.
    pub description: String,
}

/// Value type of a processing parameter.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ProcessParamKind {
    /// Free text.
    String,
    /// `0` or `1`.
    Flag,
    /// A decimal number.
    Number,
    /// One of `values`.
    Enum,
    /// Comma-separated list of `values`.
    List,
    /// `from,to` in seconds.
    Range,
    /// `left,top,right,bottom`.
    Box,
    /// `R,G,B,A`, each 0–255.
    Rgba,
}

/// A processing parameter.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessParameter {
    /// Canonical key.
    pub key: String,
    /// Other accepted keys.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Value type.
    #[serde(rename = "type")]
    pub kind: ProcessParamKind,
    /// Allowed or suggested values.
    #[serde(default)]
    pub values: Vec<String>,
    /// Smallest allowed number.
    pub minimum: Option<f64>,
    /// Largest allowed number.
    pub maximum: Option<f64>,
    /// Default when absent, as written on the wire.
    pub default: Option<String>,
    /// What it does.
    pub description: String,
}

/// One error code.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorCodeSpec {
    /// Numeric code.
    pub code: u32,
    /// Message from the table.
    pub message: String,
}

/// Webhook events a service sends.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookSpec {
    /// Event type names.
    pub events: Vec<String>,
    /// Header carrying the signature, if any.
    pub signature_header: Option<String>,
    /// Body type.
    pub payload: String,
    /// Readings of the document.
    #[serde(default)]
    pub notes: Vec<String>,
}

/// The JSON Schema of the spec format, pretty-printed with a final newline.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Spec);
    let mut out = serde_json::to_string_pretty(&schema).expect("a schema serializes");
    out.push('\n');
    out
}
