//! The `prescale` binary: parse the command line, run it, report errors.

use clap::Parser;
use prescale::interrupt;

fn main() {
    let cli = prescale::cli::Cli::parse();
    if let Err(e) = interrupt::install() {
        eprintln!("warning: Ctrl-C handler not installed: {e}");
    }
    if let Err(e) = prescale::app::run(cli) {
        eprintln!("Error: {e:#}");
        let code = if e.is::<interrupt::Interrupted>() {
            interrupt::EXIT_CODE
        } else {
            1
        };
        std::process::exit(code);
    }
}
