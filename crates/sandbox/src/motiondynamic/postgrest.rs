//! The part of PostgREST's query language the emulator serves: `select`
//! with embedded resources, `eq`/`neq`/`in`/`is`/`like`/`ilike`/`gt`/`gte`/
//! `lt`/`lte` filters, `order`, `limit` and `offset`, over JSON rows.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

/// A PostgREST error: status plus the `{code, message, details, hint}` body.
#[derive(Debug, Clone, PartialEq)]
pub struct PgError {
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
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        PgError {
            status,
            code: code.into(),
            message: message.into(),
            details: None,
            hint: None,
        }
    }

    /// Adds details.
    pub fn details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }

    /// PostgREST's answer to an unknown table.
    pub fn unknown_table(table: &str) -> Self {
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
    pub fn body(&self) -> Value {
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

/// One item of a `select` list.
#[derive(Debug, Clone, PartialEq)]
pub enum SelectItem {
    /// `*`
    All,
    /// `column` or `alias:column`.
    Column {
        /// Name in the output.
        alias: String,
        /// Column read.
        column: String,
    },
    /// `relation(items)` or `alias:relation(items)`.
    Embed {
        /// Name in the output.
        alias: String,
        /// Embedded relation (a column holding a list of objects).
        relation: String,
        /// What to select from each embedded row.
        items: Vec<SelectItem>,
    },
}

/// Parses a `select` value such as `theme_id,title,parameters(*)`.
pub fn parse_select(text: &str) -> Result<Vec<SelectItem>, PgError> {
    let mut items = Vec::new();
    for part in split_top_level(text).map_err(|_| PgError::parse("select", text))? {
        let part = part.trim();
        if part.is_empty() {
            return Err(PgError::parse("select", text));
        }
        if part == "*" {
            items.push(SelectItem::All);
            continue;
        }
        let (alias, rest) = match part.split_once(':') {
            Some((alias, rest)) if !rest.starts_with(':') && !alias.contains('(') => {
                (Some(alias.trim()), rest.trim())
            }
            _ => (None, part),
        };
        // Casts (`col::text`) are accepted and ignored.
        let rest = rest.split("::").next().unwrap_or(rest);
        if let Some(open) = rest.find('(') {
            if !rest.ends_with(')') {
                return Err(PgError::parse("select", text));
            }
            let relation = rest[..open].trim().to_owned();
            let inner = &rest[open + 1..rest.len() - 1];
            let inner = if inner.trim().is_empty() { "*" } else { inner };
            items.push(SelectItem::Embed {
                alias: alias.unwrap_or(&relation).to_owned(),
                relation: relation.clone(),
                items: parse_select(inner)?,
            });
        } else {
            if !valid_identifier(rest) {
                return Err(PgError::parse("select", text));
            }
            items.push(SelectItem::Column {
                alias: alias.unwrap_or(rest).to_owned(),
                column: rest.to_owned(),
            });
        }
    }
    Ok(items)
}

fn valid_identifier(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn split_top_level(text: &str) -> Result<Vec<&str>, ()> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.checked_sub(1).ok_or(())?,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(());
    }
    parts.push(&text[start..]);
    Ok(parts)
}

/// Applies a `select` to one row. `columns` lists the table's columns.
pub fn project(
    table: &str,
    row: &Map<String, Value>,
    items: &[SelectItem],
) -> Result<Map<String, Value>, PgError> {
    let mut out = Map::new();
    for item in items {
        match item {
            SelectItem::All => {
                for (key, value) in row {
                    out.insert(key.clone(), value.clone());
                }
            }
            SelectItem::Column { alias, column } => {
                let value = row
                    .get(column)
                    .ok_or_else(|| PgError::unknown_column(table, column))?;
                out.insert(alias.clone(), value.clone());
            }
            SelectItem::Embed {
                alias,
                relation,
                items,
            } => {
                let value = row.get(relation).ok_or_else(|| {
                    PgError::new(
                        StatusCode::BAD_REQUEST,
                        "PGRST200",
                        format!(
                            "Could not find a relationship between '{table}' and '{relation}' in the schema cache"
                        ),
                    )
                })?;
                let embedded = match value {
                    Value::Array(rows) => Value::Array(
                        rows.iter()
                            .map(|r| match r {
                                Value::Object(o) => project(relation, o, items).map(Value::Object),
                                other => Ok(other.clone()),
                            })
                            .collect::<Result<_, _>>()?,
                    ),
                    Value::Object(o) => Value::Object(project(relation, o, items)?),
                    other => other.clone(),
                };
                out.insert(alias.clone(), embedded);
            }
        }
    }
    Ok(out)
}

/// A filter operator.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// `eq.v`
    Eq(String),
    /// `neq.v`
    Neq(String),
    /// `in.(a,b)`
    In(Vec<String>),
    /// `is.null`, `is.true`, `is.false`
    Is(Value),
    /// `like.pat*`
    Like(String),
    /// `ilike.pat*`
    ILike(String),
    /// `gt.v`
    Gt(String),
    /// `gte.v`
    Gte(String),
    /// `lt.v`
    Lt(String),
    /// `lte.v`
    Lte(String),
}

/// `column=op.value`, possibly negated with `not.`.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// Column filtered.
    pub column: String,
    /// Operator and operand.
    pub op: Op,
    /// `not.` prefix.
    pub negated: bool,
}

/// Parses one filter value such as `eq.8239de5c-...` or `in.(a,b)`.
pub fn parse_filter(column: &str, text: &str) -> Result<Filter, PgError> {
    let (negated, rest) = match text.strip_prefix("not.") {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (op, operand) = rest
        .split_once('.')
        .ok_or_else(|| PgError::parse("filter", &format!("{column}={text}")))?;
    let operand = operand.to_owned();
    let op = match op {
        "eq" => Op::Eq(operand),
        "neq" => Op::Neq(operand),
        "like" => Op::Like(operand),
        "ilike" => Op::ILike(operand),
        "gt" => Op::Gt(operand),
        "gte" => Op::Gte(operand),
        "lt" => Op::Lt(operand),
        "lte" => Op::Lte(operand),
        "is" => Op::Is(match operand.as_str() {
            "null" => Value::Null,
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(PgError::parse("filter", &format!("{column}={text}"))),
        }),
        "in" => {
            let inner = operand
                .strip_prefix('(')
                .and_then(|s| s.strip_suffix(')'))
                .ok_or_else(|| PgError::parse("filter", &format!("{column}={text}")))?;
            Op::In(
                inner
                    .split(',')
                    .map(|s| s.trim().trim_matches('"').to_owned())
                    .filter(|s| !s.is_empty())
                    .collect(),
            )
        }
        _ => return Err(PgError::parse("filter", &format!("{column}={text}"))),
    };
    Ok(Filter {
        column: column.to_owned(),
        op,
        negated,
    })
}

fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Columns holding UUIDs compare case-insensitively, as PostgreSQL's uuid type does.
fn same(column: &str, a: &str, b: &str) -> bool {
    if column.ends_with("_id") || column == "id" {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

fn like(pattern: &str, text: &str, fold: bool) -> bool {
    let (pattern, text) = if fold {
        (pattern.to_lowercase(), text.to_lowercase())
    } else {
        (pattern.to_owned(), text.to_owned())
    };
    let parts: Vec<&str> = pattern.split(['*', '%']).collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text.as_str();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

fn compare(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
        _ => a.cmp(b),
    }
}

impl Filter {
    /// Whether `row` passes.
    pub fn matches(&self, table: &str, row: &Map<String, Value>) -> Result<bool, PgError> {
        let value = row
            .get(&self.column)
            .ok_or_else(|| PgError::unknown_column(table, &self.column))?;
        let text = text_of(value);
        let col = self.column.as_str();
        let result = match (&self.op, text.as_deref()) {
            (Op::Is(expected), _) => value == expected,
            (_, None) => false,
            (Op::Eq(v), Some(t)) => same(col, t, v),
            (Op::Neq(v), Some(t)) => !same(col, t, v),
            (Op::In(vs), Some(t)) => vs.iter().any(|v| same(col, t, v)),
            (Op::Like(p), Some(t)) => like(p, t, false),
            (Op::ILike(p), Some(t)) => like(p, t, true),
            (Op::Gt(v), Some(t)) => compare(t, v).is_gt(),
            (Op::Gte(v), Some(t)) => compare(t, v).is_ge(),
            (Op::Lt(v), Some(t)) => compare(t, v).is_lt(),
            (Op::Lte(v), Some(t)) => compare(t, v).is_le(),
        };
        Ok(result != self.negated)
    }
}

/// One `order` term.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// Column.
    pub column: String,
    /// Descending when true.
    pub descending: bool,
}

/// Parses `order=title.asc,theme_id.desc`.
pub fn parse_order(text: &str) -> Result<Vec<Order>, PgError> {
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
pub struct Query {
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
pub fn parse_query(pairs: &[(String, String)]) -> Result<Query, PgError> {
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
pub fn run(
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
pub fn content_range(offset: usize, returned: usize, total: Option<usize>) -> String {
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
