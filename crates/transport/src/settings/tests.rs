//! The loader's rules, each with the input, the file and the profile it
//! reads.

use super::*;
use std::path::Path;

fn global(file: Option<PathBuf>) -> SettingsInput {
    SettingsInput {
        config_file: file,
        ..SettingsInput::default()
    }
}

#[test]
fn api_urls_are_checked_like_the_clients_check_them() {
    assert!(check_api_url("https://petest.deepmotion.com:443").is_ok());
    assert!(check_api_url("http://127.0.0.1:8080/prefix/").is_ok());
    for bad in [
        "my-client-id",
        "petest.deepmotion.com",
        "ftp://x",
        "https://x/?a=1",
        "",
    ] {
        assert!(check_api_url(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_service_that_is_not_a_table_is_an_error_not_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "deepmotion = 3\n");
    let config = Settings::load(global(Some(path))).unwrap();
    let error = config.deepmotion().unwrap_err();
    assert!(
        error
            .message
            .contains("`deepmotion` is an integer, not a table"),
        "{}",
        error.message
    );
    assert!(error.hint.unwrap().contains("[deepmotion]"));
}

fn write(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("c.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn file_then_flags_and_debug_hides_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "[deepmotion]\nclient_id = \"file-id\"\nclient_secret = \"file-secret-123\"\n\
         [motiondynamic]\ntoken = \"tok-456\"\n",
    );
    let mut args = global(Some(path));
    args.client_id = Some("flag-id".into());
    let config = Settings::load(args.clone()).unwrap();
    let dm = config.deepmotion().unwrap().unwrap();
    assert_eq!(dm.client_id, "flag-id");
    assert_eq!(dm.url, default_deepmotion_url());
    let md = config.motiondynamic().unwrap().unwrap();
    let debug = format!(
        "{config:?} {dm:?} {md:?} {:?}",
        config.deepmotion_settings()
    );
    assert!(
        !debug.contains("file-secret-123") && !debug.contains("tok-456"),
        "{debug}"
    );
}

#[test]
fn bad_file_names_the_line_but_not_the_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "[deepmotion]\nclient_id = \"a\"\nclient_secret = \"s3cr3t\" x\n",
    );
    let err = Settings::load(global(Some(path))).unwrap_err();
    assert!(err.message.contains("line 3"), "{err}");
    assert!(!err.message.contains("s3cr3t"), "{err}");
}

#[test]
fn one_services_broken_section_does_not_affect_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "[deepmotion]\nclient_id = \"only-id\"\nclent_secret = \"typo\"\n\
         [motiondynamic]\ntoken = \"tok\"\n",
    );
    let config = Settings::load(global(Some(path))).unwrap();
    assert_eq!(
        config.motiondynamic().unwrap().unwrap().url,
        default_motiondynamic_url()
    );
    let err = config.deepmotion().unwrap_err();
    assert!(err.message.contains("clent_secret"), "{err}");
}

#[test]
fn partial_credentials_are_an_auth_error_naming_what_to_set() {
    let args = global(Some(PathBuf::from("/nonexistent/motionkit.toml")));
    assert!(Settings::load(args.clone()).is_err());
    let dir = tempfile::tempdir().unwrap();
    let mut args = global(Some(write(dir.path(), "")));
    args.client_id = Some("id".into());
    let config = Settings::load(args.clone()).unwrap();
    let err = config.deepmotion().unwrap_err();
    assert_eq!(err.kind, SettingsErrorKind::Credentials);
    assert!(err.message.contains("DEEPMOTION_CLIENT_SECRET"), "{err}");
    assert!(
        err.hint
            .unwrap()
            .contains("client_secret` under [deepmotion]")
    );
    assert!(config.motiondynamic().unwrap().is_none());
    let err = config.require_motiondynamic().unwrap_err();
    assert!(err.message.contains("MOTIONDYNAMIC_TOKEN"), "{err}");
    assert!(
        err.to_string().contains("hint: set MOTIONDYNAMIC_TOKEN"),
        "{err}"
    );
}

#[test]
fn profiles_override_the_top_level() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "[deepmotion]\nclient_id = \"top\"\nclient_secret = \"s\"\n\
         [profiles.staging.deepmotion]\napi_url = \"http://staging.invalid\"\nclient_id = \"stg\"\n",
    );
    let mut args = global(Some(path));
    args.profile = Some("staging".into());
    let config = Settings::load(args.clone()).unwrap();
    let dm = config.deepmotion().unwrap().unwrap();
    assert_eq!(
        (dm.url.as_str(), dm.client_id.as_str()),
        ("http://staging.invalid", "stg")
    );
    let [_, id, secret] = config.deepmotion_settings();
    assert_eq!(
        id.source,
        Source::File("profiles.staging.deepmotion".into())
    );
    assert_eq!(secret.source, Source::File("deepmotion".into()));
    args.profile = Some("prod".into());
    let err = Settings::load(args.clone()).unwrap_err();
    assert!(err.message.contains("staging"), "{err}");
}

#[test]
fn only_small_regular_files_are_read() {
    let err = Settings::load(global(Some("/dev/zero".into()))).unwrap_err();
    assert!(err.message.contains("not a regular file"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.toml");
    std::fs::write(&big, vec![b'#'; MAX_CONFIG_FILE_BYTES as usize + 1]).unwrap();
    let err = Settings::load(global(Some(big))).unwrap_err();
    assert!(err.message.contains("larger than"), "{err}");
    let err = Settings::load(global(Some(dir.path().to_owned()))).unwrap_err();
    assert!(err.message.contains("not a regular file"), "{err}");
}

#[test]
fn masks_keep_at_most_four_characters() {
    assert_eq!(mask("short"), "****");
    assert_eq!(mask("abcdefghijklmnopWXYZ"), "****WXYZ");
}

#[test]
fn no_credentials_at_all_name_both_variables_and_the_file_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "[motiondynamic]\ntoken = \"t\"\n");
    let config = Settings::load(global(Some(path.clone()))).unwrap();
    assert!(config.deepmotion().unwrap().is_none());
    let err = config.require_deepmotion().unwrap_err();
    assert_eq!(err.kind, SettingsErrorKind::Credentials);
    for part in [
        "DEEPMOTION_CLIENT_ID",
        "DEEPMOTION_CLIENT_SECRET",
        &path.display().to_string(),
    ] {
        assert!(err.message.contains(part), "{part}: {err}");
    }
    // The same error through a client: a configuration error that says it.
    let error = crate::Error::from(err);
    assert!(
        error.to_string().contains("DEEPMOTION_CLIENT_SECRET"),
        "{error}"
    );
    assert_eq!(
        config.require_motiondynamic().unwrap().url,
        default_motiondynamic_url()
    );
}

#[test]
fn unknown_tables_are_named_and_known_ones_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "redis_url = \"redis://x\"\n[deepmotin]\nclient_id = \"a\"\n",
    );
    let config = Settings::load(global(Some(path))).unwrap();
    assert_eq!(config.unknown_tables(&["redis_url"]), ["deepmotin"]);
    assert_eq!(
        config.top_level("redis_url").and_then(|v| v.as_str()),
        Some("redis://x")
    );
}

#[test]
fn the_redis_url_comes_from_the_input_then_the_file_and_is_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "redis_url = \"redis://:pw-in-file@fleet:6379\"\n",
    );
    let from_file = Settings::load(global(Some(path.clone()))).unwrap();
    let url = from_file.redis_url().unwrap().unwrap();
    assert_eq!(url.expose(), "redis://:pw-in-file@fleet:6379");
    assert!(!format!("{url:?} {from_file:?}").contains("pw-in-file"));

    let mut input = global(Some(path));
    input.redis_url = Some("redis://:pw-given@flag:6379".into());
    assert!(!format!("{input:?}").contains("pw-given"));
    let given = Settings::load(input).unwrap().redis_url().unwrap().unwrap();
    assert_eq!(
        given.expose(),
        "redis://:pw-given@flag:6379",
        "the input wins"
    );

    let mut blank = global(None);
    blank.redis_url = Some("  ".into());
    assert!(
        Settings::load(blank)
            .unwrap()
            .redis_url()
            .unwrap()
            .is_none()
    );

    let wrong = write(dir.path(), "redis_url = 6379\n");
    let error = Settings::load(global(Some(wrong)))
        .unwrap()
        .redis_url()
        .unwrap_err();
    assert!(error.message.contains("must be a string"), "{error}");
    assert!(error.hint.unwrap().contains("redis_url = "));
}
