//! A real `docsfs serve` process for each test: started on 127.0.0.1:0 with a fresh data folder
//! and three users plus an admin key, its address read from the `listening on` line, its log kept
//! in the data folder. Dropping the guard stops the process (SIGTERM, then SIGKILL), even when the
//! test failed, so no server outlives its test. Shared by the test binaries (`#[path]`).

// Each test binary uses a different part of this file.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use docsfs::sigv4::AccessKey;

pub const ALICE: &str = "tok-alice-0123456789";
pub const BOB: &str = "tok-bob-0123456789";
pub const CAROL: &str = "tok-carol-0123456789";
pub const ADMIN_ID: &str = "AKIDDOCSFSADMIN";
pub const ADMIN_SECRET: &str = "admin-secret-do-not-log";

pub fn admin_key() -> AccessKey {
    AccessKey {
        id: ADMIN_ID.into(),
        secret: ADMIN_SECRET.into(),
    }
}

pub struct Server {
    child: Option<Child>,
    pub base: String,
    data: tempfile::TempDir,
    extra: Vec<String>,
    /// `--listen`: port 0 at first, the same port for [`Server::restart_on_same_port`].
    listen: String,
}

impl Server {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts a server with extra `docsfs serve` arguments.
    pub fn start_with(extra: &[&str]) -> Self {
        let data = tempfile::tempdir().expect("temp dir");
        let mut s = Self {
            child: None,
            base: String::new(),
            data,
            extra: extra.iter().map(|s| s.to_string()).collect(),
            listen: "127.0.0.1:0".into(),
        };
        s.launch();
        s
    }

    pub fn log_path(&self) -> PathBuf {
        self.data.path().join("server.log")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn launch(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_docsfs"))
            .args(["serve", "--data"])
            .arg(self.data.path().join("store"))
            .args(["--listen", &self.listen, "--log-level", "debug"])
            .args([
                "--user",
                &format!("alice:{ALICE}"),
                "--user",
                &format!("bob:{BOB}"),
            ])
            .args(["--user", &format!("carol:{CAROL}")])
            .args(["--admin-key", &format!("{ADMIN_ID}:{ADMIN_SECRET}")])
            .args(&self.extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("spawn docsfs serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read stdout");
        self.child = Some(child);
        let Some(addr) = line.trim().strip_prefix("listening on ") else {
            panic!("docsfs serve did not start; its log:\n{}", self.log());
        };
        self.base = addr.to_owned();
    }

    /// Stops the server with SIGTERM and waits for it to exit.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Stops and starts the server again on the same data folder (it gets a new port).
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    /// Starts the server again (after [`Server::stop`] or not) on the same data folder and port,
    /// so that clients configured with its address find it again.
    pub fn restart_on_same_port(&mut self) {
        self.stop();
        let authority = self.base.rsplit("//").next().unwrap_or(&self.base);
        self.listen = authority.trim_end_matches('/').to_owned();
        self.launch();
        self.listen = "127.0.0.1:0".into();
    }

    /// The exit status after a [`Server::stop`]-style SIGTERM (for the clean-stop test).
    pub fn terminate_and_status(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        child.wait().expect("wait")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
