//! `cargo xtask api`: the listing read from rustdoc's JSON.

use serde_json::json;

/// A crate with a `#[non_exhaustive]` struct (a public and a private
/// field, a method, a trait), a function, and a re-export of another
/// crate's item.
fn rustdoc() -> serde_json::Value {
    json!({
        "root": 0,
        "format_version": 57,
        "index": {
            "0": {"name": "demo", "visibility": "public", "attrs": [],
                  "inner": {"module": {"items": [1, 5, 6, 7]}}},
            "1": {"name": "Thing", "visibility": "public", "attrs": ["#[non_exhaustive]"],
                  "inner": {"struct": {"kind": {"plain": {"fields": [2, 3]}}, "impls": [4, 8]}}},
            "2": {"name": "size", "visibility": "public", "attrs": [],
                  "inner": {"struct_field": {"primitive": "u64"}}},
            "3": {"name": "secret", "visibility": "default", "attrs": [],
                  "inner": {"struct_field": {"primitive": "u8"}}},
            "4": {"name": null, "visibility": "default", "attrs": [],
                  "inner": {"impl": {"is_synthetic": false, "blanket_impl": null, "trait": null, "items": [9]}}},
            "5": {"name": "make", "visibility": "public", "attrs": [],
                  "inner": {"function": {"sig": {"inputs": [["name", {"impl_trait": [{"trait_bound": {"trait": {"path": "Into", "args": {"angle_bracketed": {"args": [{"type": {"resolved_path": {"path": "String", "args": null}}}], "constraints": []}}}}}]}]],
                                                  "output": {"resolved_path": {"path": "crate::inner::Thing", "args": null}}},
                                          "generics": {"params": []}, "header": {"is_async": true}}}},
            "6": {"name": null, "visibility": "public", "attrs": [],
                  "inner": {"use": {"source": "other::Limits", "name": "Limits", "id": 99, "is_glob": false}}},
            "7": {"name": "hidden", "visibility": "crate", "attrs": [],
                  "inner": {"function": {"sig": {"inputs": [], "output": null}, "generics": {"params": []}, "header": {}}}},
            "8": {"name": null, "visibility": "default", "attrs": [],
                  "inner": {"impl": {"is_synthetic": false, "blanket_impl": null, "trait": {"path": "Clone", "args": null}, "items": []}}},
            "9": {"name": "size", "visibility": "public", "attrs": [],
                  "inner": {"function": {"sig": {"inputs": [["self", {"borrowed_ref": {"lifetime": null, "is_mutable": false, "type": {"generic": "Self"}}}]],
                                                  "output": {"primitive": "u64"}},
                                          "generics": {"params": []}, "header": {"is_async": false}}}}
        }
    })
}

#[test]
fn the_listing_names_what_users_can_depend_on_and_nothing_private() {
    let listing = xtask::api::listing(&rustdoc(), "demo").unwrap();
    let lines: Vec<&str> = listing.lines().skip(1).collect();
    assert_eq!(
        lines,
        [
            "demo::Limits: re-export of other::Limits",
            "demo::Thing.size: field: u64",
            "demo::Thing: #[non_exhaustive] struct",
            "demo::Thing: impl Clone",
            "demo::Thing::size: fn(&self) -> u64",
            "demo::make: fn(name: impl Into<String>) -> Thing (async)",
        ]
    );
}
