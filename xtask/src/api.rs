//! `cargo xtask api [--check]`: the public API of every published crate,
//! one item per line, committed under `docs/api/<crate>.txt`.
//!
//! rustdoc's JSON output (`--output-format json`, unstable, enabled on the
//! stable toolchain with `RUSTC_BOOTSTRAP=1` for this one command) is
//! walked from each crate root along public modules and re-exports, so the
//! listing shows paths as users write them. Each line is an item with what
//! a user can depend on: a function's signature, a struct's public fields,
//! an enum's variants, `#[non_exhaustive]`, the traits a type implements.
//! `--check` fails when the listing differs from the committed one: a
//! change to the public API is then recorded on purpose (the listing and
//! `CHANGELOG.md` in the same commit).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Where the listings live.
pub const API_DIR: &str = "docs/api";

/// Builds the rustdoc JSON of every published crate (all features) in one
/// cargo run, so that dependencies resolve and build once, into
/// `target_dir`.
fn build_rustdoc_json(root: &Path, target_dir: &Path) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(&cargo);
    command.args(["doc", "--no-deps", "--lib", "--all-features", "--locked"]);
    for krate in crate::deps::CRATES {
        command.args(["-p", krate]);
    }
    let status = command
        .env("RUSTC_BOOTSTRAP", "1")
        .env("RUSTDOCFLAGS", "-Z unstable-options --output-format json")
        .env("CARGO_TARGET_DIR", target_dir)
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run {cargo}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("rustdoc JSON failed ({status})"))
    }
}

/// The rustdoc JSON of `krate`, built by [`build_rustdoc_json`].
fn rustdoc_json(target_dir: &Path, krate: &str) -> Result<Value, String> {
    let path = target_dir
        .join("doc")
        .join(format!("{}.json", krate.replace('-', "_")));
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The crate's rustdoc JSON as a listing.
struct Walk<'a> {
    index: &'a serde_json::Map<String, Value>,
    lines: BTreeSet<String>,
    seen: BTreeSet<(String, String)>,
}

fn id_key(id: &Value) -> String {
    match id {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl<'a> Walk<'a> {
    fn item(&self, id: &Value) -> Option<&'a Value> {
        self.index.get(&id_key(id))
    }

    fn add(&mut self, path: &str, what: String) {
        self.lines.insert(format!("{path}: {what}"));
    }

    fn module(&mut self, prefix: &str, id: &Value) {
        let Some(item) = self.item(id) else { return };
        let Some(items) = item["inner"]["module"]["items"].as_array() else {
            return;
        };
        for child in items {
            let Some(child_item) = self.item(child) else {
                continue;
            };
            if child_item["visibility"] != "public" {
                continue;
            }
            let inner = &child_item["inner"];
            if let Some(use_) = inner.get("use") {
                self.reexport(prefix, use_);
                continue;
            }
            let Some(name) = child_item["name"].as_str() else {
                continue;
            };
            self.entry(&format!("{prefix}::{name}"), child);
        }
    }

    fn reexport(&mut self, prefix: &str, use_: &Value) {
        let name = use_["name"].as_str().unwrap_or_default();
        let target = &use_["id"];
        let glob = use_["is_glob"].as_bool().unwrap_or(false);
        match self.item(target) {
            Some(item) if glob && item["inner"].get("module").is_some() => {
                self.module(prefix, target)
            }
            Some(_) if !glob => self.entry(&format!("{prefix}::{name}"), target),
            _ => {
                // An item of another crate: its path is what can break.
                let source = use_["source"].as_str().unwrap_or_default();
                let what = if glob {
                    format!("{source}::*")
                } else {
                    source.to_owned()
                };
                self.add(&format!("{prefix}::{name}"), format!("re-export of {what}"));
            }
        }
    }

    fn entry(&mut self, path: &str, id: &Value) {
        if !self.seen.insert((path.to_owned(), id_key(id))) {
            return;
        }
        let Some(item) = self.item(id) else { return };
        let inner = &item["inner"];
        let non_exhaustive = item["attrs"].as_array().is_some_and(|attrs| {
            attrs
                .iter()
                .any(|a| a.to_string().contains("non_exhaustive"))
        });
        let marker = if non_exhaustive {
            "#[non_exhaustive] "
        } else {
            ""
        };
        let Some((kind, body)) = inner.as_object().and_then(|o| o.iter().next()) else {
            return;
        };
        match kind.as_str() {
            "module" => {
                self.add(path, "module".into());
                self.module(path, id);
            }
            "function" => {
                self.add(path, format!("fn{}", self.signature(body)));
            }
            "struct" => {
                self.add(path, format!("{marker}struct"));
                if let Some(fields) = body["kind"]["plain"]["fields"].as_array() {
                    for field in fields {
                        self.field(path, field);
                    }
                }
                if let Some(fields) = body["kind"]["tuple"].as_array() {
                    for field in fields.iter().filter(|f| !f.is_null()) {
                        self.field(path, field);
                    }
                }
                self.impls(path, &body["impls"]);
            }
            "enum" => {
                self.add(path, format!("{marker}enum"));
                for variant in body["variants"].as_array().into_iter().flatten() {
                    if let Some(v) = self.item(variant) {
                        let name = v["name"].as_str().unwrap_or_default();
                        let vmarker = if v["attrs"].to_string().contains("non_exhaustive") {
                            "#[non_exhaustive] "
                        } else {
                            ""
                        };
                        let shape = self.variant_shape(&v["inner"]["variant"]["kind"]);
                        self.add(
                            &format!("{path}::{name}"),
                            format!("{vmarker}variant{shape}"),
                        );
                    }
                }
                self.impls(path, &body["impls"]);
            }
            "trait" => {
                self.add(path, "trait".into());
                for member in body["items"].as_array().into_iter().flatten() {
                    if let Some(m) = self.item(member) {
                        let name = m["name"].as_str().unwrap_or_default();
                        if let Some(f) = m["inner"].get("function") {
                            let sig = self.signature(f);
                            self.add(&format!("{path}::{name}"), format!("fn{sig}"));
                        }
                    }
                }
            }
            "constant" => {
                let ty = self.ty(&body["type"]);
                self.add(path, format!("const: {ty}"));
            }
            "static" => {
                let ty = self.ty(&body["type"]);
                self.add(path, format!("static: {ty}"));
            }
            "type_alias" => {
                let ty = self.ty(&body["type"]);
                self.add(path, format!("type = {ty}"));
            }
            "macro" => {
                self.add(path, "macro".into());
            }
            other => {
                self.add(path, other.to_owned());
            }
        }
    }

    fn field(&mut self, path: &str, id: &Value) {
        let Some(field) = self.item(id) else { return };
        if field["visibility"] != "public" {
            return;
        }
        let name = field["name"].as_str().unwrap_or_default();
        let ty = self.ty(&field["inner"]["struct_field"]);
        self.add(&format!("{path}.{name}"), format!("field: {ty}"));
    }

    fn variant_shape(&self, kind: &Value) -> String {
        if let Some(fields) = kind["tuple"].as_array() {
            let types: Vec<String> = fields
                .iter()
                .filter_map(|f| self.item(f))
                .map(|f| self.ty(&f["inner"]["struct_field"]))
                .collect();
            return format!("({})", types.join(", "));
        }
        if let Some(fields) = kind["struct"]["fields"].as_array() {
            let named: Vec<String> = fields
                .iter()
                .filter_map(|f| self.item(f))
                .map(|f| {
                    format!(
                        "{}: {}",
                        f["name"].as_str().unwrap_or_default(),
                        self.ty(&f["inner"]["struct_field"])
                    )
                })
                .collect();
            return format!(" {{ {} }}", named.join(", "));
        }
        String::new()
    }

    fn impls(&mut self, path: &str, impls: &Value) {
        for id in impls.as_array().into_iter().flatten() {
            let Some(item) = self.item(id) else { continue };
            let imp = &item["inner"]["impl"];
            if imp["is_synthetic"].as_bool() == Some(true) || !imp["blanket_impl"].is_null() {
                continue;
            }
            if imp["trait"].is_null() {
                for member in imp["items"].as_array().into_iter().flatten() {
                    let Some(m) = self.item(member) else { continue };
                    if m["visibility"] != "public" {
                        continue;
                    }
                    let name = m["name"].as_str().unwrap_or_default();
                    if let Some(f) = m["inner"].get("function") {
                        let sig = self.signature(f);
                        self.add(&format!("{path}::{name}"), format!("fn{sig}"));
                    } else if let Some(c) = m["inner"].get("assoc_const") {
                        let ty = self.ty(&c["type"]);
                        self.add(&format!("{path}::{name}"), format!("const: {ty}"));
                    }
                }
            } else {
                let name = self.path_name(&imp["trait"]);
                self.add(path, format!("impl {name}"));
            }
        }
    }

    fn path_name(&self, path: &Value) -> String {
        // The name alone: where a type is defined (`crate::video::Crop`) may
        // move without changing the API. Format 57 has `path`, older
        // formats `name`.
        let written = path["path"]
            .as_str()
            .or_else(|| path["name"].as_str())
            .unwrap_or_default();
        let written = written.rsplit("::").next().unwrap_or(written);
        let args = self.args(&path["args"]);
        format!("{written}{args}")
    }

    fn args(&self, args: &Value) -> String {
        if let Some(angle) = args.get("angle_bracketed") {
            let mut parts: Vec<String> = Vec::new();
            for arg in angle["args"].as_array().into_iter().flatten() {
                if let Some(t) = arg.get("type") {
                    parts.push(self.ty(t));
                } else if let Some(l) = arg.get("lifetime").and_then(Value::as_str) {
                    parts.push(l.to_owned());
                } else if let Some(c) = arg.get("const") {
                    parts.push(c["expr"].as_str().unwrap_or("_").to_owned());
                }
            }
            for constraint in angle["constraints"].as_array().into_iter().flatten() {
                let name = constraint["name"].as_str().unwrap_or_default();
                if let Some(t) = constraint["binding"]["equality"].get("type") {
                    parts.push(format!("{name} = {}", self.ty(t)));
                }
            }
            if parts.is_empty() {
                String::new()
            } else {
                format!("<{}>", parts.join(", "))
            }
        } else if let Some(paren) = args.get("parenthesized") {
            let inputs: Vec<String> = paren["inputs"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| self.ty(t))
                .collect();
            let output = if paren["output"].is_null() {
                String::new()
            } else {
                format!(" -> {}", self.ty(&paren["output"]))
            };
            format!("({}){output}", inputs.join(", "))
        } else {
            String::new()
        }
    }

    fn bounds(&self, bounds: &Value) -> String {
        let parts: Vec<String> = bounds
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|b| {
                if let Some(t) = b.get("trait_bound") {
                    Some(self.path_name(&t["trait"]))
                } else {
                    b.get("outlives").and_then(Value::as_str).map(str::to_owned)
                }
            })
            .collect();
        parts.join(" + ")
    }

    fn ty(&self, ty: &Value) -> String {
        let Some((kind, body)) = ty.as_object().and_then(|o| o.iter().next()) else {
            return "_".into();
        };
        match kind.as_str() {
            "resolved_path" => self.path_name(body),
            "primitive" | "generic" => body.as_str().unwrap_or("_").to_owned(),
            "borrowed_ref" => {
                let lifetime = body["lifetime"]
                    .as_str()
                    .map(|l| format!("{l} "))
                    .unwrap_or_default();
                let mutable = if body["is_mutable"].as_bool() == Some(true) {
                    "mut "
                } else {
                    ""
                };
                format!("&{lifetime}{mutable}{}", self.ty(&body["type"]))
            }
            "raw_pointer" => {
                let mutable = if body["is_mutable"].as_bool() == Some(true) {
                    "mut"
                } else {
                    "const"
                };
                format!("*{mutable} {}", self.ty(&body["type"]))
            }
            "tuple" => {
                let parts: Vec<String> = body
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|t| self.ty(t))
                    .collect();
                format!("({})", parts.join(", "))
            }
            "slice" => format!("[{}]", self.ty(body)),
            "array" => format!(
                "[{}; {}]",
                self.ty(&body["type"]),
                body["len"].as_str().unwrap_or("_")
            ),
            "impl_trait" => format!("impl {}", self.bounds(body)),
            "dyn_trait" => {
                let traits: Vec<String> = body["traits"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|t| self.path_name(&t["trait"]))
                    .collect();
                format!("dyn {}", traits.join(" + "))
            }
            "qualified_path" => format!(
                "<{} as {}>::{}",
                self.ty(&body["self_type"]),
                self.path_name(&body["trait"]),
                body["name"].as_str().unwrap_or_default()
            ),
            "function_pointer" => {
                format!("fn{}", self.signature_of(&body["sig"]))
            }
            other => other.to_owned(),
        }
    }

    fn signature(&self, function: &Value) -> String {
        let mut generics = Vec::new();
        for param in function["generics"]["params"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let name = param["name"].as_str().unwrap_or_default();
            if let Some(t) = param["kind"].get("type") {
                if t["is_synthetic"].as_bool() == Some(true) {
                    continue;
                }
                let bounds = self.bounds(&t["bounds"]);
                generics.push(if bounds.is_empty() {
                    name.to_owned()
                } else {
                    format!("{name}: {bounds}")
                });
            }
        }
        let generics = if generics.is_empty() {
            String::new()
        } else {
            format!("<{}>", generics.join(", "))
        };
        let asyncness = if function["header"]["is_async"].as_bool() == Some(true) {
            " (async)"
        } else {
            ""
        };
        format!(
            "{generics}{}{asyncness}",
            self.signature_of(&function["sig"])
        )
    }

    fn signature_of(&self, sig: &Value) -> String {
        let inputs: Vec<String> = sig["inputs"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|pair| {
                let name = pair[0].as_str().unwrap_or("_");
                let ty = self.ty(&pair[1]);
                if name == "self" {
                    ty.replace("Self", "self")
                } else {
                    format!("{name}: {ty}")
                }
            })
            .collect();
        let output = if sig["output"].is_null() {
            String::new()
        } else {
            format!(" -> {}", self.ty(&sig["output"]))
        };
        format!("({}){output}", inputs.join(", "))
    }
}

/// The listing of one crate.
pub fn listing(json: &Value, krate: &str) -> Result<String, String> {
    let index = json["index"]
        .as_object()
        .ok_or("rustdoc JSON without an index")?;
    let mut walk = Walk {
        index,
        lines: BTreeSet::new(),
        seen: BTreeSet::new(),
    };
    let root = krate.replace('-', "_");
    walk.module(&root, &json["root"]);
    let mut out = format!(
        "# The public API of {krate} (cargo xtask api; checked by cargo xtask api --check).\n"
    );
    for line in walk.lines {
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

fn listings(root: &Path, target: &Path) -> Result<Vec<(PathBuf, String)>, String> {
    // A target directory of its own: `RUSTC_BOOTSTRAP` is part of every
    // build's fingerprint, so sharing cargo's would rebuild the
    // dependencies of both this and every other build, every time.
    let target = &target.join("api-json");
    build_rustdoc_json(root, target)?;
    crate::deps::CRATES
        .iter()
        .map(|krate| {
            let json = rustdoc_json(target, krate)?;
            Ok((
                root.join(API_DIR).join(format!("{krate}.txt")),
                listing(&json, krate)?,
            ))
        })
        .collect()
}

/// Writes every listing (rustdoc builds into cargo's `target` directory);
/// returns the files that changed.
pub fn write(root: &Path, target: &Path) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(root.join(API_DIR)).map_err(|e| e.to_string())?;
    let mut changed = Vec::new();
    for (path, text) in listings(root, target)? {
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
            changed.push(path);
        }
    }
    Ok(changed)
}

/// Fails when a listing differs from the committed one, naming the lines.
pub fn check(root: &Path, target: &Path) -> Result<(), String> {
    let mut problems = Vec::new();
    for (path, text) in listings(root, target)? {
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed == text {
            continue;
        }
        let old: BTreeSet<&str> = committed.lines().collect();
        let new: BTreeSet<&str> = text.lines().collect();
        let mut diff = String::new();
        for line in old.difference(&new).take(20) {
            diff.push_str(&format!("\n  - {line}"));
        }
        for line in new.difference(&old).take(20) {
            diff.push_str(&format!("\n  + {line}"));
        }
        problems.push(format!("{}:{diff}", path.display()));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the public API changed without its listing:\n{}\nrun `cargo xtask api`, commit docs/api/, and record the change in CHANGELOG.md",
            problems.join("\n")
        ))
    }
}
