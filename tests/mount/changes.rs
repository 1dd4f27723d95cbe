//! The change feed: two mounts of one server, each trusting its cache for an hour
//! (`--metadata-ttl 3600`) but polling every second (`--poll-interval 1`), see each other's
//! creates, renames, deletes and new versions without waiting out the TTL — in listings, in
//! `stat`, and in content the kernel had cached. On WorkDocs the changes come from
//! DescribeActivities; on LogicalDOC the recently used folders are listed again.

use std::path::Path;
use std::time::{Duration, Instant};

use super::harness::Mount;
use super::names;
use super::server_process::{ALICE, Server};

const ARGS: &[&str] = &["--metadata-ttl", "3600", "--poll-interval", "1"];

/// Waits (up to a minute) until `done` holds, then returns; panics with `what` otherwise.
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn read(path: &Path) -> Option<Vec<u8>> {
    std::fs::read(path).ok()
}

test_both!(fn a_second_mount_sees_creates_renames_deletes_and_new_versions(backend) {
    let server = Server::start();
    let a = Mount::on(backend, &server, ALICE, ARGS);
    let b = Mount::on(backend, &server, ALICE, ARGS);
    let (ha, hb) = (a.home(), b.home());
    std::fs::create_dir(ha.join("dir")).unwrap();
    for (name, body) in [("kept.txt", "v1"), ("old-name.txt", "o"), ("doomed.txt", "d")] {
        std::fs::write(ha.join("dir").join(name), body).unwrap();
    }
    // The second mount lists the folder and reads a file: the kernel caches the name, the
    // attributes (for the hour) and the pages.
    let (da, db) = (ha.join("dir"), hb.join("dir"));
    assert_eq!(names(&db), ["doomed.txt", "kept.txt", "old-name.txt"]);
    assert_eq!(read(&db.join("kept.txt")).unwrap(), b"v1");
    assert_eq!(std::fs::metadata(db.join("kept.txt")).unwrap().len(), 2);

    std::fs::write(da.join("new.txt"), "n").unwrap();
    std::fs::rename(da.join("old-name.txt"), da.join("new-name.txt")).unwrap();
    std::fs::remove_file(da.join("doomed.txt")).unwrap();
    std::fs::write(da.join("kept.txt"), "version two").unwrap();

    eventually("the second mount lists the changed folder", || {
        names(&db) == ["kept.txt", "new-name.txt", "new.txt"]
    });
    eventually("the new version's content reaches the second mount", || {
        read(&db.join("kept.txt")).as_deref() == Some(b"version two".as_slice())
    });
    assert_eq!(std::fs::metadata(db.join("kept.txt")).unwrap().len(), 11);
    assert!(!db.join("doomed.txt").exists());
    assert!(!db.join("old-name.txt").exists());
    assert_eq!(read(&db.join("new-name.txt")).unwrap(), b"o");

    // And the other way round.
    std::fs::write(db.join("from-b.txt"), "b").unwrap();
    eventually("the first mount sees the second's file", || {
        read(&da.join("from-b.txt")).as_deref() == Some(b"b".as_slice())
    });
});

test_both!(fn without_polling_the_cache_is_trusted_for_the_ttl(backend) {
    let server = Server::start();
    let quiet = ["--metadata-ttl", "3600", "--poll-interval", "0"];
    let a = Mount::on(backend, &server, ALICE, ARGS);
    let b = Mount::on(backend, &server, ALICE, &quiet);
    std::fs::create_dir(a.home().join("d")).unwrap();
    assert!(names(&b.home().join("d")).is_empty());
    std::fs::write(a.home().join("d/late.txt"), "x").unwrap();
    std::thread::sleep(Duration::from_secs(3));
    assert!(names(&b.home().join("d")).is_empty(), "no poll, no refresh within the TTL");
});
