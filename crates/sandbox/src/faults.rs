//! Fault injection, read from a TOML or JSON file given with `--faults`.
//!
//! ```toml
//! seed = 7
//! session_ttl_secs = 2.0
//! upload_drop_rate = 0.3       # share of upload requests cut part-way
//! download_drop_rate = 0.2     # share of downloads cut part-way
//! upload_bytes_per_sec = 0     # storage uploads read at most this fast (0: no limit)
//! retry_status_rate = 0.1      # share of job polls shown as RETRY
//!
//! [default]                    # every idempotent endpoint
//! error_rate = 0.2             # 5xx answers
//! reset_rate = 0.05            # connections closed without an answer
//! latency_ms = 200             # added to a `latency_rate` share of requests
//! latency_rate = 0.1
//! too_many_requests_rate = 0.0 # forced 429s
//!
//! [endpoints.status]           # overrides by endpoint name
//! error_rate = 0.5
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Faults for one endpoint.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EndpointFaults {
    /// Share of requests answered with a 5xx.
    pub error_rate: f64,
    /// Share of requests whose connection is closed without an answer.
    pub reset_rate: f64,
    /// Share of requests delayed by `latency_ms`.
    pub latency_rate: f64,
    /// Added latency in milliseconds.
    pub latency_ms: u64,
    /// Share of requests answered with 429.
    pub too_many_requests_rate: f64,
}

/// The whole faults file.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultsFile {
    /// Seed of the random choices, for repeatable runs.
    pub seed: Option<u64>,
    /// Session lifetime in seconds, overriding `--session-ttl`.
    pub session_ttl_secs: Option<f64>,
    /// Share of upload requests cut part-way.
    pub upload_drop_rate: f64,
    /// Share of storage downloads cut part-way.
    pub download_drop_rate: f64,
    /// Storage uploads are read at most this many bytes per second, so a
    /// large upload takes long enough to be interrupted (0: no limit).
    pub upload_bytes_per_sec: u64,
    /// Share of status answers for running jobs shown as RETRY.
    pub retry_status_rate: f64,
    /// Faults of every idempotent endpoint without its own entry.
    pub default: EndpointFaults,
    /// Faults by endpoint name (as in `specs/`), replacing `default`.
    pub endpoints: BTreeMap<String, EndpointFaults>,
}

/// A faults file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FaultsError {
    /// The file cannot be read.
    #[error("cannot read faults file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or JSON of the expected shape.
    #[error("faults file {path} is invalid: {message}")]
    Parse {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// What to do with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Answer normally.
    None,
    /// Answer with this 5xx status.
    ServerError(u16),
    /// Close the connection without answering.
    Reset,
    /// Answer 429.
    TooManyRequests,
}

/// Parsed faults with their random source.
#[derive(Debug)]
pub struct Faults {
    /// The settings.
    pub file: FaultsFile,
    /// Session lifetime override.
    pub session_ttl_secs: Option<f64>,
    rng: Mutex<StdRng>,
}

impl Clone for Faults {
    fn clone(&self) -> Self {
        Faults::new(self.file.clone())
    }
}

impl Default for Faults {
    fn default() -> Self {
        Faults::new(FaultsFile::default())
    }
}

impl Faults {
    /// Faults from parsed settings.
    pub fn new(file: FaultsFile) -> Self {
        let rng = match file.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        Faults {
            session_ttl_secs: file.session_ttl_secs,
            file,
            rng: Mutex::new(rng),
        }
    }

    /// Reads a TOML (`.toml`) or JSON (anything else) faults file.
    pub fn load(path: &Path) -> Result<Self, FaultsError> {
        let text = std::fs::read_to_string(path).map_err(|source| FaultsError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let parse_error = |message: String| FaultsError::Parse {
            path: path.display().to_string(),
            message,
        };
        let file: FaultsFile = if path.extension().is_some_and(|e| e == "toml") {
            toml::from_str(&text).map_err(|e| parse_error(e.to_string()))?
        } else {
            serde_json::from_str(&text).map_err(|e| parse_error(e.to_string()))?
        };
        Ok(Faults::new(file))
    }

    /// True when no fault is configured at all.
    pub fn is_quiet(&self) -> bool {
        self.file
            == FaultsFile {
                seed: self.file.seed,
                session_ttl_secs: self.file.session_ttl_secs,
                ..FaultsFile::default()
            }
    }

    /// A random draw in `[0, 1)`.
    pub(crate) fn draw(&self) -> f64 {
        self.rng
            .lock()
            .map(|mut r| r.random::<f64>())
            .unwrap_or(1.0)
    }

    /// A random whole number in `0..upper` (0 when `upper` is 0).
    pub(crate) fn below(&self, upper: u64) -> u64 {
        if upper == 0 {
            return 0;
        }
        self.rng
            .lock()
            .map(|mut r| r.random_range(0..upper))
            .unwrap_or(0)
    }

    /// The faults of an endpoint by its spec name.
    pub fn for_endpoint(&self, name: &str) -> &EndpointFaults {
        self.file.endpoints.get(name).unwrap_or(&self.file.default)
    }

    /// Decides the fate of one request to `name`, and the latency to add.
    /// Non-idempotent endpoints only get faults named for them explicitly.
    pub(crate) fn decide(&self, name: &str, idempotent: bool) -> (Fault, std::time::Duration) {
        let explicit = self.file.endpoints.get(name);
        let faults = match (explicit, idempotent) {
            (Some(f), _) => f,
            (None, true) => &self.file.default,
            (None, false) => return (Fault::None, std::time::Duration::ZERO),
        };
        let latency = if faults.latency_ms > 0 && self.draw() < faults.latency_rate {
            std::time::Duration::from_millis(faults.latency_ms)
        } else {
            std::time::Duration::ZERO
        };
        let roll = self.draw();
        let fault = if roll < faults.too_many_requests_rate {
            Fault::TooManyRequests
        } else if roll < faults.too_many_requests_rate + faults.reset_rate {
            Fault::Reset
        } else if roll < faults.too_many_requests_rate + faults.reset_rate + faults.error_rate {
            let statuses = [500, 502, 503, 504];
            Fault::ServerError(statuses[self.below(4) as usize])
        } else {
            Fault::None
        };
        (fault, latency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_and_json_files_parse_to_the_same_settings() {
        let dir = tempfile::tempdir().unwrap();
        let toml_path = dir.path().join("f.toml");
        std::fs::write(
            &toml_path,
            "seed = 1\nsession_ttl_secs = 2.0\n[default]\nerror_rate = 0.2\n[endpoints.status]\nreset_rate = 1.0\n",
        )
        .unwrap();
        let json_path = dir.path().join("f.json");
        std::fs::write(
            &json_path,
            r#"{"seed":1,"session_ttl_secs":2.0,"default":{"error_rate":0.2},"endpoints":{"status":{"reset_rate":1.0}}}"#,
        )
        .unwrap();
        let a = Faults::load(&toml_path).unwrap();
        let b = Faults::load(&json_path).unwrap();
        assert_eq!(a.file, b.file);
        assert_eq!(a.session_ttl_secs, Some(2.0));
        assert_eq!(a.decide("status", true).0, Fault::Reset);
        assert!(!a.is_quiet());
        assert!(Faults::default().is_quiet());
    }

    #[test]
    fn unknown_keys_are_rejected_with_the_file_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "eror_rate = 1.0\n").unwrap();
        let err = Faults::load(&path).unwrap_err().to_string();
        assert!(err.contains("bad.toml"), "{err}");
        assert!(err.contains("eror_rate"), "{err}");
    }

    #[test]
    fn non_idempotent_endpoints_get_only_explicit_faults() {
        let faults = Faults::new(FaultsFile {
            seed: Some(3),
            default: EndpointFaults {
                error_rate: 1.0,
                ..EndpointFaults::default()
            },
            ..FaultsFile::default()
        });
        assert_eq!(faults.decide("process", false).0, Fault::None);
        assert!(matches!(
            faults.decide("status", true).0,
            Fault::ServerError(500..=504)
        ));
    }
}
