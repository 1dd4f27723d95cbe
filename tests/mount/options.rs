//! The options users of rclone and mountpoint-s3 expect: `--config FILE --profile NAME` (a TOML
//! file of profiles; the command line wins), `--read-only`, `--umask`, `--log-file`, and one
//! clear line with a non-zero exit — and no mount — for the common mistakes: a missing, busy or
//! non-empty mountpoint, no FUSE, a bad config file.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use super::harness::{Backend, Mount, is_mounted, secret_file};
use super::server_process::{ALICE, Server};

/// A config file with a `work` profile for `server` (WorkDocs, alice's token file) and a
/// `broken` one pointing nowhere.
fn config_file(dir: &Path, server: &Server) -> std::path::PathBuf {
    let token = secret_file(dir, "token", ALICE);
    let path = dir.join("docsfs.toml");
    std::fs::write(
        &path,
        format!(
            "metadata-ttl = 5\n\n[work]\nendpoint = \"{}\"\ntoken-file = \"{}\"\numask = \"077\"\n\n\
             [broken]\nendpoint = \"http://127.0.0.1:9\"\ntoken-file = \"{}\"\n",
            server.base,
            token.display(),
            token.display()
        ),
    )
    .unwrap();
    path
}

fn docsfs() -> Command {
    Command::new(env!("CARGO_BIN_EXE_docsfs"))
}

/// Runs a `docsfs mount` that must fail: returns its stderr; asserts exit 1 and no mount.
fn refused(mut cmd: Command, mountpoint: &Path) -> String {
    let out = cmd.output().unwrap();
    assert!(!is_mounted(mountpoint) || mountpoint.ends_with("busy"));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    err
}

#[test]
fn a_config_profile_mounts_and_the_command_line_wins() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), &server);
    let mut cmd = docsfs();
    cmd.arg("mount")
        .arg("--config")
        .arg(&config)
        .args(["--profile", "work", "--umask", "027", "--cache-dir"])
        .arg(dir.path().join("cache"));
    let mount = Mount::spawn(Backend::WorkDocs, tempfile::tempdir().unwrap(), cmd, true);
    std::fs::write(mount.path.join("f.txt"), "x").unwrap();
    std::fs::create_dir(mount.path.join("d")).unwrap();
    let mode = |p: &str| {
        std::fs::metadata(mount.path.join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    // umask 027 from the command line, not 077 from the profile.
    assert_eq!((mode("f.txt"), mode("d")), (0o640, 0o750));
}

#[test]
fn config_mistakes_are_one_line_errors() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), &server);
    let mnt = dir.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let run = |extra: &[&str], file: &Path| {
        let mut cmd = docsfs();
        cmd.arg("mount")
            .arg("--config")
            .arg(file)
            .args(extra)
            .arg(&mnt);
        refused(cmd, &mnt)
    };
    let err = run(&[], &config);
    assert!(err.contains("several profiles (broken, work)"), "{err}");
    let err = run(&["--profile", "play"], &config);
    assert!(err.contains("no profile [play]"), "{err}");
    let err = run(&["--profile", "broken", "--timeout", "2"], &config);
    assert!(err.contains("cannot reach"), "{err}");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[p]\nendpont = \"x\"\n").unwrap();
    let err = run(&[], &bad);
    assert!(
        err.contains("`endpont` is not a `docsfs mount` option"),
        "{err}"
    );
    std::fs::write(&bad, "[p\n").unwrap();
    assert!(run(&[], &bad).contains("not valid TOML"));
    let err = run(&[], &dir.path().join("absent.toml"));
    assert!(err.contains("cannot read the config file"), "{err}");
}

#[test]
fn mountpoint_mistakes_are_one_line_errors() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let token = secret_file(dir.path(), "token", ALICE);
    let attempt = |mnt: &Path, extra: &[&str]| {
        let mut cmd = docsfs();
        cmd.args(["mount", "--endpoint", &server.base, "--token-file"])
            .arg(&token)
            .args(extra)
            .arg(mnt);
        cmd
    };
    let missing = dir.path().join("missing");
    let err = refused(attempt(&missing, &[]), &missing);
    assert!(err.contains("does not exist"), "{err}");

    let full = dir.path().join("full");
    std::fs::create_dir(&full).unwrap();
    std::fs::write(full.join("mine"), "x").unwrap();
    let err = refused(attempt(&full, &[]), &full);
    assert!(
        err.contains("is not empty") && err.contains("--allow-non-empty"),
        "{err}"
    );

    // Already mounted (what a stale mount looks like, too).
    let mount = Mount::on(Backend::WorkDocs, &server, ALICE, &[]);
    let err = refused(attempt(&mount.path, &[]), Path::new("busy"));
    assert!(err.contains("already a FUSE mount"), "{err}");

    // No FUSE: /dev without `fuse`, in a mount namespace of its own.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "sh", "-c"])
        .arg("mount -t tmpfs none /dev && exec \"$@\"")
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_docsfs"))
        .args(["mount", "--endpoint", &server.base, "--token-file"])
        .arg(&token)
        .arg(&empty);
    let err = refused(cmd, &empty);
    assert!(err.contains("FUSE is not available"), "{err}");
}

test_both!(fn a_read_only_mount_reads_and_refuses_every_change(backend) {
    let server = Server::start();
    let writer = Mount::on(backend, &server, ALICE, &[]);
    std::fs::write(writer.home().join("a.txt"), "content").unwrap();
    let ro = Mount::on(backend, &server, ALICE, &["--read-only"]);
    let home = ro.home();
    assert_eq!(std::fs::read(home.join("a.txt")).unwrap(), b"content");
    let erofs = |r: std::io::Result<()>| {
        let e = r.unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EROFS), "{e}");
    };
    erofs(std::fs::write(home.join("b.txt"), "x"));
    erofs(std::fs::write(home.join("a.txt"), "changed"));
    erofs(std::fs::create_dir(home.join("d")));
    erofs(std::fs::remove_file(home.join("a.txt")));
    erofs(std::fs::rename(home.join("a.txt"), home.join("c.txt")));
    assert_eq!(std::fs::read(writer.home().join("a.txt")).unwrap(), b"content");
});

#[test]
fn the_log_goes_to_the_log_file_without_secrets() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("docsfs.log");
    let log_arg = log.to_str().unwrap().to_owned();
    let mount = Mount::on(Backend::WorkDocs, &server, ALICE, &["--log-file", &log_arg]);
    std::fs::write(mount.path.join("x.txt"), "x").unwrap();
    drop(mount);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("mounted"), "{text}");
    assert!(!text.contains(ALICE));
    assert_eq!(
        std::fs::metadata(&log).unwrap().permissions().mode() & 0o777,
        0o600
    );
}
