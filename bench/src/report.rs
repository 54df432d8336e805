//! The results: a plain table on stdout, and Markdown between the markers
//! of `docs/BENCHMARKS.md` (the rest of the file is kept).

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::machine::Machine;
use super::{Plan, Section};

/// Start of the generated part of `docs/BENCHMARKS.md`.
pub const BEGIN: &str =
    "<!-- bench:begin (written by `cargo xtask bench`; edit outside the markers) -->";
/// End of the generated part.
pub const END: &str = "<!-- bench:end -->";

/// A whole run.
#[derive(Debug)]
pub struct Report {
    /// Sizes.
    pub plan: Plan,
    /// Where it ran.
    pub machine: Machine,
    /// Results, in benchmark order.
    pub sections: Vec<Section>,
    /// How long the run took.
    pub elapsed: Duration,
}

fn plain(text: &str) -> String {
    text.replace("**", "").replace('`', "")
}

impl Report {
    /// The results as an aligned text table.
    pub fn table(&self) -> String {
        let header = [
            "benchmark",
            "motionkit",
            "baseline",
            "ratio",
            "target",
            "met",
        ];
        let mut lines: Vec<[String; 6]> = vec![header.map(str::to_owned)];
        for row in self.sections.iter().flat_map(|s| &s.rows) {
            lines.push([
                plain(&row.name),
                plain(&row.ours),
                plain(&row.baseline),
                row.ratio.clone(),
                row.target.clone(),
                plain(row.met.word()),
            ]);
        }
        let mut widths = [0usize; 6];
        for line in &lines {
            for (w, cell) in widths.iter_mut().zip(line) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for (i, line) in lines.iter().enumerate() {
            let cells: Vec<String> = line
                .iter()
                .zip(widths)
                .map(|(cell, w)| format!("{cell}{}", " ".repeat(w - cell.chars().count())))
                .collect();
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
            if i == 0 {
                let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
                out.push_str(&rule.join("  "));
                out.push('\n');
            }
        }
        out.push_str(&format!(
            "\n{} in {:.1} min\n",
            self.plan.command(),
            self.elapsed.as_secs_f64() / 60.0
        ));
        out
    }

    /// The generated Markdown, markers included.
    pub fn markdown(&self) -> String {
        let plan = &self.plan;
        let mut out = format!("{BEGIN}\n\n");
        out.push_str(&format!(
            "Run on {} with `{}`{} (took {:.1} min, release build excluded). Reproduce \
             from the workspace root with:\n\n```sh\n{}\n```\n\n",
            utc_now(),
            plan.command(),
            if plan.quick {
                " (quick sizes: smaller file, one round, fewer requests and generations)"
            } else {
                ""
            },
            self.elapsed.as_secs_f64() / 60.0,
            plan.command()
        ));
        out.push_str("### Machine\n\n| | |\n|---|---|\n");
        out.push_str(&self.machine.markdown());
        out.push_str(
            "\n### Results\n\n| benchmark | motionkit | baseline | ratio | target | met |\n\
             |---|---|---|---|---|---|\n",
        );
        for row in self.sections.iter().flat_map(|s| &s.rows) {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                row.name,
                row.ours,
                row.baseline,
                row.ratio,
                row.target,
                row.met.word()
            ));
        }
        out.push_str("\n### Details\n");
        for section in &self.sections {
            out.push_str(&format!("\n#### {}\n\n", section.title));
            for note in &section.notes {
                out.push_str(&format!("- {note}\n"));
            }
        }
        out.push_str(&format!("\n{END}\n"));
        out
    }

    /// Writes the generated part into `path`, keeping what is outside the
    /// markers; creates the file if needed.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let generated = self.markdown();
        let existing = std::fs::read_to_string(path).unwrap_or_default();
        let text = match (existing.find(BEGIN), existing.find(END)) {
            (Some(start), Some(end)) if start < end => format!(
                "{}{}{}",
                &existing[..start],
                generated.trim_end(),
                &existing[end + END.len()..]
            ),
            _ => format!(
                "# Benchmarks\n\n`cargo xtask bench` measures the clients against the local \
                 sandbox, each figure side by side with a baseline in the same run.\n\n\
                 {generated}"
            ),
        };
        std::fs::write(path, text)
    }
}

/// The current UTC time as `YYYY-MM-DD HH:MM UTC`.
fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let (hour, minute) = ((secs % 86_400) / 3600, (secs % 3600) / 60);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02} UTC")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        let mut section = Section::new("1. Something");
        section
            .rows
            .push(super::super::Row::new("a row", "1 MiB/s").target("≥ 1", true));
        section.notes.push("a note".into());
        Report {
            plan: Plan::new(true),
            machine: Machine {
                nproc: 2,
                memory_kib: Some(1024 * 1024),
                cpu_model: "cpu".into(),
                kernel: "kernel".into(),
                rustc: "rustc".into(),
                curl: "curl 1 (x)".into(),
            },
            sections: vec![section],
            elapsed: Duration::from_secs(60),
        }
    }

    #[test]
    fn writing_keeps_what_is_outside_the_markers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("BENCHMARKS.md");
        std::fs::write(&path, format!("intro\n\n{BEGIN}\nold\n{END}\n\nnotes\n")).unwrap();
        for _ in 0..2 {
            report().write(&path).unwrap();
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(text.starts_with(&format!("intro\n\n{BEGIN}\n")), "{text}");
            assert!(text.ends_with(&format!("{END}\n\nnotes\n")), "{text}");
            assert!(!text.contains("\nold\n"), "{text}");
            assert!(
                text.contains("| a row | 1 MiB/s | - | - | ≥ 1 | yes |"),
                "{text}"
            );
            assert!(text.contains("cargo xtask bench --quick"), "{text}");
        }
    }

    #[test]
    fn a_missing_file_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("BENCHMARKS.md");
        report().write(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# Benchmarks"), "{text}");
        assert!(
            text.contains(BEGIN) && text.trim_end().ends_with(END),
            "{text}"
        );
    }

    #[test]
    fn dates_are_civil() {
        let now = utc_now();
        assert_eq!(now.len(), "2026-11-22 23:18 UTC".len(), "{now}");
        assert!(now.starts_with("20"), "{now}");
    }
}
