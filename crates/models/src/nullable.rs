//! Serde helper for fields where `null` and absence mean different things.

use serde::{Deserialize, Deserializer};

/// Reads a present field, `null` included, as `Some(value)`. Used with
/// `#[serde(default)]` so that an absent field stays `None`.
pub fn deserialize<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
