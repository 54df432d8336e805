//! The file `config init` writes (reading it is
//! `motionkit_transport::settings`).

use std::collections::BTreeMap;

/// The file `config init` writes.
pub fn render_file(values: &BTreeMap<&str, String>) -> String {
    let mut out = String::from(
        "# motionkit config; format: `motionkit config --help`. Keep this file private (0600).\n",
    );
    for (section, keys) in [
        ("deepmotion", &["api_url", "client_id", "client_secret"][..]),
        ("motiondynamic", &["api_url", "token"][..]),
    ] {
        let set: Vec<(&str, &String)> = keys
            .iter()
            .filter_map(|k| {
                values
                    .get(format!("{section}.{k}").as_str())
                    .filter(|v| !v.is_empty())
                    .map(|v| (*k, v))
            })
            .collect();
        if set.is_empty() {
            continue;
        }
        out.push_str(&format!("\n[{section}]\n"));
        for (key, value) in set {
            let quoted = toml::Value::String(value.clone()).to_string();
            out.push_str(&format!("{key} = {quoted}\n"));
        }
    }
    out
}
