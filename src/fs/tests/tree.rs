//! The tree through `lookup` and `readdir`: nested folders, `.` and `..`, paging of listings
//! (page size 3) with stable offsets, directory handles keeping their listing generation, and
//! the errors of misused inodes and handles.

use super::*;

/// root: top.txt, a/{x.txt, b/{c/{deep.txt}}}; returns the ids of a, b, c and deep.txt.
fn nested(r: &MemoryRemote) -> [String; 4] {
    let root = r.root_id();
    r.put(&root, "top.txt", b"top", t(1)).unwrap();
    let a = r.mkdir(&root, "a").unwrap();
    r.put(&a, "x.txt", b"xx", t(2)).unwrap();
    let b = r.mkdir(&a, "b").unwrap();
    let c = r.mkdir(&b, "c").unwrap();
    let deep = r.put(&c, "deep.txt", b"deep down", t(3)).unwrap();
    [a, b, c, deep]
}

#[tokio::test]
async fn lookup_and_readdir_of_a_nested_tree() {
    let r = MemoryRemote::new("alice");
    nested(&r);
    let fs = mount(&r, LONG).await;
    assert_eq!(
        ls(&fs, "").await,
        ["Recycle Bin", "Shared with me", "a", "top.txt"]
    );
    assert_eq!(ls(&fs, "a").await, ["b", "x.txt"]);
    assert_eq!(ls(&fs, "a/b").await, ["c"]);
    assert_eq!(ls(&fs, "a/b/c").await, ["deep.txt"]);

    let deep = resolve(&fs, "a/b/c/deep.txt").await.unwrap();
    assert_eq!(deep.stat.kind, FileKind::File);
    assert_eq!((deep.stat.size, deep.stat.mtime), (9, t(3)));
    assert_eq!(deep.stat.nlink, 1);
    assert_eq!(deep.ttl, LONG);
    assert_eq!(fs.getattr(deep.stat.ino).await.unwrap(), deep.stat);

    // `.` and `..` come first and name the folder and its parent; readdir agrees with lookup.
    let (a, b, c) = (
        ino_of(&fs, "a").await,
        ino_of(&fs, "a/b").await,
        ino_of(&fs, "a/b/c").await,
    );
    for (dir, parent) in [(ROOT, ROOT), (a, ROOT), (b, a), (c, b)] {
        let entries = read_dir(&fs, dir).await;
        assert_eq!((entries[0].name.as_str(), entries[0].stat.ino), (".", dir));
        assert_eq!(
            (entries[1].name.as_str(), entries[1].stat.ino),
            ("..", parent)
        );
        assert_eq!(entries[0].stat.kind, FileKind::Directory);
        for e in &entries[2..] {
            let looked = fs.lookup(dir, &e.name).await.unwrap();
            assert_eq!(looked.stat, e.stat, "{}", e.name);
        }
    }
    assert_eq!(fs.getattr(c).await.unwrap().nlink, 2);
    assert_eq!(
        read_file(&fs, deep.stat.ino, 4).await.unwrap(),
        b"deep down"
    );
}

/// 10 folders and 23 documents: 33 items, 11 pages of 3.
fn many(r: &MemoryRemote) -> (String, Vec<String>) {
    let big = r.mkdir(&r.root_id(), "big").unwrap();
    let mut want = Vec::new();
    for i in 0..10 {
        r.mkdir(&big, &format!("dir{i:02}")).unwrap();
        want.push(format!("dir{i:02}"));
    }
    for i in 0..23 {
        r.put(&big, &format!("doc{i:02}"), [i as u8], t(i)).unwrap();
        want.push(format!("doc{i:02}"));
    }
    (big, want)
}

#[tokio::test]
async fn readdir_across_pages_returns_every_entry_once_dots_first() {
    let r = MemoryRemote::new("alice");
    let (_, want) = many(&r);
    r.set_page_size(3);
    let fs = mount(&r, LONG).await;
    let big = ino_of(&fs, "big").await;
    r.reset_counters();
    for batch in [1, 2, 4, 7, 100] {
        let entries = read_dir_batched(&fs, big, batch).await.unwrap();
        assert_eq!(&entries[0].name, ".");
        assert_eq!(&entries[1].name, "..");
        assert_eq!(names(&entries), want, "batch {batch}");
        let offsets: Vec<u64> = entries.iter().map(|e| e.next_offset).collect();
        let expected: Vec<u64> = (1..=entries.len() as u64).collect();
        assert_eq!(offsets, expected, "offsets count up one per entry");
    }
    // The first walk fetched each of the 11 pages once; later handles reuse the listing.
    assert_eq!(r.list_calls(), 11);
}

#[tokio::test]
async fn readdir_offsets_are_stable_on_one_handle() {
    let r = MemoryRemote::new("alice");
    let (_, want) = many(&r);
    r.set_page_size(3);
    let fs = mount(&r, LONG).await;
    let big = ino_of(&fs, "big").await;
    let fh = fs.opendir(big).unwrap();
    let all = read_handle(&fs, big, fh, 0, 5).await.unwrap();
    assert_eq!(names(&all), want);
    // Resuming at any offset handed out gives exactly the entries after it, again and again.
    for (i, e) in all.iter().enumerate() {
        let rest = read_handle(&fs, big, fh, e.next_offset, 3).await.unwrap();
        let got: Vec<&str> = rest.iter().map(|e| e.name.as_str()).collect();
        let expected: Vec<&str> = all[i + 1..].iter().map(|e| e.name.as_str()).collect();
        assert_eq!(got, expected, "from offset {}", e.next_offset);
    }
    let one = fs.readdir(big, fh, 0, 1).await.unwrap();
    assert_eq!((one.len(), one[0].name.as_str()), (1, "."));
    let past_end = all.last().unwrap().next_offset;
    assert!(fs.readdir(big, fh, past_end, 10).await.unwrap().is_empty());
    assert!(
        fs.readdir(big, fh, past_end + 100, 10)
            .await
            .unwrap()
            .is_empty()
    );
    fs.releasedir(fh);
}

#[tokio::test]
async fn a_readdir_handle_keeps_its_listing_generation() {
    let r = MemoryRemote::new("alice");
    let dir = r.mkdir(&r.root_id(), "d").unwrap();
    let mut ids = std::collections::HashMap::new();
    for n in ["a", "c", "e", "g", "i", "k"] {
        ids.insert(n, r.put(&dir, n, n, t(1)).unwrap());
    }
    r.set_page_size(2);
    let fs = mount(&r, SHORT).await;
    let d = ino_of(&fs, "d").await;

    // `partial` (one generation) stops after its first page (a, c); `full` (the next
    // generation, once the first has expired) reads everything.
    let partial = fs.opendir(d).unwrap();
    let first = fs.readdir(d, partial, 0, 4).await.unwrap();
    assert_eq!(names(&first), ["a", "c"]);
    let resume = first.last().unwrap().next_offset;
    past_ttl().await;
    let full = fs.opendir(d).unwrap();
    let before = read_handle(&fs, d, full, 0, 100).await.unwrap();
    assert_eq!(names(&before), ["a", "c", "e", "g", "i", "k"]);

    // The store changes: an item already returned and an unread one go, two arrive.
    r.delete(&ids["a"]).unwrap();
    r.delete(&ids["i"]).unwrap();
    r.put(&dir, "b", "b", t(2)).unwrap();
    r.put(&dir, "z", "z", t(2)).unwrap();
    past_ttl().await;
    // A lookup replaces the cached listing with a new generation...
    assert!(fs.lookup(d, "b").await.is_ok());
    assert!(matches!(fs.lookup(d, "a").await, Err(FsError::NotFound)));
    // ...which a new handle sees,
    assert_eq!(ls(&fs, "d").await, ["b", "c", "e", "g", "k", "z"]);
    // while the complete old handle still reads its own listing, at the same offsets,
    let again = read_handle(&fs, d, full, 0, 100).await.unwrap();
    let pairs = |v: &[DirEntry]| -> Vec<(String, u64, Ino)> {
        v.iter()
            .map(|e| (e.name.clone(), e.next_offset, e.stat.ino))
            .collect()
    };
    assert_eq!(pairs(&again), pairs(&before));
    // and the partial one keeps what it returned and pages on from where it stopped: nothing
    // repeats, the unread item that went is gone, the one added past its position appears.
    let rest = read_handle(&fs, d, partial, resume, 100).await.unwrap();
    assert_eq!(names(&rest), ["e", "g", "k", "z"]);
    let start = read_handle(&fs, d, partial, 0, 100).await.unwrap();
    assert_eq!(names(&start), ["a", "c", "e", "g", "k", "z"]);
    fs.releasedir(full);
    fs.releasedir(partial);
}

#[tokio::test]
async fn misused_inodes_and_handles_are_refused() {
    let r = MemoryRemote::new("alice");
    nested(&r);
    let fs = mount(&r, LONG).await;
    let top = ino_of(&fs, "top.txt").await;
    let a = ino_of(&fs, "a").await;
    assert_fails!(fs.lookup(top, "x").await, FsError::NotDir, libc::ENOTDIR);
    assert_fails!(fs.opendir(top), FsError::NotDir, libc::ENOTDIR);
    assert!(!fs.is_dir(top).unwrap() && fs.is_dir(a).unwrap());
    assert_fails!(fs.lookup(a, "nope").await, FsError::NotFound, libc::ENOENT);
    assert_fails!(fs.getattr(9999).await, FsError::Stale(9999), libc::ESTALE);
    assert_fails!(fs.lookup(9999, "x").await, FsError::Stale(_), libc::ESTALE);
    assert_fails!(fs.opendir(9999), FsError::Stale(_), libc::ESTALE);
    assert_fails!(
        fs.readdir(a, 777, 0, 10).await,
        FsError::BadHandle,
        libc::EBADF
    );
    let fh = fs.opendir(a).unwrap();
    assert_fails!(
        fs.readdir(ROOT, fh, 0, 10).await,
        FsError::BadHandle,
        libc::EBADF
    );
    assert_eq!(fs.readdir(a, fh, 0, 10).await.unwrap().len(), 4);
    fs.releasedir(fh);
    assert_fails!(
        fs.readdir(a, fh, 0, 10).await,
        FsError::BadHandle,
        libc::EBADF
    );
    assert_fails!(fs.read(12345, 0, 10).await, FsError::BadHandle, libc::EBADF);
    let s = fs.statfs();
    assert_eq!((s.bsize, s.namelen), (4096, 255));
    assert!(s.files >= 4, "the inodes seen so far: {}", s.files);
}
