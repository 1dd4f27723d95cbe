//! The command line: `docsfs serve`, `docsfs mount`, `docsfs demo`, `docsfs status`. Parses arguments with clap,
//! sets up logging, runs the chosen command and turns any failure into one clear line on stderr
//! and a non-zero exit. `cli` and its submodules are the only code that uses `anyhow`.

mod demo;
mod mount;
mod serve;
mod status;

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "docsfs",
    version,
    about = "Mount a document-management service as a directory"
)]
struct Cli {
    /// Log filter (error, warn, info, debug, trace, or a RUST_LOG-style directive list).
    #[arg(long, global = true, env = "RUST_LOG", default_value = "info")]
    log_level: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the embedded document server (the Amazon WorkDocs API over SQLite and a blob folder).
    Serve(serve::ServeArgs),
    /// Mount a WorkDocs-API or LogicalDOC server on a directory.
    Mount(mount::MountArgs),
    /// Start a sample server in-process and mount it: the first thing to try.
    Demo(demo::DemoArgs),
    /// Show the running mounts of a cache folder and their pending, in-flight and failed uploads.
    Status(status::StatusArgs),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Mount(args) = &cli.command {
        // Detaching forks, which must happen before any thread (the runtime) exists.
        if let Err(e) = mount::daemonize_if_asked(args) {
            eprintln!("docsfs: {e:#}");
            return ExitCode::FAILURE;
        }
    }
    init_logging(&cli.log_level);
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
        .and_then(|rt| rt.block_on(run(cli.command)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A `--daemon` child hands its failure to the waiting parent, which prints it.
            eprintln!("docsfs: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .init();
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => serve::serve(args).await,
        Command::Mount(args) => mount::mount(args).await,
        Command::Demo(args) => demo::demo(args).await,
        Command::Status(args) => status::status(args),
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn wait_for_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    Ok(())
}
