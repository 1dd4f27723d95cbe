//! Names as the core shows them (docs/SEMANTICS.md, "Names"): `/` and NUL escaped to look-alikes
//! and back, look-alikes quoted, duplicates disambiguated with the id, remote items named like a
//! special folder disambiguated, over-long names refused or skipped.

use super::*;
use crate::fs::names::{NAME_MAX, disambiguate, to_local, to_remote};
use crate::remote::RemoteError;

#[tokio::test]
async fn slashes_and_look_alikes_are_escaped_and_reversible() {
    let r = MemoryRemote::new("alice");
    let root = r.root_id();
    let remote_names = ["a/b", "/", "x／y", "q‛", "n␀", "plain", "‛／/"];
    for (i, name) in remote_names.iter().enumerate() {
        r.put(&root, name, name.as_bytes(), t(i as u64)).unwrap();
    }
    let dir = r.mkdir(&root, "dir/with/slash").unwrap();
    r.put(&dir, "c/d", b"inner", t(9)).unwrap();
    // The store cannot hold NUL (names have no control characters), so NUL is escaped only
    // in theory here; the mapping itself is checked on its own.
    assert!(matches!(
        r.put(&root, "nul\0", b"", t(1)),
        Err(RemoteError::Invalid(_))
    ));
    assert_eq!(to_local("nul\0"), "nul␀");
    assert_eq!(to_remote("nul␀"), "nul\0");

    let fs = mount(&r, LONG).await;
    let shown = ls(&fs, "").await;
    let expected = [
        "Recycle Bin",
        "Shared with me",
        "dir／with／slash",
        "／",
        "a／b",
        "n‛␀",
        "plain",
        "q‛‛",
        "x‛／y",
        "‛‛‛／／",
    ];
    assert_eq!(shown, expected);
    for name in &shown[3..] {
        assert!(!name.contains('/') && !name.contains('\0'));
        let remote = to_remote(name);
        assert!(
            remote_names.contains(&remote.as_str()),
            "{name:?} → {remote:?}"
        );
        let ino = ino_of(&fs, name).await;
        assert_eq!(read_file(&fs, ino, 64).await.unwrap(), remote.as_bytes());
    }
    let inner = ino_of(&fs, "dir／with／slash/c／d").await;
    assert_eq!(read_file(&fs, inner, 64).await.unwrap(), b"inner");
    // The remote name is not a file name: a lookup of it finds nothing.
    let dir_ino = ino_of(&fs, "dir／with／slash").await;
    assert!(matches!(
        fs.lookup(dir_ino, "c/d").await,
        Err(FsError::NotFound)
    ));
    assert!(matches!(
        fs.lookup(ROOT, "x／y").await,
        Err(FsError::NotFound)
    ));
}

#[tokio::test]
async fn duplicates_are_all_shown_the_first_keeping_the_name() {
    let r = MemoryRemote::new("alice");
    let root = r.root_id();
    let docs = [
        r.put(&root, "report.pdf", b"one", t(1)).unwrap(),
        r.put_duplicate(&root, "report.pdf", b"two", t(2)).unwrap(),
        r.put_duplicate(&root, "report.pdf", b"three", t(3))
            .unwrap(),
    ];
    let dirs = [
        r.mkdir(&root, "Makefile").unwrap(),
        r.mkdir_duplicate(&root, "Makefile").unwrap(),
    ];
    // A document may repeat a folder's name too (it sorts after the folders).
    let doc_like_dir = r.put_duplicate(&root, "Makefile", b"doc", t(4)).unwrap();
    let fs = mount(&r, SHORT).await;
    // Listing order: folders, then documents, each by name and then by id (as strings).
    let (mut d, mut f) = (docs.clone(), dirs.clone());
    d.sort();
    f.sort();
    let expected = [
        "Recycle Bin".to_owned(),
        "Shared with me".to_owned(),
        "Makefile".to_owned(),
        disambiguate("Makefile", &f[1], 0),
        disambiguate("Makefile", &doc_like_dir, 0),
        "report.pdf".to_owned(),
        disambiguate("report.pdf", &d[1], 0),
        disambiguate("report.pdf", &d[2], 0),
    ];
    assert_eq!(ls(&fs, "").await, expected);
    assert!(expected[6].starts_with("report~d") && expected[6].ends_with(".pdf"));
    let mut inos = std::collections::HashSet::new();
    for name in &expected[2..] {
        assert!(
            inos.insert(ino_of(&fs, name).await),
            "{name} has its own inode"
        );
    }
    let first = ino_of(&fs, "report.pdf").await;
    assert_eq!(read_file(&fs, first, 64).await.unwrap(), r.content(&d[0]));
    let dir0 = ino_of(&fs, "Makefile").await;
    assert_eq!(fs.getattr(dir0).await.unwrap().kind, FileKind::Directory);
    // The names are the same in the next generation of the listing.
    past_ttl().await;
    assert_eq!(ls(&fs, "").await, expected);
}

#[tokio::test]
async fn remote_items_named_like_special_folders_are_disambiguated() {
    let r = MemoryRemote::new("alice");
    let root = r.root_id();
    let bin_like = r.mkdir(&root, "Recycle Bin").unwrap();
    r.put(&bin_like, "mine", b"mine", t(1)).unwrap();
    let swm_like = r.put(&root, "Shared with me", b"doc", t(1)).unwrap();
    let recycled = r.put(&root, "recycled", b"r", t(1)).unwrap();
    r.recycle(&recycled).unwrap();
    // Below the root, the names are ordinary.
    let sub = r.mkdir(&root, "sub").unwrap();
    r.mkdir(&sub, "Recycle Bin").unwrap();
    let fs = mount(&r, LONG).await;
    let bin_alias = disambiguate("Recycle Bin", &bin_like, 0);
    let swm_alias = disambiguate("Shared with me", &swm_like, 0);
    assert_eq!(
        ls(&fs, "").await,
        [
            "Recycle Bin",
            "Shared with me",
            &bin_alias,
            "sub",
            &swm_alias
        ]
    );
    assert_eq!(ls(&fs, "Recycle Bin").await, ["recycled"]);
    assert!(ls(&fs, "Shared with me").await.is_empty());
    assert_eq!(ls(&fs, &bin_alias).await, ["mine"]);
    let alias = ino_of(&fs, &swm_alias).await;
    assert_eq!(read_file(&fs, alias, 64).await.unwrap(), b"doc");
    assert_eq!(ls(&fs, "sub").await, ["Recycle Bin"]);
    assert_eq!(ls(&fs, "sub/Recycle Bin").await, Vec::<String>::new());
}

#[tokio::test]
async fn names_longer_than_255_bytes() {
    let r = MemoryRemote::new("alice");
    let root = r.root_id();
    // 255 characters are a valid remote name; escaped, `/` takes 3 bytes.
    let fits = "a".repeat(NAME_MAX);
    let too_long_escaped = format!("{}/", "b".repeat(NAME_MAX - 1));
    let too_many_bytes = "é".repeat(200); // 200 characters, 400 bytes
    for name in [&fits, &too_long_escaped, &too_many_bytes] {
        r.put(&root, name, b"x", t(1)).unwrap();
    }
    r.put(&root, "short", b"x", t(1)).unwrap();
    let fs = mount(&r, LONG).await;
    let shown = ls(&fs, "").await;
    // The names that cannot be file names are skipped; the rest are shown.
    assert_eq!(
        shown,
        ["Recycle Bin", "Shared with me", fits.as_str(), "short"]
    );
    assert!(fs.lookup(ROOT, &fits).await.is_ok());
    for long in [
        "x".repeat(NAME_MAX + 1),
        to_local(&too_long_escaped),
        too_many_bytes,
    ] {
        assert_fails!(
            fs.lookup(ROOT, &long).await,
            FsError::NameTooLong,
            libc::ENAMETOOLONG
        );
    }
    assert_fails!(
        fs.lookup(ROOT, &"y".repeat(NAME_MAX)).await,
        FsError::NotFound,
        libc::ENOENT
    );
}

#[tokio::test]
async fn a_disambiguated_name_never_collides_with_another_entry() {
    let r = MemoryRemote::new("alice");
    let root = r.root_id();
    let a = r.put(&root, "a", b"first", t(1)).unwrap();
    let b = r.put_duplicate(&root, "a", b"second", t(2)).unwrap();
    let second = if a < b { &b } else { &a };
    // A folder literally named like the second "a" will be shown: folders are listed first.
    let taken = disambiguate("a", second, 0);
    r.mkdir(&root, &taken).unwrap();
    let fs = mount(&r, LONG).await;
    let shown = ls(&fs, "").await;
    let mut unique = shown.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), shown.len(), "names repeat: {shown:?}");
    // Each of the three items is reachable under its own name.
    let mut inos = std::collections::HashSet::new();
    for name in &shown[2..] {
        inos.insert(ino_of(&fs, name).await);
    }
    assert_eq!(inos.len(), 3, "{shown:?}");
    let folder = ino_of(&fs, &taken).await;
    assert_eq!(fs.getattr(folder).await.unwrap().kind, FileKind::Directory);
}
