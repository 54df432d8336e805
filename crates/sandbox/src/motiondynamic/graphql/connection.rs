//! PostGraphile connections: `condition`, `orderBy`, cursors, `first`,
//! `last`, `offset`, `before` and `after`.

use async_graphql::dynamic::ResolverContext;
use base64::Engine as _;
use serde_json::Value;

use super::bad_input;
use super::rows::{Obj, camel};

pub(super) fn cursor(index: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("cursor:{index}"))
}

fn decode_cursor(text: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("cursor:")?
        .parse()
        .ok()
}

/// Builds a connection from rows, honouring PostGraphile's paging,
/// ordering and condition arguments.
pub(super) fn connection(
    ctx: &ResolverContext<'_>,
    mut rows: Vec<Obj>,
    primary: &str,
) -> async_graphql::Result<Obj> {
    if let Ok(condition) = ctx.args.try_get("condition")
        && let Ok(condition) = condition.object()
    {
        for (name, expected) in condition.iter() {
            let expected = expected.as_value().clone().into_json()?;
            let expected_text = expected.as_str().map(str::to_owned);
            rows.retain(|row| {
                let actual = row.get(name.as_str()).unwrap_or(Value::Null);
                match (actual.as_str(), expected_text.as_deref()) {
                    (Some(a), Some(e)) if name.as_str().ends_with("Id") => {
                        a.eq_ignore_ascii_case(e)
                    }
                    _ => actual == expected,
                }
            });
        }
    }
    let order: Vec<String> = match ctx.args.try_get("orderBy") {
        Ok(list) => list
            .list()
            .map(|l| {
                l.iter()
                    .filter_map(|v| v.enum_name().ok().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        Err(_) => vec!["PRIMARY_KEY_ASC".into()],
    };
    for term in order.iter().rev() {
        if term == "NATURAL" {
            continue;
        }
        let (column, descending) = match term.rsplit_once('_') {
            Some((column, "DESC")) => (column, true),
            Some((column, _)) => (column, false),
            None => continue,
        };
        let field = if column == "PRIMARY_KEY" {
            primary.to_owned()
        } else {
            camel(column)
        };
        rows.sort_by(|a, b| {
            let x = a.get(&field).map(|v| v.to_string()).unwrap_or_default();
            let y = b.get(&field).map(|v| v.to_string()).unwrap_or_default();
            if descending { y.cmp(&x) } else { x.cmp(&y) }
        });
    }
    let total = rows.len();
    let int = |name: &str| -> async_graphql::Result<Option<usize>> {
        match ctx.args.try_get(name) {
            Ok(v) if !v.is_null() => {
                let n = v.i64().map_err(|e| bad_input(e.message))?;
                usize::try_from(n)
                    .map(Some)
                    .map_err(|_| bad_input(format!("`{name}` must not be negative")))
            }
            _ => Ok(None),
        }
    };
    let after = ctx
        .args
        .try_get("after")
        .ok()
        .and_then(|v| v.string().ok().and_then(decode_cursor))
        .map_or(0, |i| i + 1);
    let before = ctx
        .args
        .try_get("before")
        .ok()
        .and_then(|v| v.string().ok().and_then(decode_cursor))
        .unwrap_or(total)
        .min(total);
    let mut start = after.max(int("offset")?.unwrap_or(0) + after).min(before);
    let mut end = before;
    if let Some(first) = int("first")? {
        end = end.min(start + first);
    }
    if let Some(last) = int("last")? {
        start = start.max(end.saturating_sub(last));
    }
    let nodes = rows.drain(start..end).collect();
    Ok(Obj::Connection {
        nodes,
        total,
        offset: start,
        has_next: end < total,
        has_previous: start > 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        assert_eq!(decode_cursor(&cursor(41)), Some(41));
        assert_eq!(decode_cursor("bm9wZQ=="), None);
    }
}
