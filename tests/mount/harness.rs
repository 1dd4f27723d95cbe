//! A real mount for each test: `docsfs mount` as a child process against a real `docsfs serve`,
//! on a fresh mountpoint, with the token in a 0600 file. Dropping the guard sends SIGTERM (the
//! daemon unmounts itself), and falls back to `fusermount3 -uz` and SIGKILL, so no mount outlives
//! its test even when the test failed.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::server_process::Server;

pub struct Mount {
    child: Option<Child>,
    dir: tempfile::TempDir,
    pub path: PathBuf,
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
    /// Mounts the server as the user with `token`, with extra `docsfs mount` arguments.
    pub fn new(server: &Server, token: &str, extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let token_file = secret_file(dir.path(), "token", token);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_docsfs"));
        cmd.args(["mount", "--endpoint", &server.base, "--token-file"])
            .arg(&token_file)
            .arg("--cache-dir")
            .arg(dir.path().join("cache"))
            .args(extra);
        Self::spawn(dir, cmd, true)
    }

    /// Runs `cmd` (a docsfs command mounting on `<dir>/mnt`, given last unless `mountpoint_last`
    /// is false, when `cmd` already names it) and waits for the mount.
    pub fn spawn(dir: tempfile::TempDir, mut cmd: Command, mountpoint_last: bool) -> Self {
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
        let mut m = Self {
            child: Some(child),
            dir,
            path,
        };
        m.wait_mounted();
        m
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

    /// The spool folder of a mount made with [`Mount::new`].
    pub fn spool_dir(&self) -> PathBuf {
        self.dir.path().join("cache").join("spool")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("mount.log")).unwrap_or_default()
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
