//! `motionkit man DIR`: the man pages, from the same command line that
//! parses the arguments, so the installed binary carries its own.

use std::path::{Path, PathBuf};

use crate::exit::{CliError, io_error};

/// Writes one page for `motionkit` and one for each of its subcommands
/// (`motionkit.1`, `motionkit-animate.1`, `motionkit-models-list.1`, ...),
/// hidden ones and `help` excepted, and says how many on stderr.
pub fn run(dir: &Path) -> Result<(), CliError> {
    std::fs::create_dir_all(dir).map_err(|e| io_error(format!("creating {}", dir.display()), e))?;
    let mut command = crate::command();
    command.build();
    let mut written = Vec::new();
    write_page(&command, "motionkit", dir, &mut written)?;
    crate::stdio::err(format_args!(
        "motionkit: wrote {} man pages into {} (read one with `man {}`)",
        written.len(),
        dir.display(),
        dir.join("motionkit.1").display()
    ));
    Ok(())
}

fn write_page(
    command: &clap::Command,
    name: &str,
    dir: &Path,
    written: &mut Vec<PathBuf>,
) -> Result<(), CliError> {
    if command.is_hide_set() {
        return Ok(());
    }
    let mut buffer = Vec::new();
    let path = dir.join(format!("{name}.1"));
    clap_mangen::Man::new(command.clone())
        .title(name)
        .render(&mut buffer)
        .and_then(|()| std::fs::write(&path, buffer))
        .map_err(|e| io_error(format!("writing {}", path.display()), e))?;
    written.push(path);
    for sub in command.get_subcommands() {
        if sub.get_name() != "help" {
            write_page(sub, &format!("{name}-{}", sub.get_name()), dir, written)?;
        }
    }
    Ok(())
}
