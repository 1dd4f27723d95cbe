//! The command line: `docsfs serve`, `docsfs mount`, `docsfs demo`, `docsfs status`, and
//! `docsfs share` / `unshare` / `shares` / `activity` on a path inside a mount. Parses arguments with clap,
//! sets up logging, runs the chosen command and turns any failure into one clear line on stderr
//! and a non-zero exit. `cli` and its submodules are the only code that uses `anyhow`.
//! `docsfs mount-helper` (what `mount.docsfs` runs for mount(8)) is turned into a `docsfs mount`
//! command line before anything is parsed; `docsfs generate` (hidden) writes the man pages and
//! shell completions from these definitions.

mod activity;
mod config;
mod control;
mod demo;
mod generate;
mod helper;
mod mount;
mod notify;
mod serve;
mod sharing;
mod status;
mod versions;

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
    /// Append the log to FILE (created owner-only) instead of stderr.
    #[arg(long, global = true, value_name = "FILE")]
    log_file: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the embedded document server (the Amazon WorkDocs API over SQLite and a blob folder).
    Serve(serve::ServeArgs),
    /// Mount a WorkDocs-API or LogicalDOC server on a directory.
    #[command(args_override_self = true)]
    Mount(Box<mount::MountArgs>),
    /// Start a sample server in-process and mount it: the first thing to try.
    Demo(demo::DemoArgs),
    /// Show the running mounts of a cache folder and their pending, in-flight and failed uploads.
    Status(status::StatusArgs),
    /// Share a folder or document of a mount with a user or group (or change their role).
    Share(sharing::ShareArgs),
    /// Remove a user's or group's direct share of a folder or document of a mount.
    Unshare(sharing::UnshareArgs),
    /// List who may see a folder or document of a mount, and with which role.
    Shares(sharing::SharesArgs),
    /// Show who did what to a folder or document of a mount, oldest first.
    Activity(activity::ActivityArgs),
    /// List a document's earlier versions or restore one, through its mount.
    Versions(versions::VersionsArgs),
    /// Write the man pages or the shell completions (for packaging).
    #[command(hide = true)]
    Generate(generate::GenerateArgs),
}

/// The whole command line's definition (for man pages and completions).
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// The long options `docsfs mount` takes (its own and the global ones).
fn mount_option_specs() -> Vec<helper::OptionSpec> {
    let top = command();
    let mount = top
        .find_subcommand("mount")
        .expect("a mount command")
        .clone();
    top.get_arguments()
        .chain(mount.get_arguments())
        .filter_map(|a| {
            a.get_long().map(|long| helper::OptionSpec {
                name: long.to_owned(),
                takes_value: a.get_action().takes_values(),
            })
        })
        .collect()
}

fn mount_options() -> Vec<String> {
    mount_option_specs().into_iter().map(|s| s.name).collect()
}

/// What a `docsfs mount-helper …` call comes to.
enum HelperCall {
    /// Mount with this `docsfs mount` command line (the profile's settings expanded).
    Mount(Vec<std::ffi::OsString>),
    /// `-f`: everything checked, nothing to do.
    Fake,
    /// A mistake, already reported in one line.
    Refused,
}

fn helper_call(argv: &[std::ffi::OsString]) -> HelperCall {
    let args = helper::parse(argv);
    let translation =
        match helper::translate(&args, &mount_option_specs(), &helper::Places::current()) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("docsfs: {e}");
                return HelperCall::Refused;
            }
        };
    for warning in &translation.warnings {
        eprintln!("docsfs: {warning}");
    }
    if args.verbose {
        eprintln!("mount.docsfs: {}", helper::shown(&translation.argv));
    }
    let mut expanded = match config::expand(translation.argv, &mount_options()) {
        Ok(argv) => argv,
        Err(e) => {
            eprintln!("docsfs: {e}");
            return HelperCall::Refused;
        }
    };
    // After `mount`, before the profile's settings: both override these defaults.
    let quiet = helper::quiet_default(&expanded, std::env::var_os("RUST_LOG").is_some());
    expanded.splice(2..2, translation.defaults.into_iter().chain(quiet));
    // Mistakes clap finds are one line too: mount(8) shows them as they are.
    if let Err(e) = Cli::try_parse_from(&expanded) {
        let text = e.to_string();
        let first = text.lines().next().unwrap_or_default();
        eprintln!("docsfs: {}", first.trim_start_matches("error: "));
        return HelperCall::Refused;
    }
    if args.fake {
        return HelperCall::Fake;
    }
    HelperCall::Mount(expanded)
}

pub fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let argv = if helper::is_helper(&argv) {
        match helper_call(&argv) {
            HelperCall::Mount(argv) => argv,
            HelperCall::Fake => return ExitCode::SUCCESS,
            HelperCall::Refused => return ExitCode::FAILURE,
        }
    } else {
        match config::expand(argv, &mount_options()) {
            Ok(argv) => argv,
            Err(e) => {
                eprintln!("docsfs: {e}");
                return ExitCode::FAILURE;
            }
        }
    };
    let cli = Cli::parse_from(argv);
    if let Command::Mount(args) = &cli.command {
        // Detaching forks, which must happen before any thread (the runtime) exists.
        if let Err(e) = mount::daemonize_if_asked(args) {
            eprintln!("docsfs: {e:#}");
            return ExitCode::FAILURE;
        }
    }
    if let Err(e) = init_logging(&cli.log_level, cli.log_file.as_deref()) {
        report_failure(&format!("{e:#}"));
        return ExitCode::FAILURE;
    }
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
        .and_then(|rt| rt.block_on(run(cli.command)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            report_failure(&format!("{e:#}"));
            ExitCode::FAILURE
        }
    }
}

/// Prints a failure as one line — or, in a `--daemon` child, hands it to the waiting parent,
/// which prints it (so the user sees it once, and from the command they ran).
fn report_failure(message: &str) {
    if !mount::report_ready(Err(message.to_owned())) {
        eprintln!("docsfs: {message}");
    }
}

fn init_logging(filter: &str, file: Option<&std::path::Path>) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match file {
        Some(path) => {
            use std::os::unix::fs::OpenOptionsExt;
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(path)
                .with_context(|| format!("cannot open the log file {}", path.display()))?;
            builder
                .with_writer(std::sync::Mutex::new(f))
                .with_ansi(false)
                .init();
        }
        None => {
            let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
            builder.with_writer(std::io::stderr).with_ansi(ansi).init();
        }
    }
    Ok(())
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => serve::serve(args).await,
        Command::Mount(args) => mount::mount(*args).await,
        Command::Demo(args) => demo::demo(args).await,
        Command::Status(args) => status::status(args),
        Command::Share(args) => sharing::share(args).await,
        Command::Unshare(args) => sharing::unshare(args).await,
        Command::Shares(args) => sharing::shares(args).await,
        Command::Activity(args) => activity::activity(args).await,
        Command::Versions(args) => versions::versions(args),
        Command::Generate(args) => generate::generate(args),
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
