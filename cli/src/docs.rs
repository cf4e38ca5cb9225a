//! `vxscope completions SHELL` and `vxscope man`: shell completions and man pages generated from the clap
//! definitions of the commands, so they always say what the binary accepts.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::Cli;

#[derive(Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Args)]
pub struct ManArgs {
    /// Write vxscope.1 and one page a command (vxscope-dissect.1, ...) into this directory instead of printing
    /// vxscope.1
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Prints the completion script of `args.shell`.
pub fn completions(args: &CompletionsArgs) -> ExitCode {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "vxscope", &mut script);
    print(&script, "completions")
}

/// Prints the man page of vxscope, or writes every page into a directory.
pub fn man(args: &ManArgs) -> ExitCode {
    // No page for `help`: it is not a command of its own.
    let command = Cli::command().disable_help_subcommand(true);
    match &args.dir {
        None => {
            let mut page = Vec::new();
            match clap_mangen::Man::new(command).render(&mut page) {
                Ok(()) => print(&page, "man"),
                Err(e) => {
                    eprintln!("vxscope man: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some(dir) => match std::fs::create_dir_all(dir)
            .and_then(|()| clap_mangen::generate_to(command, dir))
        {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("vxscope man: {}: {e}", dir.display());
                ExitCode::FAILURE
            }
        },
    }
}

/// Writes `text` to standard output; a reader that went away (`| head`) is not an error.
fn print(text: &[u8], command: &str) -> ExitCode {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vxscope {command}: standard output: {e}");
            ExitCode::FAILURE
        }
    }
}
