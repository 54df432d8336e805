//! Responses from real servers vary; parsing must bend, not break.

use motionkit_models::deepmotion::{
    CharacterModel, ErrorCode, JobStatus, ListResponse, StatusResponse, endpoints,
};
use motionkit_models::{AuthKind, Method, decode};

#[test]
fn status_details_accept_in_and_in_lowercase() {
    for key in ["In", "in"] {
        let body = format!(
            r#"{{"count":1,"status":[{{"rid":"r","status":"SUCCESS","details":{{"{key}":"a.mp4","out":"a"}}}}]}}"#
        );
        let parsed: StatusResponse = decode(&body).unwrap();
        let details = parsed.status[0].details.as_ref().unwrap();
        assert_eq!(details.input.as_deref(), Some("a.mp4"), "key {key}");
    }
}

#[test]
fn model_ids_accept_both_cases_and_write_the_documented_one() {
    let upper: CharacterModel = decode(r#"{"Id":"m1"}"#).unwrap();
    let lower: CharacterModel = decode(r#"{"id":"m1","extra":true}"#).unwrap();
    assert_eq!(upper, lower);
    assert_eq!(serde_json::to_string(&lower).unwrap(), r#"{"Id":"m1"}"#);
}

#[test]
fn unknown_statuses_are_kept_not_rejected() {
    let body =
        r#"{"count":2,"list":[{"rid":"a","status":"STARTING"},{"rid":"b","status":"QUEUED"}]}"#;
    let parsed: ListResponse = decode(body).unwrap();
    assert_eq!(parsed.list[0].status, JobStatus::Starting);
    assert_eq!(parsed.list[1].status, JobStatus::Unknown("QUEUED".into()));
    assert_eq!(parsed.list[1].status.to_string(), "QUEUED");
    // Documented as case sensitive: a lower-case name is not PROGRESS.
    assert!(JobStatus::from_wire("progress").is_unknown());
}

#[test]
fn decode_errors_name_the_json_path() {
    let err = decode::<StatusResponse>(r#"{"count":1,"status":[{"rid":7,"status":"SUCCESS"}]}"#)
        .unwrap_err();
    assert_eq!(err.path, "status[0].rid");
    assert!(err.to_string().contains("status[0].rid"), "{err}");
}

#[test]
fn error_code_table_is_complete() {
    assert_eq!(ErrorCode::ALL.len(), 34);
    assert_eq!(ErrorCode::from_code(513), Some(ErrorCode::Code513));
    assert_eq!(
        ErrorCode::Code513.message(),
        "Failed to detect character in the video"
    );
    assert_eq!(ErrorCode::from_code(512), None);
    assert_eq!(
        ErrorCode::Code1399.to_string(),
        "1399: Hand tracking timeout"
    );
}

#[test]
fn only_process_style_posts_are_not_idempotent() {
    const { assert!(!endpoints::PROCESS.idempotent) };
    assert_eq!(endpoints::PROCESS.method, Method::Post);
    assert_eq!(endpoints::SESSION_AUTH.auth, AuthKind::Basic);
    assert!(
        endpoints::ALL
            .iter()
            .all(|e| e.idempotent || e.method == Method::Post)
    );
    const { assert!(!motionkit_models::motiondynamic::endpoints::CREATE_GENERATION.idempotent) };
    assert_eq!(
        endpoints::DELETE_MODEL.fill_path(&["m 1"]).unwrap(),
        "/character/deleteModel/m%201"
    );
}
