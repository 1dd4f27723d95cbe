//! The ways in: `--daemon`, admin mode with a SigV4 key, `docsfs demo`, and `--timeout` bounding
//! an operation against a server that does not answer.
//!
//! `--daemon` and `--timeout` run on both backends. WorkDocs only: admin mode (a SigV4 access
//! key and a root folder id are WorkDocs credentials) and `docsfs demo` (which mounts through
//! WorkDocs, with its `Shared with me` folder).

use std::process::Command;
use std::time::{Duration, Instant};

use super::api::Api;
use super::harness::{Backend, Mount, is_mounted, mount_command, secret_file, user_of};
use super::names;
use super::server_process::{ADMIN_ID, ADMIN_SECRET, ALICE, Server};

fn set_latency(base: &str, ms: u64) {
    let body = format!("{{\"latency_ms\": {ms}, \"fail_rate\": 0.0, \"reset_rate\": 0.0}}");
    let out = Command::new("curl")
        .args([
            "-sf",
            "-X",
            "PUT",
            "-H",
            "Content-Type: application/json",
            "-d",
            &body,
        ])
        .arg(format!("{base}/_docsfs/faults"))
        .output()
        .unwrap();
    assert!(out.status.success(), "cannot set latency");
}

test_both!(fn daemon_mode_returns_once_mounted(backend) {
    let server = Server::start();
    let alice = Api::new(&server.base, ALICE);
    let (_, root, _) = alice.me();
    alice.upload(&root, "hello.txt", b"hi\n");
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = mount_command(backend, &server, ALICE, dir.path());
    cmd.arg("--daemon");
    let started = Instant::now();
    let mount = Mount::spawn(backend, dir, cmd, true);
    assert_eq!(
        std::fs::read(mount.home().join("hello.txt")).unwrap(),
        b"hi\n"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    // The foreground process has exited; unmounting from outside ends the daemon.
    let out = Command::new("fusermount3")
        .arg("-u")
        .arg(&mount.path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!is_mounted(&mount.path));
});

test_both!(fn daemon_mode_reports_a_failure_in_the_foreground(backend) {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let token = secret_file(dir.path(), "secret", "wrong-secret");
    std::fs::create_dir(dir.path().join("mnt")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_docsfs"))
        .args(["mount", "--daemon"])
        .args(backend.mount_args(&server.base, user_of(ALICE), &token))
        .arg("--cache-dir")
        .arg(dir.path().join("cache"))
        .arg(dir.path().join("mnt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("refused"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!is_mounted(&dir.path().join("mnt")));
});

#[test]
fn admin_mode_mounts_a_folder_by_id() {
    let server = Server::start();
    let alice = Api::new(&server.base, ALICE);
    let (_, root, _) = alice.me();
    let folder = alice.mkdir(&root, "team");
    alice.upload(&folder, "report.txt", b"numbers\n");
    let dir = tempfile::tempdir().unwrap();
    let key = secret_file(dir.path(), "key", &format!("{ADMIN_ID}:{ADMIN_SECRET}"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_docsfs"));
    cmd.args(["mount", "--endpoint", &server.base, "--admin-key-file"])
        .arg(&key)
        .args(["--root-folder-id", &folder]);
    let mount = Mount::spawn(Backend::WorkDocs, dir, cmd, true);
    assert_eq!(names(&mount.path), ["report.txt"]);
    assert_eq!(
        std::fs::read(mount.path.join("report.txt")).unwrap(),
        b"numbers\n"
    );
}

#[test]
fn the_demo_mounts_a_sample_tree_once() {
    let data = tempfile::tempdir().unwrap();
    let run = || {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_docsfs"));
        cmd.arg("demo")
            .arg(dir.path().join("mnt"))
            .arg("--data")
            .arg(data.path());
        Mount::spawn(Backend::WorkDocs, dir, cmd, false)
    };
    let mut first = run();
    let root = names(&first.path);
    assert_eq!(
        root,
        [
            "Media",
            "Projects",
            "Recycle Bin",
            "Shared with me",
            "Welcome.txt"
        ]
    );
    assert!(
        std::fs::read_to_string(first.path.join("Welcome.txt"))
            .unwrap()
            .contains("docsfs")
    );
    assert_eq!(names(&first.path.join("Recycle Bin")), ["old-draft.txt"]);
    assert_eq!(
        names(&first.path.join("Shared with me/Team handbook")),
        ["onboarding.md"]
    );
    assert_eq!(
        std::fs::metadata(first.path.join("Media/video.bin"))
            .unwrap()
            .len(),
        24 << 20
    );
    assert!(first.terminate().success(), "{}", first.log());
    assert!(first.log().contains("first run"));
    let mut second = run();
    assert_eq!(names(&second.path), root);
    assert!(second.terminate().success(), "{}", second.log());
    assert!(
        !second.log().contains("first run"),
        "the sample tree is created once"
    );
}

test_both!(fn an_unanswered_request_fails_within_the_timeout(backend) {
    let server = Server::start();
    let alice = Api::new(&server.base, ALICE);
    let (_, root, _) = alice.me();
    alice.upload(&root, "a.txt", b"a");
    let mount = Mount::on(backend, &server, ALICE, &["--timeout", "2"]);
    set_latency(&server.base, 8000);
    let started = Instant::now();
    let err = std::fs::read_dir(&mount.path)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.raw_os_error(), Some(libc::ETIMEDOUT), "{err}");
    assert!(took < Duration::from_secs(6), "the timeout took {took:?}");
    set_latency(&server.base, 0);
    match backend {
        Backend::WorkDocs => assert_eq!(
            names(&mount.path),
            ["Recycle Bin", "Shared with me", "a.txt"]
        ),
        Backend::LogicalDoc => {
            assert_eq!(names(&mount.path), ["Default", "Recycle Bin"]);
            assert_eq!(names(&mount.home()), ["a.txt"]);
        }
    }
});

/// `docsfs mount` through `backend` at `endpoint` with a 0600 secret, as alice; returns the
/// exit code and stderr. Nothing may be mounted.
fn mount_refused(backend: Backend, endpoint: &str, extra: &[&str], mountpoint: bool) -> String {
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(dir.path(), "secret", ALICE);
    let mnt = dir.path().join("mnt");
    if mountpoint {
        std::fs::create_dir(&mnt).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_docsfs"))
        .arg("mount")
        .args(backend.mount_args(endpoint, user_of(ALICE), &secret))
        .args(extra)
        .arg("--cache-dir")
        .arg(dir.path().join("cache"))
        .arg(&mnt)
        .output()
        .unwrap();
    assert!(!is_mounted(&mnt));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

test_both!(fn plain_http_to_another_host_is_refused_without_the_flag(backend) {
    // Refused before any traffic: nothing listens there, and nothing may be sent there.
    let started = Instant::now();
    let err = mount_refused(backend, "http://10.255.0.1:8080/app", &[], true);
    assert!(started.elapsed() < Duration::from_secs(5), "{err}");
    assert!(err.contains("plain http"), "{err}");
    assert!(err.contains("--allow-insecure-http"), "{err}");
    assert!(!err.contains("cannot reach"), "{err}");
    // With the flag the endpoint passes the check: what stops this mount is the missing
    // mountpoint, checked before any traffic too.
    let err = mount_refused(
        backend,
        "http://10.255.0.1:8080/app",
        &["--allow-insecure-http"],
        false,
    );
    assert!(err.contains("mountpoint"), "{err}");
    assert!(!err.contains("plain http"), "{err}");
});
