//! Splitting long lists of request ids so that no URL gets too long.

/// Longest path this client builds for `/status/...` and `/download/...`.
/// Well under the 8 KiB many servers and proxies accept for a request line.
pub const MAX_PATH_BYTES: usize = 2000;

/// Bytes a rid takes in a path once percent-encoded (unreserved characters
/// and `,` stay as they are).
fn encoded_len(rid: &str) -> usize {
    rid.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                1
            } else {
                3
            }
        })
        .sum()
}

/// Groups `rids` so each group, joined with `,` after `prefix`, stays within
/// `max_bytes`. A single rid longer than that still gets a group of its own.
pub fn chunks<'a>(prefix: &str, rids: &'a [String], max_bytes: usize) -> Vec<Vec<&'a str>> {
    let mut groups: Vec<Vec<&str>> = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut len = prefix.len();
    for rid in rids {
        let add = encoded_len(rid) + usize::from(!current.is_empty());
        if !current.is_empty() && len + add > max_bytes {
            groups.push(std::mem::take(&mut current));
            len = prefix.len();
        }
        len += encoded_len(rid) + usize::from(!current.is_empty());
        current.push(rid);
    }
    if !current.is_empty() {
        groups.push(current);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn short_lists_stay_in_one_request() {
        let rids: Vec<String> = (0..10).map(|i| format!("rid-{i}")).collect();
        assert_eq!(chunks("/status/", &rids, MAX_PATH_BYTES).len(), 1);
        assert!(chunks("/status/", &[], MAX_PATH_BYTES).is_empty());
    }

    proptest! {
        #[test]
        fn groups_keep_order_cover_everything_and_fit(
            rids in proptest::collection::vec("[a-zA-Z0-9-]{1,40}", 0..400),
            max in 60usize..3000,
        ) {
            let groups = chunks("/status/", &rids, max);
            let flat: Vec<&str> = groups.iter().flatten().copied().collect();
            let expected: Vec<&str> = rids.iter().map(String::as_str).collect();
            prop_assert_eq!(flat, expected);
            for group in &groups {
                let len = "/status/".len() + group.iter().map(|r| encoded_len(r)).sum::<usize>() + group.len() - 1;
                prop_assert!(len <= max || group.len() == 1);
                prop_assert!(!group.is_empty());
            }
        }
    }
}
