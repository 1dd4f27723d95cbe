//! Answers only other LogicalDOC versions give, from a stub: 9.2.2+ (Jettison) drops nulls,
//! wraps lists (`{"folder":…}`), sends a one-element list as the element, and numbers as
//! strings or strings as numbers; broken servers send error pages and refuse every sid. The
//! client must read the first kind as the same tree and fail the second kind by name.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use docsfs::remote::{Collection, NodeKind, Remote, RemoteError, Role};

use super::ld::{client, password};
use super::support::stub;

fn json(body: &str) -> (u16, String, Vec<u8>) {
    (
        200,
        "content-type: application/json\r\n".into(),
        body.as_bytes().to_vec(),
    )
}

#[tokio::test]
async fn jettison_shapes_read_as_the_same_tree() {
    let addr = stub(|_method, target, _head| {
        let path = target.split('?').next().unwrap_or("");
        match path {
            "/services/rest/auth/login" => (200, String::new(), b"11111111-2222".to_vec()),
            "/services/rest/folder/getRootFolder" => {
                json(r#"{"id":"5","name":"/","parentId":"5","type":1}"#)
            }
            "/services/rest/folder/listChildren" => json(
                r#"{"folder":{"id":200,"name":"only","parentId":"4","type":"0","lastModified":"2024-05-21 14:03:11 +0200"}}"#,
            ),
            "/services/rest/folder/isWritable" => (200, String::new(), b"\"false\"".to_vec()),
            "/services/rest/document/listPaginated" => json(
                r#"{"document":[{"id":"300","fileName":1984,"folderId":4,"fileSize":"12","fileVersion":1.1,"date":"2024-05-21 14:03:11 +0200","tags":"plain"},
                                {"id":301,"fileName":"b.txt","fileSize":0,"version":2,"status":"2","lockUserId":7}]}"#,
            ),
            _ => (404, String::new(), Vec::new()),
        }
    })
    .await;
    let r = client(&format!("http://{addr}"), password("alice", "pw"), None);
    assert_eq!(r.roots().await.expect("roots").root, "5");
    let page = r
        .list(&Collection::Folder("4".into()), None)
        .await
        .expect("list");
    assert_eq!(page.next_marker, None);
    let names: Vec<&str> = page.items.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["only", "1984", "b.txt"]);
    let folder = &page.items[0];
    assert_eq!(
        (folder.kind, folder.role),
        (NodeKind::Folder, Some(Role::Viewer))
    );
    let at = UNIX_EPOCH + Duration::from_secs(1_716_292_991);
    assert_eq!(folder.mtime, at);
    let doc = &page.items[1];
    assert_eq!((doc.id.as_str(), doc.size), ("300", 12));
    assert_eq!(doc.version.as_deref(), Some("1.1"));
    assert_eq!(doc.mtime, at);
    assert_eq!(doc.role, None, "inherited");
    let locked = &page.items[2];
    assert_eq!(locked.version.as_deref(), Some("2.0"));
    assert_eq!(
        locked.role,
        Some(Role::Viewer),
        "locked by someone: read-only"
    );
    assert_eq!(locked.mtime, SystemTime::UNIX_EPOCH, "no date at all");
}

#[tokio::test]
async fn error_pages_and_refused_sessions_fail_by_name() {
    let logins = Arc::new(AtomicUsize::new(0));
    let counted = logins.clone();
    let addr = stub(move |_method, target, _head| {
        let path = target.split('?').next().unwrap_or("");
        match path {
            "/services/rest/auth/login" => {
                counted.fetch_add(1, Ordering::SeqCst);
                (200, String::new(), b"sid-that-never-works".to_vec())
            }
            "/services/rest/folder/getRootFolder" => (
                401,
                "www-authenticate: Basic realm=\"Security Realm\"\r\n".into(),
                Vec::new(),
            ),
            "/services/rest/folder/listChildren" => (
                500,
                "content-type: text/html\r\n".into(),
                b"<html><body><h1>The call failed on the server</h1></body></html>".to_vec(),
            ),
            "/services/rest/folder/isWritable" => (200, String::new(), b"maybe".to_vec()),
            _ => (404, String::new(), Vec::new()),
        }
    })
    .await;
    let r = client(&format!("http://{addr}"), password("alice", "pw"), None);
    let e = r.roots().await.unwrap_err();
    assert!(matches!(e, RemoteError::Unauthenticated(_)), "{e:?}");
    assert_eq!(
        logins.load(Ordering::SeqCst),
        2,
        "one login, then one more after the 401"
    );
    let e = r
        .list(&Collection::Folder("4".into()), None)
        .await
        .unwrap_err();
    assert!(
        matches!(e, RemoteError::Protocol(ref m) if m.contains("HTTP 500")),
        "{e:?}"
    );
    let e = r.role(&"4".to_owned()).await.unwrap_err();
    assert!(
        matches!(e, RemoteError::Protocol(ref m) if m.contains("not a boolean")),
        "{e:?}"
    );
    let e = r
        .list(&Collection::Folder("f-not-a-number".into()), None)
        .await
        .unwrap_err();
    assert!(matches!(e, RemoteError::NotFound(_)), "{e:?}");
}

#[tokio::test]
async fn a_throttled_call_waits_as_long_as_retry_after_says() {
    let calls = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = calls.clone();
    let addr = stub(move |_method, target, _head| {
        let path = target.split('?').next().unwrap_or("").to_owned();
        if path == "/services/rest/folder/getRootFolder" {
            let mut c = seen.lock().unwrap();
            c.push(std::time::Instant::now());
            if c.len() == 1 {
                return (503, "retry-after: 2\r\n".into(), b"busy".to_vec());
            }
            return json(r#"{"id":5,"name":"/","parentId":5,"type":1}"#);
        }
        match path.as_str() {
            "/services/rest/auth/login" => (200, String::new(), b"11111111-2222".to_vec()),
            _ => (404, String::new(), Vec::new()),
        }
    })
    .await;
    let r = client(&format!("http://{addr}"), password("alice", "pw"), None);
    assert_eq!(r.roots().await.expect("roots after the wait").root, "5");
    let c = calls.lock().unwrap();
    assert_eq!(c.len(), 2);
    assert!(
        c[1] - c[0] >= Duration::from_secs(2),
        "retried after {:?}, before Retry-After",
        c[1] - c[0]
    );
}
