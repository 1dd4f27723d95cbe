//! Changes to the tree: unique live names, duplicates, name rules, recycle and restore,
//! delete for good, moves.

use super::*;
use crate::remote::NodeKind;

fn is_exists(e: RemoteError) -> bool {
    matches!(e, RemoteError::AlreadyExists(_))
}

fn is_conflict(e: RemoteError) -> bool {
    matches!(e, RemoteError::Conflict(_))
}

fn is_invalid(e: RemoteError) -> bool {
    matches!(e, RemoteError::Invalid(_))
}

#[test]
fn names_are_unique_among_live_items() {
    let r = MemoryRemote::new("alice");
    let root = r.root_id();
    let x = r.mkdir(&root, "x").unwrap();
    let f = r.put(&root, "f", b"", t(1)).unwrap();
    assert!(is_exists(r.mkdir(&root, "x").unwrap_err()));
    assert!(is_exists(r.mkdir(&root, "f").unwrap_err()));
    assert!(is_exists(r.put(&root, "x", b"", t(1)).unwrap_err()));
    assert!(is_exists(r.rename(&f, "x").unwrap_err()));
    r.rename(&f, "f").unwrap();
    r.put(&x, "f", b"", t(1)).unwrap();
    assert!(is_exists(r.move_to(&f, &x).unwrap_err()));
    r.mkdir(&root, "X").unwrap(); // names are case-sensitive
    r.mkdir(&x, "x").unwrap(); // and per folder
}

#[test]
fn duplicates_can_be_made_and_are_all_listed() {
    let r = MemoryRemote::new("alice");
    let root = r.root_id();
    let a = r.put(&root, "same", b"1", t(1)).unwrap();
    let b = r.put_duplicate(&root, "same", b"2", t(1)).unwrap();
    let c = r.mkdir_duplicate(&root, "same").unwrap();
    let d = r.mkdir_duplicate(&root, "same").unwrap();
    let all = r.list_all(&folder(&root)).unwrap();
    assert_eq!(names(&all), ["same"; 4]);
    let mut ids: Vec<_> = all.iter().map(|n| n.id.clone()).collect();
    ids.sort();
    let mut want = vec![a.clone(), b.clone(), c, d];
    want.sort();
    assert_eq!(ids, want);
    // put updates one of them; the other keeps its content.
    let updated = r.put(&root, "same", b"3", t(2)).unwrap();
    assert!(is_exists(r.mkdir(&root, "same").unwrap_err()));
    let other = if updated == a { &b } else { &a };
    assert_eq!(r.content(&updated), b"3");
    assert_ne!(r.content(other), b"3");
}

#[test]
fn names_follow_the_store_rules() {
    let r = MemoryRemote::new("alice");
    let root = r.root_id();
    for bad in ["", "a\nb", "tab\there", "rlo\u{202E}", &"n".repeat(256)] {
        assert!(is_invalid(r.mkdir(&root, bad).unwrap_err()), "{bad:?}");
        assert!(
            is_invalid(r.put(&root, bad, b"", t(1)).unwrap_err()),
            "{bad:?}"
        );
    }
    r.mkdir(&root, "a/b").unwrap();
    r.put(&root, &"é".repeat(255), b"", t(1)).unwrap();
}

#[tokio::test]
async fn recycle_and_restore() {
    let r = MemoryRemote::new("alice");
    let root = r.root_id();
    let dir = r.mkdir(&root, "dir").unwrap();
    let inner = r.put(&dir, "inner", b"kept", t(1)).unwrap();
    r.recycle(&dir).unwrap();
    r.recycle(&dir).unwrap(); // again: no-op
    assert!(r.list_all(&folder(&root)).unwrap().is_empty());
    let bin = r.list_all(&Collection::RecycleBin).unwrap();
    assert_eq!(names(&bin), ["dir"]);
    assert!(bin[0].recycled && bin[0].parent.as_deref() == Some(root.as_str()));
    // Browsable and readable, not changeable.
    assert_eq!(names(&walk(&r, &folder(&dir), 999).await), ["inner"]);
    assert_eq!(
        read_bytes(&r, &inner, &latest(&r, &inner), 0..99).await,
        b"kept"
    );
    assert!(is_conflict(r.put(&dir, "new", b"", t(1)).unwrap_err()));
    assert!(is_conflict(r.new_version(&inner, b"", t(1)).unwrap_err()));
    assert!(is_conflict(r.rename(&dir, "other").unwrap_err()));
    assert!(is_conflict(r.rename(&inner, "other").unwrap_err()));
    assert!(is_conflict(r.move_to(&inner, &root).unwrap_err()));
    assert!(is_conflict(r.recycle(&inner).unwrap_err()));
    // The bin may repeat names; restoring needs the name free.
    let dir2 = r.mkdir(&root, "dir").unwrap();
    r.recycle(&dir2).unwrap();
    assert_eq!(
        names(&r.list_all(&Collection::RecycleBin).unwrap()),
        ["dir", "dir"]
    );
    r.restore(&dir).unwrap();
    assert!(is_exists(r.restore(&dir2).unwrap_err()));
    r.restore(&dir).unwrap(); // live: no-op
    let live = r.list_all(&folder(&root)).unwrap();
    assert_eq!(
        (live.len(), live[0].id.clone(), live[0].recycled),
        (1, dir.clone(), false)
    );
    assert_eq!(r.list_all(&Collection::RecycleBin).unwrap()[0].id, dir2);
    r.put(&dir, "new", b"", t(1)).unwrap();
}

#[tokio::test]
async fn delete_is_for_good_with_contents() {
    let r = MemoryRemote::new("alice");
    let root = r.root_id();
    let dir = r.mkdir(&root, "dir").unwrap();
    let sub = r.mkdir(&dir, "sub").unwrap();
    let doc = r.put(&sub, "doc", b"x", t(1)).unwrap();
    let v = latest(&r, &doc);
    r.recycle(&sub).unwrap();
    r.delete(&dir).unwrap();
    assert!(r.node(&dir).is_none() && r.node(&sub).is_none() && r.node(&doc).is_none());
    assert!(r.list_all(&Collection::RecycleBin).unwrap().is_empty());
    let err = read_chunks(&r, &doc, &v, 0..1).await.unwrap_err();
    assert!(matches!(err, RemoteError::NotFound(_)), "{err:?}");
    assert!(matches!(
        r.delete(&dir).unwrap_err(),
        RemoteError::NotFound(_)
    ));
    assert!(is_conflict(r.delete(&root).unwrap_err()));
    assert!(is_conflict(r.recycle(&root).unwrap_err()));
    assert!(is_conflict(r.rename(&root, "r").unwrap_err()));
}

#[test]
fn moves() {
    let r = MemoryRemote::new("alice");
    let root = r.root_id();
    let a = r.mkdir(&root, "a").unwrap();
    let b = r.mkdir(&a, "b").unwrap();
    let doc = r.put(&root, "doc", b"", t(1)).unwrap();
    assert!(
        is_invalid(r.move_to(&a, &b).unwrap_err()),
        "into its own subtree"
    );
    assert!(is_invalid(r.move_to(&a, &a).unwrap_err()), "into itself");
    assert!(
        is_invalid(r.move_to(&a, &doc).unwrap_err()),
        "into a document"
    );
    assert!(matches!(
        r.move_to(&a, "f999").unwrap_err(),
        RemoteError::NotFound(_)
    ));
    r.move_to(&doc, &b).unwrap();
    r.move_to(&b, &root).unwrap();
    let top = r.list_all(&folder(&root)).unwrap();
    assert_eq!(names(&top), ["a", "b"]);
    assert_eq!(r.list_all(&folder(&b)).unwrap()[0].id, doc);
    assert_eq!(r.node(&doc).unwrap().parent, Some(b.clone()));
    assert_eq!(r.node(&b).unwrap().kind, NodeKind::Folder);
}
