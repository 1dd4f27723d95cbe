//! FUSE passthrough of cached files on real mounts, through both APIs: a file whose version is
//! whole in the cache is read by the kernel from the cache file, giving the same bytes at every
//! offset as reads through docsfs (`--no-passthrough`) and the store; a write to a file while a
//! reader passes through waits for that reader's `release`, and fails with EBUSY only while the
//! reader really stays open.

use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::{Duration, Instant};

use super::api::Api;
use super::cache::{content_requests, expected, import, wait_until};
use super::harness::Mount;
use super::server_process::{ALICE, Server};
use super::write_file;

/// The mount's published cache counters (`<cache>/mounts/<pid>.content.json`, every 2 s).
fn counters(mount: &Mount) -> serde_json::Value {
    let dir = mount.cache_dir().join("mounts");
    for f in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if f.file_name().to_string_lossy().ends_with(".content.json") {
            if let Ok(v) = serde_json::from_slice(&std::fs::read(f.path()).unwrap_or_default()) {
                return v;
            }
        }
    }
    serde_json::Value::Null
}

/// Random reads (seeded) of `path` compared with `want`, then the whole file.
fn random_reads(path: &Path, want: &[u8]) {
    let f = std::fs::File::open(path).unwrap();
    let len = want.len() as u64;
    let mut seed = 99u64;
    for _ in 0..300 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let off = (seed >> 33) % (len + 10);
        let n = ((seed >> 13) % 200_000) as usize + 1;
        let mut buf = vec![0u8; n];
        let got = f.read_at(&mut buf, off).unwrap();
        let start = (off as usize).min(want.len());
        let end = (start + n).min(want.len());
        assert_eq!(got, end - start, "length at {off}+{n}");
        assert!(buf[..got] == want[start..end], "bytes at {off}+{n}");
    }
    assert!(std::fs::read(path).unwrap() == want, "whole file");
}

fn tree() -> (tempfile::TempDir, Vec<(String, Vec<u8>)>) {
    let src = tempfile::tempdir().unwrap();
    std::fs::create_dir(src.path().join("tree")).unwrap();
    let mut files = Vec::new();
    for (i, len) in [700u64, 65_536, 1_048_576, 5_000_003]
        .into_iter()
        .enumerate()
    {
        let name = format!("f{i}.bin");
        write_file(
            &src.path().join("tree").join(&name),
            len,
            i as u8,
            1_700_000_000,
        );
        files.push((name, expected(len, i as u8)));
    }
    (src, files)
}

test_both!(fn reads_with_passthrough_on_and_off_give_the_stores_bytes(backend) {
    let (src, files) = tree();
    let server = import(src.path());
    let api = Api::new(&server.base, ALICE);
    let mut mount = Mount::on(backend, &server, ALICE, &[]);
    let dir = mount.home().join("tree");
    // Cold: every read through docsfs, which fills the cache (read whole first: random reads
    // alone leave pages the kernel cached that docsfs never sees, so never caches).
    for (name, want) in &files {
        assert!(std::fs::read(dir.join(name)).unwrap() == *want);
        random_reads(&dir.join(name), want);
    }
    assert!(mount.log().contains("passthrough on"), "{}", mount.log());
    // Now whole in the cache: the next opens pass through, and nothing is asked of the store.
    let before = content_requests(&api);
    for (name, want) in &files {
        random_reads(&dir.join(name), want);
    }
    assert_eq!(content_requests(&api), before);
    // Every open passed through (two per file).
    wait_until("the opens are counted as passed through", || {
        counters(&mount)["passthrough_opens"].as_u64().unwrap_or(0) >= 2 * files.len() as u64
    });
    // The same after a remount (every block checked again before the kernel gets the file).
    mount.terminate();
    mount.respawn(&server, ALICE);
    for (name, want) in &files {
        random_reads(&dir.join(name), want);
    }
    wait_until("passed through after a remount", || {
        counters(&mount)["passthrough_opens"].as_u64().unwrap_or(0) >= 2 * files.len() as u64
    });
    assert_eq!(content_requests(&api), before);
    // And with passthrough off, the same bytes through docsfs, from the cache.
    mount.terminate();
    mount.respawn_with(&server, ALICE, &["--no-passthrough"]);
    for (name, want) in &files {
        random_reads(&dir.join(name), want);
    }
    assert_eq!(content_requests(&api), before);
    wait_until("served from the cache by docsfs", || {
        let c = counters(&mount);
        c["passthrough"] == false && c["bytes_served"].as_u64().unwrap_or(0) > 0
    });
    assert_eq!(counters(&mount)["passthrough_opens"], 0);
    assert!(mount.log().contains("passthrough off (--no-passthrough)"));
});

test_both!(fn a_write_waits_for_passed_through_readers_to_be_released(backend) {
    let server = Server::start();
    let mount = Mount::on(backend, &server, ALICE, &[]);
    let path = mount.home().join("log.txt");
    let mut want = b"first line\n".to_vec();
    std::fs::write(&path, &want).unwrap();
    // Read then append at once, again and again: the reader's release reaches docsfs after
    // its close returned, and the write open waits for it rather than failing.
    for i in 0..20 {
        assert_eq!(std::fs::read(&path).unwrap(), want);
        let line = format!("line {i}\n");
        let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
        std::io::Write::write_all(&mut f, line.as_bytes()).unwrap();
        drop(f);
        want.extend_from_slice(line.as_bytes());
    }
    wait_until("reads passed through", || {
        counters(&mount)["passthrough_opens"].as_u64().unwrap_or(0) > 0
    });
    // A reader that stays open: a write open fails with EBUSY after the wait, and works once
    // the reader is closed; the reader meanwhile still reads its version.
    let reader = std::fs::File::open(&path).unwrap();
    let started = Instant::now();
    let err = std::fs::OpenOptions::new().append(true).open(&path).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EBUSY), "{err}");
    assert!(started.elapsed() >= Duration::from_millis(900));
    let mut buf = vec![0u8; want.len()];
    assert_eq!(reader.read_at(&mut buf, 0).unwrap(), want.len());
    assert_eq!(buf, want);
    drop(reader);
    std::fs::OpenOptions::new().append(true).open(&path).unwrap();
});
