//! A flaky store: a server started with `--fail-rate 0.1 --reset-rate 0.02` (one API request in
//! ten refused with 503 or 429, one answer in fifty cut off after the server acted), written to
//! with `rsync -a` (1,000 files, five rsyncs at once, each re-run while it reports errors) and
//! plain `write`+`close`, and read from. What is checked happens at the server, through the
//! WorkDocs API with the faults turned off (`PUT /_docsfs/faults`): every file rsync copied,
//! and every file whose `close` returned 0, is there, once (one version), with its bytes. A
//! `close` that failed must have failed the documented way (`EIO`/`ETIMEDOUT`, the data kept in
//! the spool with its journal entry and still shown by the mount), and the next `fsync` of the
//! file must store it. Reads of 1–8 MiB files must come back whole, the faults retried away.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::os::fd::IntoRawFd;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::api::Api;
use super::block;
use super::harness::Mount;
use super::server_process::{ALICE, Server};
use super::{pattern_byte, sha256_file, write_file};

const FAIL_RATE: f64 = 0.1;
const RESET_RATE: f64 = 0.02;

fn fault_args() -> Vec<String> {
    vec![
        "--fail-rate".into(),
        FAIL_RATE.to_string(),
        "--reset-rate".into(),
        RESET_RATE.to_string(),
    ]
}

/// Sets the server's faults at run time; returns the settings it reports afterwards.
pub(super) fn set_faults(server: &Server, fail_rate: f64, reset_rate: f64) -> Value {
    let body = json!({ "latency_ms": 0, "fail_rate": fail_rate, "reset_rate": reset_rate });
    let url = format!("{}/_docsfs/faults", server.base);
    let set: Value = block(async {
        let resp = reqwest::Client::new()
            .put(&url)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{}", resp.status());
        resp.json().await.unwrap()
    });
    assert_eq!(set, body);
    set
}

/// The bytes of the latest version of `doc` at the server, hashed: the content URL of
/// GetDocumentVersion(fields=SOURCE), downloaded whole. Also the version's size.
fn server_sha256(api: &Api, doc: &str, version: &str) -> (String, u64) {
    let v = api.call(
        "GET",
        &format!("/api/v1/documents/{doc}/versions/{version}?fields=SOURCE"),
        None,
    );
    let size = v["Metadata"]["Size"].as_u64().unwrap_or(0);
    let Some(url) = v["Metadata"]["Source"]["ORIGINAL"].as_str() else {
        // A version without content (nothing was ever stored): hashed as empty.
        assert_eq!(size, 0, "{v}");
        return (hex::encode(Sha256::digest(b"")), 0);
    };
    let bytes = block(async {
        let resp = reqwest::get(url).await.unwrap();
        assert!(resp.status().is_success(), "{}", resp.status());
        resp.bytes().await.unwrap()
    });
    assert_eq!(bytes.len() as u64, size, "{doc}");
    (hex::encode(Sha256::digest(&bytes)), size)
}

/// One document as the server has it.
#[derive(Debug)]
struct Stored {
    id: String,
    version: String,
}

/// Every live document under `folder` at the server, by path relative to it.
fn server_tree(api: &Api, folder: &str) -> BTreeMap<String, Stored> {
    let mut out = BTreeMap::new();
    let mut pending = vec![(folder.to_owned(), String::new())];
    while let Some((id, prefix)) = pending.pop() {
        for c in api.children(&id) {
            let cid = c["Id"].as_str().unwrap().to_owned();
            if let Some(name) = c["Name"].as_str() {
                pending.push((cid, format!("{prefix}{name}/")));
            } else {
                let latest = &c["LatestVersionMetadata"];
                let name = latest["Name"].as_str().unwrap();
                let version = latest["Id"].as_str().unwrap().to_owned();
                out.insert(format!("{prefix}{name}"), Stored { id: cid, version });
            }
        }
    }
    out
}

/// Checks that the server holds exactly `want` (relative path → SHA-256) under `folder`, each
/// document with one version (nothing was stored twice).
fn assert_stored(api: &Api, folder: &str, want: &BTreeMap<String, String>) {
    let tree = server_tree(api, folder);
    let have: BTreeSet<&String> = tree.keys().collect();
    let expected: BTreeSet<&String> = want.keys().collect();
    assert_eq!(
        have.difference(&expected).collect::<Vec<_>>(),
        Vec::<&&String>::new(),
        "documents at the server that were never written"
    );
    assert_eq!(
        expected.difference(&have).collect::<Vec<_>>(),
        Vec::<&&String>::new(),
        "documents missing at the server"
    );
    for (rel, sha) in want {
        let s = &tree[rel];
        assert_eq!(&server_sha256(api, &s.id, &s.version).0, sha, "{rel}");
        let versions = api.versions(&s.id);
        assert_eq!(versions.len(), 1, "{rel}: {versions:#?}");
    }
}

/// A tree of 1,000 files in 10 × 5 folders, from empty to 2 MiB (most a few KiB).
fn source_tree(root: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for d in 0..10 {
        for s in 0..5 {
            let dir = root.join(format!("dir{d}/sub{s}"));
            std::fs::create_dir_all(&dir).unwrap();
            for f in 0..20 {
                let n = d * 100 + s * 20 + f;
                let len = match n % 100 {
                    0 => 2 << 20,
                    50 => 1 << 20,
                    25 | 75 => 300_000,
                    n if n % 7 == 0 => 0,
                    n => (n as u64 * 977) % 20_000,
                };
                let rel = format!("dir{d}/sub{s}/file{f:02}.dat");
                let path = root.join(&rel);
                write_file(&path, len, n as u8, 1_600_000_000 + n as u64);
                files.insert(rel, sha256_file(&path));
            }
        }
    }
    files
}

/// `rsync -a` of `sources` into folder `dst`, re-run while it reports errors (at most `runs`
/// times, as a backup script would). Returns each run's exit code.
fn rsync_until_clean(sources: &[PathBuf], dst: &Path, runs: usize) -> Vec<i32> {
    let mut codes = Vec::new();
    for _ in 0..runs {
        let out = Command::new("rsync")
            .arg("-a")
            .args(sources)
            .arg(format!("{}/", dst.display()))
            .output()
            .expect("spawn rsync");
        let code = out.status.code().unwrap_or(-1);
        codes.push(code);
        if code == 0 {
            break;
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first: Vec<&str> = stderr.lines().take(20).collect();
        eprintln!("rsync exited with {code}:\n{}", first.join("\n"));
    }
    codes
}

/// The backup: `STREAMS` rsyncs at once, each of 200 files (two top folders), as a backup
/// script spreading a tree over a few workers would — one after the other, the honoured
/// `Retry-After: 1` of the injected 429s alone would take minutes. Each rsync's exit codes.
fn backup(src: &Path, dst: &Path) -> Vec<Vec<i32>> {
    const STREAMS: usize = 5;
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..STREAMS)
            .map(|w| {
                let sources: Vec<PathBuf> = (0..10)
                    .filter(|d| d % STREAMS == w)
                    .map(|d| src.join(format!("dir{d}")))
                    .collect();
                scope.spawn(move || rsync_until_clean(&sources, dst, 3))
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    })
}

/// How many requests the server refused (429, 503) according to its log.
fn refused(server: &Server) -> usize {
    let log = server.log();
    log.lines()
        .filter(|l| l.contains("status=429") || l.contains("status=503"))
        .count()
}

/// The content of the `i`th directly written file.
fn direct_content(i: usize) -> Vec<u8> {
    let len = match i % 10 {
        0 => 0,
        9 => 700_000,
        k => k * 13_001,
    };
    (0..len as u64)
        .map(|o| pattern_byte(o, 200 + i as u8))
        .collect()
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Creates `path`, writes `bytes`, and closes it; the errno `close` gave, if any. (A failed
/// `open` or `write` panics: neither talks to the store.)
fn write_and_close(path: &Path, bytes: &[u8]) -> Result<(), i32> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    f.write_all(bytes).unwrap();
    let fd = f.into_raw_fd();
    // SAFETY: fd is an open descriptor we own; it is closed exactly once here.
    let rc = unsafe { libc::close(fd) };
    match rc {
        0 => Ok(()),
        _ => Err(std::io::Error::last_os_error().raw_os_error().unwrap()),
    }
}

/// The spool's journal entries (`<spool file>.json`: where the data of an upload in flight or
/// failed is going), by the file name they give, with the SHA-256 of the data they keep.
fn sidecars(mount: &Mount) -> BTreeMap<String, (Value, String)> {
    let Ok(dir) = std::fs::read_dir(mount.spool_dir()) else {
        return BTreeMap::new();
    };
    let mut out = BTreeMap::new();
    for e in dir {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let v: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        let size = v["size"].as_u64().unwrap() as usize;
        let data = std::fs::read(p.with_extension("")).unwrap();
        let kept = sha(&data[..size.min(data.len())]);
        out.insert(v["name"].as_str().unwrap().to_owned(), (v, kept));
    }
    out
}

test_both!(fn rsync_and_closes_under_faults_lose_nothing(backend) {
    let args = fault_args();
    let server = Server::start_with(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let src = tempfile::tempdir().unwrap();
    let want = source_tree(src.path());
    assert_eq!(want.len(), 1000);
    let mount = Mount::on(backend, &server, ALICE, &[]);
    let _keep = KeepLogs(&mount, &server, "rsync");

    // 1. rsync, under faults.
    let dst = mount.home().join("backup");
    std::fs::create_dir(&dst).unwrap_or_else(|e| panic!("mkdir: {e}"));
    let started = Instant::now();
    let codes = backup(src.path(), &dst);
    eprintln!("{backend:?}: rsync exits {codes:?} in {:?}", started.elapsed());
    for c in &codes {
        assert_eq!(c.last(), Some(&0), "rsync never ran clean: {codes:?}\n{}", tail(&mount.log()));
    }
    // The faults were there.
    assert!(refused(&server) > 300, "{} refusals", refused(&server));

    // 2. 50 files written with write + close, under faults.
    let direct = mount.home().join("direct");
    std::fs::create_dir(&direct).unwrap_or_else(|e| panic!("mkdir: {e}"));
    let started = Instant::now();
    let closes: Vec<Result<(), i32>> = (0..50)
        .map(|i| write_and_close(&direct.join(format!("f{i:02}")), &direct_content(i)))
        .collect();
    let failed: Vec<usize> = (0..50).filter(|&i| closes[i].is_err()).collect();
    eprintln!("{backend:?}: 50 closes in {:?}, failed: {:?}", started.elapsed(),
        failed.iter().map(|&i| (i, closes[i])).collect::<Vec<_>>());
    for &i in &failed {
        let errno = closes[i].unwrap_err();
        assert!(errno == libc::EIO || errno == libc::ETIMEDOUT, "f{i:02}: close gave errno {errno}");
    }

    // 3. The faults off: the server has what was acknowledged.
    set_faults(&server, 0.0, 0.0);
    let api = Api::new(&server.base, ALICE);
    let (_, root, _) = api.me();
    // The home on either API is the user's root folder.
    let home_id = root;
    let backup_id = api.id_at(&home_id, "backup");
    assert_stored(&api, &backup_id, &want);
    let direct_id = api.id_at(&home_id, "direct");
    let stored = server_tree(&api, &direct_id);
    for i in (0..50).filter(|i| closes[*i].is_ok()) {
        let name = format!("f{i:02}");
        let s = stored.get(&name).unwrap_or_else(|| panic!("{name}: closed with 0, not stored"));
        assert_eq!(server_sha256(&api, &s.id, &s.version).0, sha(&direct_content(i)), "{name}");
    }

    // 4. A failed close kept the data (the mount still shows it); the next close stores it.
    for (name, (entry, kept)) in sidecars(&mount) {
        let i: usize = name.strip_prefix('f').and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("a spool entry for {name:?}: {entry}"));
        assert!(failed.contains(&i), "{name}: close returned 0, yet an upload is pending: {entry}");
        assert_eq!(kept, sha(&direct_content(i)), "{name}: the spool does not hold the data");
    }
    for &i in &failed {
        let path = direct.join(format!("f{i:02}"));
        assert_eq!(sha(&std::fs::read(&path).unwrap()), sha(&direct_content(i)), "f{i:02}");
        let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.sync_all().unwrap_or_else(|e| panic!("f{i:02}: fsync after the faults: {e}\n{}", tail(&mount.log())));
        drop(f);
    }
    assert!(sidecars(&mount).is_empty(), "{:?}", sidecars(&mount));
    let all: BTreeMap<String, String> =
        (0..50).map(|i| (format!("f{i:02}"), sha(&direct_content(i)))).collect();
    assert_stored(&api, &direct_id, &all);
});

/// With `DOCSFS_KEEP_LOGS=DIR`, the mount's and the server's logs are copied there at the end.
struct KeepLogs<'a>(&'a Mount, &'a Server, &'static str);

impl Drop for KeepLogs<'_> {
    fn drop(&mut self) {
        if let Some(dir) = std::env::var_os("DOCSFS_KEEP_LOGS") {
            let dir = Path::new(&dir);
            let b = format!("{:?}", self.0.backend);
            let _ = std::fs::write(dir.join(format!("{}-{b}-mount.log", self.2)), self.0.log());
            let _ = std::fs::write(dir.join(format!("{}-{b}-server.log", self.2)), self.1.log());
        }
    }
}

/// The last lines of a log, for assertion messages.
fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(60)..].join("\n")
}

test_both!(fn reads_under_faults_retry_transparently(backend) {
    let src = tempfile::tempdir().unwrap();
    let tree = src.path().join("big");
    std::fs::create_dir(&tree).unwrap();
    let mut want = BTreeMap::new();
    for i in 0..20u64 {
        let len = (1 << 20) + i * 7 * (1 << 20) / 19;
        let path = tree.join(format!("big{i:02}.bin"));
        write_file(&path, len, i as u8, 1_600_000_000);
        want.insert(format!("big{i:02}.bin"), sha256_file(&path));
    }
    let mut args = fault_args();
    args.extend(["--import".into(), src.path().display().to_string(), "--as".into(), "alice".into()]);
    let server = Server::start_with(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let mount = Mount::on(backend, &server, ALICE, &[]);
    let _keep = KeepLogs(&mount, &server, "reads");
    let started = Instant::now();
    for (name, sha) in &want {
        let path = mount.home().join("big").join(name);
        let mut h = Sha256::new();
        let mut f = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        std::io::copy(&mut f, &mut h)
            .unwrap_or_else(|e| panic!("{name}: {e}\n{}", tail(&mount.log())));
        assert_eq!(&hex::encode(h.finalize()), sha, "{name}");
    }
    eprintln!("{backend:?}: 20 files read in {:?}", started.elapsed());
    assert!(refused(&server) > 0, "no request was refused");
});
