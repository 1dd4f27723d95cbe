//! Security properties of a real mount against a real server, on both backends:
//! - no secret reaches either log: a workload (mkdir, write, read, rename, overwrite, touch, rm,
//!   restore, rmdir) through a password/token mount and through the other credential kind (a
//!   WorkDocs admin key, a LogicalDOC API key), plus refused logins, all at `--log-level debug`
//!   on both sides; the logs are searched for the tokens, passwords, keys, every LogicalDOC
//!   sid (those this test opened itself, and anything shaped like one), Basic credentials and
//!   signed-URL signatures;
//! - a secret file that group or others can read is refused, naming `chmod 600`.
//!
//! That one user's credentials open nothing of another's is the server's side: see
//! `tests/server/isolation.rs`.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;

use super::api::Api;
use super::block;
use super::harness::{Backend, Mount, is_mounted, mount_command, secret_file, user_of};
use super::server_process::{ADMIN_ID, ADMIN_SECRET, ALICE, BOB, CAROL, Server};

/// A wrong secret, presented by the refused logins.
const WRONG: &str = "wrong-secret-5f0c9a7e31";

/// The first substring of `text` shaped like a UUID (8-4-4-4-12 hex digits), which is what a
/// LogicalDOC sid looks like.
fn uuid_like(text: &str) -> Option<&str> {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    let b = text.as_bytes();
    (0..b.len().saturating_sub(35)).find_map(|start| {
        let mut at = start;
        for (i, len) in GROUPS.iter().enumerate() {
            if !b[at..at + len].iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            at += len;
            if i < 4 {
                if b[at] != b'-' {
                    return None;
                }
                at += 1;
            }
        }
        Some(&text[start..at])
    })
}

#[test]
fn uuid_like_finds_sids_only() {
    let sid = "0f8fad5b-d9cb-469f-a165-70867728950e";
    assert_eq!(uuid_like(&format!("sid={sid}&x")), Some(sid));
    assert_eq!(uuid_like("1700000000000-0011223344556677 abcdef"), None);
    assert_eq!(uuid_like(&"ab".repeat(40)), None);
}

/// Asserts that none of `secrets`, nothing sid-shaped and no signed-URL signature appears in
/// `log` (named `what` in the failure, which does not quote the secret).
fn assert_clean(what: &str, log: &str, secrets: &[String]) {
    assert!(!log.is_empty(), "{what}: the log is empty");
    for (i, secret) in secrets.iter().enumerate() {
        assert!(
            !log.contains(secret.as_str()),
            "{what} shows secret #{i} (of {} chars); the log:\n{log}",
            secret.len()
        );
    }
    if let Some(sid) = uuid_like(log) {
        panic!("{what} shows a sid-shaped value {sid}; the log:\n{log}");
    }
    let lower = log.to_ascii_lowercase();
    for marker in [
        "x-docsfs-signature",
        "x-amz-signature",
        "signature=",
        "basic ",
    ] {
        assert!(
            !lower.contains(marker),
            "{what} shows {marker:?}; the log:\n{log}"
        );
    }
}

/// What `X-Docsfs-Signature` (or `X-Amz-Signature`) a signed URL carries.
fn signature_of(url: &str) -> String {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let sig = query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k.eq_ignore_ascii_case("X-Docsfs-Signature") || k.eq_ignore_ascii_case("X-Amz-Signature"))
            .then(|| v.to_owned())
    });
    sig.unwrap_or_else(|| panic!("no signature in a signed URL of {} chars", url.len()))
}

/// Through the WorkDocs API as alice: uploads a document (a signed upload URL), reads it back
/// (a signed download URL); returns both signatures, so that a server logging them would log
/// these.
fn workdocs_signatures(base: &str) -> Vec<String> {
    let api = Api::new(base, ALICE);
    let (_, root, _) = api.me();
    let init =
        serde_json::json!({ "ParentFolderId": root, "Name": "api.txt", "DocumentSizeInBytes": 3 });
    let r = api.call("POST", "/api/v1/documents", Some(init));
    let upload = signature_of(r["UploadMetadata"]["UploadUrl"].as_str().unwrap());
    let doc = r["Metadata"]["Id"].as_str().unwrap().to_owned();
    api.put_and_activate(&doc, &r, b"api");
    let version = r["Metadata"]["LatestVersionMetadata"]["Id"]
        .as_str()
        .unwrap();
    let v = api.call(
        "GET",
        &format!("/api/v1/documents/{doc}/versions/{version}?fields=SOURCE"),
        None,
    );
    let url = v["Metadata"]["Source"]["ORIGINAL"].as_str().unwrap();
    let body = block(async { reqwest::get(url).await.unwrap().bytes().await.unwrap() });
    assert_eq!(&body[..], b"api");
    vec![upload, signature_of(url)]
}

/// Sids the server hands out to LogicalDOC logins (password, form, API key), each then used
/// (as a header, a cookie, in `renew`'s and `logout`'s query), so that a server logging sids
/// would log these.
fn logicaldoc_sids(base: &str) -> Vec<String> {
    block(async {
        let http = reqwest::Client::new();
        let rest = |op: &str| format!("{base}/services/rest/{op}");
        let text = |r: reqwest::Response| async move {
            assert!(r.status().is_success(), "{}", r.status());
            r.text().await.unwrap()
        };
        let by_query = http
            .get(rest("auth/login"))
            .query(&[("u", "alice"), ("pw", ALICE)]);
        let mut sids = vec![text(by_query.send().await.unwrap()).await];
        let by_form = http
            .post(rest("auth/loginForm"))
            .form(&[("username", "bob"), ("password", BOB)]);
        sids.push(text(by_form.send().await.unwrap()).await);
        let by_key = http
            .get(rest("auth/loginApiKey"))
            .header("X-API-KEY", CAROL);
        sids.push(text(by_key.send().await.unwrap()).await);
        for sid in &sids {
            assert!(
                uuid_like(sid) == Some(sid.as_str()),
                "a sid of {} chars",
                sid.len()
            );
            let r = http
                .get(rest("folder/getFolder?folderId=4"))
                .header("sid", sid);
            text(r.send().await.unwrap()).await;
            let r = http
                .get(rest("auth/getSid"))
                .header("Cookie", format!("ldoc-sid={sid}"));
            text(r.send().await.unwrap()).await;
            let r = http.get(rest("auth/renew")).query(&[("sid", sid)]);
            assert!(r.send().await.unwrap().status().is_success());
        }
        let r = http.delete(rest("auth/logout")).query(&[("sid", &sids[1])]);
        assert!(r.send().await.unwrap().status().is_success());
        sids
    })
}

/// The workload: every kind of change the mount makes, read back.
fn workload(m: &Mount) {
    let home = m.home();
    let dir = home.join("sec");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("a.txt"), b"alpha").unwrap();
    assert_eq!(std::fs::read(dir.join("a.txt")).unwrap(), b"alpha");
    std::fs::rename(dir.join("a.txt"), dir.join("b.txt")).unwrap();
    std::fs::write(dir.join("b.txt"), b"beta, a new version").unwrap();
    assert_eq!(
        std::fs::read(dir.join("b.txt")).unwrap(),
        b"beta, a new version"
    );
    let touched = Command::new("touch")
        .args(["-d", "@1600000000.123456789"])
        .arg(dir.join("b.txt"))
        .status()
        .unwrap();
    assert!(touched.success());
    std::fs::write(home.join("gone.txt"), b"gone").unwrap();
    std::fs::remove_file(home.join("gone.txt")).unwrap();
    std::fs::rename(m.bin().join("gone.txt"), home.join("back.txt")).unwrap();
    assert_eq!(std::fs::read(home.join("back.txt")).unwrap(), b"gone");
    std::fs::remove_file(dir.join("b.txt")).unwrap();
    std::fs::remove_dir(&dir).unwrap();
    assert!(!dir.exists());
}

/// Runs a `docsfs mount` that must fail (a refused login) to its end, its output in a file;
/// returns that output. Never leaves a mount behind, even if it mounted after all.
fn run_refused(mut cmd: Command, mnt: &Path, log: &Path) -> String {
    std::fs::create_dir_all(mnt).unwrap();
    let out = std::fs::File::create(log).unwrap();
    let mut child = cmd
        .arg(mnt)
        .args(["--log-level", "debug", "--timeout", "5"])
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline || is_mounted(mnt) {
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            std::thread::sleep(Duration::from_millis(500));
            let _ = child.kill();
            let _ = child.wait();
            let _ = Command::new("fusermount3").arg("-uz").arg(mnt).status();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = std::fs::read_to_string(log).unwrap();
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(1),
        "a refused login must fail the mount; its log:\n{text}"
    );
    assert!(text.contains("refused"), "{text}");
    text
}

/// `docsfs mount` as the other kind of credential than [`Mount::on`] uses: a WorkDocs admin
/// key on alice's root folder, a LogicalDOC API key (carol's); `key` is its file's content.
fn other_credentials(backend: Backend, server: &Server, dir: &Path, key: &str) -> Command {
    let file = secret_file(dir, "key", key);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_docsfs"));
    cmd.args(["mount", "--endpoint", &server.base]);
    match backend {
        Backend::WorkDocs => {
            let (_, root, _) = Api::new(&server.base, ALICE).me();
            cmd.arg("--admin-key-file")
                .arg(&file)
                .args(["--root-folder-id", &root]);
        }
        Backend::LogicalDoc => {
            cmd.args(["--backend", "logicaldoc", "--api-key-file"])
                .arg(&file);
        }
    }
    cmd.arg("--cache-dir").arg(dir.join("cache"));
    cmd
}

test_both!(fn no_secret_reaches_either_log(backend) {
    let server = Server::start();
    let mut secrets: Vec<String> = [ALICE, BOB, CAROL, ADMIN_SECRET, WRONG]
        .map(str::to_owned)
        .to_vec();
    for (user, secret) in [("alice", ALICE), ("bob", BOB), ("carol", CAROL)] {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"));
        secrets.push(basic);
    }
    match backend {
        Backend::WorkDocs => secrets.extend(workdocs_signatures(&server.base)),
        Backend::LogicalDoc => secrets.extend(logicaldoc_sids(&server.base)),
    }
    let mut logs: Vec<(String, String)> = Vec::new();

    // The user's own credentials (token / password).
    let mut mount = Mount::on(backend, &server, ALICE, &[]);
    workload(&mount);
    assert!(mount.terminate().success(), "{}", mount.log());
    logs.push(("the token/password mount's log".into(), mount.log()));

    // The other kind of credential (admin key / API key).
    let dir = tempfile::tempdir().unwrap();
    let key = match backend {
        Backend::WorkDocs => format!("{ADMIN_ID}:{ADMIN_SECRET}"),
        Backend::LogicalDoc => CAROL.to_owned(),
    };
    let cmd = other_credentials(backend, &server, dir.path(), &key);
    let mut keyed = Mount::spawn(backend, dir, cmd, true);
    let home = match backend {
        Backend::WorkDocs => keyed.path.clone(),
        Backend::LogicalDoc => keyed.path.join("Default"),
    };
    std::fs::write(home.join("keyed.txt"), b"by key").unwrap();
    assert_eq!(std::fs::read(home.join("keyed.txt")).unwrap(), b"by key");
    std::fs::rename(home.join("keyed.txt"), home.join("keyed2.txt")).unwrap();
    assert!(keyed.terminate().success(), "{}", keyed.log());
    logs.push(("the key mount's log".into(), keyed.log()));

    // Refused logins: a wrong token/password, a wrong key.
    let dir = tempfile::tempdir().unwrap();
    let cmd = mount_command(backend, &server, ALICE, dir.path());
    std::fs::write(dir.path().join("secret"), WRONG).unwrap();
    let out = run_refused(cmd, &dir.path().join("mnt"), &dir.path().join("wrong.log"));
    logs.push(("a refused login's log".into(), out));
    let wrong_key = match backend {
        Backend::WorkDocs => format!("{ADMIN_ID}:{WRONG}"),
        Backend::LogicalDoc => WRONG.to_owned(),
    };
    let cmd = other_credentials(backend, &server, dir.path(), &wrong_key);
    let out = run_refused(cmd, &dir.path().join("mnt2"), &dir.path().join("wrong-key.log"));
    logs.push(("a refused key's log".into(), out));

    let server_log = server.log();
    assert!(server_log.contains("request"), "the server logs requests at debug");
    logs.push(("the server's log".into(), server_log));
    for (what, log) in &logs {
        assert_clean(what, log, &secrets);
    }
    // The mount's debug log does record its calls, so the search above had something to see.
    assert!(logs[0].1.contains("API request"), "{}", logs[0].1);
});

/// `docsfs mount` with the secret (its content `secret`) in a file of `mode`, against a
/// loopback port where nothing listens: returns (exit code, stderr).
fn mount_with_secret_mode(args: &[&str], secret: &str, mode: u32) -> (Option<i32>, String) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = secret_file(dir.path(), "secret", secret);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
    let mnt = dir.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_docsfs"))
        .args([
            "mount",
            "--endpoint",
            "http://127.0.0.1:1",
            "--timeout",
            "1",
        ])
        .args(args.iter().map(|a| match *a {
            "FILE" => file.clone().into_os_string(),
            other => OsString::from(other),
        }))
        .arg("--cache-dir")
        .arg(dir.path().join("cache"))
        .arg(&mnt)
        .output()
        .unwrap();
    assert!(!is_mounted(&mnt));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let shown = stderr.replace(&file.display().to_string(), "<FILE>");
    (out.status.code(), shown)
}

test_both!(fn secret_files_others_can_read_are_refused(backend) {
    let kinds: Vec<(Vec<&str>, String)> = match backend {
        Backend::WorkDocs => vec![
            (vec!["--token-file", "FILE"], ALICE.to_owned()),
            (
                vec!["--admin-key-file", "FILE", "--root-folder-id", "x"],
                format!("{ADMIN_ID}:{ADMIN_SECRET}"),
            ),
        ],
        Backend::LogicalDoc => vec![
            (
                vec!["--backend", "logicaldoc", "--user", user_of(ALICE), "--password-file", "FILE"],
                ALICE.to_owned(),
            ),
            (vec!["--backend", "logicaldoc", "--api-key-file", "FILE"], CAROL.to_owned()),
        ],
    };
    for (args, secret) in &kinds {
        for mode in [0o640, 0o604, 0o644, 0o660, 0o606, 0o610, 0o601] {
            let (code, err) = mount_with_secret_mode(args, secret, mode);
            assert_eq!(code, Some(1), "{args:?} {mode:o}: {err}");
            assert!(err.contains("chmod 600 <FILE>"), "{args:?} {mode:o}: {err}");
            assert!(err.contains("other users"), "{args:?} {mode:o}: {err}");
            assert!(!err.contains(secret.as_str()), "{args:?} {mode:o}: the secret is shown");
        }
        // Owner-only files pass the check: what stops these mounts is that nothing listens.
        for mode in [0o600, 0o400] {
            let (code, err) = mount_with_secret_mode(args, secret, mode);
            assert_eq!(code, Some(1), "{args:?} {mode:o}: {err}");
            assert!(!err.contains("chmod"), "{args:?} {mode:o}: {err}");
            assert!(err.contains("cannot reach"), "{args:?} {mode:o}: {err}");
        }
    }
});
