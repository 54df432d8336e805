//! MotionDynamic `/graphql` bodies: `GraphqlResponse` decodes without
//! panicking and round-trips through JSON unchanged (`null` data kept apart
//! from absent data). Its `data` is then decoded as every operation's
//! `ResponseData` the way the client does (`serde_json::from_value`), and
//! whenever `graphql_client::Response<ResponseData>` accepts a body
//! directly, the client's two-step decoding accepts it too, with the same
//! data and the same number of errors.
#![no_main]

use std::fmt::Debug;

use graphql_client::Response;
use libfuzzer_sys::fuzz_target;
use motionkit_fuzz::{reencoded, text};
use motionkit_models::motiondynamic::{GraphqlResponse, reencode};
use motionkit_motiondynamic::operations::{
    create_generation, generation_by_id, theme_by_id, themes,
};
use serde::de::DeserializeOwned;

fuzz_target!(|data: &[u8]| {
    let Some(json) = text(data) else { return };
    let ours = reencoded::<GraphqlResponse>(reencode, "GraphqlResponse", json);
    let object = json.trim_start().starts_with('{');
    check::<themes::ResponseData>(json, ours.as_ref(), object);
    check::<theme_by_id::ResponseData>(json, ours.as_ref(), object);
    check::<create_generation::ResponseData>(json, ours.as_ref(), object);
    check::<generation_by_id::ResponseData>(json, ours.as_ref(), object);
});

fn check<D: DeserializeOwned + PartialEq + Debug>(
    json: &str,
    ours: Option<&GraphqlResponse>,
    object: bool,
) {
    // The client's path: the envelope first, then `data` as the operation's type.
    let two_step: Option<D> = ours
        .and_then(|r| r.data.clone().flatten())
        .and_then(|data| serde_json::from_value(data).ok());
    let Ok(direct) = serde_json::from_str::<Response<D>>(json) else {
        return;
    };
    // serde also reads structs from arrays, and the two envelopes list
    // their fields in different orders; compare object bodies only.
    if !object {
        return;
    }
    let ours = ours.expect("graphql_client accepts a body the client's envelope refuses");
    assert_eq!(
        ours.errors.as_ref().map(Vec::len),
        direct.errors.as_ref().map(Vec::len)
    );
    if let Some(direct) = direct.data {
        assert_eq!(
            two_step.as_ref(),
            Some(&direct),
            "two-step decoding differs"
        );
    }
}
