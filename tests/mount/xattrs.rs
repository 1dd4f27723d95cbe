//! Extended attributes (`user.docsfs.*`, docs/SEMANTICS.md): `getfattr -d` shows what the store
//! keeps about an item, `setfattr` writes labels and custom metadata, and both are checked at
//! the server through its own API (WorkDocs GetDocument / GetFolder with custom metadata,
//! LogicalDOC getDocument / getFolder) and through a second, fresh mount. The refusals are
//! checked errno by errno with the system calls themselves.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::api::Api;
use super::block;
use super::harness::{Backend, Mount};
use super::server_process::{ALICE, BOB, Server};

fn c_path(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).unwrap()
}

fn c_name(name: &str) -> CString {
    CString::new(name).unwrap()
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap()
}

/// getxattr(2) with a buffer of `size` bytes (the value's size first when `None`).
fn get_sized(p: &Path, name: &str, size: Option<usize>) -> Result<Vec<u8>, i32> {
    let (path, name) = (c_path(p), c_name(name));
    let size = match size {
        Some(s) => s,
        None => {
            let n =
                unsafe { libc::getxattr(path.as_ptr(), name.as_ptr(), std::ptr::null_mut(), 0) };
            if n < 0 {
                return Err(errno());
            }
            n as usize
        }
    };
    let mut buf = vec![0u8; size];
    let n = unsafe {
        libc::getxattr(
            path.as_ptr(),
            name.as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    if n < 0 {
        return Err(errno());
    }
    buf.truncate(n as usize);
    Ok(buf)
}

fn get(p: &Path, name: &str) -> Result<String, i32> {
    get_sized(p, name, None).map(|v| String::from_utf8(v).unwrap())
}

/// listxattr(2): the names.
fn list(p: &Path) -> Vec<String> {
    let path = c_path(p);
    let n = unsafe { libc::listxattr(path.as_ptr(), std::ptr::null_mut(), 0) };
    assert!(n >= 0, "listxattr: {}", errno());
    let mut buf = vec![0u8; n as usize];
    let n = unsafe { libc::listxattr(path.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    assert!(n >= 0, "listxattr: {}", errno());
    buf.truncate(n as usize);
    buf.split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8(s.to_vec()).unwrap())
        .collect()
}

fn set(p: &Path, name: &str, value: &str, flags: i32) -> Result<(), i32> {
    let (path, name) = (c_path(p), c_name(name));
    let r = unsafe {
        libc::setxattr(
            path.as_ptr(),
            name.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            flags,
        )
    };
    if r < 0 { Err(errno()) } else { Ok(()) }
}

fn remove(p: &Path, name: &str) -> Result<(), i32> {
    let (path, name) = (c_path(p), c_name(name));
    let r = unsafe { libc::removexattr(path.as_ptr(), name.as_ptr()) };
    if r < 0 { Err(errno()) } else { Ok(()) }
}

/// `getfattr -d`: every `user.*` attribute and its value.
fn getfattr_dump(p: &Path) -> BTreeMap<String, String> {
    let out = Command::new("getfattr")
        .args(["-d", "--absolute-names"])
        .arg(p)
        .output()
        .expect("getfattr (package attr)");
    assert!(out.status.success(), "getfattr: {out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.trim_matches('"').to_owned()))
        .collect()
}

fn setfattr(p: &Path, name: &str, value: &str) {
    let out = Command::new("setfattr")
        .args(["-n", name, "-v", value])
        .arg(p)
        .output()
        .expect("setfattr (package attr)");
    assert!(out.status.success(), "setfattr {name}: {out:?}");
}

/// What the server says of an item in alice's home, through the mount's API.
#[derive(Debug)]
struct AtServer {
    id: String,
    /// Without the mount's own `mtime=` labels, sorted.
    labels: Vec<String>,
    custom: BTreeMap<String, String>,
    version: Option<String>,
    signature: Option<String>,
}

fn user_labels(v: &Value) -> Vec<String> {
    let mut l: Vec<String> = match v {
        Value::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_owned()).collect(),
        Value::String(s) => vec![s.clone()],
        _ => Vec::new(),
    };
    l.retain(|x| !x.starts_with("mtime="));
    l.sort();
    l
}

fn ld_get(server: &Server, op: &str, query: &[(&str, String)]) -> Value {
    block(async {
        let resp = reqwest::Client::new()
            .get(format!("{}/services/rest/{op}", server.base))
            .basic_auth("alice", Some(ALICE))
            .query(query)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{op}: {}", resp.status());
        resp.json().await.unwrap()
    })
}

fn at_server(backend: Backend, server: &Server, name: &str, folder: bool) -> AtServer {
    match backend {
        Backend::WorkDocs => {
            let api = Api::new(&server.base, ALICE);
            let root = api.me().1;
            let id = api.id_at(&root, name);
            let route = if folder { "folders" } else { "documents" };
            let v = api.call(
                "GET",
                &format!("/api/v1/{route}/{id}?includeCustomMetadata=true"),
                None,
            );
            let custom = v["CustomMetadata"].as_object().cloned().unwrap_or_default();
            let latest = &v["Metadata"]["LatestVersionMetadata"];
            AtServer {
                id,
                labels: user_labels(&v["Metadata"]["Labels"]),
                custom: custom
                    .into_iter()
                    .map(|(k, v)| (k, v.as_str().unwrap().to_owned()))
                    .collect(),
                version: latest["Id"].as_str().map(str::to_owned),
                signature: latest["Signature"].as_str().map(str::to_owned),
            }
        }
        Backend::LogicalDoc => {
            let v = if folder {
                ld_get(
                    server,
                    "folder/findByPath",
                    &[("path", format!("/Default/{name}"))],
                )
            } else {
                let list = ld_get(server, "document/list", &[("folderId", "4".into())]);
                let found = list
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|d| d["fileName"] == name);
                let id = found.unwrap_or_else(|| panic!("{name} not in {list}"))["id"].clone();
                ld_get(server, "document/getDocument", &[("docId", id.to_string())])
            };
            let custom = v["attributes"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|a| a["type"] == 0)
                .map(|a| {
                    let s = |k: &str| a[k].as_str().unwrap().to_owned();
                    (s("name"), s("stringValue"))
                })
                .collect();
            AtServer {
                id: v["id"].to_string(),
                labels: user_labels(&v["tags"]),
                custom,
                version: v["fileVersion"].as_str().map(str::to_owned),
                signature: v["digest"].as_str().map(str::to_owned),
            }
        }
    }
}

fn sorted_labels(value: &str) -> Vec<String> {
    let mut l: Vec<String> = value.split(',').map(str::to_owned).collect();
    l.sort();
    l
}

fn requests(server: &Server, op: &str) -> u64 {
    let stats = Api::new(&server.base, ALICE).stats();
    stats["operations"][op].as_u64().unwrap_or(0)
}

test_both!(fn getfattr_shows_and_setfattr_writes_what_the_store_keeps(backend) {
    const CONTENT: &[u8] = b"hello, attributes";
    let server = Server::start();
    let mount = Mount::on(backend, &server, ALICE, &[]);
    let file = mount.home().join("notes.txt");
    std::fs::write(&file, CONTENT).unwrap();
    let dir = mount.home().join("project");
    std::fs::create_dir(&dir).unwrap();
    let mtime = std::fs::metadata(&file).unwrap().modified().unwrap();

    // What getfattr -d shows is what the server has, for one metadata request.
    let seen = at_server(backend, &server, "notes.txt", false);
    let metadata_op = match backend {
        Backend::WorkDocs => "GetDocument",
        Backend::LogicalDoc => "LogicalDOC document/getDocument",
    };
    let before = requests(&server, metadata_op);
    let dump = getfattr_dump(&file);
    assert_eq!(requests(&server, metadata_op) - before, 1, "{dump:?}");
    assert_eq!(dump["user.docsfs.id"], seen.id);
    assert_eq!(dump["user.docsfs.kind"], "document");
    assert_eq!(Some(&dump["user.docsfs.version"]), seen.version.as_ref());
    assert_eq!(dump["user.docsfs.owner"], "alice");
    assert_eq!(dump.get("user.docsfs.signature"), seen.signature.as_ref());
    // The server's content hash: WorkDocs' Signature is the SHA-256, LogicalDOC's digest the
    // SHA-1 of the file's bytes.
    let content_hash = match backend {
        Backend::WorkDocs => hex::encode(<sha2::Sha256 as sha2::Digest>::digest(CONTENT)),
        Backend::LogicalDoc => hex::encode(<sha1::Sha1 as sha1::Digest>::digest(CONTENT)),
    };
    assert_eq!(dump.get("user.docsfs.signature"), Some(&content_hash), "{dump:?}");
    assert!(!dump.contains_key("user.docsfs.labels"), "{dump:?}");

    // setfattr writes labels and custom metadata to the store.
    setfattr(&file, "user.docsfs.labels", "red,blue");
    setfattr(&file, "user.docsfs.meta.project", "apollo");
    let seen = at_server(backend, &server, "notes.txt", false);
    assert_eq!(seen.labels, ["blue", "red"]);
    assert_eq!(seen.custom, BTreeMap::from([("project".into(), "apollo".into())]));
    let dump = getfattr_dump(&file);
    assert_eq!(sorted_labels(&dump["user.docsfs.labels"]), ["blue", "red"]);
    assert_eq!(dump["user.docsfs.meta.project"], "apollo");
    // Replacing the set replaces it; the modification time the mount keeps in a label stays.
    setfattr(&file, "user.docsfs.labels", "green, red");
    assert_eq!(at_server(backend, &server, "notes.txt", false).labels, ["green", "red"]);
    assert_eq!(std::fs::metadata(&file).unwrap().modified().unwrap(), mtime);

    // Folders too.
    setfattr(&dir, "user.docsfs.labels", "team");
    setfattr(&dir, "user.docsfs.meta.owner-group", "ops");
    let folder = at_server(backend, &server, "project", true);
    assert_eq!(folder.labels, ["team"]);
    assert_eq!(folder.custom["owner-group"], "ops");
    let dump = getfattr_dump(&dir);
    assert_eq!(dump["user.docsfs.id"], folder.id);
    assert_eq!(dump["user.docsfs.kind"], "folder");
    assert!(!dump.contains_key("user.docsfs.version"));

    // A fresh mount reads the same from the store.
    let second = Mount::on(backend, &server, ALICE, &[]);
    let (file2, dir2) = (second.home().join("notes.txt"), second.home().join("project"));
    assert_eq!(sorted_labels(&get(&file2, "user.docsfs.labels").unwrap()), ["green", "red"]);
    assert_eq!(get(&file2, "user.docsfs.meta.project").unwrap(), "apollo");
    assert_eq!(get(&dir2, "user.docsfs.meta.owner-group").unwrap(), "ops");
    let names = list(&file2);
    assert!(names.contains(&"user.docsfs.meta.project".to_owned()), "{names:?}");

    // Removal, seen by the server and by the other mount.
    remove(&file2, "user.docsfs.meta.project").unwrap();
    remove(&file2, "user.docsfs.labels").unwrap();
    remove(&dir2, "user.docsfs.labels").unwrap();
    let seen = at_server(backend, &server, "notes.txt", false);
    assert!(seen.labels.is_empty() && seen.custom.is_empty(), "{seen:?}");
    assert!(at_server(backend, &server, "project", true).labels.is_empty());
    assert_eq!(get(&file2, "user.docsfs.labels"), Err(libc::ENODATA));
    assert_eq!(std::fs::metadata(&file2).unwrap().modified().unwrap(), mtime);
    drop(second);
    // The first mount asks again once its cached copy is older than the metadata TTL, or at
    // once after its own write.
    set(&file, "user.docsfs.meta.stage", "draft", 0).unwrap();
    assert_eq!(get(&file, "user.docsfs.meta.project"), Err(libc::ENODATA));
    assert_eq!(get(&file, "user.docsfs.meta.stage").unwrap(), "draft");
});

test_both!(fn refusals_have_clear_errnos(backend) {
    let server = Server::start();
    let mount = Mount::on(backend, &server, ALICE, &[]);
    let file = mount.home().join("a.txt");
    std::fs::write(&file, b"a").unwrap();

    // Values the store's rules refuse.
    assert_eq!(set(&file, "user.docsfs.labels", "caf\u{e9}", 0), Err(libc::EINVAL));
    assert_eq!(set(&file, "user.docsfs.labels", &"x".repeat(33), 0), Err(libc::EINVAL));
    assert_eq!(set(&file, "user.docsfs.meta.k", "", 0), Err(libc::EINVAL));
    // The mount's own mtime labels cannot be set by hand.
    assert_eq!(set(&file, "user.docsfs.labels", "mtime=1", 0), Err(libc::EINVAL));
    // Names the mount does not keep.
    assert_eq!(set(&file, "user.comment", "x", 0), Err(libc::EOPNOTSUPP));
    assert_eq!(get(&file, "user.comment"), Err(libc::EOPNOTSUPP));
    assert_eq!(set(&file, "user.docsfs.colour", "x", 0), Err(libc::EOPNOTSUPP));
    assert_eq!(set(&file, "trusted.x", "x", 0), Err(libc::EOPNOTSUPP));
    // Read-only names.
    for name in ["id", "kind", "version", "signature", "owner"] {
        let name = format!("user.docsfs.{name}");
        assert_eq!(set(&file, &name, "x", 0), Err(libc::EPERM), "{name}");
        assert_eq!(remove(&file, &name), Err(libc::EPERM), "{name}");
    }
    // Absent names, and XATTR_CREATE / XATTR_REPLACE.
    assert_eq!(get(&file, "user.docsfs.meta.none"), Err(libc::ENODATA));
    assert_eq!(remove(&file, "user.docsfs.meta.none"), Err(libc::ENODATA));
    assert_eq!(remove(&file, "user.docsfs.labels"), Err(libc::ENODATA));
    assert_eq!(set(&file, "user.docsfs.meta.k", "v", libc::XATTR_REPLACE), Err(libc::ENODATA));
    set(&file, "user.docsfs.meta.k", "v", libc::XATTR_CREATE).unwrap();
    assert_eq!(set(&file, "user.docsfs.meta.k", "w", libc::XATTR_CREATE), Err(libc::EEXIST));
    set(&file, "user.docsfs.meta.k", "w", libc::XATTR_REPLACE).unwrap();
    assert_eq!(get(&file, "user.docsfs.meta.k").unwrap(), "w");
    // A buffer too small.
    assert_eq!(get_sized(&file, "user.docsfs.kind", Some(2)), Err(libc::ERANGE));
    // The mount root: the caller's own root folder on WorkDocs, the virtual `/` on LogicalDOC.
    match backend {
        Backend::WorkDocs => {
            set(&mount.path, "user.docsfs.labels", "top", 0).unwrap();
            assert_eq!(get(&mount.path, "user.docsfs.labels").unwrap(), "top");
            remove(&mount.path, "user.docsfs.labels").unwrap();
        }
        Backend::LogicalDoc => {
            assert_eq!(get(&mount.path, "user.docsfs.id").unwrap(), "5");
            assert_eq!(set(&mount.path, "user.docsfs.labels", "top", 0), Err(libc::EACCES));
        }
    }
    // The recycle bin is no item of the store: nothing to show, nothing to set.
    assert!(list(&mount.bin()).is_empty());
    assert_eq!(get(&mount.bin(), "user.docsfs.id"), Err(libc::ENODATA));
    assert_eq!(set(&mount.bin(), "user.docsfs.labels", "x", 0), Err(libc::EOPNOTSUPP));
    drop(mount);

    // A read-only mount shows everything and changes nothing.
    let ro = Mount::on(backend, &server, ALICE, &["--read-only"]);
    let file = ro.home().join("a.txt");
    assert_eq!(get(&file, "user.docsfs.meta.k").unwrap(), "w");
    assert_eq!(set(&file, "user.docsfs.labels", "x", 0), Err(libc::EROFS));
    assert_eq!(remove(&file, "user.docsfs.meta.k"), Err(libc::EROFS));
});

test_both!(fn shared_items_name_their_owner_and_refuse_viewers(backend) {
    let server = Server::start();
    let (alice, bob) = (Api::new(&server.base, ALICE), Api::new(&server.base, BOB));
    let bob_root = bob.me().1;
    let folder = bob.mkdir(&bob_root, "bobs");
    bob.upload(&folder, "report.txt", b"by bob");
    bob.share(&folder, &alice.me().0, "VIEWER");
    let mount = Mount::on(backend, &server, ALICE, &[]);
    let doc = mount.shared("bobs").join("report.txt");
    assert_eq!(get(&doc, "user.docsfs.owner").unwrap(), "bob");
    assert_eq!(get(&mount.shared("bobs"), "user.docsfs.owner").unwrap(), "bob");
    assert_eq!(set(&doc, "user.docsfs.labels", "mine", 0), Err(libc::EACCES));
    assert_eq!(set(&doc, "user.docsfs.meta.k", "v", 0), Err(libc::EACCES));
});
