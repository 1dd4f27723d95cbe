//! Who the caller is and what it sees: roots, folder listings across pages, names with `/`, the
//! recycle bin, shared-with-me with roles, and the admin (SigV4) mode.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, UNIX_EPOCH};

use docsfs::remote::workdocs::{WorkDocsAuth, WorkDocsRemote};
use docsfs::remote::{Collection, NodeKind, Remote, RemoteError, Role};
use docsfs::sigv4::AccessKey;

use super::support::*;

#[tokio::test]
async fn roots_of_a_user_and_a_refused_token() {
    let s = TestServer::start(Options::default()).await;
    let me = s.alice().me().await;
    let r = remote(&s.endpoint(), ALICE);
    let roots = r.roots().await.expect("roots");
    assert_eq!(roots.user_id.as_deref(), Some(me.id.as_str()));
    assert_eq!(roots.root, me.root);
    assert!(roots.has_recycle_bin && roots.has_shared_with_me);
    assert_eq!(r.api_calls(), 1);
    r.roots().await.expect("roots again");
    assert_eq!(r.api_calls(), 1, "the identity is asked once");

    let wrong = remote(&s.endpoint(), "tok-not-a-user-000000");
    match wrong.roots().await {
        Err(RemoteError::Unauthenticated(m)) => assert!(m.contains("the token was refused"), "{m}"),
        other => panic!("expected Unauthenticated, got {other:?}"),
    }
    assert_eq!(wrong.api_calls(), 1, "a refusal is not retried");
    // Past startup, a refused token is still told apart from a missing share.
    let listed = wrong.list(&Collection::Folder(me.root.clone()), None).await;
    assert!(
        matches!(listed, Err(RemoteError::Unauthenticated(_))),
        "{listed:?}"
    );
    let shown = format!("{wrong:?}");
    assert!(!shown.contains("tok-not-a-user"), "{shown}");
    s.stop().await;
}

#[tokio::test]
async fn a_large_folder_across_pages() {
    const N: usize = 2_500;
    let src = tempfile::tempdir().expect("temp dir");
    let dir = src.path().join("big");
    std::fs::create_dir(&dir).expect("mkdir");
    let mut want = HashMap::new();
    for i in 0..N {
        let name = format!("item {i:04}.txt");
        let size = i % 37;
        let path = dir.join(&name);
        std::fs::write(&path, vec![b'x'; size]).expect("write");
        let mtime = UNIX_EPOCH + Duration::from_millis(1_600_000_000_000 + i as u64 * 1_234_567);
        let file = std::fs::File::options()
            .write(true)
            .open(&path)
            .expect("open");
        file.set_modified(mtime).expect("set mtime");
        want.insert(name, (size as u64, mtime));
    }
    let import = Some(src.path().to_path_buf());
    let s = TestServer::start(Options {
        import,
        ..Options::default()
    })
    .await;
    let r = remote(&s.endpoint(), ALICE);
    let root = r.roots().await.expect("roots").root;
    let (_, top) = list_all(&r, &Collection::Folder(root.clone())).await;
    let big = named(&top, "big");
    assert_eq!(
        (big.kind, big.parent.as_deref()),
        (NodeKind::Folder, Some(root.as_str()))
    );

    let before = r.api_calls();
    let (pages, items) = list_all(&r, &Collection::Folder(big.id.clone())).await;
    assert_eq!((pages, r.api_calls() - before), (3, 3), "999 items a page");
    assert_eq!(items.len(), N);
    let ids: HashSet<_> = items.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids.len(), N, "every node exactly once");
    for n in &items {
        let (size, mtime) = want
            .get(&n.name)
            .unwrap_or_else(|| panic!("unexpected {}", n.name));
        assert_eq!((n.size, n.mtime), (*size, *mtime), "{}", n.name);
        assert_eq!(n.kind, NodeKind::Document);
        assert_eq!(n.parent.as_deref(), Some(big.id.as_str()));
        assert!(n.version.is_some() && !n.recycled && n.role.is_none());
    }
    let names: HashSet<_> = items.iter().map(|n| n.name.clone()).collect();
    assert_eq!(names, want.keys().cloned().collect());
    s.stop().await;
}

#[tokio::test]
async fn names_with_slashes_and_the_recycle_bin() {
    let s = TestServer::start(Options::default()).await;
    let (api, me) = (s.alice(), s.alice().me().await);
    let folder = api.mkdir(&me.root, "2024/25 budget").await;
    let (doc, version) = api.upload(&me.root, "a/b.txt", b"hello").await;
    let (gone, _) = api.upload(&me.root, "old.txt", b"bye!").await;
    let r = remote(&s.endpoint(), ALICE);
    let (_, items) = list_all(&r, &Collection::Folder(me.root.clone())).await;
    assert_eq!(named(&items, "2024/25 budget").id, folder);
    let d = named(&items, "a/b.txt");
    assert_eq!(
        (d.id.as_str(), d.version.as_deref(), d.size),
        (doc.as_str(), Some(version.as_str()), 5)
    );
    assert!(d.ctime <= d.mtime);

    api.recycle_document(&gone).await;
    let (_, items) = list_all(&r, &Collection::Folder(me.root.clone())).await;
    assert!(
        items.iter().all(|n| n.id != gone),
        "a recycled item leaves its folder"
    );
    let (_, bin) = list_all(&r, &Collection::RecycleBin).await;
    assert_eq!(bin.len(), 1);
    let old = named(&bin, "old.txt");
    assert_eq!(
        (old.id.as_str(), old.recycled, old.size),
        (gone.as_str(), true, 4)
    );
    assert_eq!(old.parent.as_deref(), Some(me.root.as_str()));
    s.stop().await;
}

#[tokio::test]
async fn shared_with_me_and_roles() {
    let s = TestServer::start(Options::default()).await;
    let (alice, bob) = (s.alice().me().await, s.bob().me().await);
    let api = s.bob();
    let shared = api.mkdir(&bob.root, "project").await;
    let (inside, _) = api.upload(&shared, "plan.txt", b"plan").await;
    let private = api.mkdir(&bob.root, "diary").await;
    api.share(&shared, &alice.id, "VIEWER").await;

    let r = remote(&s.endpoint(), ALICE);
    let (_, items) = list_all(&r, &Collection::SharedWithMe).await;
    assert_eq!(items.len(), 1);
    let p = named(&items, "project");
    assert_eq!(
        (p.id.as_str(), p.kind, p.role),
        (shared.as_str(), NodeKind::Folder, None)
    );
    assert_eq!(r.role(&shared).await.expect("role"), Role::Viewer);
    assert_eq!(r.role(&inside).await.expect("inherited role"), Role::Viewer);
    api.share(&shared, &alice.id, "CONTRIBUTOR").await;
    assert_eq!(r.role(&shared).await.expect("role"), Role::Contributor);
    assert_eq!(r.role(&alice.root).await.expect("own root"), Role::Owner);
    let denied = r.role(&private).await;
    assert!(matches!(denied, Err(RemoteError::Denied(_))), "{denied:?}");
    let listed = r.list(&Collection::Folder(private.clone()), None).await;
    assert!(matches!(listed, Err(RemoteError::Denied(_))), "{listed:?}");
    let missing = r
        .list(&Collection::Folder("no-such-folder".into()), None)
        .await;
    assert!(
        matches!(missing, Err(RemoteError::NotFound(_))),
        "{missing:?}"
    );
    s.stop().await;
}

#[tokio::test]
async fn admin_mode_signs_with_sigv4() {
    let s = TestServer::start(Options::default()).await;
    let (api, me) = (s.alice(), s.alice().me().await);
    api.upload(&me.root, "report.txt", b"numbers").await;
    let admin = |key: AccessKey| {
        let auth = WorkDocsAuth::Admin {
            key,
            root_folder_id: me.root.clone(),
        };
        WorkDocsRemote::new(config(&s.endpoint(), auth, Duration::from_secs(5))).expect("config")
    };
    let r = admin(admin_key());
    let roots = r.roots().await.expect("admin roots");
    assert_eq!(
        (roots.user_id, roots.root.as_str()),
        (None, me.root.as_str())
    );
    assert!(!roots.has_recycle_bin && !roots.has_shared_with_me);
    let (_, items) = list_all(&r, &Collection::Folder(me.root.clone())).await;
    let doc = named(&items, "report.txt");
    assert_eq!(r.role(&doc.id).await.expect("role"), Role::Owner);
    let version = doc.version.clone().expect("version");
    let bytes = collect(r.read(&doc.id, &version, 0..100).await.expect("read")).await;
    assert_eq!(bytes, b"numbers");
    let bin = r.list(&Collection::RecycleBin, None).await;
    assert!(matches!(bin, Err(RemoteError::Unsupported(_))), "{bin:?}");

    let wrong = admin(AccessKey {
        id: admin_key().id,
        secret: "not-the-secret".into(),
    });
    let refused = wrong.roots().await;
    assert!(
        matches!(refused, Err(RemoteError::Unauthenticated(_))),
        "{refused:?}"
    );
    s.stop().await;
}
