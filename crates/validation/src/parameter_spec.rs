//! The shape of the generated `/process` parameter table
//! (`generated/process_table.rs`, from `specs/deepmotion.json`).

/// Value type of a processing parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProcessParamKind {
    /// Free text.
    String,
    /// `0` or `1`.
    Flag,
    /// A decimal number within `minimum..=maximum`.
    Number,
    /// One of `values`.
    Enum,
    /// Comma-separated list of `values`.
    List,
    /// `from,to` in seconds.
    Range,
    /// `left,top,right,bottom` within `minimum..=maximum`.
    Box,
    /// `R,G,B,A`, each 0–255.
    Rgba,
}

/// One `/process` parameter as documented.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcessParameterSpec {
    /// Canonical key, for example `footLockingMode`.
    pub key: &'static str,
    /// Other accepted keys, for example `poseEstimation.footLockingMode`.
    pub aliases: &'static [&'static str],
    /// Value type.
    pub kind: ProcessParamKind,
    /// Allowed or suggested values.
    pub values: &'static [&'static str],
    /// Smallest allowed number.
    pub minimum: Option<f64>,
    /// Largest allowed number.
    pub maximum: Option<f64>,
    /// Default when absent, as written on the wire.
    pub default: Option<&'static str>,
    /// What it does.
    pub description: &'static str,
}
