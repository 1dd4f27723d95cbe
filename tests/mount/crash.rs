//! A daemon killed with SIGKILL in the middle of 100 concurrent writes loses nothing that was
//! acknowledged: after a remount on the same cache folder (which finishes the uploads the dead
//! daemon left in its journal), every file whose `close` returned 0 is at the server intact,
//! and every other file is either complete or absent — never truncated or mixed.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::fd::IntoRawFd;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::api::Api;
use super::harness::Mount;
use super::pattern_byte;
use super::server_process::{ALICE, Server};

const FILES: usize = 100;

/// `docsfs status --json` of cache folder `cache` (and mountpoint `only`).
pub(super) fn status(cache: &std::path::Path, only: Option<&std::path::Path>) -> serde_json::Value {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_docsfs"));
    cmd.args(["status", "--json", "--cache-dir"]).arg(cache);
    if let Some(mp) = only {
        cmd.arg(mp);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
const CHUNK: usize = 64 * 1024;

/// File `i`'s whole content: 1–8 chunks of its own pattern.
fn content(i: usize) -> Vec<u8> {
    let len = CHUNK * (1 + i % 8);
    (0..len as u64).map(|o| pattern_byte(o, i as u8)).collect()
}

/// Writes file `i` chunk by chunk (pausing between chunks) and closes it; whether `close`
/// returned 0.
fn write_one(path: std::path::PathBuf, i: usize) -> bool {
    let Ok(mut f) = std::fs::File::create(&path) else {
        return false;
    };
    for chunk in content(i).chunks(CHUNK) {
        if f.write_all(chunk).is_err() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(3));
    }
    let fd = f.into_raw_fd();
    // SAFETY: fd is an open descriptor we own; it is closed exactly once here.
    unsafe { libc::close(fd) == 0 }
}

test_both!(fn a_killed_daemon_loses_no_acknowledged_write(backend) {
    let server = Server::start();
    let api = Api::new(&server.base, ALICE);
    let (_, root, _) = api.me();
    // Write-back: `close` returning 0 promises the bytes are in the journal.
    let mut mount = Mount::on(backend, &server, ALICE, &["--write-back-delay", "300ms"]);
    let home = mount.home();
    let closed = Arc::new(Mutex::new(BTreeMap::new()));
    let writers: Vec<_> = (0..FILES)
        .map(|i| {
            let (path, closed) = (home.join(format!("f{i:03}")), closed.clone());
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(4 * i as u64));
                let ok = write_one(path, i);
                closed.lock().unwrap().insert(i, ok);
            })
        })
        .collect();
    // Kill it once a third of the files are acknowledged, with the rest in every stage.
    let deadline = Instant::now() + Duration::from_secs(60);
    while closed.lock().unwrap().values().filter(|ok| **ok).count() < FILES / 3 {
        assert!(Instant::now() < deadline, "writes too slow: {:?}", closed.lock().unwrap());
        std::thread::sleep(Duration::from_millis(5));
    }
    mount.kill_hard();
    for w in writers {
        w.join().unwrap();
    }
    let acknowledged: Vec<usize> = closed
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, ok)| **ok)
        .map(|(i, _)| *i)
        .collect();
    assert!(acknowledged.len() >= FILES / 3 && acknowledged.len() < FILES, "{acknowledged:?}");

    // `docsfs status` shows what the dead daemon left: no mount, the pending uploads.
    let cache = mount.spool_dir().parent().unwrap().to_owned();
    let before = status(&cache, None);
    assert!(before["mounts"].as_array().unwrap().is_empty(), "{before}");
    let entries = std::fs::read_dir(mount.spool_dir())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "json"))
        .count();
    let pending = before["uploads"].as_array().unwrap();
    assert_eq!(pending.len(), entries, "{before}");
    assert!(pending.iter().all(|u| u["state"].as_str().unwrap().starts_with("pending")), "{before}");

    // The next mount on the same cache folder finishes what was pending, then serves.
    mount.respawn(&server, ALICE);
    let after = status(&cache, Some(&mount.path));
    assert_eq!(after["mounts"].as_array().unwrap().len(), 1, "{after}");
    assert!(after["uploads"].as_array().unwrap().is_empty(), "{after}");
    let at_server: BTreeMap<String, String> = api
        .children(&root)
        .iter()
        .filter_map(|c| {
            let name = c["LatestVersionMetadata"]["Name"].as_str()?;
            Some((name.to_owned(), c["Id"].as_str()?.to_owned()))
        })
        .collect();
    let (mut complete, mut absent) = (0, 0);
    for i in 0..FILES {
        let name = format!("f{i:03}");
        match at_server.get(&name) {
            Some(id) => {
                let bytes = api.content(id);
                assert!(
                    bytes == content(i),
                    "{name}: {} bytes at the server, not its content",
                    bytes.len()
                );
                complete += 1;
            }
            None => {
                assert!(
                    !acknowledged.contains(&i),
                    "{name}: close returned 0, yet it is not at the server"
                );
                absent += 1;
            }
        }
    }
    assert_eq!(complete + absent, FILES);
    // The remount shows the same.
    for i in &acknowledged {
        assert_eq!(std::fs::read(home.join(format!("f{i:03}"))).unwrap(), content(*i));
    }
    // Uploads in flight at the kill were finished by the remount, not lost.
    if complete > acknowledged.len() {
        assert!(mount.log().contains("pending uploads of an earlier run"));
    }
});
