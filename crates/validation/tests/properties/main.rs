//! Property tests for every rule: generated valid inputs pass, generated
//! invalid inputs fail with the right field and rule.

mod number;
mod output;
mod picture;
mod process;
mod text;
mod theme;
mod video;

use motionkit_validation::{Rule, Violation, Violations};

/// The `(field, rule)` of a single violation.
pub fn fr(v: &Violation) -> (String, Rule) {
    (v.field.clone(), v.rule)
}

/// The `(field, rule)` pairs of a collection.
pub fn frs(v: &Violations) -> Vec<(String, Rule)> {
    v.iter().map(|v| (v.field.clone(), v.rule)).collect()
}
