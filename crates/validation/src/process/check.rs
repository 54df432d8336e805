//! What [`ProcessParams::validate`] finds: errors, documented failures
//! and warnings, all at once.

use super::*;

impl ProcessParams {
    /// Checks every parameter and returns every finding at once, sorted by
    /// [`Severity`]: nothing is sent yet, so nothing is lost by reporting
    /// all of it. [`Findings::into_result`] says what blocks sending;
    /// [`Findings::errors_only`] keeps only the rules the documents state.
    ///
    /// Errors, each under its canonical key, in [`PARAMETER_KEYS`] order:
    ///
    /// - `config`, `model`, `render.backdrop`: non-empty, without whitespace
    ///   or control characters ([`Rule::Syntax`]).
    /// - `formats`: no format twice ([`Rule::Duplicate`]); `png`/`jpg` only
    ///   for [`InputKind::Image`] ([`Rule::ImageInputOnly`]).
    /// - `videoSpeedMultiplier` in `1.0..=8.0`, `poseFilteringStrength` in
    ///   `0.0..=1.0` ([`Rule::Range`], [`Rule::NotFinite`]).
    /// - `trim`: only for [`InputKind::Video`] ([`Rule::VideoInputOnly`]),
    ///   then [`Trim::validate`].
    /// - `crop`: [`Crop::validate`].
    /// - `models`: no tracking id twice ([`Rule::Duplicate`]), ids without
    ///   whitespace or control characters ([`Rule::Syntax`]).
    /// - extra parameters and formats: well-formed and bounded.
    ///
    /// Documented failures (refused unless forced): `trim` ending after
    /// `duration` (seconds, when known; error 503), and `sim=1` with a
    /// custom `model` (error 505).
    ///
    /// Warnings: see [`ProcessParams::warnings`].
    pub fn validate(&self, input: InputKind, duration: Option<f64>) -> Findings {
        self.check_in(PROCESS_PARAMETERS, input, duration)
    }

    /// [`ProcessParams::validate`] with the ranges of another parameter table.
    pub(super) fn check_in(
        &self,
        table: &[ProcessParameterSpec],
        input: InputKind,
        duration: Option<f64>,
    ) -> Findings {
        let mut found = Findings::new();
        let mut record = |result: Result<(), Violation>| {
            if let Err(v) = result {
                found.push(v);
            }
        };
        if let Some(config) = &self.config {
            record(token(keys::CONFIG, config));
        }
        let mut seen: Vec<OutputFormat> = Vec::with_capacity(self.formats.len());
        for &format in &self.formats {
            if seen.contains(&format) {
                record(Err(Violation::new(
                    keys::FORMATS,
                    Rule::Duplicate,
                    format.as_str(),
                    "each format at most once",
                )));
                continue;
            }
            seen.push(format);
            if format.is_image_only() && input == InputKind::Video {
                record(Err(Violation::new(
                    keys::FORMATS,
                    Rule::ImageInputOnly,
                    format.as_str(),
                    "png and jpg output only for an image input (static pose)",
                )));
            }
        }
        for (index, format) in self.extra_formats.iter().enumerate() {
            record(check_extra_format(&self.extra_formats[..index], format));
        }
        if let Some(model) = &self.model {
            record(token(keys::MODEL, model));
        }
        let numbers = [
            (keys::VIDEO_SPEED_MULTIPLIER, self.video_speed_multiplier),
            (keys::POSE_FILTERING_STRENGTH, self.pose_filtering_strength),
        ];
        for (key, value) in numbers {
            if let (Some(v), Some((min, max))) = (value, range_in(table, key)) {
                record(range_f64(key, v, min, max).map(drop));
            }
        }
        if let Some(trim) = &self.trim {
            match input {
                InputKind::Image => record(Err(Violation::new(
                    keys::TRIM,
                    Rule::VideoInputOnly,
                    trim.to_string(),
                    "trim only for a video input",
                ))),
                InputKind::Video => {
                    if let Err(broken) = trim.validate(duration) {
                        found.extend(broken);
                    }
                }
            }
        }
        if let Some(crop) = &self.crop
            && let Err(broken) = crop.validate()
        {
            found.extend(broken);
        }
        if let Some(backdrop) = &self.render_backdrop {
            found.extend(token(keys::RENDER_BACKDROP, backdrop).err());
        }
        found.extend(people::check_models(&self.models));
        for (index, (key, value)) in self.extra.iter().enumerate() {
            found.extend(check_extra(&self.extra[..index], key, value).err());
        }
        if self.sim == Some(true)
            && let Some(model) = &self.model
        {
            found.push(
                Violation::new(
                    keys::SIM,
                    Rule::Conflict,
                    format!("sim=1 with model={model}"),
                    "sim=0 for custom characters (DeepMotion fails the job with error \
                         505: physics filter is incompatible with custom characters)",
                )
                .with_severity(Severity::DocumentedFailure),
            );
        }
        found.extend(self.warnings());
        found
    }

    /// [`ProcessParams::validate`] when the input's kind is not known yet
    /// (a rerun, before its job is read): only the errors and documented
    /// failures that hold for a video and a picture alike.
    pub fn validate_any_input(&self, duration: Option<f64>) -> Findings {
        let video = self.validate(InputKind::Video, duration);
        let picture = self.validate(InputKind::Image, duration);
        let mut found = Findings::new();
        found.extend(
            video
                .errors
                .into_iter()
                .filter(|v| picture.errors.0.contains(v)),
        );
        found.extend(
            video
                .failures
                .into_iter()
                .filter(|v| picture.failures.contains(v)),
        );
        found.extend(video.warnings);
        found
    }

    /// Our own inferences, as [`Severity::Warning`]s that never block:
    ///
    /// - a parameter or output format this crate does not know: sent as
    ///   given ([`Rule::UnknownParameter`], [`Rule::OneOf`]);
    /// - `render.bgColor` or `render.backdrop` without `render.sbs=0`: the
    ///   doc only documents them together with `render.sbs=0`
    ///   ([`Rule::Conflict`]);
    /// - `render.*` options while `formats` is given but has no rendered
    ///   format (`mp4`, `png`, `jpg`).
    pub fn warnings(&self) -> Vec<Violation> {
        let mut out: Vec<Violation> = self
            .extra
            .iter()
            .map(|(key, value)| unknown_key(key, &format!("{key}={value}")))
            .collect();
        out.extend(self.extra_formats.iter().map(|format| {
            Violation::new(
                keys::FORMATS,
                Rule::OneOf,
                format,
                format!(
                    "{}; not one of them, so it is sent as given",
                    one_of_limit(&OutputFormat::names())
                ),
            )
        }));
        if self.render_sbs != Some(false) {
            if let Some(color) = self.render_bg_color {
                out.push(Violation::new(
                    keys::RENDER_BG_COLOR,
                    Rule::Conflict,
                    format_rgba(color),
                    "takes effect only with render.sbs=0",
                ));
            }
            if let Some(backdrop) = &self.render_backdrop {
                out.push(Violation::new(
                    keys::RENDER_BACKDROP,
                    Rule::Conflict,
                    backdrop,
                    "takes effect only with render.sbs=0",
                ));
            }
        }
        if self.has_render_options()
            && !(self.formats.is_empty() && self.extra_formats.is_empty())
            && !self.formats.iter().any(|f| f.is_rendered())
        {
            out.push(Violation::new(
                keys::FORMATS,
                Rule::Conflict,
                self.formats_value(),
                "render.* options only affect mp4, png and jpg output",
            ));
        }
        out.into_iter().map(Violation::into_warning).collect()
    }
}
