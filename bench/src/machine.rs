//! The machine a run happened on: CPUs, memory, CPU model, kernel and tool
//! versions.

use std::process::Command;

/// What the report says about the machine.
#[derive(Debug, Clone)]
pub struct Machine {
    /// CPUs this process may use (`nproc`).
    pub nproc: usize,
    /// `MemTotal` of `/proc/meminfo`, in KiB.
    pub memory_kib: Option<u64>,
    /// `model name` of `/proc/cpuinfo`.
    pub cpu_model: String,
    /// `/proc/sys/kernel/osrelease`.
    pub kernel: String,
    /// `rustc --version`.
    pub rustc: String,
    /// First line of `curl --version`.
    pub curl: String,
}

fn first_line_of(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}

impl Machine {
    /// Reads `/proc` and asks the tools for their versions.
    pub fn describe() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map_or_else(|| "unknown".into(), |(_, v)| v.trim().to_owned());
        let memory_kib = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        });
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
        Machine {
            nproc: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_kib,
            cpu_model,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map_or_else(|_| "unknown".into(), |s| s.trim().to_owned()),
            rustc: first_line_of(&rustc, &["--version"]),
            curl: first_line_of("curl", &["--version"]),
        }
    }

    /// Markdown table rows (`| name | value |`).
    pub fn markdown(&self) -> String {
        let memory = self.memory_kib.map_or_else(
            || "unknown".into(),
            |kib| format!("{:.1} GiB", kib as f64 / 1048576.0),
        );
        let curl = self.curl.split(" (").next().unwrap_or(&self.curl);
        [
            ("CPUs (nproc)", self.nproc.to_string()),
            ("CPU model", self.cpu_model.clone()),
            ("Memory", memory),
            ("Kernel", self.kernel.clone()),
            ("rustc", self.rustc.clone()),
            ("curl", curl.to_owned()),
        ]
        .iter()
        .map(|(k, v)| format!("| {k} | {v} |\n"))
        .collect()
    }
}
