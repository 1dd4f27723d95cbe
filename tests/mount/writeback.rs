//! Write-back: `close` returns once the bytes are safe on local disk, uploads follow in the
//! background (coalescing rsync's temporary name, times and rename into one upload), and nothing
//! committed is lost — not to a SIGKILL, not to a server that is down, not to an unmount.
//! Tests that must see "not uploaded yet" use `--write-back-delay 1h`, so that what they check
//! cannot depend on timing; the unmount (which starts every pending upload) or a remount then
//! sends the files.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use super::api::Api;
use super::harness::{Backend, Mount};
use super::server_process::{ALICE, Server};
use super::write_file;

const HOUR: &[&str] = &["--write-back-delay", "3600s"];

/// `n` files of different sizes under `dir`, with mtimes to the nanosecond.
fn source_tree(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..n {
        let path = dir.join(format!("file-{i:02}.bin"));
        write_file(
            &path,
            300 + 977 * i as u64,
            i as u8,
            1_600_000_000 + i as u64,
        );
        let t = SystemTime::UNIX_EPOCH
            + Duration::new(1_600_000_000 + i as u64, 123_456_789 + i as u32);
        let f = std::fs::File::options().write(true).open(&path).unwrap();
        f.set_modified(t).unwrap();
    }
}

fn rsync(from: &Path, to: &Path) {
    let out = Command::new("rsync")
        .arg("-a")
        .arg(format!("{}/", from.display()))
        .arg(to)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "rsync: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The documents of folder `folder` at the server: name → (id, size).
fn documents(api: &Api, folder: &str) -> std::collections::BTreeMap<String, (String, u64)> {
    api.children(folder)
        .into_iter()
        .filter_map(|c| {
            let v = &c["LatestVersionMetadata"];
            Some((
                v["Name"].as_str()?.to_owned(),
                (c["Id"].as_str()?.to_owned(), v["Size"].as_u64()?),
            ))
        })
        .collect()
}

/// Waits (up to 60 s) until folder `folder` at the server holds `n` documents.
fn wait_for_documents(api: &Api, folder: &str, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let have = documents(api, folder).len();
        if have == n {
            return;
        }
        assert!(Instant::now() < deadline, "{have} of {n} documents arrived");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits (up to 60 s) until folder `folder` at the server holds a document named `name`; its
/// (id, size).
fn wait_for_document(api: &Api, folder: &str, name: &str) -> (String, u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(found) = documents(api, folder).remove(name) {
            return found;
        }
        assert!(Instant::now() < deadline, "{name} was not uploaded");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Every file of `src` is at the server in `folder` with its bytes, and the mount shows its
/// exact mtime.
fn assert_arrived(api: &Api, folder: &str, src: &Path, shown: &Path) {
    let docs = documents(api, folder);
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().into_string().unwrap();
        let (id, size) = docs.get(&name).unwrap_or_else(|| panic!("{name} missing"));
        let want = std::fs::read(e.path()).unwrap();
        assert_eq!(*size, want.len() as u64, "{name}");
        assert!(api.content(id) == want, "{name}: other bytes at the server");
        let mtime = e.metadata().unwrap().modified().unwrap();
        let seen = std::fs::metadata(shown.join(&name))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(seen, mtime, "{name}: mtime");
    }
    assert!(
        !docs.keys().any(|n| n.starts_with('.')),
        "a temporary name reached the server: {docs:?}"
    );
}

/// The server's request counts by operation.
fn ops(api: &Api) -> serde_json::Map<String, serde_json::Value> {
    api.stats()["operations"].as_object().cloned().unwrap()
}

fn count(ops: &serde_json::Map<String, serde_json::Value>, op: &str) -> u64 {
    ops.get(op).and_then(|v| v.as_u64()).unwrap_or(0)
}

/// Unmounts from outside and waits for the daemon to exit (it finishes the uploads first).
fn unmount_and_wait(mount: &mut Mount) {
    let status = Command::new("fusermount3")
        .arg("-u")
        .arg(&mount.path)
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    while !mount.exited() {
        assert!(Instant::now() < deadline, "the daemon did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

test_both!(fn rsync_returns_before_the_uploads_and_the_unmount_sends_them_once(backend) {
    let server = Server::start();
    let api = Api::new(&server.base, ALICE);
    let src = tempfile::tempdir().unwrap();
    source_tree(src.path(), 12);
    let mut mount = Mount::on(backend, &server, ALICE, HOUR);
    let dst = mount.home().join("backup");
    std::fs::create_dir(&dst).unwrap();
    rsync(src.path(), &dst);
    // Closed, renamed and timed, but nothing sent yet: everything reads as written.
    let folder = api.id_at(&api.me().1, &home_path(backend, "backup"));
    assert!(documents(&api, &folder).is_empty(), "uploaded before the delay");
    for e in std::fs::read_dir(src.path()).unwrap() {
        let e = e.unwrap();
        let shown = dst.join(e.file_name());
        assert_eq!(std::fs::read(&shown).unwrap(), std::fs::read(e.path()).unwrap());
    }
    let status = crate::crash::status(&mount.cache_dir(), None);
    let pending = status["uploads"].as_array().unwrap();
    assert_eq!(pending.len(), 12, "{status}");
    assert!(pending.iter().all(|u| !u["file"].as_str().unwrap().starts_with('.')), "{status}");
    let before = ops(&api);
    unmount_and_wait(&mut mount);
    let after = ops(&api);
    let log = mount.log();
    assert!(log.contains("waiting for 12 upload(s)"), "{log}");
    assert!(log.contains("every upload is done"), "{log}");
    let remount = Mount::on(backend, &server, ALICE, &["--write-back-delay", "300ms"]);
    let dst = remount.home().join("backup");
    assert_arrived(&api, &folder, src.path(), &dst);
    let delta = |op: &str| count(&after, op) - count(&before, op);
    let total: u64 = after.keys().map(|op| delta(op)).sum();
    match backend {
        // Initiate (with the final name and time), PUT, activate: no rename, no label.
        Backend::WorkDocs => {
            assert_eq!(delta("InitiateDocumentVersionUpload"), 12);
            assert_eq!(total, 36, "requests: {after:?} vs {before:?}");
        }
        // The name check and the create (which carries the time).
        Backend::LogicalDoc => assert!(total <= 24, "{total} requests: {after:?}"),
    }
});

/// The path under the user's root folder at the server of `name` in the mount's home (the
/// LogicalDOC `Default` workspace is that root folder).
fn home_path(_backend: Backend, name: &str) -> String {
    name.to_owned()
}

test_both!(fn a_daemon_killed_right_after_rsync_loses_nothing(backend) {
    let server = Server::start();
    let api = Api::new(&server.base, ALICE);
    let src = tempfile::tempdir().unwrap();
    source_tree(src.path(), 10);
    let mut mount = Mount::on(backend, &server, ALICE, HOUR);
    let dst = mount.home().join("kept");
    std::fs::create_dir(&dst).unwrap();
    rsync(src.path(), &dst);
    mount.kill_hard();
    let folder = api.id_at(&api.me().1, &home_path(backend, "kept"));
    assert!(documents(&api, &folder).is_empty());
    // The next mount on the same cache folder finishes what the journal holds.
    mount.respawn_with(&server, ALICE, &["--write-back-delay", "300ms"]);
    wait_for_documents(&api, &folder, 10);
    assert_arrived(&api, &folder, src.path(), &dst);
});

test_both!(fn a_pending_file_deleted_never_reaches_the_store_and_a_renamed_one_goes_where_it_went(backend) {
    let server = Server::start();
    let api = Api::new(&server.base, ALICE);
    let mut mount = Mount::on(backend, &server, ALICE, HOUR);
    let home = mount.home();
    std::fs::create_dir(home.join("sub")).unwrap();
    std::fs::write(home.join(".swap.swp"), b"editor state").unwrap();
    std::fs::write(home.join("draft.txt"), b"final words").unwrap();
    assert_eq!(std::fs::metadata(home.join("draft.txt")).unwrap().len(), 11);
    std::fs::remove_file(home.join(".swap.swp")).unwrap();
    std::fs::rename(home.join("draft.txt"), home.join("sub/final.txt")).unwrap();
    assert_eq!(std::fs::read(home.join("sub/final.txt")).unwrap(), b"final words");
    unmount_and_wait(&mut mount);
    let root = api.me().1;
    let home_id = root.clone();
    let top = documents(&api, &home_id);
    assert!(top.is_empty(), "{top:?}");
    let sub = documents(&api, &api.id_at(&home_id, "sub"));
    assert_eq!(sub.keys().collect::<Vec<_>>(), ["final.txt"]);
    assert_eq!(api.content(&sub["final.txt"].0), b"final words");
    // Nothing was made and deleted at the store: the recycle bin is empty.
    let remount = Mount::on(backend, &server, ALICE, &[]);
    let binned: Vec<_> = std::fs::read_dir(remount.bin()).unwrap().collect();
    assert!(binned.is_empty(), "{binned:?}");
});

test_both!(fn with_the_server_down_close_still_returns_and_the_uploads_resume_by_themselves(backend) {
    let mut server = Server::start();
    let api = Api::new(&server.base, ALICE);
    let mount = Mount::on(backend, &server, ALICE, &["--write-back-delay", "0", "--timeout", "3"]);
    let home = mount.home();
    std::fs::create_dir(home.join("offline")).unwrap();
    // Listed while the server is up, so that creating in it asks nothing.
    assert!(std::fs::read_dir(home.join("offline")).unwrap().next().is_none());
    server.stop();
    for i in 0..3 {
        std::fs::write(home.join(format!("offline/f{i}.txt")), format!("kept {i}")).unwrap();
    }
    // The status shows them waiting (with a reason once an attempt failed).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let s = crate::crash::status(&mount.cache_dir(), None);
        let queues = &s["upload_queues"];
        let waiting = queues[0][1]["pending_files"].as_u64().unwrap_or(0);
        let failing = queues[0][1]["failing"].as_array().map_or(0, Vec::len);
        if waiting == 3 && failing > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{s}");
        std::thread::sleep(Duration::from_millis(100));
    }
    server.restart_on_same_port();
    let folder = api.id_at(&api.me().1, &home_path(backend, "offline"));
    wait_for_documents(&api, &folder, 3);
    for (name, (id, _)) in documents(&api, &folder) {
        let i = &name[1..2];
        assert_eq!(api.content(&id), format!("kept {i}").as_bytes());
    }
});

test_both!(fn fsync_waits_for_the_upload_and_returns_its_error(backend) {
    let server = Server::start();
    let api = Api::new(&server.base, ALICE);
    let mount = Mount::on(backend, &server, ALICE, &["--timeout", "2", "--write-back-delay", "300ms"]);
    let path = mount.home().join("synced.txt");
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(b"first").unwrap();
    crate::faults::set_faults(&server, 1.0, 0.0);
    let err = f.sync_all().expect_err("fsync with every request failing");
    assert!(err.raw_os_error().is_some(), "{err}");
    crate::faults::set_faults(&server, 0.0, 0.0);
    f.sync_all().unwrap();
    // fsync returned 0: the server has the bytes now, whatever the delay.
    let id = api.id_at(&api.me().1, &home_path(backend, "synced.txt"));
    assert_eq!(api.content(&id), b"first");
});

test_both!(fn sync_close_uploads_before_close_returns(backend) {
    let server = Server::start();
    let api = Api::new(&server.base, ALICE);
    let mount = Mount::on(backend, &server, ALICE, &["--sync-close"]);
    std::fs::write(mount.home().join("now.txt"), b"at once").unwrap();
    let id = api.id_at(&api.me().1, &home_path(backend, "now.txt"));
    assert_eq!(api.content(&id), b"at once");
});

test_both!(fn past_max_pending_close_waits_for_uploads_instead_of_failing(backend) {
    let server = Server::start();
    let api = Api::new(&server.base, ALICE);
    let mut args = HOUR.to_vec();
    args.extend(["--max-pending", "100K"]);
    let mount = Mount::on(backend, &server, ALICE, &args);
    let home = mount.home();
    let folder = api.me().1;
    std::fs::write(home.join("a.bin"), vec![1u8; 60_000]).unwrap();
    // Within the bound: nothing sent (the delay is an hour).
    assert!(documents(&api, &folder).is_empty());
    // Past it: this close waits until uploads bring the pending bytes back under the bound.
    std::fs::write(home.join("b.bin"), vec![2u8; 60_000]).unwrap();
    let docs = documents(&api, &folder);
    assert!(!docs.is_empty(), "close returned with 120 kB pending");
    for (name, (id, _)) in docs {
        assert_eq!(api.content(&id), std::fs::read(home.join(&name)).unwrap());
    }
});

test_both!(fn an_upload_that_can_never_succeed_goes_to_lost_and_found(backend) {
    let server = Server::start();
    let api = Api::new(&server.base, ALICE);
    let mut args = HOUR.to_vec();
    // WorkDocs: room for three attempts 1 and 2 s apart; LogicalDOC retries until the wait ends.
    let wait = match backend {
        Backend::WorkDocs => "30",
        Backend::LogicalDoc => "3",
    };
    args.extend(["--unmount-wait", wait]);
    let mut mount = Mount::on(backend, &server, ALICE, &args);
    let dir = mount.home().join("doomed");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("orphan.txt"), b"nowhere to go").unwrap();
    // Another client deletes the folder for good before the upload starts.
    let folder = api.id_at(&api.me().1, &home_path(backend, "doomed"));
    api.call("DELETE", &format!("/api/v1/folders/{folder}"), None);
    unmount_and_wait(&mut mount);
    let log = mount.log();
    let lost = mount.cache_dir().join("lost+found");
    let status = crate::crash::status(&mount.cache_dir(), None);
    match backend {
        // WorkDocs says the folder is gone: the file is kept in lost+found, with the journal
        // entry saying why, and named by `docsfs status`.
        Backend::WorkDocs => {
            assert!(log.contains("can never succeed"), "{log}");
            let kept: Vec<_> = std::fs::read_dir(&lost)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| !p.to_string_lossy().ends_with(".json"))
                .collect();
            assert_eq!(kept.len(), 1, "{kept:?}");
            assert_eq!(std::fs::read(&kept[0]).unwrap(), b"nowhere to go");
            let entry = std::fs::read_to_string(format!("{}.json", kept[0].display())).unwrap();
            assert!(entry.contains("orphan.txt") && entry.contains("failed"), "{entry}");
            assert_eq!(status["lost_and_found"].as_array().unwrap().len(), 1, "{status}");
        }
        // LogicalDOC refuses the permission on a deleted folder, as it does for a folder one may
        // no longer write: retried, never dropped — the journal keeps it for the next mount.
        Backend::LogicalDoc => {
            assert!(log.contains("stopped waiting for uploads"), "{log}");
            let uploads = status["uploads"].as_array().unwrap();
            assert_eq!(uploads.len(), 1, "{status}");
            assert_eq!(uploads[0]["file"], "orphan.txt");
            assert!(uploads[0]["error"].as_str().unwrap().contains("denied"), "{status}");
        }
    }
});

test_both!(fn a_big_file_uploads_while_its_close_syncs_it_and_survives_a_kill(backend) {
    let server = Server::start();
    let api = Api::new(&server.base, ALICE);
    // An hour's delay: a small file would wait; a big one (≥ 64 MiB) starts at once.
    let mut mount = Mount::on(backend, &server, ALICE, HOUR);
    let src = tempfile::tempdir().unwrap();
    let local = src.path().join("big.bin");
    write_file(&local, 80 << 20, 7, 1_650_000_000);
    let want = crate::sha256_file(&local);
    let copy = mount.home().join("big.bin");
    std::fs::copy(&local, &copy).unwrap();
    let root = api.me().1;
    let (id, size) = wait_for_document(&api, &root, "big.bin");
    assert_eq!(size, 80 << 20);
    let got = api.content(&id);
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&got))
    };
    assert_eq!(sha, want);
    // Another, killed right after its close: what the close promised reaches the store.
    let second = mount.home().join("big2.bin");
    std::fs::copy(&local, &second).unwrap();
    mount.kill_hard();
    mount.respawn_with(&server, ALICE, &["--write-back-delay", "300ms"]);
    let (id, _) = wait_for_document(&api, &root, "big2.bin");
    assert!(api.content(&id) == got);
});

test_both!(fn sigterm_sends_what_is_pending_before_the_daemon_exits(backend) {
    let server = Server::start();
    let api = Api::new(&server.base, ALICE);
    let mut mount = Mount::on(backend, &server, ALICE, HOUR);
    std::fs::write(mount.home().join("last.txt"), b"sent on the way out").unwrap();
    let root = api.me().1;
    assert!(documents(&api, &root).is_empty());
    // systemctl stop, Ctrl-C: unmount, then the pending uploads, then a clean exit.
    assert!(mount.terminate().success());
    let (id, _) = documents(&api, &root)["last.txt"].clone();
    assert_eq!(api.content(&id), b"sent on the way out");
    assert!(mount.log().contains("every upload is done"), "{}", mount.log());
});
