//! The `prescale` binary: parse the command line, run it, report errors.

use clap::Parser;

fn main() {
    let cli = prescale::cli::Cli::parse();
    if let Err(e) = prescale::app::run(cli) {
        eprintln!("Error: {e:#}");
        std::process::exit(1);
    }
}
