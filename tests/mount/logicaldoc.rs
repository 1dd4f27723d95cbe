//! LogicalDOC-only behaviour of a real mount (`--backend logicaldoc`), arranged through the
//! server's LogicalDOC API: folder aliases as symbolic links, an overwrite as minor version 1.1,
//! access control lists as mode bits and EACCES, other users' locks as read-only files.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde_json::json;

use super::api::Api;
use super::harness::{Backend, Mount};
use super::ld_api::Ld;
use super::names;
use super::server_process::{ALICE, BOB, Server};

fn errno_of(r: std::io::Result<impl Sized>) -> Option<i32> {
    r.err().and_then(|e| e.raw_os_error())
}

fn append(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(path)?;
    f.write_all(bytes)
}

#[test]
fn an_alias_is_a_symlink_whose_target_lists_the_aliased_folder() {
    let server = Server::start();
    let ld = Ld::new(&server.base, "alice", ALICE);
    {
        let m = Mount::on(Backend::LogicalDoc, &server, ALICE, &[]);
        std::fs::create_dir_all(m.home().join("Projects/2024")).unwrap();
        std::fs::write(m.home().join("Projects/2024/plan.txt"), b"the plan\n").unwrap();
    }
    let target = ld.folder_at("/Default/Projects/2024");
    let alias = ld.create_alias(4, target);
    assert_eq!(
        (alias["type"].as_i64(), alias["name"].as_str()),
        (Some(2), Some("2024"))
    );

    let m = Mount::on(Backend::LogicalDoc, &server, ALICE, &[]);
    let link = m.home().join("2024");
    let meta = std::fs::symlink_metadata(&link).unwrap();
    assert!(meta.file_type().is_symlink(), "{meta:?}");
    let shown = std::fs::read_link(&link).unwrap();
    assert_eq!(shown, Path::new("../Default/Projects/2024"));
    assert_eq!(
        names(&link),
        ["plan.txt"],
        "the link lists the aliased folder"
    );
    assert_eq!(std::fs::read(link.join("plan.txt")).unwrap(), b"the plan\n");
    // `find` does not follow it; `rm` removes the alias and leaves the folder.
    let out = std::process::Command::new("find")
        .arg(m.home())
        .arg("-type")
        .arg("l")
        .output();
    let found = String::from_utf8(out.unwrap().stdout).unwrap();
    assert_eq!(found.lines().count(), 1, "{found}");
    std::fs::remove_file(&link).unwrap();
    assert!(std::fs::symlink_metadata(&link).is_err());
    assert_eq!(names(&m.home().join("Projects/2024")), ["plan.txt"]);
    assert_eq!(ld.folder_at("/Default/Projects/2024"), target);
}

#[test]
fn an_overwrite_is_a_new_minor_version_at_the_server() {
    let server = Server::start();
    let ld = Ld::new(&server.base, "alice", ALICE);
    let m = Mount::on(Backend::LogicalDoc, &server, ALICE, &[]);
    let file = m.home().join("report.txt");
    std::fs::write(&file, b"draft\n").unwrap();
    let doc = ld.document_in(4, "report.txt");
    assert_eq!(doc["version"], "1.0");
    std::fs::write(&file, b"final\n").unwrap();
    let id = doc["id"].as_i64().unwrap();
    assert_eq!(ld.versions(id), ["1.1", "1.0"]);
    assert_eq!(ld.document_in(4, "report.txt")["id"].as_i64(), Some(id));
    append(&file, b"signed\n").unwrap();
    assert_eq!(ld.versions(id), ["1.2", "1.1", "1.0"]);
    assert_eq!(std::fs::read(&file).unwrap(), b"final\nsigned\n");
}

#[test]
fn access_control_lists_become_modes_and_eacces() {
    let server = Server::start();
    let bob_api = Api::new(&server.base, BOB);
    let (_, bob_home, _) = bob_api.me();
    let ro_id = bob_api.mkdir(&bob_home, "ReadOnly");
    bob_api.mkdir(&bob_home, "Shared");
    bob_api.upload(&ro_id, "rules.txt", b"read me\n");
    let (bob, alice) = (
        Ld::new(&server.base, "bob", BOB),
        Ld::new(&server.base, "alice", ALICE),
    );
    let alice_number = alice.user_number();
    let ro = bob.folder_at("/Default/ReadOnly");
    let rw = bob.folder_at("/Default/Shared");
    bob.set_acl(
        ro,
        json!([{ "userId": alice_number, "read": 1, "download": 1, "write": 0 }]),
    );
    bob.set_acl(
        rw,
        json!([{ "userId": alice_number, "read": 1, "download": 1, "write": 1,
                              "add": 1, "rename": 1, "delete": 1, "move": 1 }]),
    );

    let m = Mount::on(Backend::LogicalDoc, &server, ALICE, &[]);
    assert_eq!(
        names(&m.path),
        ["Default", "ReadOnly", "Recycle Bin", "Shared"]
    );
    let ro_dir = m.path.join("ReadOnly");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        (mode(&ro_dir), mode(&ro_dir.join("rules.txt"))),
        (0o555, 0o444)
    );
    assert_eq!(mode(&m.path.join("Shared")), 0o755);
    assert_eq!(
        std::fs::read(ro_dir.join("rules.txt")).unwrap(),
        b"read me\n"
    );
    // Root gets EACCES too: docsfs checks the role itself.
    assert_eq!(
        errno_of(std::fs::write(ro_dir.join("new.txt"), b"x")),
        Some(libc::EACCES)
    );
    assert_eq!(
        errno_of(append(&ro_dir.join("rules.txt"), b"x")),
        Some(libc::EACCES)
    );
    assert_eq!(
        errno_of(std::fs::create_dir(ro_dir.join("d"))),
        Some(libc::EACCES)
    );
    assert_eq!(
        errno_of(std::fs::remove_file(ro_dir.join("rules.txt"))),
        Some(libc::EACCES)
    );
    // The root holds workspaces, which only administrators make.
    assert_eq!(
        errno_of(std::fs::create_dir(m.path.join("Mine"))),
        Some(libc::EACCES)
    );
    // Where the ACL allows writing, writes reach bob's folder.
    std::fs::write(m.path.join("Shared/from-alice.txt"), b"hello bob\n").unwrap();
    assert_eq!(
        bob.document_in(rw, "from-alice.txt")["fileSize"].as_i64(),
        Some(10)
    );
}

#[test]
fn a_document_locked_by_another_user_is_read_only() {
    let server = Server::start();
    let bob_api = Api::new(&server.base, BOB);
    let (_, bob_home, _) = bob_api.me();
    let team = bob_api.mkdir(&bob_home, "Team");
    bob_api.upload(&team, "plan.txt", b"v1\n");
    let (bob, alice) = (
        Ld::new(&server.base, "bob", BOB),
        Ld::new(&server.base, "alice", ALICE),
    );
    let folder = bob.folder_at("/Default/Team");
    bob.set_acl(
        folder,
        json!([{ "userId": alice.user_number(), "read": 1, "write": 1, "add": 1 }]),
    );
    let doc = bob.document_in(folder, "plan.txt")["id"].as_i64().unwrap();
    bob.lock(doc);

    let m = Mount::on(Backend::LogicalDoc, &server, ALICE, &[]);
    let plan = m.path.join("Team/plan.txt");
    let mode = std::fs::metadata(&plan).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o444);
    assert_eq!(std::fs::read(&plan).unwrap(), b"v1\n");
    assert_eq!(errno_of(append(&plan, b"v2\n")), Some(libc::EACCES));
    assert_eq!(bob.versions(doc), ["1.0"]);
    // The folder itself stays writable.
    std::fs::write(m.path.join("Team/notes.txt"), b"n\n").unwrap();
}
