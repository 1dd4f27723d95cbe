//! `docsfs mount`: mount a WorkDocs-API or LogicalDOC server on a directory. Credentials come
//! from a file (refused if others can read it) or the environment (`DOCSFS_TOKEN`,
//! `DOCSFS_PASSWORD`), never from the command line. The endpoint must be https (or loopback)
//! unless `--allow-insecure-http` says otherwise. Runs in the foreground until unmounted or
//! SIGINT/SIGTERM; `--daemon` detaches once the mount is up. Under systemd (`NOTIFY_SOCKET`),
//! says `READY=1` once mounted and `STOPPING=1` when unmounting (`notify.rs`).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};

mod daemon;
use clap::Args;
pub use daemon::{daemonize_if_asked, report_ready};

use crate::fs::content::ContentConfig;
use crate::fs::{Fs, FsConfig};
use crate::mount::{MountOptions, Mounted};
use crate::remote::logicaldoc::{LogicalDocAuth, LogicalDocConfig, LogicalDocRemote};
use crate::remote::reachability::Reachable;
use crate::remote::workdocs::{WorkDocsAuth, WorkDocsConfig, WorkDocsRemote};
use crate::remote::{Remote, http};
use crate::sigv4::{AccessKey, DEFAULT_REGION};

/// The API the server speaks.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The Amazon WorkDocs REST API (a user token, or an admin access key).
    Workdocs,
    /// LogicalDOC's REST web services (a user name and password, or an API key).
    Logicaldoc,
}

#[derive(Args, Debug)]
pub struct MountArgs {
    /// Read settings from a TOML file: each table is a profile whose keys are these options'
    /// long names (`endpoint = "https://…"`, `token-file = "…"`, `read-only = true`); keys
    /// outside a table apply to every profile. Options given here win over the file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The profile of --config to use (default: the only one, or the one named `default`).
    #[arg(long, value_name = "NAME", requires = "config")]
    pub profile: Option<String>,
    /// The API the server speaks.
    #[arg(long, value_enum, default_value = "workdocs")]
    pub backend: Backend,
    /// Base URL of the API (https://…; http:// only for loopback, unless
    /// --allow-insecure-http). For LogicalDOC, the web application's URL, e.g.
    /// https://dms.example.com/logicaldoc.
    #[arg(long, value_name = "URL")]
    pub endpoint: String,
    /// Accept a plain http:// endpoint that is not loopback. INSECURE: the token, password or
    /// API key, the session and every file's content cross the network unencrypted, readable
    /// and changeable by anyone on the path. Only for a network you trust.
    #[arg(long)]
    pub allow_insecure_http: bool,
    /// LogicalDOC: the user name (with --password-file or DOCSFS_PASSWORD).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["token_file", "admin_key_file"])]
    pub user: Option<String>,
    /// LogicalDOC: file holding the user's password (mode 0600).
    #[arg(long, value_name = "FILE", requires = "user")]
    pub password_file: Option<PathBuf>,
    /// LogicalDOC 9+: file holding an API key (mode 0600), instead of a user and password.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["user", "token_file", "admin_key_file"])]
    pub api_key_file: Option<PathBuf>,
    /// File holding the user's authentication token (mode 0600). Else DOCSFS_TOKEN is used.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Admin mode: file holding ID:SECRET of an access key; requests are SigV4-signed.
    #[arg(
        long,
        value_name = "FILE",
        requires = "root_folder_id",
        conflicts_with = "token_file"
    )]
    pub admin_key_file: Option<PathBuf>,
    /// Admin mode: the folder to mount.
    #[arg(long, value_name = "ID", requires = "admin_key_file")]
    pub root_folder_id: Option<String>,
    /// SigV4 region (admin mode).
    #[arg(long, default_value = DEFAULT_REGION)]
    pub region: String,
    /// Seconds that listings and attributes are trusted before they are fetched again.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub metadata_ttl: u64,
    /// Seconds between asks for other clients' changes (WorkDocs: the activity feed; LogicalDOC:
    /// the most recently used folders listed again); 0: never, only the TTL applies.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub poll_interval: u64,
    /// Directory listings kept in the metadata cache.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub cache_entries: usize,
    /// Background workers listing subfolders ahead of `readdir` (0: none).
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub lookahead: usize,
    /// Owner shown for every file (default: the mounting user).
    #[arg(long)]
    pub uid: Option<u32>,
    /// Group shown for every file (default: the mounting user's group).
    #[arg(long)]
    pub gid: Option<u32>,
    /// Seconds one operation may take, retries included, before it fails.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,
    /// Mount read-only: every change fails with EROFS, and nothing is uploaded (not even what
    /// an earlier run left pending).
    #[arg(long)]
    pub read_only: bool,
    /// Permission bits to clear from every file and folder's mode (octal; folders and writable
    /// files start from 0777 / 0666, read-only ones from 0555 / 0444).
    #[arg(long, value_name = "OCTAL", default_value = "022", value_parser = parse_umask)]
    pub umask: u16,
    /// Mount even if the mountpoint is not empty (its contents are hidden while mounted).
    #[arg(long)]
    pub allow_non_empty: bool,
    /// Let other users see the mount (needs user_allow_other in /etc/fuse.conf unless root).
    #[arg(long)]
    pub allow_other: bool,
    /// Detach once mounted.
    #[arg(long)]
    pub daemon: bool,
    /// Where written files are spooled until uploaded (default: $XDG_CACHE_HOME/docsfs, else
    /// ~/.cache/docsfs). Data of failed uploads stays in its `spool/` folder.
    #[arg(long, value_name = "DIR", env = "DOCSFS_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Bytes of document content kept on disk under the cache folder's `content/` (suffixes K,
    /// M, G, T; 0 turns the cache off). Default: 4G, or half the disk's free space when that is
    /// less. Versions never change, so cached content is never stale.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub cache_size: Option<u64>,
    /// Serve every read through docsfs, never handing the kernel a whole cached file to read
    /// by itself (FUSE passthrough, Linux 6.9 or later, as root). The log says which is used.
    #[arg(long)]
    pub no_passthrough: bool,
    /// Make `close` wait for the upload and report its error, instead of returning once the
    /// bytes are safe on local disk and uploading in the background (write-back).
    #[arg(long)]
    pub sync_close: bool,
    /// Uploads at a time (write-back).
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub transfers: u16,
    /// How long a closed file is left alone before its upload starts, so that a rename, a
    /// time change or a delete right after `close` (rsync, editors) is part of the one upload
    /// (milliseconds, or with a unit: 300ms, 1s).
    #[arg(long, value_name = "TIME", default_value = "300ms", value_parser = parse_millis)]
    pub write_back_delay: u64,
    /// Bytes of closed files waiting for upload past which `close` waits for uploads to catch
    /// up (suffixes K, M, G, T).
    #[arg(long, value_name = "SIZE", default_value = "2G", value_parser = parse_size)]
    pub max_pending: u64,
    /// Seconds an unmount (or SIGINT/SIGTERM) waits for pending uploads before it leaves them
    /// to the next mount on the same cache folder.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub unmount_wait: u64,
    /// What /proc/mounts, `mount` and `df` show as the source (default: docsfs:ENDPOINT).
    /// mount.docsfs passes its SOURCE, so that `mount -a` finds the fstab line mounted.
    #[arg(long, value_name = "NAME", hide = true)]
    pub fs_name: Option<String>,
    /// Directory to mount on.
    pub mountpoint: PathBuf,
}

/// Reads a secret from a file that only its owner may read.
pub fn read_secret_file(path: &Path) -> anyhow::Result<String> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if meta.permissions().mode() & 0o077 != 0 {
        bail!(
            "{} can be read by other users; run `chmod 600 {}` first",
            path.display(),
            path.display()
        );
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let secret = text.trim().to_owned();
    if secret.is_empty() {
        bail!("{} is empty", path.display());
    }
    Ok(secret)
}

fn logicaldoc_credentials(args: &MountArgs) -> anyhow::Result<LogicalDocAuth> {
    if let Some(file) = &args.api_key_file {
        return Ok(LogicalDocAuth::ApiKey(read_secret_file(file)?));
    }
    let Some(user) = args.user.clone() else {
        bail!("no credentials: give --user NAME with --password-file FILE, or --api-key-file FILE");
    };
    let password = match &args.password_file {
        Some(file) => read_secret_file(file)?,
        None => match std::env::var("DOCSFS_PASSWORD") {
            Ok(p) if !p.is_empty() => p,
            _ => bail!("no password: give --password-file FILE or set DOCSFS_PASSWORD"),
        },
    };
    Ok(LogicalDocAuth::Password { user, password })
}

/// Where a LogicalDOC mount keeps its recycle-bin record: one folder per server and identity
/// (the user, or a digest of the API key), so that mounts of other accounts never mix.
fn trash_dir(cache: &Path, endpoint: &str, auth: &LogicalDocAuth, insecure: bool) -> PathBuf {
    use sha2::{Digest, Sha256};
    let who = match auth {
        LogicalDocAuth::Password { user, .. } => format!("user:{}", user.trim()),
        LogicalDocAuth::ApiKey(key) => format!("key:{}", hex::encode(Sha256::digest(key))),
    };
    // The endpoint as it will be used (`https://Host:443/x/` is `https://host/x`).
    let endpoint = http::endpoint_base_with(endpoint, insecure)
        .unwrap_or_else(|_| endpoint.trim_end_matches('/').to_owned());
    let digest = Sha256::digest(format!("{endpoint}\n{who}"));
    cache.join("logicaldoc").join(&hex::encode(digest)[..24])
}

/// The mistakes that would otherwise surface as a FUSE error: no such folder, a folder with
/// files in it, no FUSE on this machine.
fn check_mountpoint(args: &MountArgs) -> anyhow::Result<()> {
    let m = args.mountpoint.display();
    if crate::mount::is_mounted(&args.mountpoint) {
        bail!("{m} is already a FUSE mount (a stale one? `fusermount3 -u {m}` removes it)");
    }
    if !args.mountpoint.is_dir() {
        bail!("mountpoint {m} does not exist or is not a directory");
    }
    let has_entries = std::fs::read_dir(&args.mountpoint)
        .with_context(|| format!("cannot read the mountpoint {m}"))?
        .next()
        .is_some();
    if has_entries && !args.allow_non_empty {
        bail!("mountpoint {m} is not empty (--allow-non-empty mounts over its contents)");
    }
    if !Path::new("/dev/fuse").exists() {
        bail!(
            "FUSE is not available: /dev/fuse does not exist (install fuse3 and `modprobe fuse`; \
             in a container, pass the device /dev/fuse)"
        );
    }
    Ok(())
}

fn parse_umask(s: &str) -> Result<u16, String> {
    u16::from_str_radix(s.trim_start_matches("0o"), 8)
        .ok()
        .filter(|m| *m <= 0o777)
        .ok_or_else(|| format!("{s:?} is not an octal mode like 022 or 077"))
}

/// `123`, `64K`, `512M`, `4G`, `1T` (powers of 1024; a trailing `B` or `iB` is allowed).
/// A time in milliseconds: `300`, `300ms`, `2s`.
pub fn parse_millis(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (n, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1000)
    } else {
        (t, 1)
    };
    n.trim()
        .parse::<u64>()
        .ok()
        .and_then(|v| v.checked_mul(scale))
        .ok_or_else(|| format!("{s:?} is not a time (300ms, 2s)"))
}

pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (digits, shift) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let shift = match c.to_ascii_uppercase() {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                'T' => 40,
                _ => return Err(format!("{s:?}: unknown size suffix {c:?} (K, M, G or T)")),
            };
            (&t[..i], shift)
        }
        _ => (t, 0),
    };
    let n: u64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a size like 4G, 512M or 1048576"))?;
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("{s:?} is too large"))
}

fn credentials(args: &MountArgs) -> anyhow::Result<WorkDocsAuth> {
    if args.user.is_some() || args.api_key_file.is_some() {
        bail!("--user and --api-key-file are LogicalDOC credentials; add --backend logicaldoc");
    }
    if let Some(file) = &args.admin_key_file {
        let key = AccessKey::parse(&read_secret_file(file)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        let root_folder_id = args.root_folder_id.clone().unwrap_or_default();
        return Ok(WorkDocsAuth::Admin {
            key,
            root_folder_id,
        });
    }
    if let Some(file) = &args.token_file {
        return Ok(WorkDocsAuth::Token(read_secret_file(file)?));
    }
    match std::env::var("DOCSFS_TOKEN") {
        Ok(t) if !t.trim().is_empty() => Ok(WorkDocsAuth::Token(t.trim().to_owned())),
        _ => bail!(
            "no credentials: give --token-file FILE, set DOCSFS_TOKEN, or use --admin-key-file"
        ),
    }
}

/// The filesystem settings of a mount command.
pub fn fs_config(args: &MountArgs) -> FsConfig {
    // SAFETY: geteuid/getegid cannot fail and touch no memory.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    FsConfig {
        metadata_ttl: Duration::from_secs(args.metadata_ttl),
        cache_entries: args.cache_entries,
        uid: args.uid.unwrap_or(uid),
        gid: args.gid.unwrap_or(gid),
        spool_dir: cache_dir(args).join("spool"),
        umask: args.umask,
        content: Some(ContentConfig {
            passthrough: !args.no_passthrough,
            ..content_config(
                &cache_dir(args),
                args.cache_size,
                &format!("{:?} {}", args.backend, http::redacted(&args.endpoint)),
            )
        }),
        ..FsConfig::default()
    }
}

/// The content cache under `cache_dir`, `size` bytes at most (default: see `--cache-size`),
/// for the store `store` names, with passthrough where the kernel allows it.
pub fn content_config(cache_dir: &Path, size: Option<u64>, store: &str) -> ContentConfig {
    let dir = cache_dir.join("content");
    ContentConfig {
        limit: size.unwrap_or_else(|| crate::fs::content::default_limit(&dir)),
        dir,
        store: store.to_owned(),
        passthrough: true,
    }
}

fn cache_dir(args: &MountArgs) -> PathBuf {
    args.cache_dir.clone().unwrap_or_else(default_cache_dir)
}

/// `$XDG_CACHE_HOME/docsfs`, else `~/.cache/docsfs`, else a per-user folder in /tmp.
pub fn default_cache_dir() -> PathBuf {
    let from_env = |var: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(xdg) = from_env("XDG_CACHE_HOME") {
        return xdg.join("docsfs");
    }
    if let Some(home) = from_env("HOME") {
        return home.join(".cache").join("docsfs");
    }
    // SAFETY: geteuid cannot fail and touches no memory.
    std::env::temp_dir().join(format!("docsfs-{}", unsafe { libc::geteuid() }))
}

/// Checks the endpoint before anything else (no secret is read, nothing is sent), and warns
/// when plain http to another machine was allowed.
fn check_endpoint(args: &MountArgs) -> anyhow::Result<()> {
    let base = http::endpoint_base_with(&args.endpoint, args.allow_insecure_http)?;
    if !http::is_secure(&base) {
        tracing::warn!(
            endpoint = %base,
            "--allow-insecure-http: credentials and content go to this endpoint unencrypted"
        );
    }
    Ok(())
}

pub async fn mount(args: MountArgs) -> anyhow::Result<()> {
    check_endpoint(&args)?;
    check_mountpoint(&args)?;
    let timeout = Duration::from_secs(args.timeout);
    match args.backend {
        Backend::Workdocs => {
            let config = WorkDocsConfig {
                endpoint: args.endpoint.clone(),
                auth: credentials(&args)?,
                timeout,
                region: args.region.clone(),
                allow_insecure_http: args.allow_insecure_http,
            };
            serve(
                Arc::new(Reachable::new(WorkDocsRemote::new(config)?)),
                &args,
            )
            .await
        }
        Backend::Logicaldoc => {
            if args.token_file.is_some() || args.admin_key_file.is_some() {
                bail!("--token-file and --admin-key-file are WorkDocs credentials");
            }
            let auth = logicaldoc_credentials(&args)?;
            let trash = trash_dir(
                &cache_dir(&args),
                &args.endpoint,
                &auth,
                args.allow_insecure_http,
            );
            let config = LogicalDocConfig {
                endpoint: args.endpoint.clone(),
                trash_dir: Some(trash),
                auth,
                timeout,
                allow_insecure_http: args.allow_insecure_http,
            };
            serve(
                Arc::new(Reachable::new(LogicalDocRemote::new(config)?)),
                &args,
            )
            .await
        }
    }
}

/// Builds the core on `remote`, mounts it, and serves until unmounted.
async fn serve<R: Remote>(remote: Arc<R>, args: &MountArgs) -> anyhow::Result<()> {
    let core = Fs::new(remote, fs_config(args))
        .await
        .with_context(|| format!("cannot reach {}", args.endpoint))?;
    let opts = MountOptions {
        mountpoint: args.mountpoint.clone(),
        allow_other: args.allow_other,
        read_only: args.read_only,
        fs_name: args
            .fs_name
            .clone()
            .unwrap_or_else(|| format!("docsfs:{}", args.endpoint)),
        poll_interval: (args.poll_interval > 0).then(|| Duration::from_secs(args.poll_interval)),
    };
    // Uploads a killed daemon left in this cache folder are finished before anything is served
    // (a read-only mount leaves them to the next writable one).
    let recovered = if args.read_only {
        Default::default()
    } else {
        core.recover().await
    };
    if recovered.failed > 0 {
        tracing::warn!(
            failed = recovered.failed,
            "some pending uploads of an earlier run failed again; `docsfs status` lists them"
        );
    }
    let core = Arc::new(core);
    core.start_lookahead(args.lookahead);
    if !args.sync_close && !args.read_only {
        core.start_write_back(write_back_config(args));
    }
    // Resolved before mounting: afterwards the path would be asked of the mount itself.
    let mountpoint = std::fs::canonicalize(&args.mountpoint).unwrap_or(args.mountpoint.clone());
    let mounted = crate::mount::mount(core.clone(), tokio::runtime::Handle::current(), &opts)?;
    // `docsfs share` and the like reach the mount here (a mount without it still works).
    let backend_name = match args.backend {
        Backend::Workdocs => "WorkDocs",
        Backend::Logicaldoc => "LogicalDOC",
    };
    let content = core.content_cache().cloned();
    let _control = match crate::mount::control::start(core.clone(), &mountpoint, backend_name) {
        Ok(control) => Some(control),
        Err(e) => {
            tracing::warn!(error = %e, "no control socket: `docsfs share`, `shares` and `activity` cannot reach this mount");
            None
        }
    };
    let registration = super::status::Registration {
        pid: std::process::id(),
        mountpoint,
        endpoint: args.endpoint.clone(),
        backend: format!("{:?}", args.backend).to_lowercase(),
    };
    let _registered = match super::status::register(&cache_dir(args), &registration) {
        Ok(guard) => Some(guard),
        Err(e) => {
            tracing::warn!(error = %e, "cannot register the mount for `docsfs status`");
            None
        }
    };
    let _content_status = content
        .map(|c| super::status::publish_content(&cache_dir(args), c, Duration::from_secs(2)));
    let _upload_status = super::status::publish_uploads(
        &cache_dir(args),
        {
            let core = core.clone();
            move || core.upload_report()
        },
        Duration::from_secs(1),
    );
    tracing::info!(mountpoint = %args.mountpoint.display(), "mounted");
    report_ready(Ok(()));
    super::notify::ready(&args.mountpoint);
    let served = serve_until_done(mounted).await;
    // Unmounted: what is still pending goes now, within --unmount-wait.
    let left = core.drain(Duration::from_secs(args.unmount_wait)).await;
    if left == 0 {
        tracing::info!("every upload is done");
    }
    served
}

/// Write-back as the options say.
pub fn write_back_config(args: &MountArgs) -> crate::fs::writeback::WriteBackConfig {
    crate::fs::writeback::WriteBackConfig {
        delay: Duration::from_millis(args.write_back_delay),
        transfers: usize::from(args.transfers),
        max_pending: args.max_pending,
    }
}

/// Runs until the mount goes away or a signal asks us to unmount.
pub async fn serve_until_done(mut mounted: Mounted) -> anyhow::Result<()> {
    tokio::select! {
        r = mounted.wait() => {
            super::notify::stopping();
            r.context("the FUSE session failed")?;
            tracing::info!("unmounted from outside");
            Ok(())
        }
        r = super::wait_for_signal() => {
            r?;
            tracing::info!("unmounting");
            super::notify::stopping();
            mounted.unmount().await.context("cannot unmount (is something still using it?)")
        }
    }
}

#[cfg(test)]
mod tests;
