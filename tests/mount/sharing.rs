//! `docsfs share`, `unshare`, `shares` and `activity` on paths inside real mounts: a folder
//! alice shares shows in bob's mount with the mode bits of the role, and goes away when
//! unshared; activity lists the test's own actions in order (WorkDocs; LogicalDOC has no
//! history service and says so); mistakes are one clear line and exit 1.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::harness::{Backend, Mount};
use super::ld_api::Ld;
use super::server_process::{ALICE, BOB, Server};

/// Runs `docsfs ARGS…`.
fn docsfs(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_docsfs"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("run docsfs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs `docsfs ARGS…`, which must succeed; its stdout.
fn ok(args: &[&str]) -> String {
    let out = docsfs(args);
    assert!(
        out.status.success(),
        "docsfs {args:?}: {}\n{}",
        out.status,
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Runs `docsfs ARGS…`, which must fail with exit code 1 and one line on stderr; that line.
fn fails(args: &[&str]) -> String {
    let out = docsfs(args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "docsfs {args:?}: {}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let err = text(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("docsfs: "), "{err}");
    err
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Waits up to 20 s for `cond`.
fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("not within 20 s: {what}");
}

fn mode(p: &Path) -> Option<u32> {
    std::fs::metadata(p)
        .ok()
        .map(|m| m.permissions().mode() & 0o777)
}

/// How `--with` names bob: his user name on WorkDocs, his number on LogicalDOC (whose REST
/// services have no user lookup).
fn bob_for(backend: Backend, server: &Server) -> String {
    match backend {
        Backend::WorkDocs => "bob".into(),
        Backend::LogicalDoc => Ld::new(&server.base, "bob", BOB).user_number().to_string(),
    }
}

/// The share of `shares --json` with `who` (by name or id).
fn share_of(list: &Value, who: &str) -> Option<Value> {
    list.as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == who || s["id"] == who)
        .cloned()
}

test_both!(fn a_shared_folder_shows_for_the_other_user_with_the_role_s_mode(backend) {
    let server = Server::start();
    let alice = Mount::on(backend, &server, ALICE, &["--metadata-ttl", "1"]);
    let bob = Mount::on(
        backend,
        &server,
        BOB,
        &["--metadata-ttl", "1", "--poll-interval", "1"],
    );
    let dir = alice.home().join("Team");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), b"agenda\n").unwrap();
    let who = bob_for(backend, &server);

    let said = ok(&["share", s(&dir), "--with", &who, "--role", "viewer"]);
    assert!(said.contains("viewer"), "{said}");
    let list: Value = serde_json::from_str(&ok(&["shares", s(&dir), "--json"])).unwrap();
    let share = share_of(&list, &who).unwrap_or_else(|| panic!("no {who} in {list}"));
    assert_eq!(share["role"], "viewer", "{list}");
    assert_eq!(share["type"], "user", "{list}");
    assert_eq!(share["inherited"], false, "{list}");
    let table = ok(&["shares", s(&dir)]);
    assert!(table.starts_with("WHO"), "{table}");
    assert!(
        table.lines().any(|l| l.contains(&who) && l.contains("viewer") && l.contains("direct")),
        "{table}"
    );

    let theirs = bob.shared("Team");
    eventually("bob sees the shared folder", || theirs.exists());
    assert_eq!(mode(&theirs), Some(0o555), "a viewer gets no w bits");
    assert_eq!(std::fs::read(theirs.join("notes.txt")).unwrap(), b"agenda\n");
    assert!(std::fs::write(theirs.join("nope.txt"), b"x").is_err());

    ok(&["share", s(&dir), "--with", &who, "--role", "contributor"]);
    let list: Value = serde_json::from_str(&ok(&["shares", s(&dir), "--json"])).unwrap();
    assert_eq!(share_of(&list, &who).unwrap()["role"], "contributor", "{list}");
    eventually("bob's folder turns writable", || {
        mode(&theirs).is_some_and(|m| m & 0o200 != 0)
    });
    std::fs::write(theirs.join("from-bob.txt"), b"hi alice\n").unwrap();
    eventually("alice sees bob's file", || dir.join("from-bob.txt").exists());

    ok(&["unshare", s(&dir), "--with", &who]);
    let list: Value = serde_json::from_str(&ok(&["shares", s(&dir), "--json"])).unwrap();
    assert!(share_of(&list, &who).is_none(), "{list}");
    eventually("the folder leaves bob's mount", || !theirs.exists());
});

#[test]
fn activity_lists_the_test_s_own_actions_in_order() {
    let server = Server::start();
    let alice = Mount::on(Backend::WorkDocs, &server, ALICE, &[]);
    let dir = alice.home().join("Log");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("a.txt"), b"first\n").unwrap();
    std::fs::rename(dir.join("a.txt"), dir.join("b.txt")).unwrap();
    std::fs::remove_file(dir.join("b.txt")).unwrap();

    let json: Value =
        serde_json::from_str(&ok(&["activity", s(&dir), "--since", "5m", "--json"])).unwrap();
    let events = json.as_array().unwrap();
    assert!(events.iter().all(|e| e["actor"] == "alice"), "{json:#}");
    let seen: Vec<(String, String)> = events
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["item"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let want = [
        ("FOLDER_CREATED", "Log"),
        ("DOCUMENT_VERSION_UPLOADED", "a.txt"),
        ("DOCUMENT_RENAMED", "b.txt"),
        ("DOCUMENT_RECYCLED", "b.txt"),
    ];
    let mut at = 0;
    for (action, item) in &seen {
        if at < want.len() && (action.as_str(), item.as_str()) == want[at] {
            at += 1;
        }
    }
    assert_eq!(at, want.len(), "in this order: {want:?}; got {seen:?}");
    let renamed = events
        .iter()
        .find(|e| e["action"] == "DOCUMENT_RENAMED")
        .unwrap();
    assert_eq!(renamed["old_name"], "a.txt");

    let lines = ok(&["activity", s(&dir), "--since", "5m"]);
    let expected = [
        "alice  created folder  Log",
        "alice  uploaded file  a.txt  (version ",
        "alice  renamed file  b.txt  (was a.txt)",
        "alice  deleted (to the recycle bin) file  b.txt",
    ];
    let mut from = 0;
    for want in expected {
        let found = lines[from..]
            .find(want)
            .unwrap_or_else(|| panic!("{want:?} after byte {from} of:\n{lines}"));
        from += found + want.len();
    }
    // `--since` in the future: nothing; `--limit 1`: the newest only.
    let none: Value = serde_json::from_str(&ok(&[
        "activity",
        s(&dir),
        "--since",
        "2999-01-01T00:00:00Z",
        "--json",
    ]))
    .unwrap();
    assert_eq!(none, serde_json::json!([]));
    let one: Value =
        serde_json::from_str(&ok(&["activity", s(&dir), "--limit", "1", "--json"])).unwrap();
    assert_eq!(one.as_array().unwrap().len(), 1);
    assert_eq!(one[0]["action"], "DOCUMENT_RECYCLED", "{one}");
}

test_both!(fn mistakes_and_what_a_backend_cannot_do_are_one_clear_line(backend) {
    let server = Server::start();
    let alice = Mount::on(backend, &server, ALICE, &[]);
    let dir = alice.home().join("Mine");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("doc.txt"), b"x\n").unwrap();

    let outside = tempfile::tempdir().unwrap();
    let err = fails(&["shares", s(outside.path())]);
    assert!(err.contains("is not inside a docsfs mount"), "{err}");
    let err = fails(&["activity", s(&outside.path().join("missing"))]);
    assert!(err.contains("No such file"), "{err}");

    let err = fails(&["share", s(&dir), "--with", "nobody", "--role", "viewer"]);
    match backend {
        Backend::WorkDocs => assert!(err.contains("no such user or group: nobody"), "{err}"),
        Backend::LogicalDoc => assert!(err.contains("no user lookup"), "{err}"),
    }
    if backend == Backend::WorkDocs {
        let err = fails(&["share", s(&dir), "--with", "zed@nowhere.example", "--role", "viewer"]);
        assert!(err.contains("does not send invitations"), "{err}");
    }
    let err = fails(&["unshare", s(&dir), "--with", &bob_for(backend, &server)]);
    assert!(err.contains("no share") || err.contains("no entry"), "{err}");

    // A role clap does not know: a usage error naming the roles.
    let out = docsfs(&["share", s(&dir), "--with", "bob", "--role", "owner"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("viewer") && err.contains("coowner"), "{err}");

    let err = fails(&["shares", s(&alice.bin())]);
    assert!(err.contains("Recycle Bin is a view of this mount"), "{err}");

    match backend {
        Backend::WorkDocs => {
            // A document can be shared on WorkDocs.
            ok(&["share", s(&dir.join("doc.txt")), "--with", "bob", "--role", "viewer"]);
            let list = ok(&["shares", s(&dir.join("doc.txt"))]);
            assert!(list.contains("bob"), "{list}");
        }
        Backend::LogicalDoc => {
            let err = fails(&["activity", s(&dir)]);
            assert!(
                err.contains("activity is not supported on this LogicalDOC mount"),
                "{err}"
            );
            let bob = bob_for(backend, &server);
            let err = fails(&["share", s(&dir.join("doc.txt")), "--with", &bob, "--role", "viewer"]);
            assert!(err.contains("share folders only"), "{err}");
            let err = fails(&[
                "share", s(&dir), "--with", &bob, "--role", "viewer", "--notify", "hi",
            ]);
            assert!(err.contains("no share notifications"), "{err}");
            let err = fails(&["share", s(&dir), "--with", "999999", "--role", "viewer"]);
            assert!(err.contains("999999"), "{err}");
        }
    }
});
