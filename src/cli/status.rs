//! `docsfs status [MOUNTPOINT]`: what a cache folder holds for the mounts that use it — the
//! live mounts (each registers itself in `<cache>/mounts/<pid>.json` while it runs), the
//! uploads in flight, waiting for a dead daemon's successor, or failed (from the journal, see
//! `fs/journal.rs`), the spool's size, and the content cache (each live mount writes its
//! counters to `<cache>/mounts/<pid>.content.json` every few seconds). Reads files only; talks
//! to no server.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use serde::{Deserialize, Serialize};

use std::sync::Arc;

use crate::fs::content::{CacheReport, ContentCache};
use crate::fs::journal::{self, State};
use crate::fs::writeback::{UploadReport, lost_entry};
use crate::mount::FileTask;

/// Bytes for people: `512 B`, `1.5 KiB`, `3.2 GiB`.
fn human(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let (mut v, mut u) = (n as f64, 0);
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// Only this mount (and the uploads its cache folder holds).
    pub mountpoint: Option<PathBuf>,
    /// The cache folder the mounts use (as given to `docsfs mount --cache-dir`).
    #[arg(long, value_name = "DIR", env = "DOCSFS_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// What a running mount writes about itself.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Registration {
    pub pid: u32,
    pub mountpoint: PathBuf,
    pub endpoint: String,
    pub backend: String,
}

fn mounts_dir(cache: &Path) -> PathBuf {
    cache.join("mounts")
}

/// Registers this process's mount; the returned guard removes the file when dropped.
pub fn register(cache: &Path, reg: &Registration) -> std::io::Result<RegistrationGuard> {
    use std::os::unix::fs::DirBuilderExt;
    let dir = mounts_dir(cache);
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)?;
    let path = dir.join(format!("{}.json", reg.pid));
    std::fs::write(&path, serde_json::to_vec_pretty(reg).expect("plain data"))?;
    Ok(RegistrationGuard(path))
}

pub struct RegistrationGuard(PathBuf);

impl Drop for RegistrationGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[derive(Serialize)]
struct Upload {
    file: String,
    target: String,
    bytes: u64,
    state: &'static str,
    pid: u32,
    error: Option<String>,
    spool: PathBuf,
}

#[derive(Serialize)]
struct Report {
    cache_dir: PathBuf,
    mounts: Vec<Registration>,
    uploads: Vec<Upload>,
    spool_files: u64,
    spool_bytes: u64,
    content: ContentStatus,
    /// Per live mount (by pid): its write-back queue.
    upload_queues: Vec<(u32, UploadReport)>,
    /// Files whose upload could never succeed, kept in `<cache>/lost+found`.
    lost_and_found: Vec<PathBuf>,
}

/// The content cache: what is on disk, and each live mount's counters.
#[derive(Serialize)]
struct ContentStatus {
    entries: u64,
    bytes: u64,
    /// Per live mount (by pid): its limit, hits, misses, bytes served, passthrough.
    mounts: Vec<(u32, CacheReport)>,
}

fn content_report_path(cache: &Path, pid: u32) -> PathBuf {
    mounts_dir(cache).join(format!("{pid}.content.json"))
}

/// Writes what `report` says to `path` as JSON every `every` (when it changed), until dropped
/// (the file is removed then). `report` may do a little blocking work first: it runs on the
/// blocking pool.
fn publish<T, F>(path: PathBuf, every: std::time::Duration, report: F) -> FileTask
where
    T: Serialize + PartialEq + Send + 'static,
    F: Fn() -> T + Send + Sync + 'static,
{
    let file = path.clone();
    let report = Arc::new(report);
    let task = tokio::spawn(async move {
        let mut last = None;
        loop {
            let making = report.clone();
            let Ok(now) = tokio::task::spawn_blocking(move || making()).await else {
                return;
            };
            if last.as_ref() != Some(&now) {
                let tmp = file.with_extension("tmp");
                let body = serde_json::to_vec_pretty(&now).expect("plain data");
                if std::fs::write(&tmp, body)
                    .and_then(|()| std::fs::rename(&tmp, &file))
                    .is_ok()
                {
                    last = Some(now);
                }
            }
            tokio::time::sleep(every).await;
        }
    });
    FileTask { path, task }
}

/// Writes this process's content-cache counters for `docsfs status` every `every`, until
/// dropped; records the cache's order of use as it goes.
pub fn publish_content(
    cache: &Path,
    content: Arc<ContentCache>,
    every: std::time::Duration,
) -> FileTask {
    let path = content_report_path(cache, std::process::id());
    publish(path, every, move || {
        content.flush_touches();
        content.report()
    })
}

fn upload_report_path(cache: &Path, pid: u32) -> PathBuf {
    mounts_dir(cache).join(format!("{pid}.uploads.json"))
}

/// Writes this process's upload counters (`writeback.rs`) for `docsfs status` every `every`,
/// until dropped.
pub fn publish_uploads(
    cache: &Path,
    report: impl Fn() -> UploadReport + Send + Sync + 'static,
    every: std::time::Duration,
) -> FileTask {
    publish(upload_report_path(cache, std::process::id()), every, report)
}

/// Entries and bytes of the cache's records on disk.
fn content_on_disk(dir: &Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let (mut entries, mut bytes) = (0, 0);
    for f in crate::fs::content::files(dir) {
        let path = f.path();
        if path.extension().is_some_and(|e| e == "meta") {
            entries += 1;
        } else if path.extension().is_some_and(|e| e == "data") {
            // Allocated bytes: a sparse file holding a few ranges counts what it holds.
            bytes += f.metadata().map_or(0, |m| m.blocks() * 512);
        }
    }
    (entries, bytes)
}

/// What each live mount last published at `path(pid)` ([`publish`]), by pid.
fn reports<T: serde::de::DeserializeOwned>(
    mounts: &[Registration],
    path: impl Fn(u32) -> PathBuf,
) -> Vec<(u32, T)> {
    mounts
        .iter()
        .filter_map(|m| {
            let b = std::fs::read(path(m.pid)).ok()?;
            Some((m.pid, serde_json::from_slice(&b).ok()?))
        })
        .collect()
}

fn live_mounts(cache: &Path) -> Vec<Registration> {
    let Ok(dir) = std::fs::read_dir(mounts_dir(cache)) else {
        return Vec::new();
    };
    let mut out: Vec<Registration> = dir
        .flatten()
        .filter_map(|e| std::fs::read(e.path()).ok())
        .filter_map(|b| serde_json::from_slice::<Registration>(&b).ok())
        .filter(|r| journal::other_process_alive(r.pid) || r.pid == std::process::id())
        .collect();
    out.sort_by_key(|r| r.pid);
    out
}

fn report(cache: &Path, only: Option<&Path>) -> anyhow::Result<Report> {
    let mut mounts = live_mounts(cache);
    let wanted_pid = match only {
        Some(mp) => {
            let mp = std::fs::canonicalize(mp).unwrap_or_else(|_| mp.to_owned());
            let found = mounts.iter().find(|r| r.mountpoint == mp).cloned();
            let found = found.with_context(|| {
                format!(
                    "no running docsfs mount of {} uses {}",
                    mp.display(),
                    cache.display()
                )
            })?;
            mounts.retain(|r| r.pid == found.pid);
            Some(found.pid)
        }
        None => None,
    };
    let spool_dir = cache.join("spool");
    let mut uploads = Vec::new();
    for (spool, e) in journal::entries(&spool_dir) {
        let alive = journal::other_process_alive(e.pid) || e.pid == std::process::id();
        // A mount's own uploads, and those no live daemon owns (its successor's to finish).
        if wanted_pid.is_some_and(|p| p != e.pid && alive) {
            continue;
        }
        let state = match (e.state, alive) {
            (State::Failed, _) => "failed",
            (State::InFlight, true) => "in flight",
            (State::Pending, true) => {
                "pending (closed, safe on local disk, waiting for its upload)"
            }
            (State::InFlight | State::Pending, false) => {
                "pending (its daemon is gone; the next mount sends it)"
            }
        };
        let target = match &e.target {
            journal::Target::NewDocument { parent, name } => {
                format!("new document {name:?} in folder {parent}")
            }
            journal::Target::NewVersion { doc } => format!("new version of document {doc}"),
        };
        uploads.push(Upload {
            file: e.name.clone(),
            target,
            bytes: e.size,
            state,
            pid: e.pid,
            error: e.error.clone(),
            spool,
        });
    }
    let (mut spool_files, mut spool_bytes) = (0, 0);
    if let Ok(dir) = std::fs::read_dir(&spool_dir) {
        for e in dir.flatten() {
            let is_data = e.path().extension().is_none();
            if let (true, Ok(meta)) = (is_data, e.metadata()) {
                spool_files += 1;
                spool_bytes += meta.len();
            }
        }
    }
    let (entries, bytes) = content_on_disk(&cache.join("content"));
    let content_mounts = reports(&mounts, |pid| content_report_path(cache, pid));
    let upload_queues = reports(&mounts, |pid| upload_report_path(cache, pid));
    let mut lost_and_found: Vec<PathBuf> = std::fs::read_dir(cache.join("lost+found"))
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    // Not the entry of another file (`NAME.json` beside `NAME`).
                    let text = p.to_string_lossy();
                    text.strip_suffix(".json")
                        .is_none_or(|data| !Path::new(data).exists())
                })
                .collect()
        })
        .unwrap_or_default();
    lost_and_found.sort();
    Ok(Report {
        upload_queues,
        lost_and_found,
        cache_dir: cache.to_owned(),
        mounts,
        uploads,
        spool_files,
        spool_bytes,
        content: ContentStatus {
            entries,
            bytes,
            mounts: content_mounts,
        },
    })
}

pub fn status(args: StatusArgs) -> anyhow::Result<()> {
    let cache = args
        .cache_dir
        .clone()
        .unwrap_or_else(super::mount::default_cache_dir);
    let r = report(&cache, args.mountpoint.as_deref())?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    println!("cache folder: {}", r.cache_dir.display());
    if r.mounts.is_empty() {
        println!("mounts: none running");
    }
    for m in &r.mounts {
        println!(
            "mount: {} ({} {}, pid {})",
            m.mountpoint.display(),
            m.backend,
            m.endpoint,
            m.pid
        );
    }
    println!("spool: {} files, {} bytes", r.spool_files, r.spool_bytes);
    println!(
        "content cache: {} versions, {} on disk",
        r.content.entries,
        human(r.content.bytes)
    );
    for (pid, c) in &r.content.mounts {
        let opens = c.hits + c.misses;
        let rate = if opens == 0 {
            "-".to_owned()
        } else {
            format!("{:.0}%", 100.0 * c.hits as f64 / opens as f64)
        };
        println!(
            "  pid {pid}: limit {}, {} in {} versions; opens {} cached / {} not ({rate} hit rate); \
             {} served from the cache, {} stored; {} evicted, {} corrupt dropped; passthrough {}",
            human(c.limit),
            human(c.bytes),
            c.entries,
            c.hits,
            c.misses,
            human(c.bytes_served),
            human(c.bytes_stored),
            c.evictions,
            c.corrupt,
            if c.passthrough {
                format!("on ({} opens read by the kernel)", c.passthrough_opens)
            } else {
                "off".to_owned()
            },
        );
    }
    for (pid, u) in &r.upload_queues {
        let mode = if u.write_back {
            "write-back"
        } else {
            "close waits for uploads"
        };
        println!(
            "  pid {pid} uploads ({mode}): {} pending ({}), {} in flight ({}); {} uploaded ({}), \
             {}/s now; pending limit {}",
            u.pending_files,
            human(u.pending_bytes),
            u.in_flight_files,
            human(u.in_flight_bytes),
            u.uploaded_files,
            human(u.uploaded_bytes),
            human(u.rate),
            human(u.max_pending),
        );
        for (file, error) in &u.failing {
            println!("    retrying {file}: {error}");
        }
    }
    for lost in &r.lost_and_found {
        println!(
            "lost+found: {} (its upload could never succeed; see {} for why)",
            lost.display(),
            lost_entry(lost).display()
        );
    }
    if r.uploads.is_empty() {
        println!("uploads: none pending");
    }
    for u in &r.uploads {
        println!(
            "upload: {} — {} bytes, {} — {}",
            u.file, u.bytes, u.target, u.state
        );
        if let Some(e) = &u.error {
            println!("  error: {e}");
        }
        println!("  data: {}", u.spool.display());
    }
    Ok(())
}
