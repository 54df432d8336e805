//! The `select` list: columns, aliases, casts and embedded resources.

use axum::http::StatusCode;
use serde_json::{Map, Value};

use super::{PgError, valid_identifier};

/// One item of a `select` list.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SelectItem {
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
pub(crate) fn parse_select(text: &str) -> Result<Vec<SelectItem>, PgError> {
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
pub(crate) fn project(
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
