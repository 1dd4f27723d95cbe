//! Offline: the server goes away under a mount. Cached listings and the pages the kernel holds
//! stay readable; uncached content fails with EIO, and the log says the store is unreachable
//! once, not per call; a file written meanwhile fails its `close` but is kept, and when the
//! server is back (same address) docsfs reconnects by itself and uploads it.

use std::time::{Duration, Instant};

use super::harness::Mount;
use super::server_process::{ALICE, Server};

const ARGS: &[&str] = &[
    "--metadata-ttl",
    "1",
    "--timeout",
    "3",
    "--poll-interval",
    "1",
];

test_both!(fn a_mount_outlives_its_server_and_uploads_what_waited(backend) {
    let mut server = Server::start();
    let mount = Mount::on(backend, &server, ALICE, ARGS);
    let home = mount.home();
    std::fs::create_dir(home.join("docs")).unwrap();
    let docs = home.join("docs");
    std::fs::write(docs.join("seen.txt"), "cached content").unwrap();
    std::fs::write(docs.join("unread.txt"), "never read here").unwrap();
    // A second mount makes `unread.txt` truly uncached for this test's reader.
    let reader = Mount::on(backend, &server, ALICE, ARGS);
    let rdocs = reader.home().join("docs");
    assert_eq!(std::fs::read(rdocs.join("seen.txt")).unwrap(), b"cached content");
    assert!(rdocs.join("unread.txt").exists());

    server.stop();
    std::thread::sleep(Duration::from_millis(1500));
    // Past the TTL, the listing is asked for, the server is gone, and the cached one stands in.
    assert_eq!(crate::names(&rdocs), ["seen.txt", "unread.txt"]);
    assert_eq!(std::fs::read(rdocs.join("seen.txt")).unwrap(), b"cached content");
    for _ in 0..5 {
        let err = std::fs::read(rdocs.join("unread.txt")).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EIO), "{err}");
    }
    let log = reader.log();
    assert_eq!(log.matches("the store is unreachable").count(), 1, "{log}");

    // Written while the server is away: `close` fails, the bytes are kept.
    let mut f = std::fs::File::create(rdocs.join("offline.txt")).unwrap();
    std::io::Write::write_all(&mut f, b"kept in the spool").unwrap();
    let fd = std::os::fd::IntoRawFd::into_raw_fd(f);
    // SAFETY: fd is an open descriptor we own; it is closed exactly once here.
    let rc = unsafe { libc::close(fd) };
    let errno = std::io::Error::last_os_error().raw_os_error();
    assert_eq!((rc, errno), (-1, Some(libc::EIO)), "{}", reader.log());

    server.restart_on_same_port();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if std::fs::read(docs.join("offline.txt")).ok().as_deref()
            == Some(b"kept in the spool".as_slice())
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the kept file never reached the server; the reader's log:\n{}",
            reader.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(reader.log().contains("the store is reachable again"));
    assert_eq!(std::fs::read(rdocs.join("offline.txt")).unwrap(), b"kept in the spool");
});
