//! Serde helpers that write whole `f64` values as JSON integers, so that a
//! number read as `3` is written back as `3`, not `3.0`.

use serde::Serializer;

/// Largest magnitude below which every whole `f64` is an exact integer.
const EXACT: f64 = 9_007_199_254_740_992.0;

fn write<S: Serializer>(value: f64, serializer: S) -> Result<S::Ok, S::Error> {
    if value.fract() == 0.0 && value.abs() < EXACT {
        serializer.serialize_i64(value as i64)
    } else {
        serializer.serialize_f64(value)
    }
}

/// For `f64` fields.
pub fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    write(*value, serializer)
}

/// For `Option<f64>` fields.
pub fn serialize_option<S: Serializer>(
    value: &Option<f64>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => serializer.serialize_some(&Whole(*v)),
        None => serializer.serialize_none(),
    }
}

struct Whole(f64);

impl serde::Serialize for Whole {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        write(self.0, serializer)
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Serialize)]
    struct Sample {
        #[serde(serialize_with = "super::serialize")]
        a: f64,
        #[serde(serialize_with = "super::serialize_option")]
        b: Option<f64>,
    }

    #[test]
    fn whole_numbers_are_written_as_integers() {
        let json = serde_json::to_string(&Sample {
            a: 3.0,
            b: Some(2.5),
        })
        .unwrap();
        assert_eq!(json, r#"{"a":3,"b":2.5}"#);
        let json = serde_json::to_string(&Sample { a: -0.25, b: None }).unwrap();
        assert_eq!(json, r#"{"a":-0.25,"b":null}"#);
        let json = serde_json::to_string(&Sample {
            a: 1e300,
            b: Some(f64::NAN),
        })
        .unwrap();
        assert_eq!(json, r#"{"a":1e+300,"b":null}"#);
    }
}
