//! Splitting long lists of request ids so that no URL gets too long.

/// Longest path this client builds for `/status/...` and `/download/...`
/// unless told otherwise ([`crate::ClientBuilder::max_path_bytes`]).
///
/// 4000 bytes stays within the shortest request-target limit of the common
/// servers and gateways: IIS refuses URLs over 4096 bytes by default, while
/// nginx, Apache, CloudFront and most load balancers take about 8 KiB. It
/// fits 147 rids of the documented 26-character shape. A server that answers
/// `414 URI Too Long` anyway gets shorter batches from then on.
pub const MAX_PATH_BYTES: usize = 4000;

/// Bytes a rid takes in a path once percent-encoded (unreserved characters
/// and `,` stay as they are).
pub(crate) fn encoded_len(rid: &str) -> usize {
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

/// Path length of `prefix` followed by `rids` joined with `,`.
pub(crate) fn path_len(prefix: &str, rids: &[String]) -> usize {
    prefix.len() + rids.iter().map(|r| encoded_len(r)).sum::<usize>() + rids.len().saturating_sub(1)
}

/// How many of the leading `rids`, joined with `,` after `prefix`, fit in
/// `max_bytes`. At least one when `rids` is not empty: a single rid longer
/// than the limit still gets a request of its own.
pub(crate) fn fitting(prefix: &str, rids: &[String], max_bytes: usize) -> usize {
    let mut len = prefix.len();
    for (n, rid) in rids.iter().enumerate() {
        len += encoded_len(rid) + usize::from(n > 0);
        if n > 0 && len > max_bytes {
            return n;
        }
    }
    rids.len()
}

/// Groups `rids` so each group, joined with `,` after `prefix`, stays within
/// `max_bytes`. A single rid longer than that still gets a group of its own.
pub fn rid_batches<'a>(prefix: &str, rids: &'a [String], max_bytes: usize) -> Vec<&'a [String]> {
    let mut groups = Vec::new();
    let mut rest = rids;
    while !rest.is_empty() {
        let (group, tail) = rest.split_at(fitting(prefix, rest, max_bytes));
        groups.push(group);
        rest = tail;
    }
    groups
}

/// The limit to use after a server refused a path of `refused` bytes with
/// 414: half of it, so a few refusals find any limit, but never below what
/// one rid needs.
pub(crate) fn shorter_limit(prefix: &str, refused: usize) -> usize {
    (refused / 2).max(prefix.len() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn short_lists_stay_in_one_request() {
        let rids: Vec<String> = (0..10).map(|i| format!("rid-{i}")).collect();
        assert_eq!(rid_batches("/status/", &rids, MAX_PATH_BYTES).len(), 1);
        assert!(rid_batches("/status/", &[], MAX_PATH_BYTES).is_empty());
    }

    #[test]
    fn the_default_limit_fits_147_documented_rids() {
        let rids: Vec<String> = (0..1000)
            .map(|i| format!("1234567890-1234567890-{i:04}"))
            .collect();
        assert_eq!(fitting("/download/", &rids, MAX_PATH_BYTES), 147);
        assert_eq!(rid_batches("/status/", &rids, MAX_PATH_BYTES).len(), 7);
    }

    proptest! {
        #[test]
        fn groups_keep_order_cover_everything_and_fit(
            rids in proptest::collection::vec("[a-zA-Z0-9-]{1,40}", 0..400),
            max in 60usize..3000,
        ) {
            let groups = rid_batches("/status/", &rids, max);
            let flat: Vec<&String> = groups.iter().copied().flatten().collect();
            let expected: Vec<&String> = rids.iter().collect();
            prop_assert_eq!(flat, expected);
            for group in &groups {
                prop_assert!(path_len("/status/", group) <= max || group.len() == 1);
                prop_assert!(!group.is_empty());
            }
            // Each group is as long as the limit allows.
            for pair in groups.windows(2) {
                let mut longer = pair[0].to_vec();
                longer.push(pair[1][0].clone());
                prop_assert!(path_len("/status/", &longer) > max);
            }
        }

        #[test]
        fn a_shorter_limit_is_shorter_and_still_fits_one_rid(refused in 11usize..100_000) {
            let limit = shorter_limit("/status/", refused);
            prop_assert!(limit < refused);
            prop_assert!(limit > "/status/".len());
        }
    }
}
