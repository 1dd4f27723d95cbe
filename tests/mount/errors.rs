//! Errors a user meets: missing names, writes where the role does not allow them, bad
//! credentials, and a clean unmount on SIGTERM.

use std::io::ErrorKind;
use std::process::Command;

use super::api::Api;
use super::harness::{Mount, is_mounted};
use super::server_process::{ALICE, BOB, Server};

#[test]
fn missing_names_are_enoent_and_role_limits_are_eacces() {
    let server = Server::start();
    let (alice, bob) = (Api::new(&server.base, ALICE), Api::new(&server.base, BOB));
    let (alice_id, alice_root, _) = alice.me();
    let (_, bob_root, _) = bob.me();
    let shared = bob.mkdir(&bob_root, "theirs");
    bob.upload(&shared, "read-only.txt", b"look, don't touch\n");
    bob.share(&shared, &alice_id, "VIEWER");
    alice.upload(&alice_root, "mine.txt", b"mine\n");
    let mount = Mount::new(&server, ALICE, &[]);
    let err = std::fs::metadata(mount.path.join("nope")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let err = std::fs::metadata(mount.path.join("nope/deeper")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let err = std::fs::metadata(mount.path.join("mine.txt/child")).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOTDIR));
    // Even root gets EACCES for a write to a VIEWER item: the role is checked, not only the mode.
    let ro = mount.path.join("Shared with me/theirs/read-only.txt");
    let err = std::fs::OpenOptions::new()
        .write(true)
        .open(&ro)
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EACCES));
    assert_eq!(std::fs::read(&ro).unwrap(), b"look, don't touch\n");
}

#[test]
fn sigterm_unmounts_cleanly() {
    let server = Server::start();
    let mut mount = Mount::new(&server, ALICE, &[]);
    std::fs::read_dir(&mount.path).unwrap().for_each(drop);
    let status = mount.terminate();
    assert!(
        status.success(),
        "exit status {status}; log:\n{}",
        mount.log()
    );
    assert!(!is_mounted(&mount.path));
}

fn run_mount(
    server: &Server,
    token_file: &std::path::Path,
    mountpoint: &std::path::Path,
) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_docsfs"))
        .args(["mount", "--endpoint", &server.base, "--token-file"])
        .arg(token_file)
        .arg(mountpoint)
        .output()
        .unwrap()
}

#[test]
fn bad_credentials_are_refused_before_mounting() {
    use std::os::unix::fs::PermissionsExt;
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, ALICE).unwrap();
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run_mount(&server, &token, &mnt);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("chmod 600"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&token, "not-a-valid-token").unwrap();
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = run_mount(&server, &token, &mnt);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("refused"), "{stderr}");
    assert!(
        !stderr.contains("not-a-valid-token"),
        "the token must not be printed"
    );
    let out = run_mount(&server, &token, &dir.path().join("missing"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    assert!(!is_mounted(&mnt));
}
