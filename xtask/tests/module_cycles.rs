//! No library crate's modules import each other in a cycle: each crate's
//! top-level modules form a graph (an edge for every `crate::name` in a
//! module's non-test code, where `name` is a module or an item the crate
//! root re-exports from one: `crate::instant_after` is an edge to
//! `instant`), and that graph has no cycle. One level deeper, the
//! submodules of every folder module (`sandbox`'s `deepmotion::{api,
//! store, jobs, ...}`) form a graph of their own (`super::name` and
//! `crate::folder::name`) that has no cycle either. A cycle means two
//! modules are one concern split in two, or one reaches back into its user.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const LIBRARY_CRATES: [&str; 6] = [
    "validation",
    "models",
    "transport",
    "deepmotion",
    "motiondynamic",
    "sandbox",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Source files under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to (`None` for the crate
/// root and binaries).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main" | "bin")).then(|| name.to_owned())
}

/// The code before any `#[cfg(test)]` (tests may use anything), without
/// comment lines (a doc link is not a dependency).
fn non_test_code(text: &str) -> String {
    let code = text.find("#[cfg(test)]").map_or(text, |at| &text[..at]);
    code.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The names after every `crate::` (including `crate::{a, b::c}` groups).
fn crate_references(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.trim()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    for (at, _) in code.match_indices("crate::") {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            for item in inner.split(',') {
                found.insert(ident(item));
            }
        } else {
            found.insert(ident(rest));
        }
    }
    found.retain(|name| !name.is_empty());
    found
}

/// The items the crate root re-exports from its modules: `pub use
/// instant::instant_after;` maps `instant_after` to `instant`.
fn root_reexports(lib: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for statement in non_test_code(lib).split(';') {
        let statement = statement.trim();
        let Some(at) = statement.find("use ") else {
            continue;
        };
        if !statement[..at].trim().starts_with("pub") {
            continue;
        }
        let path = statement[at + 4..].trim().trim_start_matches("crate::");
        let Some((module, rest)) = path.split_once("::") else {
            continue;
        };
        let items = rest.trim().trim_start_matches('{').trim_end_matches('}');
        for item in items.split(',') {
            // `a::b::Name`, `Name as Other`: the name the root gives it.
            let item = item.trim();
            let name = item.rsplit(" as ").next().unwrap_or(item);
            let name = name.rsplit("::").next().unwrap_or(name).trim();
            if !name.is_empty() && name != "*" {
                out.insert(name.to_owned(), module.trim().to_owned());
            }
        }
    }
    out
}

/// The module graph of one crate: module → modules it refers to.
fn graph(krate: &str) -> BTreeMap<String, BTreeSet<String>> {
    let src = root().join("crates").join(krate).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(&src, f)).collect();
    let reexports = root_reexports(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let Some(module) = module_of(&src, file) else {
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        let targets = edges.entry(module.clone()).or_default();
        for name in crate_references(&non_test_code(&text)) {
            let target = if modules.contains(&name) {
                Some(name)
            } else {
                reexports.get(&name).cloned()
            };
            if let Some(target) = target.filter(|t| *t != module && modules.contains(t)) {
                targets.insert(target);
            }
        }
    }
    edges
}

/// The names after every `prefix` that is not part of a longer path
/// (`super::` but not `super::super::`), groups included.
fn references_after(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.trim()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    for (at, _) in code.match_indices(prefix) {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let rest = &code[at + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            found.extend(inner.split(',').map(ident));
        } else {
            found.insert(ident(rest));
        }
    }
    found.retain(|name| !matches!(name.as_str(), "" | "super" | "self"));
    found
}

/// One level deeper: for every folder module `src/NAME/`, the graph of its
/// submodules (`src/NAME/child.rs` or `src/NAME/child/`), with an edge
/// for `super::sibling` in a child's own file, `super::super::sibling`
/// one folder down, and `crate::NAME::sibling` anywhere in it.
fn nested_graphs(krate: &str) -> Vec<(String, BTreeMap<String, BTreeSet<String>>)> {
    let src = root().join("crates").join(krate).join("src");
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(&src) else {
        return out;
    };
    let mut folders: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    for folder in folders {
        let name = folder.file_name().unwrap().to_string_lossy().into_owned();
        let mut files = Vec::new();
        rust_files(&folder, &mut files);
        let children: BTreeSet<String> = files
            .iter()
            .filter_map(|f| module_of(&folder, f))
            .filter(|c| c != "mod")
            .collect();
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for file in &files {
            let Some(child) = module_of(&folder, file).filter(|c| c != "mod") else {
                continue;
            };
            let code = non_test_code(&std::fs::read_to_string(file).unwrap());
            let depth = file.strip_prefix(&folder).unwrap().components().count();
            let mut names = references_after(&code, &format!("crate::{name}::"));
            names.extend(match depth {
                1 => references_after(&code, "super::"),
                2 => references_after(&code, "super::super::"),
                _ => BTreeSet::new(),
            });
            let targets = edges.entry(child.clone()).or_default();
            targets.extend(
                names
                    .into_iter()
                    .filter(|n| *n != child && children.contains(n)),
            );
        }
        out.push((name, edges));
    }
    out
}

/// A cycle in `edges`, as the path that closes it.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        if let Some(cycle) = visit(node, edges, &mut Vec::new(), &mut done) {
            return Some(cycle);
        }
    }
    None
}

#[test]
fn library_crates_have_no_module_cycles() {
    let mut cycles = Vec::new();
    for krate in LIBRARY_CRATES {
        if let Some(cycle) = find_cycle(&graph(krate)) {
            cycles.push(format!("{krate}: {}", cycle.join(" -> ")));
        }
        for (folder, edges) in nested_graphs(krate) {
            if let Some(cycle) = find_cycle(&edges) {
                cycles.push(format!("{krate}::{folder}: {}", cycle.join(" -> ")));
            }
        }
    }
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_detector_sees_references_and_cycles() {
    let refs = crate_references("use crate::{a, b::C};\nlet x = crate::c::f();\nmy_crate::d;");
    assert_eq!(
        refs.into_iter().collect::<Vec<_>>(),
        ["a", "b", "c"].map(String::from)
    );
    let supers = references_after(
        "use super::{a, b};\nsuper::c::f();\nsuper::super::d;",
        "super::",
    );
    assert_eq!(
        supers.into_iter().collect::<Vec<_>>(),
        ["a", "b", "c"].map(String::from)
    );
    let reexports = root_reexports(
        "mod x;\npub use instant::instant_after;\npub use a::{B, c::D as E};\nuse q::Private;",
    );
    assert_eq!(reexports["instant_after"], "instant");
    assert_eq!(reexports["B"], "a");
    assert_eq!(reexports["E"], "a");
    assert!(!reexports.contains_key("Private"));
    let mut edges = BTreeMap::new();
    edges.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
    edges.insert("b".to_owned(), BTreeSet::from(["c".to_owned()]));
    assert_eq!(find_cycle(&edges), None);
    edges.insert("c".to_owned(), BTreeSet::from(["a".to_owned()]));
    assert_eq!(
        find_cycle(&edges),
        Some(["a", "b", "c", "a"].map(String::from).to_vec())
    );
}
