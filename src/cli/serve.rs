//! `docsfs serve`: run the embedded document server until SIGINT/SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use tokio::io::AsyncWriteExt;

use crate::server::{self, ServerConfig, faults::FaultSettings};
use crate::sigv4::AccessKey;

#[derive(Args)]
pub struct ServeArgs {
    /// Folder for the database and document content (created if missing).
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// Address to listen on; port 0 picks a free port (the chosen one is printed).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Create (or update the token of) a user; repeatable.
    #[arg(long = "user", value_name = "NAME:TOKEN")]
    users: Vec<String>,
    /// Accept SigV4-signed admin requests made with this access key; repeatable.
    #[arg(long = "admin-key", value_name = "ID:SECRET")]
    admin_keys: Vec<String>,
    /// Lifetime of signed download and upload URLs, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 900)]
    url_ttl: u64,
    /// Delay every request by this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    latency: u64,
    /// Fraction of requests refused with 503 or 429 (0 to 1).
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    fail_rate: f64,
    /// Fraction of responses whose connection is dropped mid-body (0 to 1).
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    reset_rate: f64,
    /// Load this local folder into a user's root folder before serving (needs --as).
    #[arg(long, value_name = "SRC_DIR", requires = "import_as")]
    import: Option<PathBuf>,
    /// The user whose root folder receives --import.
    #[arg(long = "as", value_name = "NAME", requires = "import")]
    import_as: Option<String>,
    /// Idle time after which a LogicalDOC API session (sid) expires, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = server::logicaldoc::DEFAULT_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    ld_session_timeout: u64,
}

fn split_pair(s: &str, what: &str) -> anyhow::Result<(String, String)> {
    match s.split_once(':') {
        Some((a, b)) if !a.is_empty() && !b.is_empty() => Ok((a.to_owned(), b.to_owned())),
        _ => bail!("{what} must look like NAME:VALUE"),
    }
}

pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let users = args
        .users
        .iter()
        .map(|u| split_pair(u, "--user"))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if let Some((bad, _)) = users
        .iter()
        .find(|(n, _)| !server::store::users::valid_username(n))
    {
        bail!("--user: {bad:?} is not a valid user name (letters, digits, _ - + .)");
    }
    let admin_keys = args
        .admin_keys
        .iter()
        .map(|k| AccessKey::parse(k).map_err(|e| anyhow::anyhow!("--admin-key: {e}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let faults = FaultSettings {
        latency_ms: args.latency,
        fail_rate: args.fail_rate,
        reset_rate: args.reset_rate,
    };
    faults.validate().map_err(anyhow::Error::msg)?;
    let config = ServerConfig {
        data: args.data,
        listen: args.listen,
        users,
        admin_keys,
        url_ttl: Duration::from_secs(args.url_ttl),
        faults,
        import: args.import.zip(args.import_as),
        ld_session_timeout: Duration::from_secs(args.ld_session_timeout),
    };
    let running = server::start(config).await?;
    let mut out = tokio::io::stdout();
    out.write_all(format!("listening on http://{}\n", running.addr).as_bytes())
        .await?;
    out.flush().await?;
    tracing::info!(addr = %running.addr, "docsfs server ready");
    super::wait_for_signal().await?;
    tracing::info!("stopping");
    running
        .stop()
        .await
        .context("server stopped with an error")?;
    Ok(())
}
