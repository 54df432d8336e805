//! Path templates of the generated endpoints through
//! `Endpoint::fill_path`: never panics; missing, empty and extra
//! values are errors; a rendered path keeps the template's segments
//! (no value adds or removes one, or adds a query or fragment), each value
//! percent-decodes back from its segment, and the URL the transport builds
//! from it (base + path) has exactly that path.
//!
//! Input: byte 0 picks the endpoint (bit 7 adds one value too many), then
//! one value per line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use motionkit_models::{PathError, deepmotion, motiondynamic};
use percent_encoding::percent_decode_str;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let all: Vec<_> = deepmotion::endpoints::ALL
        .iter()
        .chain(motiondynamic::endpoints::ALL)
        .collect();
    let endpoint = all[usize::from(pick & 0x7F) % all.len()];
    let text = String::from_utf8_lossy(rest);
    let values: Vec<&str> = if text.is_empty() {
        Vec::new()
    } else {
        text.split('\n').collect()
    };
    let mut values: Vec<&str> = values
        .into_iter()
        .take(endpoint.path_params.len())
        .collect();
    if pick & 0x80 != 0 {
        values.extend(std::iter::repeat_n("x", endpoint.path_params.len() + 1 - values.len()));
    }

    let result = endpoint.fill_path(&values);
    if pick & 0x80 != 0 {
        assert!(
            matches!(result, Err(PathError::TooMany { .. })),
            "{result:?}"
        );
        return;
    }
    if values.len() < endpoint.path_params.len() {
        assert!(
            matches!(result, Err(PathError::Missing { .. })),
            "{result:?}"
        );
        return;
    }
    let params: Vec<(&str, &str)> = endpoint.path_params.iter().copied().zip(values).collect();
    if params.iter().any(|(_, v)| v.is_empty()) {
        assert!(matches!(result, Err(PathError::Empty { .. })), "{result:?}");
        return;
    }
    let Ok(path) = result else { return };
    assert!(!path.contains(['?', '#']), "{path:?}");
    let template: Vec<&str> = endpoint.path.split('/').collect();
    let segments: Vec<&str> = path.split('/').collect();
    assert_eq!(segments.len(), template.len(), "{path:?}");
    for (segment, part) in segments.iter().zip(&template) {
        match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) => {
                let value = params.iter().find(|(n, _)| *n == name).unwrap().1;
                assert_eq!(percent_decode_str(segment).decode_utf8().unwrap(), value);
            }
            None => assert_eq!(segment, part),
        }
    }
    let url = url::Url::parse(&format!("https://api.example{path}")).unwrap();
    assert_eq!(url.path(), path, "the URL resolves {path:?} elsewhere");
});
