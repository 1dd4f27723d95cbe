//! mount(8) with the packaged helper: `mount -t fuse.docsfs PROFILE DIR -o config=FILE`, an
//! fstab line (`mount --fstab FILE`, so /etc/fstab is not touched), `umount DIR`, and docsfs's
//! one-line refusals coming through mount(8) with a non-zero exit.
//!
//! mount(8) looks for its helpers in /sbin only. Rather than install one there, each test runs
//! on a thread of its own in a private mount namespace where a temporary folder holding
//! `packaging/mount.docsfs` (as `mount.fuse.docsfs` and `mount.docsfs`) is bind-mounted over
//! /sbin: nothing is left on the machine, whatever happens, and other test runs never see it.
//! The helper finds the binary under test through `DOCSFS_BIN`. The FUSE mounts live in that
//! namespace too, so they are checked from that thread (`/proc/thread-self/mountinfo`); a guard
//! unmounts and kills the daemon if a test fails.

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use super::api::Api;
use super::harness::secret_file;
use super::server_process::{ALICE, Server};

/// Runs `f` on a thread in a private mount namespace whose /sbin holds only the helper.
fn with_helper_in_sbin<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| {
            let sbin = tempfile::tempdir().unwrap();
            for name in ["mount.fuse.docsfs", "mount.docsfs"] {
                let path = sbin.path().join(name);
                std::fs::copy(
                    Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/mount.docsfs"),
                    &path,
                )
                .unwrap();
                std::fs::set_permissions(&path, PermissionsExt::from_mode(0o755)).unwrap();
            }
            let target = std::fs::canonicalize("/sbin").unwrap();
            // SAFETY: plain syscalls on C strings that outlive them. unshare(CLONE_NEWNS) gives
            // this thread (and the processes it starts) a mount namespace of its own.
            unsafe {
                assert_eq!(libc::unshare(libc::CLONE_NEWNS), 0, "unshare");
                let root = c"/";
                let flags = libc::MS_REC | libc::MS_PRIVATE;
                let r = libc::mount(
                    std::ptr::null(),
                    root.as_ptr(),
                    std::ptr::null(),
                    flags,
                    std::ptr::null(),
                );
                assert_eq!(r, 0, "make the namespace private");
                let src = c_path(sbin.path());
                let dst = c_path(&target);
                let r = libc::mount(
                    src.as_ptr(),
                    dst.as_ptr(),
                    std::ptr::null(),
                    libc::MS_BIND,
                    std::ptr::null(),
                );
                assert_eq!(r, 0, "bind the helper over {}", target.display());
            }
            f()
        })
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

fn c_path(p: &Path) -> std::ffi::CString {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::CString::new(p.as_os_str().as_bytes()).unwrap()
}

/// The type of the mount at `path` in this thread's namespace, if any.
fn mount_type(path: &Path) -> Option<String> {
    let target = path.to_string_lossy().replace(' ', "\\040");
    let info = std::fs::read_to_string("/proc/thread-self/mountinfo").unwrap();
    info.lines().find_map(|l| {
        let fields: Vec<&str> = l.split(' ').collect();
        let dash = fields.iter().position(|f| *f == "-")?;
        (fields.get(4) == Some(&target.as_str())).then(|| fields[dash + 1].to_owned())
    })
}

/// The processes whose command line names `path` (the daemon serving a mountpoint).
fn processes_naming(path: &Path) -> Vec<i32> {
    let needle = path.as_os_str().as_encoded_bytes();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.windows(needle.len()).any(|w| w == needle))
        })
        .collect()
}

/// Unmounts `path` and kills what serves it when dropped, if a test left it behind.
struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        if mount_type(&self.0).is_some() {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
        for pid in processes_naming(&self.0) {
            // SAFETY: kill has no memory effects.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

/// Waits until no process serves `path` any more.
fn wait_for_daemon_exit(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !processes_naming(path).is_empty() {
        assert!(Instant::now() < deadline, "the daemon did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A config file with a `work` profile for `server` (alice's token in a 0600 file, the cache
/// in `dir`) and a `broken` one whose server is not there.
fn config_file(dir: &Path, server: &Server) -> PathBuf {
    let token = secret_file(dir, "token", ALICE);
    let path = dir.join("docsfs.toml");
    let text = format!(
        "[work]\nendpoint = \"{base}\"\ntoken-file = \"{token}\"\ncache-dir = \"{cache}\"\n\n\
         [broken]\nendpoint = \"http://127.0.0.1:9\"\n\
         token-file = \"{token}\"\ntimeout = 2\ncache-dir = \"{cache}\"\n",
        base = server.base,
        token = token.display(),
        cache = dir.join("cache").display(),
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs mount(8) or umount(8) with the helper pointed at the binary under test.
fn run(program: &str, args: &[&OsStr]) -> Output {
    Command::new(program)
        .args(args)
        .env("DOCSFS_BIN", env!("CARGO_BIN_EXE_docsfs"))
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn mount_t_fuse_docsfs_mounts_a_profile_and_umount_unmounts_it() {
    let server = Server::start();
    let alice = Api::new(&server.base, ALICE);
    let (_, root, _) = alice.me();
    alice.upload(&root, "hello.txt", b"hi\n");
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), &server);
    let mnt = dir.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let log = dir.path().join("docsfs.log");
    let option = format!("config={},log_file={}", config.display(), log.display());

    with_helper_in_sbin(|| {
        let _cleanup = Cleanup(mnt.clone());
        let out = run(
            "mount",
            &[
                "-t".as_ref(),
                "fuse.docsfs".as_ref(),
                "work".as_ref(),
                mnt.as_os_str(),
                "-o".as_ref(),
                option.as_ref(),
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        // mount(8) returned, so the mount is up (the helper runs `docsfs mount --daemon`).
        assert_eq!(mount_type(&mnt).as_deref(), Some("fuse.docsfs"));
        assert_eq!(std::fs::read(mnt.join("hello.txt")).unwrap(), b"hi\n");
        std::fs::write(mnt.join("from-mount.txt"), "written").unwrap();

        let out = run("umount", &[mnt.as_os_str()]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(mount_type(&mnt), None);
        wait_for_daemon_exit(&mnt);
    });
    // Written back: the daemon sent the file before it exited.
    let doc = alice.id_at(&root, "from-mount.txt");
    assert_eq!(alice.content(&doc), b"written");
    // log_file reached docsfs.
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(log.contains("mounted"), "{log}");
    assert!(!log.contains(ALICE), "the token is in the log");
}

#[test]
fn an_fstab_line_mounts_with_its_options() {
    let server = Server::start();
    let alice = Api::new(&server.base, ALICE);
    let (_, root, _) = alice.me();
    alice.upload(&root, "report.txt", b"numbers\n");
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), &server);
    let mnt = dir.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let fstab = dir.path().join("fstab");
    std::fs::write(
        &fstab,
        format!(
            "# docsfs\ndocsfs#work {} fuse.docsfs \
             _netdev,nofail,config={},ro,umask=077,x-systemd.mount-timeout=30 0 0\n",
            mnt.display(),
            config.display()
        ),
    )
    .unwrap();

    with_helper_in_sbin(|| {
        let _cleanup = Cleanup(mnt.clone());
        let out = run(
            "mount",
            &["--fstab".as_ref(), fstab.as_os_str(), mnt.as_os_str()],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        // No log file: nothing but warnings would reach the terminal, and there are none.
        assert_eq!(stderr(&out), "");
        assert_eq!(mount_type(&mnt).as_deref(), Some("fuse.docsfs"));
        let file = mnt.join("report.txt");
        assert_eq!(std::fs::read(&file).unwrap(), b"numbers\n");
        // `ro` and `umask=077` reached docsfs.
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
        let e = std::fs::write(mnt.join("new.txt"), "x").unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EROFS), "{e}");
        // `mount -a` sees the line's mount as already there and leaves it alone.
        let out = run(
            "mount",
            &["--fstab".as_ref(), fstab.as_os_str(), "-a".as_ref()],
        );
        assert!(out.status.success(), "{}", stderr(&out));

        let out = run("umount", &[mnt.as_os_str()]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(mount_type(&mnt), None);
        wait_for_daemon_exit(&mnt);
    });
}

#[test]
fn mount_shows_docsfs_refusals_in_one_line() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), &server);
    let mnt = dir.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();

    with_helper_in_sbin(|| {
        let _cleanup = Cleanup(mnt.clone());
        let attempt = |source: &str, options: &str| {
            let options = format!("config={},{options}", config.display());
            let out = run(
                "mount",
                &[
                    "-t".as_ref(),
                    "fuse.docsfs".as_ref(),
                    source.as_ref(),
                    mnt.as_os_str(),
                    "-o".as_ref(),
                    options.as_ref(),
                ],
            );
            assert!(!out.status.success(), "{source} {options} mounted");
            assert_eq!(mount_type(&mnt), None);
            let err = stderr(&out);
            assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
            err
        };
        let err = attempt("nosuch", "ro");
        assert!(
            err.contains("no profile [nosuch] (it has broken, work)"),
            "{err}"
        );
        let err = attempt("work", "_netdev,bogus=1");
        assert!(
            err.contains("`bogus` is not a docsfs mount option"),
            "{err}"
        );
        let err = attempt("work", "metadata_ttl=soon");
        assert!(err.contains("--metadata-ttl"), "{err}");
        // Failures after the fork (the server is not there) come back through the parent.
        let err = attempt("broken", "nofail");
        assert!(err.starts_with("docsfs: cannot reach"), "{err}");
        // `mount -t docsfs` finds the same helper as mount.docsfs.
        let out = run(
            "mount",
            &[
                "-t".as_ref(),
                "docsfs".as_ref(),
                "nosuch".as_ref(),
                mnt.as_os_str(),
                "-o".as_ref(),
                format!("config={}", config.display()).as_ref(),
            ],
        );
        assert!(stderr(&out).contains("no profile [nosuch]"), "{out:?}");
    });
}
