//! The typed errors every rule returns.

use std::fmt;

/// Longest value excerpt kept in a [`Violation`].
pub const VALUE_EXCERPT_CHARS: usize = 80;

/// Which rule a value broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// Fewer characters (Unicode scalar values) than allowed.
    MinLength,
    /// More characters (Unicode scalar values) than allowed.
    MaxLength,
    /// Does not match the required regular expression.
    Pattern,
    /// The pattern itself is not a valid regular expression.
    InvalidPattern,
    /// Not a `RRGGBB` hexadecimal colour without `#`.
    HexColor,
    /// Not a UUID.
    Uuid,
    /// A file name without a known extension.
    FileExtension,
    /// Not an `R,G,B,A` tuple with each channel in 0–255.
    Rgba,
    /// A number outside its allowed range.
    Range,
    /// NaN or an infinity.
    NotFinite,
    /// A flag that is not `0` or `1`.
    Flag,
    /// A value outside its enumeration.
    OneOf,
    /// A value that cannot be parsed as the expected type.
    Syntax,
    /// `trim` with `from >= to`, or a negative start.
    TrimOrder,
    /// `trim` ending after the end of the video.
    TrimBeyondDuration,
    /// `crop` with `left >= right` or `top >= bottom`.
    CropOrder,
    /// An output value that is not one of the theme's layers.
    OutputLayer,
    /// A picture in a format the parameter does not accept.
    PictureFormat,
    /// A picture smaller than the parameter's minimum size.
    PictureSize,
    /// A picture whose header cannot be read.
    PictureUnreadable,
    /// A value allowed only when the input is an image (`png`, `jpg` formats).
    ImageInputOnly,
    /// A value allowed only when the input is a video (`trim`).
    VideoInputOnly,
    /// A required value is missing.
    Required,
    /// A value for a parameter the theme does not have.
    UnknownParameter,
    /// More than one value for the same parameter.
    Duplicate,
    /// Two options that cannot be given together.
    Conflict,
    /// A character model id the account's model list does not have.
    UnknownModel,
}

impl Rule {
    /// The rule's stable snake_case name, used in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::MinLength => "min_length",
            Rule::MaxLength => "max_length",
            Rule::Pattern => "pattern",
            Rule::InvalidPattern => "invalid_pattern",
            Rule::HexColor => "hex_color",
            Rule::Uuid => "uuid",
            Rule::FileExtension => "file_extension",
            Rule::Rgba => "rgba",
            Rule::Range => "range",
            Rule::NotFinite => "not_finite",
            Rule::Flag => "flag",
            Rule::OneOf => "one_of",
            Rule::Syntax => "syntax",
            Rule::TrimOrder => "trim_order",
            Rule::TrimBeyondDuration => "trim_beyond_duration",
            Rule::CropOrder => "crop_order",
            Rule::OutputLayer => "output_layer",
            Rule::PictureFormat => "picture_format",
            Rule::PictureSize => "picture_size",
            Rule::PictureUnreadable => "picture_unreadable",
            Rule::ImageInputOnly => "image_input_only",
            Rule::VideoInputOnly => "video_input_only",
            Rule::Required => "required",
            Rule::UnknownParameter => "unknown_parameter",
            Rule::Duplicate => "duplicate",
            Rule::Conflict => "conflict",
            Rule::UnknownModel => "unknown_model",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much a finding weighs: whether it stops a request from being sent.
///
/// The documents are the judge. What they state is an [`Severity::Error`];
/// what they say the server fails (a code of their error table) is a
/// [`Severity::DocumentedFailure`], refused unless the caller forces it;
/// what only this crate infers is a [`Severity::Warning`], which never
/// blocks anything the API might accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Severity {
    /// Breaks a rule the documents state: never sent.
    #[default]
    Error,
    /// A request the documents say fails on the server (for example error
    /// 505, physics filter with a custom character): refused before
    /// anything is charged, unless forced.
    DocumentedFailure,
    /// Our own inference (an unknown parameter, format or file extension, a
    /// combination the documents only hint at): reported, never blocking.
    Warning,
}

impl Severity {
    /// The stable snake_case name: `error`, `documented_failure`, `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::DocumentedFailure => "documented_failure",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One broken rule: which field, which rule, the offending value and the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The field as the user knows it, for example `render.bgColor` or `l3_prix_01`.
    pub field: String,
    /// The rule that was broken.
    pub rule: Rule,
    /// The offending value, shortened to [`VALUE_EXCERPT_CHARS`] characters.
    pub value: String,
    /// What the rule allows, for example `1.0..=8.0` or `at most 12 characters`.
    pub limit: String,
    /// Whether it blocks sending; [`Severity::Error`] unless said otherwise.
    pub severity: Severity,
}

impl Violation {
    /// An error; `value` is shortened to [`VALUE_EXCERPT_CHARS`] characters.
    pub fn new(
        field: impl Into<String>,
        rule: Rule,
        value: impl AsRef<str>,
        limit: impl Into<String>,
    ) -> Self {
        Violation {
            field: field.into(),
            rule,
            value: excerpt(value.as_ref()),
            limit: limit.into(),
            severity: Severity::Error,
        }
    }

    /// The same finding with another severity.
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// The same finding as a [`Severity::Warning`].
    pub fn into_warning(self) -> Self {
        self.with_severity(Severity::Warning)
    }

    /// True for a [`Severity::Warning`].
    pub fn is_warning(&self) -> bool {
        self.severity == Severity::Warning
    }
}

/// Everything a check found, sorted by [`Severity`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Findings {
    /// Rules the documents state: the request is never sent.
    pub errors: Violations,
    /// Requests the documents say fail: refused unless forced.
    pub failures: Vec<Violation>,
    /// Our own inferences: reported, never blocking.
    pub warnings: Vec<Violation>,
}

impl Findings {
    /// Nothing found.
    pub fn new() -> Self {
        Self::default()
    }

    /// Files a finding under its severity.
    pub fn push(&mut self, finding: Violation) {
        match finding.severity {
            Severity::Error => self.errors.push(finding),
            Severity::DocumentedFailure => self.failures.push(finding),
            Severity::Warning => self.warnings.push(finding),
        }
    }

    /// Files every finding under its severity.
    pub fn extend(&mut self, findings: impl IntoIterator<Item = Violation>) {
        for finding in findings {
            self.push(finding);
        }
    }

    /// True when nothing at all was found, warnings included.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty() && self.failures.is_empty() && self.warnings.is_empty()
    }

    /// True when something blocks sending: an error, or a documented
    /// failure unless `force` is set.
    pub fn blocks(&self, force: bool) -> bool {
        !self.errors.is_empty() || (!force && !self.failures.is_empty())
    }

    /// Every finding, errors first, then documented failures, then warnings.
    pub fn iter(&self) -> impl Iterator<Item = &Violation> {
        self.errors
            .iter()
            .chain(&self.failures)
            .chain(&self.warnings)
    }

    /// Only the rules the documents state, leaving out documented failures
    /// and warnings: `Ok` when there is no error.
    ///
    /// # Errors
    ///
    /// Every error found.
    pub fn errors_only(self) -> Result<(), Violations> {
        self.errors.into_result(())
    }

    /// Adds another check's findings.
    pub fn merge(&mut self, other: Findings) {
        self.errors.extend(other.errors);
        self.failures.extend(other.failures);
        self.warnings.extend(other.warnings);
    }

    /// What to report when nothing blocks: errors always block, documented
    /// failures block unless `force` is set (then they are returned with
    /// the warnings, keeping their severity, so the caller still reports
    /// them).
    ///
    /// # Errors
    ///
    /// The errors, or when there are none and `force` is off, the
    /// documented failures.
    pub fn into_result(self, force: bool) -> Result<Vec<Violation>, Violations> {
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        if !self.failures.is_empty() && !force {
            return Err(Violations(self.failures));
        }
        let mut report = self.failures;
        report.extend(self.warnings);
        Ok(report)
    }
}

/// Shortens user-supplied text used as a field name (an unknown key or id)
/// the same way values are shortened.
pub(crate) fn excerpt_field(field: &str) -> String {
    excerpt(field)
}

fn excerpt(value: &str) -> String {
    if value.chars().count() <= VALUE_EXCERPT_CHARS {
        return value.to_owned();
    }
    let mut out: String = value.chars().take(VALUE_EXCERPT_CHARS).collect();
    out.push('…');
    out
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` breaks rule {}: got {:?}, allowed: {}",
            self.field, self.rule, self.value, self.limit
        )
    }
}

impl std::error::Error for Violation {}

/// Every violation found in one input, in the order found. Never empty when
/// returned as an error.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Violations(pub Vec<Violation>);

impl Violations {
    /// An empty collection.
    pub fn new() -> Self {
        Violations(Vec::new())
    }

    /// Adds one violation.
    pub fn push(&mut self, violation: Violation) {
        self.0.push(violation);
    }

    /// Adds the violations of a rule result, if it failed.
    pub fn record<T>(&mut self, result: Result<T, Violation>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(violation) => {
                self.0.push(violation);
                None
            }
        }
    }

    /// Adds all violations from another collection.
    pub fn extend(&mut self, other: Violations) {
        self.0.extend(other.0);
    }

    /// True when no rule was broken.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The number of violations.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Iterates over the violations.
    pub fn iter(&self) -> std::slice::Iter<'_, Violation> {
        self.0.iter()
    }

    /// `Ok(value)` when empty, otherwise `Err(self)`.
    pub fn into_result<T>(self, value: T) -> Result<T, Violations> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl From<Violation> for Violations {
    fn from(violation: Violation) -> Self {
        Violations(vec![violation])
    }
}

impl IntoIterator for Violations {
    type Item = Violation;
    type IntoIter = std::vec::IntoIter<Violation>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [] => f.write_str("no violations"),
            [one] => write!(f, "invalid input: {one}"),
            [first, rest @ ..] => {
                write!(f, "invalid input ({} problems): {first}", rest.len() + 1)?;
                for v in rest {
                    write!(f, "; {v}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Violations {}
