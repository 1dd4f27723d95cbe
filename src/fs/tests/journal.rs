//! Crash-safe write-back (`journal.rs`): uploads a dead daemon left in the spool are finished by
//! the next core on the same cache folder — sent, recognised as stored already, or turned into a
//! new version — and those of a live daemon are left to it.

use super::*;
use crate::fs::journal::{self, Entry, State, Target};
use crate::remote::{Collection, Upload, UploadTarget};

/// A pid no process has (above Linux's pid_max).
const DEAD: u32 = 999_999_999;

fn pending(
    dir: &std::path::Path,
    file: &str,
    bytes: &[u8],
    target: UploadTarget,
    mtime: u64,
    pid: u32,
) {
    let spool = dir.join(file);
    std::fs::write(&spool, bytes).unwrap();
    let up = Upload {
        target,
        path: spool.clone(),
        size: bytes.len() as u64,
        modified: t(mtime),
        created: None,
    };
    let entry = Entry {
        pid,
        ..Entry::new(file, &up, false)
    };
    journal::write(&spool, &entry).unwrap();
}

#[tokio::test]
async fn a_new_core_finishes_what_a_dead_daemon_left() {
    let r = MemoryRemote::new("alice");
    let root = r.root_id();
    let stored = r.put(&root, "stored.txt", b"same", t(5)).unwrap();
    let other = r.put(&root, "other.txt", b"old content", t(1)).unwrap();
    let spool = tempfile::tempdir().unwrap();
    let new_doc = |name: &str| UploadTarget::NewDocument {
        parent: root.clone(),
        name: name.into(),
    };
    pending(spool.path(), "1-1", b"fresh", new_doc("fresh.txt"), 7, DEAD);
    pending(spool.path(), "1-2", b"same", new_doc("stored.txt"), 5, DEAD);
    pending(spool.path(), "1-3", b"mine", new_doc("other.txt"), 9, DEAD);
    let version = UploadTarget::NewVersion {
        doc: stored.clone(),
    };
    pending(spool.path(), "1-4", b"v2!", version, 11, DEAD);
    let parent = std::os::unix::process::parent_id();
    pending(spool.path(), "2-1", b"busy", new_doc("busy.txt"), 3, parent);

    let config = FsConfig {
        spool_dir: spool.path().to_owned(),
        ..FsConfig::default()
    };
    let fs = Fs::new(Arc::new(r.clone()), config).await.unwrap();
    let report = fs.recover().await;
    assert_eq!(
        (
            report.sent,
            report.already_stored,
            report.failed,
            report.left_to_others
        ),
        (3, 1, 0, 1)
    );
    let nodes = r.list_all(&Collection::Folder(root.clone())).unwrap();
    let fresh = nodes.iter().find(|n| n.name == "fresh.txt").expect("sent");
    assert_eq!(
        (r.content(&fresh.id), fresh.mtime),
        (b"fresh".to_vec(), t(7))
    );
    assert_eq!(r.version_count(&other), 2, "other content: a new version");
    assert_eq!(r.content(&other), b"mine");
    // `stored.txt` was there already (same size and time): only the pending version was added.
    assert_eq!(r.version_count(&stored), 2);
    assert_eq!(r.content(&stored), b"v2!");
    assert!(
        nodes.iter().all(|n| n.name != "busy.txt"),
        "a live daemon's upload is its own"
    );
    let left: Vec<_> = journal::entries(spool.path());
    assert_eq!(left.len(), 1);
    assert_eq!(
        left[0].1.target,
        Target::NewDocument {
            parent: root.clone(),
            name: "busy.txt".into()
        }
    );
    assert!(!spool.path().join("1-1").exists() && !spool.path().join("1-1.json").exists());
}

#[tokio::test]
async fn an_upload_that_fails_again_stays_with_its_error() {
    let r = MemoryRemote::new("alice");
    let spool = tempfile::tempdir().unwrap();
    let gone = UploadTarget::NewVersion {
        doc: "d-missing".into(),
    };
    pending(spool.path(), "1-1", b"data", gone, 2, DEAD);
    let config = FsConfig {
        spool_dir: spool.path().to_owned(),
        ..FsConfig::default()
    };
    let fs = Fs::new(Arc::new(r.clone()), config).await.unwrap();
    assert_eq!(fs.recover().await.failed, 1);
    let left = journal::entries(spool.path());
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].1.state, State::Failed);
    assert!(
        left[0]
            .1
            .error
            .as_deref()
            .unwrap_or("")
            .contains("not found"),
        "{:?}",
        left[0].1
    );
    assert_eq!(std::fs::read(spool.path().join("1-1")).unwrap(), b"data");
}

#[test]
fn an_entry_rewritten_in_place_reads_whole_whether_it_grows_or_shrinks() {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("1-1");
    std::fs::write(&spool, b"bytes").unwrap();
    let folder = std::fs::File::open(dir.path()).unwrap();
    let up = |name: &str| Upload {
        target: UploadTarget::NewDocument {
            parent: "p".into(),
            name: name.into(),
        },
        path: spool.clone(),
        size: 5,
        modified: t(7),
        created: None,
    };
    let long = ".a-long-temporary-name.XXXXXX";
    journal::write_new(&spool, &Entry::new(long, &up(long), false), &folder).unwrap();
    for name in ["short", "a-name-longer-than-the-temporary-one-was-before"] {
        let mut entry = Entry::new(name, &up(name), true);
        entry.state = State::Pending;
        journal::rewrite(&spool, &entry).unwrap();
        let found = journal::entries(dir.path());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].1.name, name);
        assert_eq!(found[0].1.state, State::Pending);
        assert!(found[0].1.exact_mtime);
    }
}
