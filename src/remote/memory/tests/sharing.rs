//! Users, roles inherited down the tree, shared-with-me, and who sees what in which bin.

use super::*;
use crate::remote::Role;

fn is_denied(e: RemoteError) -> bool {
    matches!(e, RemoteError::Denied(_))
}

/// alice's tree root/proj/sub/doc, and bob.
fn setup() -> (MemoryRemote, MemoryRemote, [String; 3]) {
    let alice = MemoryRemote::new("alice");
    let bob = alice.add_user("bob").unwrap();
    let proj = alice.mkdir(&alice.root_id(), "proj").unwrap();
    let sub = alice.mkdir(&proj, "sub").unwrap();
    let doc = alice.put(&sub, "doc", b"secret", t(1)).unwrap();
    (alice, bob, [proj, sub, doc])
}

async fn role(r: &MemoryRemote, id: &str) -> Result<Role, RemoteError> {
    r.role(&id.to_owned()).await
}

#[tokio::test]
async fn roles_are_inherited_down_the_tree() {
    let (alice, bob, [proj, sub, doc]) = setup();
    assert!(is_denied(role(&bob, &doc).await.unwrap_err()));
    assert!(is_denied(
        read_chunks(&bob, &doc, &latest(&alice, &doc), 0..9)
            .await
            .unwrap_err()
    ));
    alice.share(&proj, "bob", Role::Viewer).unwrap();
    for id in [&proj, &sub, &doc] {
        assert_eq!(role(&bob, id).await.unwrap(), Role::Viewer);
        assert_eq!(role(&alice, id).await.unwrap(), Role::Owner);
    }
    assert!(is_denied(role(&bob, &alice.root_id()).await.unwrap_err()));
    assert!(is_denied(bob.mkdir(&proj, "nope").unwrap_err()));
    assert!(is_denied(bob.rename(&doc, "nope").unwrap_err()));
    assert_eq!(
        read_bytes(&bob, &doc, &latest(&alice, &doc), 0..9).await,
        b"secret"
    );
    // The best role on the item or an ancestor wins.
    alice.share(&sub, "bob", Role::Contributor).unwrap();
    assert_eq!(role(&bob, &proj).await.unwrap(), Role::Viewer);
    assert_eq!(role(&bob, &sub).await.unwrap(), Role::Contributor);
    assert_eq!(role(&bob, &doc).await.unwrap(), Role::Contributor);
    let made = bob.mkdir(&sub, "bobs").unwrap();
    assert_eq!(role(&alice, &made).await.unwrap(), Role::Owner);
    assert!(
        is_denied(bob.delete(&made).unwrap_err()),
        "delete needs Coowner"
    );
    assert!(is_denied(
        bob.share(&sub, "alice", Role::Viewer).unwrap_err()
    ));
    alice.unshare(&sub, "bob").unwrap();
    assert_eq!(role(&bob, &doc).await.unwrap(), Role::Viewer);
    alice.unshare(&proj, "bob").unwrap();
    assert!(is_denied(role(&bob, &doc).await.unwrap_err()));
    let err = role(&alice, "d999").await.unwrap_err();
    assert!(matches!(err, RemoteError::NotFound(_)), "{err:?}");
}

#[tokio::test]
async fn shared_with_me_lists_direct_shares_by_others() {
    let (alice, bob, [proj, sub, doc]) = setup();
    alice.share(&doc, "bob", Role::Viewer).unwrap();
    alice.share(&proj, "bob", Role::Coowner).unwrap();
    bob.set_page_size(1);
    let shared = walk(&bob, &Collection::SharedWithMe, 1).await;
    assert_eq!(names(&shared), ["proj", "doc"]);
    assert!(shared.iter().all(|n| n.role.is_none() && !n.recycled));
    assert!(
        alice
            .list_all(&Collection::SharedWithMe)
            .unwrap()
            .is_empty()
    );
    // A coowner may share on; what bob owns is not "shared with" him.
    bob.share(&sub, "alice", Role::Viewer).unwrap_err();
    let carol = alice.add_user("carol").unwrap();
    bob.share(&sub, "carol", Role::Viewer).unwrap();
    assert_eq!(
        names(&carol.list_all(&Collection::SharedWithMe).unwrap()),
        ["sub"]
    );
    let bobs = bob.mkdir(&bob.root_id(), "mine").unwrap();
    bob.share(&bobs, "alice", Role::Contributor).unwrap();
    alice.mkdir(&bobs, "in bob's").unwrap();
    assert_eq!(
        names(&alice.list_all(&Collection::SharedWithMe).unwrap()),
        ["mine"]
    );
    // Recycled items leave shared-with-me; unsharing removes them.
    alice.recycle(&doc).unwrap();
    alice.unshare(&proj, "bob").unwrap();
    assert!(bob.list_all(&Collection::SharedWithMe).unwrap().is_empty());
}

#[test]
fn share_rules() {
    let (alice, _bob, [proj, ..]) = setup();
    let invalid = |e| matches!(e, RemoteError::Invalid(_));
    assert!(invalid(alice.share(&proj, "bob", Role::Owner).unwrap_err()));
    assert!(invalid(
        alice.share(&proj, "alice", Role::Viewer).unwrap_err()
    ));
    let err = alice.share(&proj, "nobody", Role::Viewer).unwrap_err();
    assert!(matches!(err, RemoteError::NotFound(_)), "{err:?}");
    assert!(is_exists_user(alice.add_user("bob").unwrap_err()));
}

fn is_exists_user(e: RemoteError) -> bool {
    matches!(e, RemoteError::AlreadyExists(_))
}

#[tokio::test]
async fn recycled_by_a_contributor_shows_in_both_bins() {
    let (alice, bob, [proj, sub, _]) = setup();
    let carol = alice.add_user("carol").unwrap();
    alice.share(&proj, "bob", Role::Contributor).unwrap();
    alice.share(&proj, "carol", Role::Contributor).unwrap();
    bob.recycle(&sub).unwrap();
    assert_eq!(
        names(&alice.list_all(&Collection::RecycleBin).unwrap()),
        ["sub"]
    );
    assert_eq!(
        names(&walk(&bob, &Collection::RecycleBin, 999).await),
        ["sub"]
    );
    assert!(carol.list_all(&Collection::RecycleBin).unwrap().is_empty());
    carol.restore(&sub).unwrap();
    assert!(alice.list_all(&Collection::RecycleBin).unwrap().is_empty());
    assert!(bob.list_all(&Collection::RecycleBin).unwrap().is_empty());
}

#[tokio::test]
async fn users_and_views() {
    let alice = MemoryRemote::new("alice");
    let bob = alice.add_user("bob").unwrap();
    let roots = bob.roots().await.unwrap();
    assert_eq!(roots.user_id.as_deref(), Some("bob"));
    assert_eq!(roots.root, bob.root_id());
    assert_ne!(roots.root, alice.root_id());
    assert!(roots.has_recycle_bin && roots.has_shared_with_me);
    assert_eq!(alice.as_user("bob").root_id(), bob.root_id());
    let err = alice.as_user("mallory").roots().await.unwrap_err();
    assert!(matches!(err, RemoteError::Unauthenticated(_)), "{err:?}");
    assert_eq!(bob.user(), "bob");
}
