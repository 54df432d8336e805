//! Type expressions used in specs: `string`, `integer`, `number`, `boolean`,
//! `json`, `[T]`, `{T}` and type names.

/// A parsed type expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeExpr {
    /// A JSON string.
    String,
    /// A whole number.
    Integer,
    /// Any JSON number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// Any JSON value.
    Json,
    /// An array.
    Array(Box<TypeExpr>),
    /// An object with string keys.
    Map(Box<TypeExpr>),
    /// A type defined in the same spec.
    Named(String),
}

impl TypeExpr {
    /// Parses an expression.
    pub fn parse(text: &str) -> Result<TypeExpr, String> {
        let text = text.trim();
        if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            return Ok(TypeExpr::Array(Box::new(TypeExpr::parse(inner)?)));
        }
        if let Some(inner) = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
            return Ok(TypeExpr::Map(Box::new(TypeExpr::parse(inner)?)));
        }
        Ok(match text {
            "string" => TypeExpr::String,
            "integer" => TypeExpr::Integer,
            "number" => TypeExpr::Number,
            "boolean" => TypeExpr::Boolean,
            "json" => TypeExpr::Json,
            name if is_pascal_case(name) => TypeExpr::Named(name.to_owned()),
            other => {
                return Err(format!(
                    "`{other}` is not a type expression (string, integer, number, boolean, json, [T], {{T}} or a PascalCase type name)"
                ));
            }
        })
    }

    /// The Rust type.
    pub fn rust(&self) -> String {
        match self {
            TypeExpr::String => "String".into(),
            TypeExpr::Integer => "i64".into(),
            TypeExpr::Number => "f64".into(),
            TypeExpr::Boolean => "bool".into(),
            TypeExpr::Json => "serde_json::Value".into(),
            TypeExpr::Array(inner) => format!("Vec<{}>", inner.rust()),
            TypeExpr::Map(inner) => {
                format!("std::collections::BTreeMap<String, {}>", inner.rust())
            }
            TypeExpr::Named(name) => name.clone(),
        }
    }

    /// Every type name the expression refers to.
    pub fn names(&self) -> Vec<&str> {
        match self {
            TypeExpr::Array(inner) | TypeExpr::Map(inner) => inner.names(),
            TypeExpr::Named(name) => vec![name.as_str()],
            _ => Vec::new(),
        }
    }

    /// True for `string`.
    pub fn is_string(&self) -> bool {
        matches!(self, TypeExpr::String)
    }

    /// True for `integer` and `number`.
    pub fn is_numeric(&self) -> bool {
        matches!(self, TypeExpr::Integer | TypeExpr::Number)
    }
}

/// `PascalCase` with ASCII letters and digits.
pub fn is_pascal_case(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}

/// `snake_case` with ASCII lower-case letters, digits and underscores.
pub fn is_snake_case(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// `fileName` → `file_name`, `parameterType_id` → `parameter_type_id`.
pub fn snake_case(wire: &str) -> String {
    let mut out = String::with_capacity(wire.len() + 4);
    let mut prev_lower = false;
    for c in wire.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
            prev_lower = true;
        } else {
            if !out.ends_with('_') {
                out.push('_');
            }
            prev_lower = false;
        }
    }
    out
}

/// Rust keywords that cannot be field names.
pub fn is_keyword(name: &str) -> bool {
    matches!(
        name,
        "as" | "async"
            | "await"
            | "break"
            | "const"
            | "continue"
            | "crate"
            | "dyn"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "fn"
            | "for"
            | "gen"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "pub"
            | "ref"
            | "return"
            | "self"
            | "Self"
            | "static"
            | "struct"
            | "super"
            | "trait"
            | "true"
            | "type"
            | "unsafe"
            | "use"
            | "where"
            | "while"
            | "yield"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_expressions() {
        assert_eq!(
            TypeExpr::parse("[{string}]").unwrap().rust(),
            "Vec<std::collections::BTreeMap<String, String>>"
        );
        assert_eq!(
            TypeExpr::parse("[JobStatusEntry]").unwrap().names(),
            vec!["JobStatusEntry"]
        );
        assert!(TypeExpr::parse("str").is_err());
        assert!(TypeExpr::parse("[string").is_err());
    }

    #[test]
    fn snake_cases_wire_names() {
        assert_eq!(snake_case("fileName"), "file_name");
        assert_eq!(snake_case("parameterType_id"), "parameter_type_id");
        assert_eq!(snake_case("exc_message"), "exc_message");
        assert_eq!(snake_case("In"), "in");
        assert!(is_keyword(&snake_case("In")));
    }
}
