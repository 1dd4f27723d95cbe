//! The read-only versions view and `docsfs versions` on a real mount, through both APIs: the
//! hidden `.versions` folder stays out of `ls -a` and `find`, lists every version with its size,
//! streams an old version's bytes (one larger than 1 MiB, so reads are ranged and read ahead),
//! refuses writes with EROFS, and restoring — by the command or by `cp` from the view — makes
//! the old bytes current as a new version, which the server confirms.

use std::path::Path;
use std::process::{Command, Output};

use super::api::Api;
use super::harness::{Backend, Mount};
use super::ld_api::Ld;
use super::names;
use super::server_process::{ALICE, Server};

/// `len` bytes of position-dependent content.
fn content(len: usize, seed: u8) -> Vec<u8> {
    (0..len as u64)
        .map(|i| super::pattern_byte(i, seed))
        .collect()
}

fn docsfs(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_docsfs"))
        .args(args)
        .output()
        .expect("run docsfs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// How many versions the server holds of `docs/report.txt` in alice's home, asked through the
/// API the mount speaks.
fn versions_at_server(backend: Backend, server: &Server) -> usize {
    match backend {
        Backend::WorkDocs => {
            let api = Api::new(&server.base, ALICE);
            let (_, root, _) = api.me();
            api.versions(&api.id_at(&root, "docs/report.txt")).len()
        }
        Backend::LogicalDoc => {
            let ld = Ld::new(&server.base, "alice", ALICE);
            let folder = ld.folder_at("/Default/docs");
            let doc = ld.document_in(folder, "report.txt");
            ld.versions(doc["id"].as_i64().unwrap()).len()
        }
    }
}

fn assert_erofs(what: &str, r: std::io::Result<impl std::fmt::Debug>) {
    match r {
        Err(e) => assert_eq!(e.raw_os_error(), Some(libc::EROFS), "{what}: {e}"),
        Ok(v) => panic!("{what}: expected EROFS, got {v:?}"),
    }
}

test_both!(fn old_versions_are_read_and_restored(backend) {
    let server = Server::start();
    let mount = Mount::on(backend, &server, ALICE, &[]);
    let dir = mount.home().join("docs");
    std::fs::create_dir(&dir).unwrap();
    let file = dir.join("report.txt");
    let contents = [content(1_500_000, 1), content(10, 2), content(70_000, 3)];
    for c in &contents {
        std::fs::write(&file, c).unwrap();
    }
    assert_eq!(versions_at_server(backend, &server), 3);

    // Hidden from listings and walks, yet there when named.
    let view = dir.join(".versions").join("report.txt");
    assert!(view.is_dir());
    assert_eq!(names(&dir), ["report.txt"]);
    let ls = Command::new("ls").arg("-a").arg(&dir).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&ls.stdout), ".\n..\nreport.txt\n");
    let find = Command::new("find").arg(&mount.path).output().unwrap();
    assert!(find.status.success(), "{}", stderr(&find));
    assert!(
        !String::from_utf8_lossy(&find.stdout).contains(".versions"),
        "{}",
        String::from_utf8_lossy(&find.stdout)
    );
    let copy = tempfile::tempdir().unwrap();
    let rsync = Command::new("rsync")
        .arg("-a")
        .arg(format!("{}/", mount.home().display()))
        .arg(copy.path())
        .output()
        .unwrap();
    assert!(rsync.status.success(), "{}", stderr(&rsync));
    assert_eq!(names(&copy.path().join("docs")), ["report.txt"]);
    assert_eq!(names(&dir.join(".versions")), ["report.txt"]);

    // Three versions, oldest first, with their sizes; the oldest reads back exactly.
    let listed = names(&view);
    assert_eq!(listed.len(), 3, "{listed:?}");
    let first_label = match backend {
        Backend::WorkDocs => "v1_",
        Backend::LogicalDoc => "v1.0_",
    };
    assert!(listed[0].starts_with(first_label), "{listed:?}");
    assert!(listed.iter().all(|n| n.ends_with("Z.txt")), "{listed:?}");
    for (name, c) in listed.iter().zip(&contents) {
        let meta = std::fs::metadata(view.join(name)).unwrap();
        assert_eq!(meta.len(), c.len() as u64, "{name}");
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777,
            0o444
        );
    }
    assert!(std::fs::read(view.join(&listed[0])).unwrap() == contents[0]);
    assert!(std::fs::read(view.join(&listed[1])).unwrap() == contents[1]);

    // Nothing in the view can be written.
    assert_erofs("create", std::fs::write(view.join("new.txt"), b"x"));
    assert_erofs(
        "open for writing",
        std::fs::OpenOptions::new().write(true).open(view.join(&listed[0])),
    );
    assert_erofs("unlink", std::fs::remove_file(view.join(&listed[0])));
    assert_erofs("mkdir", std::fs::create_dir(dir.join(".versions").join("x")));

    // `docsfs versions list`.
    let out = docsfs(&["versions".as_ref(), "list".as_ref(), file.as_os_str()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.lines().last().unwrap().ends_with("(current)"), "{text}");

    // Restore the oldest by its label: the file has the old bytes, as a fourth version.
    let label = listed[0].split('_').next().unwrap();
    let out = docsfs(&["versions".as_ref(), "restore".as_ref(), file.as_os_str(), label.as_ref()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::read(&file).unwrap() == contents[0]);
    assert_eq!(versions_at_server(backend, &server), 4);
    let relisted = names(&view);
    assert_eq!(relisted.len(), 4, "{relisted:?}");
    assert_eq!(std::fs::metadata(view.join(&relisted[3])).unwrap().len(), contents[0].len() as u64);

    // `cp` from the view over the file restores too.
    let cp = Command::new("cp")
        .arg(view.join(&listed[1]))
        .arg(&file)
        .output()
        .unwrap();
    assert!(cp.status.success(), "{}", stderr(&cp));
    assert_eq!(std::fs::read(&file).unwrap(), contents[1]);
    assert_eq!(versions_at_server(backend, &server), 5);

    // An unknown version: one line, exit 1, nothing uploaded.
    let out = docsfs(&["versions".as_ref(), "restore".as_ref(), file.as_os_str(), "v99".as_ref()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no version \"v99\""), "{err}");
    assert_eq!(versions_at_server(backend, &server), 5);
});

test_both!(fn the_command_refuses_what_is_not_a_document_of_a_mount(backend) {
    let server = Server::start();
    let mount = Mount::on(backend, &server, ALICE, &[]);
    let home = mount.home();
    std::fs::write(home.join("a.txt"), b"a").unwrap();
    let outside = tempfile::tempdir().unwrap();
    let plain = outside.path().join("plain.txt");
    std::fs::write(&plain, b"x").unwrap();
    let cases: [(&Path, &str); 3] = [
        (&plain, "not in a docsfs mount"),
        (&home, "is a folder"),
        (&home.join("missing.txt"), "cannot stat"),
    ];
    for (path, want) in cases {
        let out = docsfs(&["versions".as_ref(), "list".as_ref(), path.as_os_str()]);
        assert_eq!(out.status.code(), Some(1), "{}", path.display());
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(want), "{}: {err}", path.display());
    }
    // A version by its id (WorkDocs: the API's; LogicalDOC: its label) looks up in the view
    // without being listed, and the command takes it; a file name of the view too.
    let view = home.join(".versions").join("a.txt");
    assert_eq!(names(&view).len(), 1);
    let id = match backend {
        Backend::WorkDocs => {
            let api = Api::new(&server.base, ALICE);
            let (_, root, _) = api.me();
            let versions = api.versions(&api.id_at(&root, "a.txt"));
            versions[0]["Id"].as_str().unwrap().to_owned()
        }
        Backend::LogicalDoc => "1.0".to_owned(),
    };
    assert_eq!(std::fs::read(view.join(&id)).unwrap(), b"a");
    assert_eq!(names(&view).len(), 1);
    for version in [id, names(&view)[0].clone()] {
        let out = docsfs(&[
            "versions".as_ref(),
            "restore".as_ref(),
            home.join("a.txt").as_os_str(),
            version.as_ref(),
        ]);
        assert!(out.status.success(), "{version}: {}", stderr(&out));
    }
    assert_eq!(names(&view).len(), 3);
});
