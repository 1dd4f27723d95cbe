//! Links (LogicalDOC folder aliases, modelled by `MemoryRemote::link`): shown as symbolic links
//! whose target is relative to the link's folder and escaped like every name, readable with
//! `readlink`, removed and renamed like files, never listed into.

use super::*;

#[tokio::test]
async fn links_show_relative_targets_and_go_away_like_files() {
    let r = MemoryRemote::new("alice");
    let root = r.root_id();
    let projects = r.mkdir(&root, "Projects").unwrap();
    let year = r.mkdir(&projects, "2024").unwrap();
    r.put(&year, "plan.txt", b"plan", t(1)).unwrap();
    let deep = r.mkdir(&year, "deep").unwrap();
    r.link(&root, "top-link", &["Projects", "2024"]).unwrap();
    r.link(&deep, "back", &["Projects"]).unwrap();
    r.link(&root, "odd", &["a/b"]).unwrap();
    let links = r.mkdir(&root, "Links").unwrap();
    r.link(&links, "to-2024", &["Projects", "2024"]).unwrap();
    let fs = mount(&r, LONG).await;

    let top = resolve(&fs, "top-link").await.unwrap();
    assert_eq!((top.stat.kind, top.stat.perm), (FileKind::Symlink, 0o777));
    assert_eq!(fs.readlink(top.stat.ino).await.unwrap(), "Projects/2024");
    assert_eq!(top.stat.size, "Projects/2024".len() as u64);
    let back = resolve(&fs, "Projects/2024/deep/back").await.unwrap();
    assert_eq!(
        fs.readlink(back.stat.ino).await.unwrap(),
        "../../../Projects"
    );
    let odd = resolve(&fs, "odd").await.unwrap();
    assert_eq!(fs.readlink(odd.stat.ino).await.unwrap(), "a／b");
    // Not a folder: nothing to list, nothing to open as one.
    assert!(matches!(
        fs.lookup(top.stat.ino, "plan.txt").await,
        Err(FsError::NotDir)
    ));
    let file = resolve(&fs, "Projects/2024/plan.txt").await.unwrap();
    assert!(matches!(
        fs.readlink(file.stat.ino).await,
        Err(FsError::Invalid(_))
    ));

    // Moving a folder that holds a link changes how far the link climbs (the target stays).
    fs.mkdir(ROOT, "Archive").await.unwrap();
    let archive = resolve(&fs, "Archive").await.unwrap().stat.ino;
    let link = resolve(&fs, "Links/to-2024").await.unwrap().stat.ino;
    assert_eq!(fs.readlink(link).await.unwrap(), "../Projects/2024");
    fs.rename(ROOT, "Links", archive, "Links", false)
        .await
        .unwrap();
    assert_eq!(fs.readlink(link).await.unwrap(), "../../Projects/2024");

    fs.rename(ROOT, "top-link", ROOT, "renamed", false)
        .await
        .unwrap();
    assert!(ls(&fs, "").await.contains(&"renamed".to_owned()));
    assert!(matches!(
        fs.rmdir(ROOT, "renamed").await,
        Err(FsError::NotDir)
    ));
    fs.unlink(ROOT, "renamed").await.unwrap();
    assert!(!ls(&fs, "").await.contains(&"renamed".to_owned()));
    assert_eq!(ls(&fs, "Projects/2024").await, ["deep", "plan.txt"]);
}
