//! The randomised model test: a random world in [`MemoryRemote`] (see `model/world.rs`), walked
//! whole through the core (readdir through handles in random batch sizes, lookup, getattr, read
//! in random chunk sizes) and compared with the store's own view — `list_all` of every folder,
//! the recycle bin and shared-with-me, mapped to file names as docs/SEMANTICS.md says, contents,
//! sizes, times and modes — then changed at random, and walked again once a tiny TTL has
//! passed. Inode numbers must stay those of the first walk for every item that survives.

mod world;

use std::collections::{HashMap, HashSet};

use rand::Rng;
use rand::rngs::StdRng;

use super::*;
use crate::fs::names::{NAME_MAX, disambiguate, to_local};
use crate::fs::{RECYCLE_BIN_NAME, SHARED_WITH_ME_NAME};
use crate::remote::{Collection, Node, NodeKind, Remote, RemoteId};
use world::{World, folder};

/// The entries a listing of `nodes` shows, in order, after `reserved` names: escaped names,
/// later duplicates disambiguated with their id, names over 255 bytes left out.
fn expected_entries(nodes: Vec<Node>, reserved: &[&str]) -> Vec<(String, Node)> {
    let mut taken: HashSet<String> = reserved.iter().map(|s| (*s).to_owned()).collect();
    let mut out = Vec::new();
    for node in nodes {
        let local = to_local(&node.name);
        let name = if taken.contains(&local) {
            disambiguate(&local, &node.id, 0)
        } else {
            local
        };
        if name.len() > NAME_MAX {
            continue;
        }
        // The alphabet has no `~`, so a disambiguated name cannot meet a real one.
        assert!(taken.insert(name.clone()), "the model repeats {name:?}");
        out.push((name, node));
    }
    out
}

/// One walk of the whole mount, checking it against the store.
struct Walker<'a> {
    fs: &'a Fs<MemoryRemote>,
    store: &'a MemoryRemote,
    rng: &'a mut StdRng,
    /// Inode of every remote id seen, across walks, and the reverse.
    inos: &'a mut HashMap<RemoteId, Ino>,
    ids: &'a mut HashMap<Ino, RemoteId>,
    /// What this walk saw: (items, bytes read).
    seen: (usize, usize),
    label: String,
}

impl Walker<'_> {
    /// Checks directory `dir` (reached from `parent`) against `what`; items are writable as
    /// `writable` says, or as the store's role on each says when `None` (shared-with-me).
    async fn dir(
        &mut self,
        dir: Ino,
        parent: Ino,
        what: Collection,
        path: &str,
        writable: Option<bool>,
    ) {
        let label = format!("{}: {path:?}", self.label);
        let batch = self.rng.random_range(1..=10);
        let entries = read_dir_batched(self.fs, dir, batch).await.unwrap();
        assert_eq!(entries[0].name, ".", "{label}");
        assert_eq!(entries[0].stat.ino, dir, "{label}: `.`");
        assert_eq!(entries[1].name, "..", "{label}");
        assert_eq!(entries[1].stat.ino, parent, "{label}: `..`");
        let reserved: &[&str] = if dir == ROOT {
            &[RECYCLE_BIN_NAME, SHARED_WITH_ME_NAME]
        } else {
            &[]
        };
        let nodes = self.store.list_all(&what).unwrap();
        let expected = expected_entries(nodes, reserved);
        let want: Vec<&str> = reserved
            .iter()
            .copied()
            .chain(expected.iter().map(|(n, _)| n.as_str()))
            .collect();
        assert_eq!(names(&entries), want, "{label}");

        for (e, (name, node)) in entries[2 + reserved.len()..].iter().zip(expected) {
            let path = format!("{path}/{name}");
            let writable = match writable {
                Some(w) => w,
                None => self.store.role(&node.id).await.unwrap().can_write(),
            };
            self.item(dir, e, &node, &path, writable).await;
            if node.kind == NodeKind::Folder {
                let what = folder(&node.id);
                Box::pin(self.dir(e.stat.ino, dir, what, &path, Some(writable))).await;
            }
        }
        if dir == ROOT {
            let bin = entries[2].stat.ino;
            let swm = entries[3].stat.ino;
            for special in [bin, swm] {
                assert_eq!(self.fs.getattr(special).await.unwrap().perm, 0o555);
            }
            Box::pin(self.dir(bin, ROOT, Collection::RecycleBin, "/bin", Some(false))).await;
            Box::pin(self.dir(swm, ROOT, Collection::SharedWithMe, "/swm", None)).await;
        }
        // A name the store does not show is absent.
        let mut miss = format!("{}~", self.rng.random_range(0..1000));
        if self.rng.random_bool(0.5) {
            miss = to_local(&miss);
        }
        let absent = self.fs.lookup(dir, &miss).await;
        assert!(matches!(absent, Err(FsError::NotFound)), "{label}: {miss}");
    }

    /// Checks one entry against its node: inode, attributes, lookup, getattr and content.
    async fn item(&mut self, dir: Ino, e: &DirEntry, node: &Node, path: &str, writable: bool) {
        let label = format!("{}: {path:?}", self.label);
        let ino = e.stat.ino;
        let known = *self.inos.entry(node.id.clone()).or_insert(ino);
        assert_eq!(ino, known, "{label}: the inode of {} changed", node.id);
        let owner = self.ids.entry(ino).or_insert_with(|| node.id.clone());
        assert_eq!(*owner, node.id, "{label}: inode {ino} reused");
        let (kind, mode) = match (node.kind, writable) {
            (NodeKind::Folder, true) => (FileKind::Directory, 0o755),
            (NodeKind::Folder, false) => (FileKind::Directory, 0o555),
            (NodeKind::Document, true) => (FileKind::File, 0o644),
            (NodeKind::Document, false) => (FileKind::File, 0o444),
            (NodeKind::Link, _) => (FileKind::Symlink, 0o777),
        };
        let s = &e.stat;
        assert_eq!((s.kind, s.perm), (kind, mode), "{label}");
        assert_eq!((s.size, s.mtime), (node.size, node.mtime), "{label}");
        assert_eq!(s.ctime, node.ctime.max(node.mtime), "{label}");
        let looked = self.fs.lookup(dir, &e.name).await.unwrap();
        assert_eq!(&looked.stat, s, "{label}: lookup");
        assert_eq!(&self.fs.getattr(ino).await.unwrap(), s, "{label}: getattr");
        self.seen.0 += 1;
        if node.kind == NodeKind::Document {
            let chunk = [1000, 4096, 128 * 1024][self.rng.random_range(0..3)];
            let got = read_file(self.fs, ino, chunk).await.unwrap();
            assert!(got == self.store.content(&node.id), "{label}: content");
            self.seen.1 += got.len();
        }
    }
}

async fn run(seed: u64) {
    let mut world = World::new(seed);
    let fs = mount(&world.alice, SHORT).await;
    let (mut inos, mut ids) = (HashMap::new(), HashMap::new());
    for round in 0..3 {
        if round > 0 {
            let n = world.rng.random_range(5..20);
            world.change(n);
            past_ttl().await;
        }
        let World { alice, rng, .. } = &mut world;
        let mut walker = Walker {
            fs: &fs,
            store: alice,
            rng,
            inos: &mut inos,
            ids: &mut ids,
            seen: (0, 0),
            label: format!("seed {seed} round {round}"),
        };
        let root = alice.root_id();
        walker.dir(ROOT, ROOT, folder(&root), "", Some(true)).await;
        assert!(walker.seen.0 > 0, "seed {seed}: an empty world");
    }
}

#[tokio::test]
async fn model_walks_match_the_store_seeds_1_to_4() {
    for seed in 1..=4 {
        run(seed).await;
    }
}

#[tokio::test]
async fn model_walks_match_the_store_seeds_5_to_8() {
    for seed in 5..=8 {
        run(seed).await;
    }
}

#[tokio::test]
async fn model_walks_match_the_store_seeds_9_to_12() {
    for seed in 9..=12 {
        run(seed).await;
    }
}
