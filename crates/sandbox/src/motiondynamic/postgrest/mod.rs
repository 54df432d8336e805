//! The part of PostgREST's query language the emulator serves: `select`
//! with embedded resources, `eq`/`neq`/`in`/`is`/`like`/`ilike`/`gt`/`gte`/
//! `lt`/`lte` filters, `order`, `limit` and `offset`, over JSON rows.
//!
//! `select` parses and applies the select list, `filter` the filters;
//! this module holds the error type, ordering, paging and the read itself.

mod filter;
mod select;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use filter::{Filter, parse_filter};
use filter::{compare, text_of};
use select::{SelectItem, parse_select, project};

/// A PostgREST error: status plus the `{code, message, details, hint}` body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PgError {
    /// HTTP status.
    pub status: StatusCode,
    /// PostgREST or PostgreSQL error code.
    pub code: String,
    /// Message.
    pub message: String,
    /// Details, or null.
    pub details: Option<String>,
    /// Hint, or null.
    pub hint: Option<String>,
}

impl PgError {
    /// An error with no details or hint.
    pub(crate) fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        PgError {
            status,
            code: code.into(),
            message: message.into(),
            details: None,
            hint: None,
        }
    }

    /// Adds details.
    pub(crate) fn details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }

    /// PostgREST's answer to an unknown table.
    pub(crate) fn unknown_table(table: &str) -> Self {
        PgError::new(
            StatusCode::NOT_FOUND,
            "PGRST205",
            format!("Could not find the table 'public.{table}' in the schema cache"),
        )
    }

    fn unknown_column(table: &str, column: &str) -> Self {
        PgError::new(
            StatusCode::BAD_REQUEST,
            "42703",
            format!("column {table}.{column} does not exist"),
        )
    }

    fn parse(what: &str, text: &str) -> Self {
        PgError::new(
            StatusCode::BAD_REQUEST,
            "PGRST100",
            format!("\"failed to parse {what} ({text})\""),
        )
        .details(format!("unexpected input in {what}"))
    }

    /// The JSON body.
    pub(crate) fn body(&self) -> Value {
        serde_json::json!({
            "code": self.code,
            "message": self.message,
            "details": self.details,
            "hint": self.hint,
        })
    }
}

impl IntoResponse for PgError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}

fn valid_identifier(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// One `order` term.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Order {
    /// Column.
    pub column: String,
    /// Descending when true.
    pub descending: bool,
}

/// Parses `order=title.asc,theme_id.desc`.
fn parse_order(text: &str) -> Result<Vec<Order>, PgError> {
    text.split(',')
        .map(|term| {
            let mut parts = term.trim().split('.');
            let column = parts.next().unwrap_or_default().to_owned();
            if !valid_identifier(&column) {
                return Err(PgError::parse("order", text));
            }
            let mut descending = false;
            for modifier in parts {
                match modifier {
                    "asc" => descending = false,
                    "desc" => descending = true,
                    "nullsfirst" | "nullslast" => {}
                    _ => return Err(PgError::parse("order", text)),
                }
            }
            Ok(Order { column, descending })
        })
        .collect()
}

/// A parsed read query.
#[derive(Debug, Clone, Default)]
pub(super) struct Query {
    /// `select`, `*` when absent.
    pub select: Vec<SelectItem>,
    /// Filters, all of which must pass.
    pub filters: Vec<Filter>,
    /// Sort order.
    pub order: Vec<Order>,
    /// Row limit.
    pub limit: Option<usize>,
    /// Rows to skip.
    pub offset: usize,
}

/// Parses the query string pairs of a read.
pub(super) fn parse_query(pairs: &[(String, String)]) -> Result<Query, PgError> {
    let mut query = Query {
        select: vec![SelectItem::All],
        ..Query::default()
    };
    for (key, value) in pairs {
        match key.as_str() {
            "select" => query.select = parse_select(value)?,
            "order" => query.order = parse_order(value)?,
            "limit" => {
                query.limit = Some(value.parse().map_err(|_| PgError::parse("limit", value))?)
            }
            "offset" => {
                query.offset = value.parse().map_err(|_| PgError::parse("offset", value))?
            }
            column => query.filters.push(parse_filter(column, value)?),
        }
    }
    Ok(query)
}

/// The rows a query returns, and the total before paging.
pub(super) fn run(
    table: &str,
    rows: &[Map<String, Value>],
    query: &Query,
) -> Result<(Vec<Value>, usize), PgError> {
    let mut kept = Vec::new();
    for row in rows {
        let mut pass = true;
        for filter in &query.filters {
            if !filter.matches(table, row)? {
                pass = false;
                break;
            }
        }
        if pass {
            kept.push(row);
        }
    }
    for order in query.order.iter().rev() {
        if let Some(first) = kept.first()
            && !first.contains_key(&order.column)
        {
            return Err(PgError::unknown_column(table, &order.column));
        }
        kept.sort_by(|a, b| {
            let x = a.get(&order.column).and_then(text_of).unwrap_or_default();
            let y = b.get(&order.column).and_then(text_of).unwrap_or_default();
            let ordering = compare(&x, &y);
            if order.descending {
                ordering.reverse()
            } else {
                ordering
            }
        });
    }
    let total = kept.len();
    let page = kept
        .into_iter()
        .skip(query.offset)
        .take(query.limit.unwrap_or(usize::MAX));
    let mut out = Vec::new();
    for row in page {
        out.push(Value::Object(project(table, row, &query.select)?));
    }
    Ok((out, total))
}

/// The `Content-Range` header value for a page.
pub(super) fn content_range(offset: usize, returned: usize, total: Option<usize>) -> String {
    let total = total.map_or("*".to_owned(), |t| t.to_string());
    if returned == 0 {
        format!("*/{total}")
    } else {
        format!("{offset}-{}/{total}", offset + returned - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows() -> Vec<Map<String, Value>> {
        [
            json!({"theme_id": "8239de5c-5cbd-4e39-a102-220e5354a551", "title": "Product demo",
                   "parameters": [{"type": "color", "parameter": {"layer": "bg"}}]}),
            json!({"theme_id": "11111111-1111-4111-8111-111111111111", "title": "Another",
                   "parameters": []}),
        ]
        .into_iter()
        .map(|v| v.as_object().unwrap().clone())
        .collect()
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn select_with_embedded_resource_and_alias() {
        let query = parse_query(&pairs(&[
            ("select", "id:theme_id,parameters(type)"),
            ("theme_id", "eq.8239DE5C-5CBD-4E39-A102-220E5354A551"),
        ]))
        .unwrap();
        let (out, total) = run("themes", &rows(), &query).unwrap();
        assert_eq!(total, 1);
        assert_eq!(
            out[0],
            json!({"id": "8239de5c-5cbd-4e39-a102-220e5354a551", "parameters": [{"type": "color"}]})
        );
    }

    #[test]
    fn in_order_limit_offset() {
        let query = parse_query(&pairs(&[
            (
                "theme_id",
                "in.(11111111-1111-4111-8111-111111111111,8239de5c-5cbd-4e39-a102-220e5354a551)",
            ),
            ("order", "title.desc"),
            ("limit", "1"),
            ("offset", "1"),
            ("select", "title"),
        ]))
        .unwrap();
        let (out, total) = run("themes", &rows(), &query).unwrap();
        assert_eq!(total, 2);
        assert_eq!(out, vec![json!({"title": "Another"})]);
        assert_eq!(content_range(1, 1, Some(2)), "1-1/2");
        assert_eq!(content_range(0, 0, None), "*/*");
    }

    #[test]
    fn errors_carry_postgrest_codes() {
        let err = parse_query(&pairs(&[("theme_id", "equals.x")])).unwrap_err();
        assert_eq!(
            (err.status, err.code.as_str()),
            (StatusCode::BAD_REQUEST, "PGRST100")
        );
        let query = parse_query(&pairs(&[("select", "nope")])).unwrap();
        let err = run("themes", &rows(), &query).unwrap_err();
        assert_eq!(err.code, "42703");
        assert!(parse_select("a,(b").is_err());
        assert!(parse_select("a,").is_err());
    }

    #[test]
    fn like_and_negation() {
        let query = parse_query(&pairs(&[("title", "not.ilike.*DEMO*")])).unwrap();
        let (out, _) = run("themes", &rows(), &query).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0]["title"], "Another");
    }
}
