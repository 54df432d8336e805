//! Filters: `column=op.value`, possibly negated with `not.`.

use serde_json::{Map, Value};

use super::PgError;

/// A filter operator.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
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
pub(crate) struct Filter {
    /// Column filtered.
    pub column: String,
    /// Operator and operand.
    pub op: Op,
    /// `not.` prefix.
    pub negated: bool,
}

/// Parses one filter value such as `eq.8239de5c-...` or `in.(a,b)`.
pub(crate) fn parse_filter(column: &str, text: &str) -> Result<Filter, PgError> {
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

pub(super) fn text_of(value: &Value) -> Option<String> {
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

pub(super) fn compare(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
        _ => a.cmp(b),
    }
}

impl Filter {
    /// Whether `row` passes.
    pub(crate) fn matches(&self, table: &str, row: &Map<String, Value>) -> Result<bool, PgError> {
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
