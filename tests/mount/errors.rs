//! Errors a user meets: missing names, writes where the role does not allow them, names taken
//! at the store, bad credentials, and a clean unmount on SIGTERM. Every test runs on both backends.

use std::io::ErrorKind;
use std::process::Command;

use super::api::Api;
use super::harness::{Backend, Mount, is_mounted, user_of};
use super::names;
use super::server_process::{ALICE, BOB, Server};

test_both!(fn missing_names_are_enoent_and_role_limits_are_eacces(backend) {
    let server = Server::start();
    let (alice, bob) = (Api::new(&server.base, ALICE), Api::new(&server.base, BOB));
    let (alice_id, alice_root, _) = alice.me();
    let (_, bob_root, _) = bob.me();
    let shared = bob.mkdir(&bob_root, "theirs");
    bob.upload(&shared, "read-only.txt", b"look, don't touch\n");
    bob.share(&shared, &alice_id, "VIEWER");
    alice.upload(&alice_root, "mine.txt", b"mine\n");
    let mount = Mount::on(backend, &server, ALICE, &[]);
    for dir in [mount.path.clone(), mount.home()] {
        let err = std::fs::metadata(dir.join("nope")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let err = std::fs::metadata(dir.join("nope/deeper")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }
    let err = std::fs::metadata(mount.home().join("mine.txt/child")).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOTDIR));
    // Even root gets EACCES for a write to a VIEWER item: the role is checked, not only the mode.
    let ro = mount.shared("theirs").join("read-only.txt");
    let err = std::fs::OpenOptions::new()
        .write(true)
        .open(&ro)
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EACCES));
    assert_eq!(std::fs::read(&ro).unwrap(), b"look, don't touch\n");
});

test_both!(fn sigterm_unmounts_cleanly(backend) {
    let server = Server::start();
    let mut mount = Mount::on(backend, &server, ALICE, &[]);
    std::fs::read_dir(&mount.path).unwrap().for_each(drop);
    std::fs::read_dir(mount.home()).unwrap().for_each(drop);
    let status = mount.terminate();
    assert!(
        status.success(),
        "exit status {status}; log:\n{}",
        mount.log()
    );
    assert!(!is_mounted(&mount.path));
});

/// `docsfs mount` through `backend` as alice with the secret (token or password) in
/// `secret_file`, its cache in `cache`.
fn run_mount(
    backend: Backend,
    server: &Server,
    secret_file: &std::path::Path,
    cache: &std::path::Path,
    mountpoint: &std::path::Path,
) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_docsfs"))
        .arg("mount")
        .args(backend.mount_args(&server.base, user_of(ALICE), secret_file))
        .arg("--cache-dir")
        .arg(cache)
        .arg(mountpoint)
        .output()
        .unwrap()
}

test_both!(fn bad_credentials_are_refused_before_mounting(backend) {
    use std::os::unix::fs::PermissionsExt;
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("mnt");
    let cache = dir.path().join("cache");
    std::fs::create_dir(&mnt).unwrap();
    let token = dir.path().join("secret");
    std::fs::write(&token, ALICE).unwrap();
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run_mount =
        |mountpoint: &std::path::Path| run_mount(backend, &server, &token, &cache, mountpoint);
    let out = run_mount(&mnt);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("chmod 600"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&token, "not-a-valid-token").unwrap();
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = run_mount(&mnt);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("refused"), "{stderr}");
    assert!(
        !stderr.contains("not-a-valid-token"),
        "the token must not be printed"
    );
    let out = run_mount(&dir.path().join("missing"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    assert!(!is_mounted(&mnt));
});

test_both!(fn names_taken_at_the_store_behind_the_mounts_back_are_eexist(backend) {
    let server = Server::start();
    let api = Api::new(&server.base, ALICE);
    let (_, root, bin_id) = api.me();
    let mount = Mount::on(backend, &server, ALICE, &[]);
    let home = mount.home();
    // The mount lists the home (trusted for the TTL), then another client takes two names.
    std::fs::read_dir(&home).unwrap().for_each(drop);
    api.mkdir(&root, "dup");
    let doc = api.upload(&root, "dup.txt", b"theirs\n");
    // LogicalDOC refuses a duplicate folder with a 500 and stores a duplicate document as
    // `dup(1).txt`: the client makes both EEXIST, as WorkDocs' refusals are.
    let err = std::fs::create_dir(home.join("dup")).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EEXIST), "{err}");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(home.join("dup.txt"))
        .unwrap();
    std::io::Write::write_all(&mut f, b"mine\n").unwrap();
    let fd = std::os::fd::IntoRawFd::into_raw_fd(f);
    // SAFETY: fd is an open descriptor we own; it is closed exactly once here.
    let rc = unsafe { libc::close(fd) };
    let errno = std::io::Error::last_os_error().raw_os_error();
    assert_eq!((rc, errno), (-1, Some(libc::EEXIST)), "{}", mount.log());
    // The store holds the other client's items only, unchanged. (The upload is tried again at
    // release, after `close` returned: wait for that attempt too.)
    let at_root = || {
        let mut v: Vec<String> = api
            .children(&root)
            .iter()
            .map(|c| {
                let name = c["Name"].as_str();
                let name = name.or(c["LatestVersionMetadata"]["Name"].as_str());
                name.unwrap().to_owned()
            })
            .collect();
        v.sort();
        v
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while at_root() != ["dup", "dup.txt"] && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(at_root(), ["dup", "dup.txt"]);
    assert_eq!(api.id_at(&root, "dup.txt"), doc);
    assert_eq!(api.versions(&doc).len(), 1);
    let binned: Vec<String> = api
        .children(&bin_id)
        .iter()
        .map(|c| c["LatestVersionMetadata"]["Name"].as_str().unwrap_or("?").to_owned())
        .collect();
    // Nothing was stored under another name (LogicalDOC's `dup(1).txt`): the name is checked
    // before the upload.
    assert!(binned.is_empty(), "{binned:?}");
    assert!(names(&mount.bin()).is_empty());
});
