//! `cargo xtask`: project automation. See the library docs; `bench`,
//! `man` and `cli-schemas` are handed to cargo (`delegate.rs`).

use std::process::ExitCode;

mod delegate;

const USAGE: &str = "usage: cargo xtask codegen [--check] | cargo xtask deps [--check] | cargo xtask api [--check] | cargo xtask bench [--quick | --only fleet|download|python] | cargo xtask man [DIR] | cargo xtask cli-schemas";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let root = xtask::workspace_root();
    match args.as_slice() {
        ["codegen"] => match xtask::write(&root) {
            Ok(changed) if changed.is_empty() => {
                eprintln!("codegen: everything is up to date");
                ExitCode::SUCCESS
            }
            Ok(changed) => {
                for path in changed {
                    eprintln!("codegen: wrote {}", path.display());
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("codegen failed:\n{e}");
                ExitCode::FAILURE
            }
        },
        ["codegen", "--check"] => match xtask::check(&root, &root.join("specs")) {
            Ok(()) => {
                eprintln!("codegen --check: generated code matches the specs");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("codegen --check failed:\n{e}");
                ExitCode::FAILURE
            }
        },
        ["deps"] => match xtask::deps::table(&root) {
            Ok(table) => match std::fs::write(root.join(xtask::deps::TABLE_PATH), table) {
                Ok(()) => {
                    eprintln!("deps: wrote {}", xtask::deps::TABLE_PATH);
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("deps: cannot write {}: {e}", xtask::deps::TABLE_PATH);
                    ExitCode::FAILURE
                }
            },
            Err(e) => {
                eprintln!("deps failed:\n{e}");
                ExitCode::FAILURE
            }
        },
        ["deps", "--check"] => match xtask::deps::check(&root) {
            Ok(()) => {
                eprintln!("deps --check: the lean builds stay lean");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("deps --check failed:\n{e}");
                ExitCode::FAILURE
            }
        },
        ["api"] => match delegate::target_dir(&root).and_then(|t| xtask::api::write(&root, &t)) {
            Ok(changed) => {
                for path in &changed {
                    eprintln!("api: wrote {}", path.display());
                }
                if changed.is_empty() {
                    eprintln!("api: every listing is up to date");
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("api failed: {e}");
                ExitCode::FAILURE
            }
        },
        ["api", "--check"] => {
            match delegate::target_dir(&root).and_then(|t| xtask::api::check(&root, &t)) {
                Ok(()) => {
                    eprintln!("api --check: the public API matches docs/api/");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("api --check failed:\n{e}");
                    ExitCode::FAILURE
                }
            }
        }
        ["bench", rest @ ..] => delegate::bench(&root, rest),
        ["man", rest @ ..] => delegate::man(&root, rest),
        ["cli-schemas"] => delegate::cli_schemas(&root),
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
