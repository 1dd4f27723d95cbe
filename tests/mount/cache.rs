//! The content cache on real mounts, through both APIs: a remount on the same cache folder reads
//! every file without a content request; a version another client replaces is read anew; a
//! corrupt or truncated cache file is detected and fetched again; a full cache disk still serves
//! reads; `--cache-size` bounds what is kept, and 0 turns the cache off.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::api::Api;
use super::harness::{Backend, Mount, mount_command};
use super::server_process::{ALICE, Server};
use super::{pattern_byte, write_file};

/// Content requests the server has answered (WorkDocs content URLs, LogicalDOC's servlet).
pub fn content_requests(api: &Api) -> u64 {
    let s = api.stats();
    let op = |name: &str| s["operations"][name].as_u64().unwrap_or(0);
    op("Content GET") + op("LogicalDOC download")
}

pub fn expected(len: u64, seed: u8) -> Vec<u8> {
    (0..len).map(|o| pattern_byte(o, seed)).collect()
}

/// A folder `tree` to import: 12 small files (0.5–40 KB) and one of 3 MB.
fn source_tree() -> (tempfile::TempDir, Vec<(String, u64, u8)>) {
    let src = tempfile::tempdir().unwrap();
    let dir = src.path().join("tree");
    std::fs::create_dir(&dir).unwrap();
    let mut files = Vec::new();
    for i in 0..12u8 {
        let len = 500 + u64::from(i) * 3_500;
        files.push((format!("small-{i:02}.bin"), len, i));
    }
    files.push(("big.bin".to_owned(), 3_000_000 + 17, 99));
    for (name, len, seed) in &files {
        write_file(&dir.join(name), *len, *seed, 1_700_000_000);
    }
    (src, files)
}

pub fn import(src: &Path) -> Server {
    Server::start_with(&["--import", src.to_str().unwrap(), "--as", "alice"])
}

fn read_all(dir: &Path, files: &[(String, u64, u8)]) {
    for (name, len, seed) in files {
        let got = std::fs::read(dir.join(name)).unwrap();
        assert!(got == expected(*len, *seed), "{name} read back wrong");
    }
}

fn data_files(cache: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for sub in std::fs::read_dir(cache.join("content"))
        .into_iter()
        .flatten()
        .flatten()
    {
        for f in std::fs::read_dir(sub.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            if f.path().extension().is_some_and(|e| e == "data") {
                out.push(f.path());
            }
        }
    }
    out
}

/// Bytes the cache's data files take on disk.
fn cached_bytes(cache: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let files = data_files(cache);
    files
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.blocks() * 512))
        .sum()
}

test_both!(fn a_remount_on_the_same_cache_reads_without_content_requests(backend) {
    let (src, files) = source_tree();
    let server = import(src.path());
    let api = Api::new(&server.base, ALICE);
    let mut mount = Mount::on(backend, &server, ALICE, &[]);
    let dir = mount.home().join("tree");
    let before = content_requests(&api);
    read_all(&dir, &files);
    let cold = content_requests(&api) - before;
    assert!(cold >= files.len() as u64, "{cold} content requests for {} files", files.len());
    // A file written through the mount is put in the cache when uploaded.
    write_file(&mount.home().join("written.bin"), 200_000, 5, 1_700_000_000);

    mount.terminate();
    mount.respawn(&server, ALICE);
    let before = content_requests(&api);
    read_all(&dir, &files);
    read_all(&mount.home(), &[("written.bin".into(), 200_000, 5)]);
    assert_eq!(content_requests(&api), before, "reads after a remount went to the server");
    let status = Command::new(env!("CARGO_BIN_EXE_docsfs"))
        .args(["status", "--cache-dir"])
        .arg(mount.cache_dir())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(text.contains("content cache: 14 versions"), "{text}");
});

test_both!(fn a_version_replaced_by_another_client_is_read_anew(backend) {
    let server = Server::start();
    let args = ["--metadata-ttl", "3600", "--poll-interval", "1"];
    let a = Mount::on(backend, &server, ALICE, &args);
    let b = Mount::on(backend, &server, ALICE, &args);
    std::fs::write(a.home().join("doc.txt"), "version one").unwrap();
    let at_b = b.home().join("doc.txt");
    wait_until("b sees the file", || std::fs::read(&at_b).ok().as_deref() == Some(b"version one"));
    // Same size, other bytes: only the version id tells them apart.
    std::fs::write(a.home().join("doc.txt"), "version two").unwrap();
    wait_until("b reads the new version", || {
        std::fs::read(&at_b).ok().as_deref() == Some(b"version two")
    });
    // LogicalDOC has no change feed: a folder found changed is polled again once it is listed
    // (docs/SEMANTICS.md, "Other clients' changes").
    assert!(crate::names(&b.home()).contains(&"doc.txt".to_owned()));
    std::fs::write(a.home().join("doc.txt"), "the third, longer version").unwrap();
    wait_until("b reads the third version", || {
        std::fs::read(&at_b).ok().as_deref() == Some(b"the third, longer version")
    });
});

test_both!(fn corrupt_and_truncated_cache_files_are_fetched_again(backend) {
    let (src, files) = source_tree();
    let server = import(src.path());
    let api = Api::new(&server.base, ALICE);
    let mut mount = Mount::on(backend, &server, ALICE, &[]);
    let dir = mount.home().join("tree");
    read_all(&dir, &files);
    mount.terminate();
    let data = data_files(&mount.cache_dir());
    assert_eq!(data.len(), files.len());
    // Every cached file damaged: odd ones get a flipped byte, even ones are cut short.
    for (i, path) in data.iter().enumerate() {
        let mut raw = std::fs::read(path).unwrap();
        if i % 2 == 1 {
            let at = raw.len() / 2;
            raw[at] ^= 0x40;
        } else {
            raw.truncate(raw.len() / 2);
        }
        std::fs::write(path, raw).unwrap();
    }
    mount.respawn(&server, ALICE);
    let before = content_requests(&api);
    read_all(&dir, &files);
    let refetched = content_requests(&api) - before;
    assert!(refetched >= files.len() as u64, "only {refetched} content requests");
    assert!(mount.log().contains("corrupt"), "the log does not say so");
    // And now the small files are whole again (of the big one, the part read before its
    // damage was found is fetched again at its next read).
    mount.terminate();
    mount.respawn(&server, ALICE);
    let before = content_requests(&api);
    read_all(&dir, &files[..files.len() - 1]);
    assert_eq!(content_requests(&api), before);
    read_all(&dir, &files[files.len() - 1..]);
});

/// A tmpfs of `size` mounted on `path` while it lives.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(path: &Path, size: &str) -> Self {
        std::fs::create_dir_all(path).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .status()
            .unwrap();
        assert!(ok.success(), "mount tmpfs");
        Self(path.to_owned())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

test_both!(fn a_full_cache_disk_still_serves_reads(backend) {
    let (src, files) = source_tree();
    let server = import(src.path());
    // The cache folder's content/ is a 1 MiB disk, the cache allowed 1 GiB.
    let dir = tempfile::tempdir().unwrap();
    let disk = Tmpfs::mount(&dir.path().join("cache/content"), "1m");
    let mut cmd = mount_command(backend, &server, ALICE, dir.path());
    cmd.args(["--cache-size", "1G"]);
    let mount = Mount::spawn(backend, dir, cmd, true);
    let dir = mount.home().join("tree");
    read_all(&dir, &files);
    read_all(&dir, &files);
    assert!(mount.log().contains("cannot write to the content cache"), "{}", mount.log());
    drop(mount);
    drop(disk);
});

test_both!(fn cache_size_bounds_what_is_kept_and_zero_turns_it_off(backend) {
    let src = tempfile::tempdir().unwrap();
    std::fs::create_dir(src.path().join("tree")).unwrap();
    let files: Vec<(String, u64, u8)> =
        (0..6u8).map(|i| (format!("f{i}.bin"), 1_000_000, i)).collect();
    for (name, len, seed) in &files {
        write_file(&src.path().join("tree").join(name), *len, *seed, 1_700_000_000);
    }
    let server = import(src.path());
    let api = Api::new(&server.base, ALICE);
    let bounded = Mount::on(backend, &server, ALICE, &["--cache-size", "3M"]);
    read_all(&bounded.home().join("tree"), &files);
    let kept = cached_bytes(&bounded.cache_dir());
    assert!(kept <= 3 << 20, "{kept} bytes cached over a 3 MiB bound");
    assert!(kept >= 2_000_000, "only {kept} bytes cached");
    drop(bounded);

    let mut off = Mount::on(backend, &server, ALICE, &["--cache-size", "0"]);
    read_all(&off.home().join("tree"), &files);
    assert!(data_files(&off.cache_dir()).is_empty());
    off.terminate();
    off.respawn(&server, ALICE);
    let before = content_requests(&api);
    read_all(&off.home().join("tree"), &files);
    assert!(content_requests(&api) >= before + files.len() as u64);
});

pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn cached_reads_equal_the_store_under_fsx() {
    // A file read through the cache (after a remount) gives the bytes the store has at every
    // offset and length, including ranges a seek leaves half-cached.
    let src = tempfile::tempdir().unwrap();
    std::fs::create_dir(src.path().join("tree")).unwrap();
    let len = 5_000_000 + 3;
    write_file(&src.path().join("tree/file.bin"), len, 42, 1_700_000_000);
    let server = import(src.path());
    let mut mount = Mount::on(Backend::WorkDocs, &server, ALICE, &[]);
    let path = mount.home().join("tree/file.bin");
    let want = expected(len, 42);
    let check = |path: &Path| {
        use std::os::unix::fs::FileExt;
        let f = std::fs::File::open(path).unwrap();
        let mut seed = 12345u64;
        for _ in 0..200 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let off = (seed >> 33) % len;
            let n = ((seed >> 13) % 300_000) as usize + 1;
            let mut buf = vec![0u8; n];
            let got = f.read_at(&mut buf, off).unwrap();
            let end = (off as usize + got).min(want.len());
            assert_eq!(&buf[..got], &want[off as usize..end], "at {off}+{n}");
        }
    };
    // Cold: random reads leave some blocks cached and some not.
    check(&path);
    mount.terminate();
    mount.respawn(&server, ALICE);
    check(&path);
    assert_eq!(std::fs::read(&path).unwrap(), want);
    mount.terminate();
    mount.respawn(&server, ALICE);
    check(&path);
}

test_both!(fn files_read_in_order_are_prefetched_once_and_read_exactly(backend) {
    // 40 small files in a folder of which two are read, 40 in one read whole, 10 in one of
    // which one is read.
    let src = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (dir, n) in [("two", 40u8), ("all", 40), ("one", 10)] {
        std::fs::create_dir(src.path().join(dir)).unwrap();
        for i in 0..n {
            let len = 300 + u64::from(i) * 1_000;
            write_file(&src.path().join(dir).join(format!("f{i:02}.txt")), len, i, 1_700_000_000);
            if dir == "all" {
                files.push((format!("f{i:02}.txt"), len, i));
            }
        }
    }
    let server = import(src.path());
    let api = Api::new(&server.base, ALICE);
    let mount = Mount::on(backend, &server, ALICE, &[]);
    // Listed first, as `cat *` or `grep -r` would.
    for (dir, n) in [("two", 40), ("all", 40), ("one", 10)] {
        assert_eq!(crate::names(&mount.home().join(dir)).len(), n);
    }
    let (before, cached) = (content_requests(&api), data_files(&mount.cache_dir()).len());
    read_all(&mount.home().join("two"), &files[..2]);
    // Two files read begin a run: the next four are fetched ahead, into the cache, unasked.
    wait_until("the next files are fetched ahead", || {
        data_files(&mount.cache_dir()).len() >= cached + 6
    });
    assert_eq!(data_files(&mount.cache_dir()).len(), cached + 6);
    assert_eq!(content_requests(&api) - before, 6);
    // What was fetched ahead reads exactly, and the run goes on, its window doubling per
    // open: after six opens, the rest of the folder.
    read_all(&mount.home().join("two"), &files[..6]);
    wait_until("the rest of the folder is fetched ahead", || {
        data_files(&mount.cache_dir()).len() >= cached + 40
    });
    assert_eq!(content_requests(&api) - before, 40);
    // The run carries over to the next folder, read whole: every file fetched once, what was
    // fetched ahead being what was read next.
    let before = content_requests(&api);
    read_all(&mount.home().join("all"), &files);
    assert_eq!(content_requests(&api) - before, 40);
    // And on to the next: one file opened there, and the files after it are fetched ahead.
    let cached = data_files(&mount.cache_dir()).len();
    read_all(&mount.home().join("one"), &files[..1]);
    wait_until("the run carried over to the next folder", || {
        data_files(&mount.cache_dir()).len() >= cached + 5
    });
    read_all(&mount.home().join("one"), &files[..10]);
});
