//! `GET /character/listModels` bodies: a list of `CharacterModel` (and a
//! single one, through `deepmotion::reencode`) decodes without panicking
//! and round-trips through JSON unchanged; `Id` and `id` are both read and
//! `Id` is written.
#![no_main]

use libfuzzer_sys::fuzz_target;
use motionkit_fuzz::{reencoded, roundtrip, text};
use motionkit_models::deepmotion::{CharacterModel, reencode};

fuzz_target!(|data: &[u8]| {
    let Some(json) = text(data) else { return };
    if let Some(one) = reencoded::<CharacterModel>(reencode, "CharacterModel", json) {
        let encoded = serde_json::to_value(&one).unwrap();
        assert_eq!(encoded["Id"].as_str(), Some(one.id.as_str()));
        assert!(encoded.get("id").is_none());
    }
    let _ = roundtrip::<Vec<CharacterModel>>(json);
});
