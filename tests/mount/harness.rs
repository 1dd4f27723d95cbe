//! A real mount for each test: `docsfs mount` as a child process against a real `docsfs serve`,
//! on a fresh mountpoint, with the credentials in a 0600 file, through either API the server
//! speaks ([`Backend`], like mountpoint-s3's `TestSessionCreator`). Dropping the guard sends
//! SIGTERM (the daemon unmounts itself), and falls back to `fusermount3 -uz` and SIGKILL, so no
//! mount outlives its test even when the test failed.
//!
//! [`test_both!`] turns one test body into two tests, `name::workdocs` and `name::logicaldoc`.
//! Paths go through [`Mount::home`] (the user's home folder: the mount's root on WorkDocs,
//! `Default` on LogicalDOC) and [`Mount::shared`] (a folder shared with the user).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::server_process::{ALICE, BOB, CAROL, Server};

/// One test body, two tests: `test_both!(fn name(backend) { … })` makes `name::workdocs` and
/// `name::logicaldoc`, each running the body with its [`Backend`] bound to `backend`.
macro_rules! test_both {
    ($(#[$attr:meta])* fn $name:ident($backend:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn body($backend: $crate::harness::Backend) $body

            $(#[$attr])*
            #[test]
            fn workdocs() {
                body($crate::harness::Backend::WorkDocs)
            }

            $(#[$attr])*
            #[test]
            fn logicaldoc() {
                body($crate::harness::Backend::LogicalDoc)
            }
        }
    };
}

/// The API a mount speaks to the (one) server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// `docsfs mount --token-file F`: the user's home is the mount's root, next to
    /// `Recycle Bin` and `Shared with me`.
    WorkDocs,
    /// `docsfs mount --backend logicaldoc --user NAME --password-file F`: the root lists the
    /// workspaces (the home as `Default`, each folder shared with the user) and `Recycle Bin`
    /// (what this mount deleted).
    LogicalDoc,
}

/// The server's user a token (also that user's LogicalDOC password) belongs to.
pub fn user_of(token: &str) -> &'static str {
    match token {
        ALICE => "alice",
        BOB => "bob",
        CAROL => "carol",
        other => panic!("no user has the secret {other:?}"),
    }
}

impl Backend {
    /// The `docsfs mount` arguments choosing this backend at `endpoint` as `user`, whose secret
    /// (WorkDocs token or LogicalDOC password) is in `secret_file`.
    pub fn mount_args(self, endpoint: &str, user: &str, secret_file: &Path) -> Vec<OsString> {
        let mut args: Vec<OsString> = Vec::new();
        match self {
            Backend::WorkDocs => {
                args.extend(["--endpoint".into(), endpoint.into(), "--token-file".into()]);
            }
            Backend::LogicalDoc => args.extend([
                "--backend".into(),
                "logicaldoc".into(),
                "--endpoint".into(),
                endpoint.into(),
                "--user".into(),
                user.into(),
                "--password-file".into(),
            ]),
        }
        args.push(secret_file.into());
        args
    }
}

pub struct Mount {
    child: Option<Child>,
    dir: tempfile::TempDir,
    pub path: PathBuf,
    pub backend: Backend,
}

/// Whether a FUSE filesystem is mounted at `path`.
pub fn is_mounted(path: &Path) -> bool {
    let target = path.to_string_lossy().replace(' ', "\\040");
    std::fs::read_to_string("/proc/self/mountinfo")
        .map(|m| {
            m.lines()
                .any(|l| l.split(' ').nth(4) == Some(target.as_str()))
        })
        .unwrap_or(false)
}

impl Mount {
    /// Mounts the server through `backend` as the user `token` belongs to, with extra
    /// `docsfs mount` arguments. Unless they set `--write-back-delay`, the mount runs with
    /// `--sync-close`: most modules check the store right after a `close`, which write-back
    /// (tested in `writeback.rs`) does not promise.
    pub fn on(backend: Backend, server: &Server, token: &str, extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut cmd = mount_command(backend, server, token, dir.path());
        cmd.args(extra);
        if !writes_back(extra) {
            cmd.arg("--sync-close");
        }
        Self::spawn(backend, dir, cmd, true)
    }

    /// The user's home folder inside the mount: the root on WorkDocs, the `Default` workspace
    /// on LogicalDOC.
    pub fn home(&self) -> PathBuf {
        match self.backend {
            Backend::WorkDocs => self.path.clone(),
            Backend::LogicalDoc => self.path.join("Default"),
        }
    }

    /// Where a folder named `name` that another user shared with this one shows: under
    /// `Shared with me` on WorkDocs, as a workspace at the root on LogicalDOC.
    pub fn shared(&self, name: &str) -> PathBuf {
        match self.backend {
            Backend::WorkDocs => self.path.join("Shared with me").join(name),
            Backend::LogicalDoc => self.path.join(name),
        }
    }

    /// The mount's recycle bin.
    pub fn bin(&self) -> PathBuf {
        self.path.join("Recycle Bin")
    }

    /// Runs `cmd` (a docsfs command mounting on `<dir>/mnt`, given last unless `mountpoint_last`
    /// is false, when `cmd` already names it) and waits for the mount.
    pub fn spawn(
        backend: Backend,
        dir: tempfile::TempDir,
        cmd: Command,
        mountpoint_last: bool,
    ) -> Self {
        let mut m = Self::start(backend, dir, cmd, mountpoint_last);
        m.wait_mounted();
        m
    }

    /// As [`Mount::spawn`], without waiting for the mount: the guard still unmounts and stops
    /// the process when dropped.
    pub fn start(
        backend: Backend,
        dir: tempfile::TempDir,
        mut cmd: Command,
        mountpoint_last: bool,
    ) -> Self {
        let path = dir.path().join("mnt");
        std::fs::create_dir_all(&path).unwrap();
        let log = std::fs::File::create(dir.path().join("mount.log")).unwrap();
        if mountpoint_last {
            cmd.arg(&path);
        }
        let child = cmd
            .args(["--log-level", "debug"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("spawn docsfs");
        Self {
            child: Some(child),
            dir,
            path,
            backend,
        }
    }

    fn wait_mounted(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if is_mounted(&self.path) {
                return;
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "docsfs mount exited with {status}; its log:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "docsfs mount did not mount within 20 s; its log:\n{}",
            self.log()
        );
    }

    /// The cache folder of a mount made with [`Mount::on`].
    pub fn cache_dir(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    /// The spool folder of a mount made with [`Mount::on`].
    pub fn spool_dir(&self) -> PathBuf {
        self.dir.path().join("cache").join("spool")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("mount.log")).unwrap_or_default()
    }

    /// SIGKILL, as a crash would: the daemon gets no chance to unmount or upload. The dead
    /// mount stays in place (calls on it fail with ENOTCONN) until [`Mount::respawn`] or the
    /// guard's drop detaches it — detaching it now would let later `open`s create files in the
    /// directory underneath.
    pub fn kill_hard(&mut self) {
        let mut child = self.child.take().expect("running");
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Mounts again on the same mountpoint with the same cache folder (after [`Mount::kill_hard`]
    /// or [`Mount::terminate`]); the log goes on in the same file.
    pub fn respawn(&mut self, server: &Server, token: &str) {
        self.respawn_with(server, token, &[]);
    }

    /// [`Mount::respawn`] with extra `docsfs mount` arguments.
    pub fn respawn_with(&mut self, server: &Server, token: &str, extra: &[&str]) {
        assert!(self.child.is_none(), "still running");
        if is_mounted(&self.path) {
            let _ = Command::new("fusermount3")
                .arg("-uz")
                .arg(&self.path)
                .status();
        }
        let mut cmd = mount_command(self.backend, server, token, self.dir.path());
        cmd.args(extra);
        if !writes_back(extra) {
            cmd.arg("--sync-close");
        }
        let log = std::fs::OpenOptions::new()
            .append(true)
            .open(self.dir.path().join("mount.log"))
            .unwrap();
        let child = cmd
            .arg(&self.path)
            .args(["--log-level", "debug"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("spawn docsfs");
        self.child = Some(child);
        self.wait_mounted();
    }

    /// Whether the daemon has exited (it is reaped then).
    pub fn exited(&mut self) -> bool {
        match self.child.as_mut().map(|c| c.try_wait()) {
            Some(Ok(Some(_))) => {
                self.child = None;
                true
            }
            Some(_) => false,
            None => true,
        }
    }

    /// SIGTERM; returns the exit status once the process is gone.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                return child.wait().expect("wait");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Whether mount arguments ask for write-back (a `--write-back-delay`).
fn writes_back(extra: &[&str]) -> bool {
    extra.iter().any(|a| a.starts_with("--write-back-delay"))
}

/// `docsfs mount` through `backend` as the user `token` belongs to, with the secret in a 0600
/// file in `dir` and the cache in `dir/cache`; the mountpoint is not given yet.
pub fn mount_command(backend: Backend, server: &Server, token: &str, dir: &Path) -> Command {
    let secret = secret_file(dir, "secret", token);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_docsfs"));
    cmd.arg("mount")
        .args(backend.mount_args(&server.base, user_of(token), &secret))
        .arg("--cache-dir")
        .arg(dir.join("cache"));
    cmd
}

/// Writes a 0600 file holding `secret`.
pub fn secret_file(dir: &Path, name: &str, secret: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, secret).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    path
}

impl Drop for Mount {
    fn drop(&mut self) {
        if self.child.is_some() {
            self.terminate();
        }
        if is_mounted(&self.path) {
            let _ = Command::new("fusermount3")
                .arg("-uz")
                .arg(&self.path)
                .status();
        }
    }
}

/// Reads a document shown in the recycle bin: its content on WorkDocs. LogicalDOC's API serves
/// no content of a deleted document (the item must be restored first), so a LogicalDOC mount
/// refuses the read at once with ENOTSUP.
pub fn assert_bin_read(backend: Backend, path: &Path, want: &[u8]) {
    match backend {
        Backend::WorkDocs => assert_eq!(std::fs::read(path).unwrap(), want),
        Backend::LogicalDoc => {
            let started = Instant::now();
            let err = std::fs::read(path).unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::ENOTSUP), "{err}");
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "the refusal took {:?}",
                started.elapsed()
            );
            // What is known of it is still shown.
            let len = std::fs::metadata(path).unwrap().len();
            assert_eq!(len, want.len() as u64);
        }
    }
}
