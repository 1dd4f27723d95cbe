//! `docsfs mount --daemon`: the fork that lets the parent return once the mount is up, and the
//! pipe over which the child says how mounting went (then detaches its standard streams).

use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};

use anyhow::bail;

use super::MountArgs;

static READY_FD: std::sync::Mutex<Option<OwnedFd>> = std::sync::Mutex::new(None);

/// With `--daemon`: forks; the parent waits until the child reports the mount up (exit 0) or
/// failed (its message, exit 1). Must run before any thread is started.
pub fn daemonize_if_asked(args: &MountArgs) -> anyhow::Result<()> {
    if !args.daemon {
        return Ok(());
    }
    let mut fds = [0; 2];
    // SAFETY: pipe writes two descriptors into the array we own.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        bail!("cannot create a pipe: {}", std::io::Error::last_os_error());
    }
    // SAFETY: the descriptors were just created and are owned here only.
    let (read_end, write_end) =
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: no other thread exists yet (called first thing in main), so fork is sound.
    match unsafe { libc::fork() } {
        -1 => bail!("cannot fork: {}", std::io::Error::last_os_error()),
        0 => {
            drop(read_end);
            // SAFETY: setsid has no memory effects; detaching from the terminal's session.
            unsafe { libc::setsid() };
            *READY_FD.lock().expect("ready lock") = Some(write_end);
            Ok(())
        }
        _child => {
            drop(write_end);
            let mut msg = String::new();
            std::fs::File::from(read_end).read_to_string(&mut msg)?;
            if msg == "ok" {
                std::process::exit(0);
            }
            if msg.is_empty() {
                msg = "the background process exited before mounting".into();
            }
            eprintln!("docsfs: {msg}");
            std::process::exit(1);
        }
    }
}

/// Tells a waiting `--daemon` parent how mounting went (returns whether there was one), and
/// detaches stdio once mounted.
pub fn report_ready(result: Result<(), String>) -> bool {
    let Some(fd) = READY_FD.lock().expect("ready lock").take() else {
        return false;
    };
    let mut f = std::fs::File::from(fd);
    let _ = f.write_all(match &result {
        Ok(()) => b"ok".as_slice(),
        Err(m) => m.as_bytes(),
    });
    if result.is_ok() {
        if let Ok(null) = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/null")
        {
            use std::os::fd::AsRawFd;
            // SAFETY: dup2 onto the standard descriptors of this process.
            unsafe {
                libc::dup2(null.as_raw_fd(), 0);
                libc::dup2(null.as_raw_fd(), 1);
                libc::dup2(null.as_raw_fd(), 2);
            }
        }
    }
    true
}
