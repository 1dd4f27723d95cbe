//! The read-only versions view against the in-memory store: `.versions` answers lookups but is
//! never listed, lists documents and their versions with sizes and times, streams old content,
//! refuses every change with EROFS, yields to a real item of that name, and shows a version
//! written through the mount at once.

use super::*;
use crate::fs::versions::file_name;
use crate::remote::Collection;

/// A document `f.txt` in the root with three versions (3, 5 and 7 bytes, mtimes 1, 2, 3 s).
fn three_versions(r: &MemoryRemote) -> Vec<Vec<u8>> {
    let contents: Vec<Vec<u8>> = vec![b"one".to_vec(), b"two-2".to_vec(), b"three-3".to_vec()];
    for (i, c) in contents.iter().enumerate() {
        r.put(&r.root_id(), "f.txt", c, t(i as u64 + 1)).unwrap();
    }
    r.mkdir(&r.root_id(), "sub").unwrap();
    contents
}

fn version_names() -> Vec<String> {
    (1..=3)
        .map(|i| file_name(&i.to_string(), t(i), "f.txt"))
        .collect()
}

#[tokio::test]
async fn versions_are_listed_and_read_but_the_folder_is_hidden() {
    let r = MemoryRemote::new("alice");
    let contents = three_versions(&r);
    let fs = mount(&r, LONG).await;
    assert_eq!(
        ls(&fs, "").await,
        ["Recycle Bin", "Shared with me", "sub", "f.txt"]
    );
    let view = resolve(&fs, ".versions").await.unwrap();
    assert_eq!(view.stat.kind, FileKind::Directory);
    assert_eq!(view.stat.perm, 0o555);
    // Still not listed after the lookup.
    assert!(!ls(&fs, "").await.contains(&".versions".to_owned()));
    assert_eq!(ls(&fs, ".versions").await, ["f.txt"]);
    let names = version_names();
    assert_eq!(names[0], "v1_19700101T000001Z.txt");
    assert_eq!(ls(&fs, ".versions/f.txt").await, names);
    for (name, want) in names.iter().zip(&contents) {
        let e = resolve(&fs, &format!(".versions/f.txt/{name}"))
            .await
            .unwrap();
        assert_eq!((e.stat.kind, e.stat.perm), (FileKind::File, 0o444));
        assert_eq!(e.stat.size, want.len() as u64);
        assert_eq!(&read_file(&fs, e.stat.ino, 2).await.unwrap(), want);
    }
    // Subfolders have their own view; a folder is not a document.
    assert!(ls(&fs, "sub/.versions").await.is_empty());
    assert_fails!(
        resolve(&fs, ".versions/sub").await,
        FsError::NotFound,
        libc::ENOENT
    );
    // No view inside the view, nor in the special folders.
    assert_fails!(
        resolve(&fs, ".versions/.versions").await,
        FsError::NotFound,
        libc::ENOENT
    );
    assert_fails!(
        resolve(&fs, "Recycle Bin/.versions").await,
        FsError::NotFound,
        libc::ENOENT
    );
}

#[tokio::test]
async fn a_version_looks_up_by_its_id_too() {
    let r = MemoryRemote::new("alice");
    let contents = three_versions(&r);
    let fs = mount(&r, LONG).await;
    let doc = r.list_all(&Collection::Folder(r.root_id())).unwrap();
    let doc = doc.iter().find(|n| n.name == "f.txt").unwrap();
    let latest = doc.version.clone().unwrap();
    let e = resolve(&fs, &format!(".versions/f.txt/{latest}"))
        .await
        .unwrap();
    assert_eq!(read_file(&fs, e.stat.ino, 64).await.unwrap(), contents[2]);
    let by_name = resolve(&fs, &format!(".versions/f.txt/{}", version_names()[2])).await;
    assert_eq!(by_name.unwrap().stat.ino, e.stat.ino);
    assert!(!ls(&fs, ".versions/f.txt").await.contains(&latest));
}

#[tokio::test]
async fn nothing_in_the_view_can_be_changed() {
    let r = MemoryRemote::new("alice");
    three_versions(&r);
    let fs = mount(&r, LONG).await;
    let view = ino_of(&fs, ".versions").await;
    let list = ino_of(&fs, ".versions/f.txt").await;
    let first = version_names()[0].clone();
    let v1 = ino_of(&fs, &format!(".versions/f.txt/{first}")).await;
    assert_fails!(
        fs.open(v1, Access::Write).await,
        FsError::ReadOnly,
        libc::EROFS
    );
    assert_fails!(
        fs.open(v1, Access::Overwrite).await,
        FsError::ReadOnly,
        libc::EROFS
    );
    assert_fails!(
        fs.truncate(v1, 0, None).await,
        FsError::ReadOnly,
        libc::EROFS
    );
    assert_fails!(
        fs.set_mtime(v1, t(99)).await,
        FsError::ReadOnly,
        libc::EROFS
    );
    assert_fails!(fs.create(list, "x").await, FsError::ReadOnly, libc::EROFS);
    assert_fails!(fs.mkdir(view, "x").await, FsError::ReadOnly, libc::EROFS);
    assert_fails!(
        fs.unlink(list, &first).await,
        FsError::ReadOnly,
        libc::EROFS
    );
    assert_fails!(
        fs.rmdir(view, "f.txt").await,
        FsError::ReadOnly,
        libc::EROFS
    );
    assert_fails!(
        fs.rmdir(ROOT, ".versions").await,
        FsError::ReadOnly,
        libc::EROFS
    );
    assert_fails!(
        fs.rename(list, &first, ROOT, "stolen", false).await,
        FsError::ReadOnly,
        libc::EROFS
    );
    assert_fails!(
        fs.rename(ROOT, "f.txt", list, "in", false).await,
        FsError::ReadOnly,
        libc::EROFS
    );
    assert_eq!(
        r.version_count(
            &fs.inode(ino_of(&fs, "f.txt").await)
                .unwrap()
                .node
                .unwrap()
                .id
        ),
        3
    );
}

#[tokio::test]
async fn a_real_item_named_versions_wins() {
    let r = MemoryRemote::new("alice");
    three_versions(&r);
    r.put(&r.root_id(), ".versions", b"mine", t(9)).unwrap();
    let fs = mount(&r, LONG).await;
    let e = resolve(&fs, ".versions").await.unwrap();
    assert_eq!(e.stat.kind, FileKind::File);
    assert_eq!(read_file(&fs, e.stat.ino, 64).await.unwrap(), b"mine");
    assert!(ls(&fs, "").await.contains(&".versions".to_owned()));
}

#[tokio::test]
async fn a_version_written_through_the_mount_shows_at_once() {
    let r = MemoryRemote::new("alice");
    let contents = three_versions(&r);
    let fs = mount(&r, LONG).await;
    assert_eq!(ls(&fs, ".versions/f.txt").await.len(), 3);
    // Restoring = copying the old version over the file: a fourth version.
    let old = ino_of(&fs, &format!(".versions/f.txt/{}", version_names()[0])).await;
    let bytes = read_file(&fs, old, 64).await.unwrap();
    let f = ino_of(&fs, "f.txt").await;
    let fh = fs.open(f, Access::Overwrite).await.unwrap();
    fs.write(fh, 0, &bytes).await.unwrap();
    fs.sync_file(fh).await.unwrap();
    fs.release(fh).await;
    assert_eq!(read_file(&fs, f, 64).await.unwrap(), contents[0]);
    let listed = ls(&fs, ".versions/f.txt").await;
    assert_eq!(listed.len(), 4, "{listed:?}");
    assert!(listed[3].starts_with("v4_"), "{listed:?}");
    let newest = ino_of(&fs, &format!(".versions/f.txt/{}", listed[3])).await;
    assert_eq!(read_file(&fs, newest, 64).await.unwrap(), contents[0]);
    // The latest version shows the file's own mtime.
    assert_eq!(
        fs.getattr(newest).await.unwrap().mtime,
        fs.getattr(f).await.unwrap().mtime
    );
}
