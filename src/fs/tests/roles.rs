//! Roles and modes: own items are writable, VIEWER shares read-only (open for write EACCES),
//! CONTRIBUTOR shares writable (open for write EROFS until writes exist), the recycle bin
//! read-only; "Shared with me" lists what others shared; inode numbers survive renames and moves.

use super::*;
use crate::remote::Role;

/// The permission bits of `path`.
async fn perm(fs: &Fs<MemoryRemote>, path: &str) -> u16 {
    resolve(fs, path).await.unwrap().stat.perm
}

/// bob's proj/{top.txt, sub/{doc}}, shared with alice as `role`; alice's view.
async fn shared_proj(role: Role) -> (MemoryRemote, Fs<MemoryRemote>) {
    let alice = MemoryRemote::new("alice");
    let bob = alice.add_user("bob").unwrap();
    let proj = bob.mkdir(&bob.root_id(), "proj").unwrap();
    bob.put(&proj, "top.txt", b"top", t(1)).unwrap();
    let sub = bob.mkdir(&proj, "sub").unwrap();
    bob.put(&sub, "doc", b"secret", t(2)).unwrap();
    bob.share(&proj, "alice", role).unwrap();
    let fs = mount(&alice, LONG).await;
    (alice, fs)
}

#[tokio::test]
async fn own_items_are_0755_and_0644() {
    let r = MemoryRemote::new("alice");
    let dir = r.mkdir(&r.root_id(), "dir").unwrap();
    r.put(&dir, "f", b"f", t(1)).unwrap();
    let config = FsConfig {
        metadata_ttl: LONG,
        uid: 1234,
        gid: 5678,
        ..FsConfig::default()
    };
    let fs = Fs::new(Arc::new(r.clone()), config).await.unwrap();
    assert_eq!(fs.getattr(ROOT).await.unwrap().perm, 0o755);
    assert_eq!(perm(&fs, "dir").await, 0o755);
    assert_eq!(perm(&fs, "dir/f").await, 0o644);
    assert_eq!(perm(&fs, "Recycle Bin").await, 0o555);
    assert_eq!(perm(&fs, "Shared with me").await, 0o555);
    let f = resolve(&fs, "dir/f").await.unwrap().stat;
    assert_eq!((f.uid, f.gid), (1234, 5678));
    let fh = fs.open(f.ino, Access::Write).await.unwrap();
    fs.release(fh).await;
    let fh = fs.open(f.ino, Access::Read).await.unwrap();
    fs.release(fh).await;
}

#[tokio::test]
async fn items_shared_as_viewer_are_read_only_and_refuse_writing() {
    let (_, fs) = shared_proj(Role::Viewer).await;
    assert_eq!(ls(&fs, "Shared with me").await, ["proj"]);
    for (path, mode) in [
        ("Shared with me/proj", 0o555),
        ("Shared with me/proj/top.txt", 0o444),
        ("Shared with me/proj/sub", 0o555),
        ("Shared with me/proj/sub/doc", 0o444),
    ] {
        assert_eq!(perm(&fs, path).await, mode, "{path}");
    }
    let doc = ino_of(&fs, "Shared with me/proj/sub/doc").await;
    assert_fails!(
        fs.open(doc, Access::Write).await,
        FsError::Denied,
        libc::EACCES
    );
    assert_eq!(read_file(&fs, doc, 4).await.unwrap(), b"secret");
}

#[tokio::test]
async fn items_shared_as_contributor_are_writable() {
    let (owner, fs) = shared_proj(Role::Contributor).await;
    for (path, mode) in [
        ("Shared with me/proj", 0o755),
        ("Shared with me/proj/top.txt", 0o644),
        ("Shared with me/proj/sub/doc", 0o644),
    ] {
        assert_eq!(perm(&fs, path).await, mode, "{path}");
    }
    let doc = ino_of(&fs, "Shared with me/proj/sub/doc").await;
    assert_eq!(read_file(&fs, doc, 4).await.unwrap(), b"secret");
    let fh = fs.open(doc, Access::Overwrite).await.unwrap();
    fs.write(fh, 0, b"changed").await.unwrap();
    fs.sync_file(fh).await.unwrap();
    fs.release(fh).await;
    let id = fs.inode(doc).unwrap().node.unwrap().id;
    assert_eq!(owner.as_user("bob").content(&id), b"changed");
    assert_eq!(read_file(&fs, doc, 4).await.unwrap(), b"changed");
}

#[tokio::test]
async fn recycle_bin_items_are_read_only() {
    let r = MemoryRemote::new("alice");
    let root = r.root_id();
    let old = r.mkdir(&root, "old").unwrap();
    r.put(&old, "inside", b"inside", t(1)).unwrap();
    let x = r.put(&root, "x", b"x", t(1)).unwrap();
    r.recycle(&old).unwrap();
    r.recycle(&x).unwrap();
    let fs = mount(&r, LONG).await;
    assert_eq!(ls(&fs, "").await, ["Recycle Bin", "Shared with me"]);
    assert_eq!(ls(&fs, "Recycle Bin").await, ["old", "x"]);
    assert_eq!(perm(&fs, "Recycle Bin/old").await, 0o555);
    assert_eq!(perm(&fs, "Recycle Bin/x").await, 0o444);
    assert_eq!(perm(&fs, "Recycle Bin/old/inside").await, 0o444);
    let inside = ino_of(&fs, "Recycle Bin/old/inside").await;
    assert_fails!(
        fs.open(inside, Access::Write).await,
        FsError::Denied,
        libc::EACCES
    );
    assert_eq!(read_file(&fs, inside, 4).await.unwrap(), b"inside");
}

#[tokio::test]
async fn shared_with_me_lists_the_items_others_shared() {
    let alice = MemoryRemote::new("alice");
    let bob = alice.add_user("bob").unwrap();
    let carol = alice.add_user("carol").unwrap();
    let b_notes = bob.put(&bob.root_id(), "notes.txt", b"bob", t(1)).unwrap();
    let b_dir = bob.mkdir(&bob.root_id(), "team").unwrap();
    bob.put(&b_dir, "plan", b"plan", t(1)).unwrap();
    bob.put(&bob.root_id(), "private", b"p", t(1)).unwrap();
    let c_notes = carol
        .put(&carol.root_id(), "notes.txt", b"carol", t(1))
        .unwrap();
    bob.share(&b_notes, "alice", Role::Viewer).unwrap();
    bob.share(&b_dir, "alice", Role::Coowner).unwrap();
    carol.share(&c_notes, "alice", Role::Contributor).unwrap();
    // alice's own item shared with bob is not in her Shared with me.
    let own = alice.put(&alice.root_id(), "own", b"o", t(1)).unwrap();
    alice.share(&own, "bob", Role::Viewer).unwrap();

    let fs = mount(&alice, LONG).await;
    alice.reset_counters();
    let shown = ls(&fs, "Shared with me").await;
    let (first, second) = if b_notes < c_notes {
        (&b_notes, &c_notes)
    } else {
        (&c_notes, &b_notes)
    };
    let alias = crate::fs::names::disambiguate("notes.txt", second, 0);
    assert_eq!(shown, ["team", "notes.txt", &alias]);
    assert_eq!(alice.role_calls(), 3, "one role call per shared item");
    let by_id = |id: &String| {
        if id == first {
            "notes.txt"
        } else {
            alias.as_str()
        }
    };
    let swm = |name: &str| format!("Shared with me/{name}");
    assert_eq!(perm(&fs, &swm(by_id(&b_notes))).await, 0o444);
    assert_eq!(perm(&fs, &swm(by_id(&c_notes))).await, 0o644);
    assert_eq!(perm(&fs, "Shared with me/team").await, 0o755);
    assert_eq!(perm(&fs, "Shared with me/team/plan").await, 0o644);
    let carols = ino_of(&fs, &swm(by_id(&c_notes))).await;
    assert_eq!(read_file(&fs, carols, 64).await.unwrap(), b"carol");
    let bobs_view = mount(&bob, LONG).await;
    assert_eq!(ls(&bobs_view, "Shared with me").await, ["own"]);
}

#[tokio::test]
async fn an_item_shows_one_role_however_it_is_reached() {
    let alice = MemoryRemote::new("alice");
    let bob = alice.add_user("bob").unwrap();
    let proj = bob.mkdir(&bob.root_id(), "proj").unwrap();
    let sub = bob.mkdir(&proj, "sub").unwrap();
    bob.put(&sub, "doc", b"d", t(1)).unwrap();
    bob.share(&proj, "alice", Role::Viewer).unwrap();
    bob.share(&sub, "alice", Role::Contributor).unwrap();
    let fs = mount(&alice, LONG).await;
    assert_eq!(ls(&fs, "Shared with me").await, ["proj", "sub"]);
    let direct = resolve(&fs, "Shared with me/sub").await.unwrap().stat;
    let nested = resolve(&fs, "Shared with me/proj/sub").await.unwrap().stat;
    assert_eq!(direct.ino, nested.ino, "one remote item, one inode");
    // The store says Contributor (the best role on the item or an ancestor)...
    assert_eq!(nested.perm, 0o755, "reached through proj");
    assert_eq!(fs.getattr(direct.ino).await.unwrap().perm, 0o755);
    assert_eq!(perm(&fs, "Shared with me/proj/sub/doc").await, 0o644);
}

#[tokio::test]
async fn inode_numbers_are_stable_across_renames_and_moves() {
    let r = MemoryRemote::new("alice");
    let root = r.root_id();
    let a = r.mkdir(&root, "A").unwrap();
    let b = r.mkdir(&root, "B").unwrap();
    let d = r.put(&a, "d", b"d", t(1)).unwrap();
    let sub = r.mkdir(&a, "sub").unwrap();
    r.put(&sub, "e", b"e", t(1)).unwrap();
    let fs = mount(&r, SHORT).await;
    let before = [
        ino_of(&fs, "A").await,
        ino_of(&fs, "B").await,
        ino_of(&fs, "A/d").await,
        ino_of(&fs, "A/sub").await,
        ino_of(&fs, "A/sub/e").await,
    ];
    r.rename(&d, "d2").unwrap();
    r.move_to(&sub, &b).unwrap();
    r.rename(&a, "A2").unwrap();
    past_ttl().await;
    let after = [
        ino_of(&fs, "A2").await,
        ino_of(&fs, "B").await,
        ino_of(&fs, "A2/d2").await,
        ino_of(&fs, "B/sub").await,
        ino_of(&fs, "B/sub/e").await,
    ];
    assert_eq!(after, before);
    assert_fails!(
        resolve(&fs, "A2/sub").await,
        FsError::NotFound,
        libc::ENOENT
    );
    // `..` follows the move.
    let sub_entries = read_dir(&fs, after[3]).await;
    assert_eq!(sub_entries[1].stat.ino, after[1]);
}
