//! No copied logic: no run of 10 or more identical lines is shared by two
//! places in the hand-written, non-test source of the workspace. A rule
//! needed twice lives once and is called from both places.
//!
//! Lines are compared with their indentation trimmed and blank lines
//! skipped, so moving code into a deeper block does not hide a copy.
//! Comments count: two builders whose setters are documented differently
//! are not a copy. Test code (`#[cfg(test)]` modules, `tests/`, `benches/`)
//! and generated files are not looked at: fixtures may repeat themselves.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use xtask::workspace_root;

/// How many identical lines in a row make a copy.
const RUN: usize = 10;

/// One significant line of a source file.
struct Line {
    file: usize,
    number: usize,
    text: String,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !matches!(name.as_ref(), "generated" | "tests" | "benches" | "target") {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") && name != "tests.rs" {
            out.push(path);
        }
    }
}

/// The hand-written library and binary sources: every package's `src/`.
fn sources(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut packages: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    packages.extend(["xtask", "bench", "tests", "fuzz"].map(|p| root.join(p)));
    for package in packages {
        rust_files(&package.join("src"), &mut files);
    }
    files.sort();
    files
}

/// The significant lines of `text` before its first `#[cfg(test)]`.
fn significant(text: &str, file: usize) -> Vec<Line> {
    let mut lines = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with("#[cfg(test)]") {
            break;
        }
        if line.is_empty() {
            continue;
        }
        lines.push(Line {
            file,
            number: index + 1,
            text: line.to_owned(),
        });
    }
    lines
}

/// Every run of `RUN` lines found in two places, as
/// `file:line` pairs.
fn copies(files: &[(String, String)]) -> Vec<String> {
    let lines: Vec<Vec<Line>> = files
        .iter()
        .enumerate()
        .map(|(i, (_, text))| significant(text, i))
        .collect();
    let mut seen: HashMap<Vec<&str>, (usize, usize)> = HashMap::new();
    let mut found = Vec::new();
    for file_lines in &lines {
        // The end of the last reported copy in this file, so that one long
        // copy is reported once rather than once per window.
        let mut reported_until = 0;
        for window in file_lines.windows(RUN) {
            let key: Vec<&str> = window.iter().map(|l| l.text.as_str()).collect();
            let here = (window[0].file, window[0].number);
            match seen.get(&key) {
                Some(&(file, number)) => {
                    let overlaps = file == here.0 && window[0].number <= number + RUN;
                    if !overlaps && here.1 > reported_until {
                        found.push(format!(
                            "{}:{} repeats {}:{}",
                            files[here.0].0, here.1, files[file].0, number
                        ));
                        reported_until = window[RUN - 1].number;
                    }
                }
                None => {
                    seen.insert(key, here);
                }
            }
        }
    }
    found
}

#[test]
fn no_run_of_ten_lines_is_copied_between_two_places() {
    let root = workspace_root();
    let files: Vec<(String, String)> = sources(&root)
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path
                .strip_prefix(&root)
                .unwrap_or(&path)
                .display()
                .to_string();
            (name, text)
        })
        .collect();
    assert!(files.len() > 50, "too few sources found: {}", files.len());
    let found = copies(&files);
    assert!(
        found.is_empty(),
        "copied logic (move it into one function both places call):\n{}",
        found.join("\n")
    );
}

#[test]
fn a_copied_run_is_found_wherever_it_is_indented() {
    let body: String = (0..12)
        .map(|i| format!("let x{i} = step({i});\n"))
        .collect();
    let indented: String = body.lines().map(|l| format!("        {l}\n")).collect();
    let files = vec![
        ("a.rs".to_owned(), format!("fn a() {{\n{body}}}\n")),
        (
            "b.rs".to_owned(),
            format!("fn b() {{\n    if ok {{\n{indented}    }}\n}}\n"),
        ),
        (
            "c.rs".to_owned(),
            format!("fn c() {{}}\n#[cfg(test)]\nmod tests {{\n{body}}}\n"),
        ),
    ];
    let found = copies(&files);
    assert_eq!(found, vec!["b.rs:3 repeats a.rs:2".to_owned()], "{found:?}");
}
