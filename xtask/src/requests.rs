//! Writes one request type per endpoint: its path parameters and required
//! query parameters are constructor arguments and fields, its optional
//! query parameters are setters. A missing or misspelt parameter is
//! therefore a compile error in the clients, not a run-time check.

use std::fmt::Write as _;

use crate::emit::doc;
use crate::spec::{EndpointSpec, ParamSpec, Spec};
use crate::types::{is_keyword, snake_case};

/// `list_by_status` → `ListByStatus`.
pub fn type_name(endpoint: &str) -> String {
    endpoint
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// The Rust name of a parameter: its snake_case wire name, with `r#` when
/// that is a keyword.
fn field_name(param: &ParamSpec) -> String {
    let name = snake_case(&param.name);
    if is_keyword(&name) {
        format!("r#{name}")
    } else {
        name
    }
}

/// The field type of a parameter, borrowing strings for `'a`.
fn field_type(param: &ParamSpec) -> &'static str {
    match param.ty.as_str() {
        "integer" => "u64",
        "number" => "f64",
        "boolean" => "bool",
        _ => "&'a str",
    }
}

fn borrows(param: &ParamSpec) -> bool {
    field_type(param).starts_with('&')
}

/// Code that turns `self.FIELD` (or the value `v` of an optional one) into
/// the query value as a `String`.
fn to_query_value(param: &ParamSpec, expr: &str) -> String {
    if borrows(param) {
        format!("(*{expr}).to_owned()")
    } else {
        format!("({expr}).to_string()")
    }
}

/// The `requests` module of one service.
pub fn module(out: &mut String, spec: &Spec) {
    let _ = writeln!(
        out,
        "/// One request type per endpoint, built with its path parameters and \
         required query parameters and sent by `motionkit_transport::Transport::send`."
    );
    let _ = writeln!(out, "pub mod requests {{");
    let _ = writeln!(
        out,
        "use crate::endpoint::{{Endpoint, PathError, Request}};"
    );
    let _ = writeln!(out, "use super::endpoints;\n");
    for endpoint in &spec.endpoints {
        request(out, endpoint);
    }
    let _ = writeln!(out, "}}\n");
}

fn request(out: &mut String, endpoint: &EndpointSpec) {
    let name = type_name(&endpoint.name);
    let constant = endpoint.name.to_uppercase();
    let required: Vec<&ParamSpec> = endpoint
        .path_params
        .iter()
        .chain(endpoint.query_params.iter().filter(|q| q.required))
        .collect();
    let optional: Vec<&ParamSpec> = endpoint
        .query_params
        .iter()
        .filter(|q| !q.required)
        .collect();
    let lifetime = required.iter().chain(&optional).any(|p| borrows(p));
    let generics = if lifetime { "<'a>" } else { "" };
    let anonymous = if lifetime { "<'_>" } else { "" };

    doc(out, &endpoint.summary);
    let _ = writeln!(out, "///");
    doc(
        out,
        &format!(
            "`{:?} {}`, sent as [`endpoints::{constant}`].",
            endpoint.method, endpoint.path
        ),
    );
    let derives = if required.is_empty() {
        "Debug, Clone, Copy, PartialEq, Default"
    } else {
        "Debug, Clone, Copy, PartialEq"
    };
    let _ = writeln!(out, "#[derive({derives})]");
    let _ = writeln!(out, "#[non_exhaustive]");
    if required.is_empty() && optional.is_empty() {
        let _ = writeln!(out, "pub struct {name};\n");
    } else {
        let _ = writeln!(out, "pub struct {name}{generics} {{");
        for param in &required {
            doc(out, &param.description);
            let _ = writeln!(out, "pub {}: {},", field_name(param), field_type(param));
        }
        for param in &optional {
            doc(out, &param.description);
            let _ = writeln!(
                out,
                "pub {}: Option<{}>,",
                field_name(param),
                field_type(param)
            );
        }
        let _ = writeln!(out, "}}\n");
    }

    let _ = writeln!(out, "impl{generics} {name}{generics} {{");
    let arguments: Vec<String> = required
        .iter()
        .map(|p| format!("{}: {}", field_name(p), field_type(p)))
        .collect();
    let fields: Vec<String> = required
        .iter()
        .map(|p| field_name(p))
        .chain(optional.iter().map(|p| format!("{}: None", field_name(p))))
        .collect();
    let _ = writeln!(out, "/// A request with its required parameters.");
    if required.is_empty() && optional.is_empty() {
        let _ = writeln!(out, "pub fn new() -> Self {{ {name} }}");
    } else {
        let _ = writeln!(
            out,
            "pub fn new({}) -> Self {{ {name} {{ {} }} }}",
            arguments.join(", "),
            fields.join(", ")
        );
    }
    for param in &optional {
        let field = field_name(param);
        let setter = field.trim_start_matches("r#");
        let _ = writeln!(out, "/// Sets `{}`: {}", param.name, param.description);
        let _ = writeln!(
            out,
            "pub fn {setter}(mut self, value: {}) -> Self {{ self.{field} = Some(value); self }}",
            field_type(param)
        );
    }
    let _ = writeln!(out, "}}\n");

    let _ = writeln!(out, "impl Request for {name}{anonymous} {{");
    let _ = writeln!(
        out,
        "fn endpoint(&self) -> &Endpoint {{ &endpoints::{constant} }}"
    );
    let path_pairs: Vec<String> = endpoint
        .path_params
        .iter()
        .map(|p| format!("self.{}", field_name(p)))
        .collect();
    let _ = writeln!(
        out,
        "fn path(&self) -> Result<String, PathError> {{ endpoints::{constant}.fill_path(&[{}]) }}",
        path_pairs.join(", ")
    );
    if endpoint.query_params.is_empty() {
        let _ = writeln!(
            out,
            "fn query(&self) -> Vec<(&'static str, String)> {{ Vec::new() }}"
        );
    } else {
        let _ = writeln!(
            out,
            "fn query(&self) -> Vec<(&'static str, String)> {{ let mut query = Vec::new();"
        );
        for param in &endpoint.query_params {
            let field = field_name(param);
            if param.required {
                let value = if borrows(param) {
                    format!("self.{field}.to_owned()")
                } else {
                    format!("self.{field}.to_string()")
                };
                let _ = writeln!(out, "query.push(({:?}, {value}));", param.name);
            } else {
                let value = to_query_value(param, "value");
                let _ = writeln!(
                    out,
                    "if let Some(value) = &self.{field} {{ query.push(({:?}, {value})); }}",
                    param.name
                );
            }
        }
        let _ = writeln!(out, "query }}");
    }
    let _ = writeln!(out, "}}\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_are_pascal_case() {
        assert_eq!(type_name("list_by_status"), "ListByStatus");
        assert_eq!(type_name("status"), "Status");
    }
}
