//! `docsfs demo [MOUNTPOINT]`: the first thing a new user runs. Starts the embedded server
//! in-process on a data folder under the user's cache directory, fills it once with a sample
//! tree, mounts it, and says what to try. Ctrl-C unmounts and stops the server.

mod sample;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use crate::fs::{Fs, FsConfig};
use crate::mount::MountOptions;
use crate::remote::workdocs::{WorkDocsAuth, WorkDocsConfig, WorkDocsRemote};
use crate::server::{self, ServerConfig, faults::FaultSettings};

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Where to mount (created if missing; default: ~/docsfs-demo).
    pub mountpoint: Option<PathBuf>,
    /// Data folder of the demo server (default: $XDG_CACHE_HOME/docsfs/demo or ~/.cache/docsfs/demo).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"))
}

fn cache_dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join(".cache"))
}

pub async fn demo(args: DemoArgs) -> anyhow::Result<()> {
    let data = args
        .data
        .unwrap_or_else(|| cache_dir().join("docsfs").join("demo"));
    let mountpoint = args
        .mountpoint
        .unwrap_or_else(|| home().join("docsfs-demo"));
    std::fs::create_dir_all(&mountpoint)
        .with_context(|| format!("cannot create {}", mountpoint.display()))?;
    // Fresh tokens each run: the users persist in the data folder, the tokens need not.
    let (me, colleague) = (
        crate::server::store::rows::new_id(16),
        crate::server::store::rows::new_id(16),
    );
    let config = ServerConfig {
        data: data.clone(),
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        users: vec![
            ("demo".into(), me.clone()),
            ("colleague".into(), colleague.clone()),
        ],
        admin_keys: vec![],
        url_ttl: Duration::from_secs(900),
        faults: FaultSettings::default(),
        import: None,
        ld_session_timeout: crate::server::logicaldoc::DEFAULT_TIMEOUT,
    };
    let running = server::start(config)
        .await
        .context("cannot start the demo server")?;
    let endpoint = format!("http://{}", running.addr);
    let filled = sample::fill_once(&endpoint, &me, &colleague)
        .await
        .context("cannot create the sample documents")?;
    let remote = WorkDocsRemote::new(WorkDocsConfig {
        endpoint: endpoint.clone(),
        auth: WorkDocsAuth::Token(me),
        timeout: Duration::from_secs(30),
        region: crate::sigv4::DEFAULT_REGION.into(),
        allow_insecure_http: false,
    })?;
    // SAFETY: geteuid/getegid cannot fail and touch no memory.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    let core = Fs::new(
        Arc::new(remote),
        FsConfig {
            uid,
            gid,
            spool_dir: super::mount::default_cache_dir().join("spool"),
            content: Some(super::mount::content_config(
                &super::mount::default_cache_dir(),
                None,
                &format!("demo {}", data.display()),
            )),
            ..FsConfig::default()
        },
    )
    .await?;
    let opts = MountOptions {
        mountpoint: mountpoint.clone(),
        allow_other: false,
        read_only: false,
        fs_name: "docsfs-demo".into(),
        poll_interval: Some(std::time::Duration::from_secs(30)),
    };
    let core = Arc::new(core);
    core.start_lookahead(8);
    core.start_write_back(Default::default());
    // Resolved before mounting: afterwards the path would be asked of the mount itself.
    let canonical = std::fs::canonicalize(&mountpoint).unwrap_or(mountpoint.clone());
    let mounted = crate::mount::mount(core.clone(), tokio::runtime::Handle::current(), &opts)?;
    // `docsfs share`, `shares` and `activity` reach the demo mount here, as any other.
    let _control = match crate::mount::control::start(core.clone(), &canonical, "WorkDocs") {
        Ok(control) => Some(control),
        Err(e) => {
            tracing::warn!(error = %e, "no control socket: `docsfs share`, `shares` and `activity` cannot reach this mount");
            None
        }
    };
    let m = mountpoint.display();
    println!("docsfs demo: the sample documents are mounted at {m}");
    if filled {
        println!(
            "(first run: the sample tree was just created in {})",
            data.display()
        );
    }
    println!();
    println!("Try, in another terminal:");
    println!("  ls -la {m}");
    println!("  find {m} -type f | head");
    println!("  cat '{m}/Welcome.txt'");
    println!("  ls '{m}/Shared with me' '{m}/Recycle Bin'");
    println!("  sha256sum '{m}/Media/video.bin'");
    println!("  getfattr -d '{m}/Welcome.txt'");
    let exe = std::env::current_exe().unwrap_or_else(|_| "docsfs".into());
    let exe = exe.display();
    println!("  {exe} activity {m} --since 1d");
    println!("  {exe} share '{m}/Projects' --with colleague --role viewer");
    println!();
    println!(
        "The same server speaks the WorkDocs API at {endpoint}. Press Ctrl-C to unmount and stop."
    );
    let result = super::mount::serve_until_done(mounted).await;
    // What was written and not uploaded yet goes before the server stops.
    core.drain(std::time::Duration::from_secs(60)).await;
    running
        .stop()
        .await
        .context("the demo server stopped with an error")?;
    result
}
