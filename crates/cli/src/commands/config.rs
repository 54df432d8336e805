//! `motionkit config show|init|path`.

use std::collections::BTreeMap;
use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::PathBuf;

use crate::args::{ConfigCommand, GlobalArgs};
use crate::config::{
    Config, Setting, check_api_url, default_deepmotion_url, default_motiondynamic_url,
    default_path, render_file,
};
use crate::exit::{CliError, io_error};
use crate::output::{ConfigOutput, SettingView};
use crate::stdio;
use crate::term::safe;

/// `motionkit config path` (and the older `config-path`).
pub fn path() -> Result<(), CliError> {
    match default_path() {
        Some(path) => stdio::out(path.display()),
        None => stdio::out("(no config directory on this platform; use --config-file)"),
    }
    Ok(())
}

/// Runs a `config` subcommand.
pub fn run(global: &GlobalArgs, command: ConfigCommand) -> Result<(), CliError> {
    match command {
        ConfigCommand::Show => show(global),
        ConfigCommand::Init { force } => init(global, force),
        ConfigCommand::Path => path(),
    }
}

fn view(setting: &Setting) -> SettingView {
    SettingView {
        key: setting.key.to_owned(),
        value: setting.shown(),
        source: setting.source.to_string(),
    }
}

fn show(global: &GlobalArgs) -> Result<(), CliError> {
    let config = Config::load(global)?;
    let mut settings: Vec<SettingView> = config.deepmotion_settings().iter().map(view).collect();
    settings.extend(config.motiondynamic_settings().iter().map(view));
    let output = ConfigOutput {
        simulated: global.sandbox,
        config_file: config.path.clone(),
        profile: config.profile.clone(),
        sandbox: global.sandbox,
        settings,
    };
    if global.json {
        let text = serde_json::to_string_pretty(&output)
            .map_err(|e| CliError::local(format!("encoding JSON: {e}")))?;
        stdio::out(text);
        return Ok(());
    }
    let file = match (&output.config_file, &global.config_file) {
        (Some(path), _) => path.display().to_string(),
        (None, _) => default_path().map_or_else(
            || "(none)".to_owned(),
            |p| format!("{} (not found)", p.display()),
        ),
    };
    stdio::out(format_args!("{:<26} {}", "config_file", safe(&file)));
    stdio::out(format_args!(
        "{:<26} {}",
        "profile",
        safe(output.profile.as_deref().unwrap_or("(none)"))
    ));
    stdio::out(format_args!(
        "{:<26} {}",
        "sandbox",
        if output.sandbox {
            "on (simulated results)"
        } else {
            "off"
        }
    ));
    for setting in &output.settings {
        stdio::out(format_args!(
            "{:<26} {:<40} {}",
            setting.key,
            safe(setting.value.as_deref().unwrap_or("-")),
            setting.source
        ));
    }
    Ok(())
}

/// Reads one answer; `secret` turns terminal echo off while typing.
fn ask(question: &str, default: Option<&str>, secret: bool) -> Result<String, CliError> {
    let mut stderr = std::io::stderr();
    match default {
        Some(default) => {
            let _ = write!(stderr, "{question} [{default}]: ");
        }
        None => {
            let _ = write!(stderr, "{question}: ");
        }
    }
    let _ = stderr.flush();
    let echo_off = secret && stty(&["-echo"]);
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    if echo_off {
        stty(&["echo"]);
        let _ = writeln!(stderr);
    }
    read.map_err(|e| io_error("reading the answer", e))?;
    let answer = line.trim().to_owned();
    Ok(if answer.is_empty() {
        default.unwrap_or_default().to_owned()
    } else {
        answer
    })
}

/// Asks for a base URL until the answer is one (three tries).
fn ask_url(question: &str, default: &str) -> Result<String, CliError> {
    let mut problem = String::new();
    for _ in 0..3 {
        let answer = ask(question, Some(default), false)?;
        match check_api_url(&answer) {
            Ok(()) => return Ok(answer),
            Err(e) => {
                crate::stdio::err(format_args!(
                    "motionkit: {}; enter a base URL such as {default}, or nothing for that default",
                    safe(&e)
                ));
                problem = e;
            }
        }
    }
    Err(CliError::usage(format!("{question}: {problem}")).hint(format!(
        "run `motionkit config init` again and give a base URL such as {default} (or press          Enter for it)"
    )))
}

/// Runs `stty` on the terminal; false when it is not available.
fn stty(args: &[&str]) -> bool {
    std::process::Command::new("stty")
        .args(args)
        .stdin(std::process::Stdio::inherit())
        .status()
        .is_ok_and(|s| s.success())
}

fn init(global: &GlobalArgs, force: bool) -> Result<(), CliError> {
    let path: PathBuf = match global.config_file.clone().or_else(default_path) {
        Some(path) => path,
        None => {
            return Err(CliError::usage(
                "no config directory on this platform; use --config-file",
            ));
        }
    };
    if !std::io::stdin().is_terminal() {
        return Err(CliError::usage(
            "config init asks its questions at a terminal, and stdin is not one",
        )
        .hint(format!(
            "run it in a terminal, or write {} by hand (its format: `motionkit config --help`)",
            path.display()
        )));
    }
    if path.exists() && !force {
        return Err(
            CliError::conflict(format!("{} already exists", path.display()))
                .hint("add --force to replace it, or edit it by hand"),
        );
    }
    crate::stdio::err(format_args!(
        "motionkit: writing {} (leave an answer empty to skip it)",
        path.display()
    ));
    let mut values: BTreeMap<&str, String> = BTreeMap::new();
    let dm_url = ask_url("DeepMotion API URL", default_deepmotion_url())?;
    if dm_url != default_deepmotion_url() {
        values.insert("deepmotion.api_url", dm_url);
    }
    values.insert(
        "deepmotion.client_id",
        ask("DeepMotion client id", None, false)?,
    );
    values.insert(
        "deepmotion.client_secret",
        ask("DeepMotion client secret", None, true)?,
    );
    let md_url = ask_url("MotionDynamic API URL", default_motiondynamic_url())?;
    if md_url != default_motiondynamic_url() {
        values.insert("motiondynamic.api_url", md_url);
    }
    values.insert(
        "motiondynamic.token",
        ask("MotionDynamic token", None, true)?,
    );
    write_private(&path, &render_file(&values), force)?;
    crate::stdio::err(format_args!(
        "motionkit: wrote {} (mode 0600)",
        path.display()
    ));
    Ok(())
}

/// Writes `text` to a new file only its owner can read.
fn write_private(path: &std::path::Path, text: &str, replace: bool) -> Result<(), CliError> {
    let context = || format!("writing {}", path.display());
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| io_error(context(), e))?;
    }
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let mut file = tempfile::Builder::new()
        .prefix(".motionkit-config.")
        .tempfile_in(dir.unwrap_or(std::path::Path::new(".")))
        .map_err(|e| io_error(context(), e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| io_error(context(), e))?;
    }
    file.write_all(text.as_bytes())
        .and_then(|()| file.as_file().sync_all())
        .map_err(|e| io_error(context(), e))?;
    if replace {
        file.persist(path)
            .map_err(|e| io_error(context(), e.error))?;
    } else {
        file.persist_noclobber(path)
            .map_err(|e| io_error(context(), e.error))?;
    }
    Ok(())
}
