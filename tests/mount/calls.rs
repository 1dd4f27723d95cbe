//! What the mount costs the server: a cold `find` of N folders makes about N listing calls
//! (counted at the server), a warm one within the metadata TTL makes none — through either API.
//!
//! The look-ahead test is WorkDocs only: look-ahead is the core's, and its expected counts are
//! written in WorkDocs listings.

use std::process::Command;

use super::api::Api;
use super::harness::{Backend, Mount};
use super::server_process::{ALICE, Server};

fn total(stats: &serde_json::Value) -> u64 {
    stats["total"].as_u64().unwrap()
}

fn count(stats: &serde_json::Value, op: &str) -> u64 {
    stats["operations"][op].as_u64().unwrap_or(0)
}

test_both!(fn cold_find_lists_each_folder_once_and_warm_find_costs_nothing(backend) {
    let src = tempfile::tempdir().unwrap();
    let mut folders = 0;
    for a in 0..5 {
        for b in 0..8 {
            let dir = src.path().join(format!("a{a}/b{b}"));
            std::fs::create_dir_all(&dir).unwrap();
            for f in 0..3 {
                std::fs::write(dir.join(format!("f{f}.txt")), b"x").unwrap();
            }
            folders += 1;
        }
        folders += 1;
    }
    let server = Server::start_with(&["--import", src.path().to_str().unwrap(), "--as", "alice"]);
    let api = Api::new(&server.base, ALICE);
    let mount = Mount::on(backend, &server, ALICE, &[]);
    let before = api.stats();
    let find = |dir: &std::path::Path| {
        let out = Command::new("find").arg(dir).output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap().lines().count()
    };
    let entries = find(&mount.path);
    assert!(entries > folders * 3, "find saw {entries} entries");
    let cold = api.stats();
    let listed = |op: &str| count(&cold, op) - count(&before, op);
    let calls = (total(&cold) - total(&before)) as usize;
    match backend {
        Backend::WorkDocs => {
            // Every folder once, plus the root and the two special folders (the bin is a
            // folder listing, shared-with-me a GetResources call).
            let listings = listed("DescribeFolderContents") as usize;
            assert!(listings > folders, "{listings} listings for {folders} folders");
            assert!(calls <= folders + 4, "a cold find of {folders} folders made {calls} calls: {cold}");
        }
        Backend::LogicalDoc => {
            // Every folder (the root and Default too) once: its subfolders, then one page of
            // documents; plus one `isWritable` per folder, asked when its parent is listed.
            let subfolders = listed("LogicalDOC folder/listChildren") as usize;
            let documents = listed("LogicalDOC document/listPaginated") as usize;
            assert_eq!(subfolders, folders + 2, "{cold}");
            assert_eq!(documents, folders + 1, "{cold}");
            assert!(calls <= 3 * (folders + 2), "a cold find of {folders} folders made {calls} calls: {cold}");
        }
    }
    find(&mount.path);
    let warm = api.stats();
    assert_eq!(total(&warm), total(&cold), "a warm find made calls: {warm}");
});

/// Listings the server has answered so far.
fn listings(api: &Api) -> u64 {
    api.stats()["operations"]["DescribeFolderContents"]
        .as_u64()
        .unwrap_or(0)
}

#[test]
fn reading_a_folder_lists_its_subfolders_ahead_unless_disabled() {
    let server = Server::start();
    let api = Api::new(&server.base, ALICE);
    let (_, root, _) = api.me();
    for i in 0..6 {
        let sub = api.mkdir(&root, &format!("sub{i}"));
        api.upload(&sub, "f.txt", b"x");
    }
    for (lookahead, expect_ahead) in [("8", true), ("0", false)] {
        let mount = Mount::on(
            Backend::WorkDocs,
            &server,
            ALICE,
            &["--lookahead", lookahead],
        );
        let before = listings(&api);
        std::fs::read_dir(&mount.path).unwrap().for_each(drop);
        // The root, plus (with look-ahead) the six subfolders and the recycle bin, unasked.
        let want = before + if expect_ahead { 8 } else { 1 };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while listings(&api) < want && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert_eq!(listings(&api), want, "--lookahead {lookahead}");
        // Walking into a folder listed ahead costs nothing more.
        std::fs::read_dir(mount.path.join("sub3"))
            .unwrap()
            .for_each(drop);
        assert_eq!(
            listings(&api),
            want + u64::from(!expect_ahead),
            "--lookahead {lookahead}"
        );
    }
}
