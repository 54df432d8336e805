//! The `motionkit` binary. Everything lives in the `motionkit_cli` library
//! (see its docs for the commands, the configuration, the output contract
//! and the exit codes), so `cargo xtask` can render man pages from the same
//! command line and the fuzz targets can reach its parsers.

fn main() -> std::process::ExitCode {
    motionkit_cli::main()
}
