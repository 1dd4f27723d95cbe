//! What the mount costs the server: a cold `find` of N folders makes about N listing calls
//! (counted at the server), a warm one within the metadata TTL makes none.

use std::process::Command;

use super::api::Api;
use super::harness::Mount;
use super::server_process::{ALICE, Server};

fn total(stats: &serde_json::Value) -> u64 {
    stats["total"].as_u64().unwrap()
}

#[test]
fn cold_find_lists_each_folder_once_and_warm_find_costs_nothing() {
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
    let mount = Mount::new(&server, ALICE, &[]);
    let before = api.stats();
    let find = |dir: &std::path::Path| {
        let out = Command::new("find").arg(dir).output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap().lines().count()
    };
    let entries = find(&mount.path);
    assert!(entries > folders * 3, "find saw {entries} entries");
    let cold = api.stats();
    let listings = cold["operations"]["DescribeFolderContents"]
        .as_u64()
        .unwrap_or(0)
        - before["operations"]["DescribeFolderContents"]
            .as_u64()
            .unwrap_or(0);
    let calls = total(&cold) - total(&before);
    // Every folder once, plus the root and the two special folders (the bin is a folder listing,
    // shared-with-me a GetResources call).
    assert!(
        listings as usize > folders,
        "{listings} listings for {folders} folders"
    );
    assert!(
        calls as usize <= folders + 4,
        "a cold find of {folders} folders made {calls} calls: {cold}"
    );
    find(&mount.path);
    let warm = api.stats();
    assert_eq!(total(&warm), total(&cold), "a warm find made calls: {warm}");
}
