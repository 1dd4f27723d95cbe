//! Readiness for systemd (`Type=notify` units, sd_notify(3)) without libsystemd: when the
//! service manager set `NOTIFY_SOCKET`, `docsfs mount` sends `READY=1` once the mount is up and
//! `STOPPING=1` when it starts unmounting, so that a unit is "active" exactly while the files
//! are there and units ordered after it start only then. One datagram per message over std's
//! `UnixDatagram`; a socket name starting with `@` is in the abstract namespace (a leading NUL
//! on the wire). Without `NOTIFY_SOCKET` nothing is sent; a failure to send is logged, never
//! fatal — the mount works either way.

use std::ffi::OsStr;
use std::os::unix::net::{SocketAddr, UnixDatagram};

/// The environment variable the service manager names its notification socket in.
pub const NOTIFY_SOCKET: &str = "NOTIFY_SOCKET";

/// Tells the service manager (if any) that the mount at `mountpoint` is up.
pub fn ready(mountpoint: &std::path::Path) {
    notify_logged(&format!(
        "READY=1\nSTATUS=Mounted on {}",
        mountpoint.display()
    ));
}

/// Tells the service manager (if any) that the mount is going away.
pub fn stopping() {
    notify_logged("STOPPING=1\nSTATUS=Unmounting");
}

fn notify_logged(state: &str) {
    match notify(state) {
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cannot notify the service manager"),
    }
}

/// Sends `state` to `$NOTIFY_SOCKET`; `Ok(false)` when it is not set.
pub fn notify(state: &str) -> std::io::Result<bool> {
    match std::env::var_os(NOTIFY_SOCKET) {
        Some(socket) if !socket.is_empty() => send(&socket, state).map(|()| true),
        _ => Ok(false),
    }
}

/// Sends one notification datagram to the socket named `socket` (a path, or `@name`).
pub fn send(socket: &OsStr, state: &str) -> std::io::Result<()> {
    let addr = address(socket)?;
    let sock = UnixDatagram::unbound()?;
    sock.send_to_addr(state.as_bytes(), &addr)?;
    Ok(())
}

fn address(socket: &OsStr) -> std::io::Result<SocketAddr> {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::ffi::OsStrExt;
    match socket.as_bytes() {
        [b'@', name @ ..] => SocketAddr::from_abstract_name(name),
        [b'/', ..] => SocketAddr::from_pathname(socket),
        _ => Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            format!(
                "NOTIFY_SOCKET={} is neither a path nor an abstract socket",
                socket.to_string_lossy()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn received(sock: &UnixDatagram) -> String {
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 256];
        let n = sock.recv(&mut buf).unwrap();
        String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    #[test]
    fn a_path_socket_gets_the_message() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.sock");
        let sock = UnixDatagram::bind(&path).unwrap();
        send(path.as_os_str(), "READY=1").unwrap();
        assert_eq!(received(&sock), "READY=1");
    }

    #[test]
    fn an_at_sign_names_an_abstract_socket() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("docsfs-notify-test-{}", std::process::id());
        let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let sock = UnixDatagram::bind_addr(&addr).unwrap();
        send(OsStr::new(&format!("@{name}")), "STOPPING=1").unwrap();
        assert_eq!(received(&sock), "STOPPING=1");
    }

    #[test]
    fn other_addresses_are_refused() {
        let e = send(OsStr::new("vsock:2:1234"), "READY=1").unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::Unsupported);
    }
}
