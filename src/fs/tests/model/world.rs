//! The random world of the model test: alice's tree (random depth and fan-out, names from a
//! small alphabet so collisions and duplicates happen, some with `/` and look-alikes, some named
//! like a special folder), some of it in her recycle bin, and a few items of bob's shared with
//! her; then random changes to it (rename, move, recycle, restore, new version, delete, create).
//! Store errors of random changes (a name taken, a move into itself…) are simply skipped.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::super::{bytes, t};
use crate::remote::memory::MemoryRemote;
use crate::remote::{NodeKind, RemoteError, RemoteId, Role};

/// Name pieces, weighted by repetition; a name is one to three of them.
const PIECES: [&str; 13] = [
    "a",
    "a",
    "a",
    "b",
    "b",
    "/",
    "/",
    ".txt",
    ".txt",
    "／",
    "‛",
    "␀",
    "Recycle Bin",
];

pub(super) struct World {
    pub alice: MemoryRemote,
    pub bob: MemoryRemote,
    pub rng: StdRng,
    /// Every item each user created (some since deleted), roots excluded.
    alice_items: Vec<RemoteId>,
    bob_items: Vec<RemoteId>,
    clock: u64,
}

impl World {
    pub fn new(seed: u64) -> Self {
        let alice = MemoryRemote::new("alice");
        let bob = alice.add_user("bob").unwrap();
        let mut world = Self {
            alice,
            bob,
            rng: StdRng::seed_from_u64(seed),
            alice_items: Vec::new(),
            bob_items: Vec::new(),
            clock: 1000,
        };
        let root = world.alice.root_id();
        let fan_out = world.rng.random_range(6..=12);
        world.grow(true, &root, fan_out, 0);
        let bob_root = world.bob.root_id();
        world.grow(false, &bob_root, 4, 1);
        // bob shares some of his top-level items (never one inside another).
        for node in world.bob.list_all(&folder(&bob_root)).unwrap() {
            if world.rng.random_bool(0.6) {
                let role =
                    [Role::Viewer, Role::Contributor, Role::Coowner][world.rng.random_range(0..3)];
                world.bob.share(&node.id, "alice", role).unwrap();
            }
        }
        for _ in 0..3 {
            world.duplicate(true);
        }
        world.duplicate(false);
        for _ in 0..world.rng.random_range(0..4) {
            if let Some(id) = world.pick(true) {
                let _ = world.alice.recycle(&id);
            }
        }
        let page = [1, 2, 3, 5, 999][world.rng.random_range(0..5)];
        world.alice.set_page_size(page);
        world
    }

    pub fn random_name(&mut self) -> String {
        let n = [1, 1, 1, 1, 2, 2, 2, 3][self.rng.random_range(0..8)];
        (0..n)
            .map(|_| PIECES[self.rng.random_range(0..PIECES.len())])
            .collect()
    }

    fn user(&self, alice: bool) -> &MemoryRemote {
        if alice { &self.alice } else { &self.bob }
    }

    fn record(&mut self, alice: bool, id: RemoteId) {
        let items = if alice {
            &mut self.alice_items
        } else {
            &mut self.bob_items
        };
        if !items.contains(&id) {
            items.push(id);
        }
    }

    fn content(&mut self) -> Vec<u8> {
        let len = if self.rng.random_bool(0.05) {
            self.rng.random_range(100_000..300_000)
        } else {
            self.rng.random_range(0..3000)
        };
        bytes(len, self.rng.random())
    }

    fn tick(&mut self) -> std::time::SystemTime {
        self.clock += 1;
        t(self.clock)
    }

    /// Creates one document or folder in `parent`, a duplicate now and then.
    fn create(&mut self, alice: bool, parent: &str, folder: bool) -> Option<RemoteId> {
        let name = self.random_name();
        let duplicate = self.rng.random_bool(0.3);
        let result = if folder {
            let r = self.user(alice);
            match r.mkdir(parent, &name) {
                Err(RemoteError::AlreadyExists(_)) if duplicate => r.mkdir_duplicate(parent, &name),
                other => other,
            }
        } else {
            let (content, mtime) = (self.content(), self.tick());
            let r = self.user(alice);
            if duplicate {
                r.put_duplicate(parent, &name, content, mtime)
            } else {
                r.put(parent, &name, content, mtime)
            }
        };
        let id = result.ok()?;
        self.record(alice, id.clone());
        Some(id)
    }

    /// Fills `parent` with `fan_out` items, folders filled in turn up to depth 3.
    fn grow(&mut self, alice: bool, parent: &str, fan_out: usize, depth: usize) {
        for _ in 0..fan_out {
            let folder = depth < 3 && self.rng.random_bool(0.35);
            if let Some(id) = self.create(alice, parent, folder) {
                if folder {
                    let fan_out = self.rng.random_range(0..=6);
                    self.grow(alice, &id, fan_out, depth + 1);
                }
            }
        }
    }

    /// A random item of the user that still exists.
    fn pick(&mut self, alice: bool) -> Option<RemoteId> {
        let items = if alice {
            &self.alice_items
        } else {
            &self.bob_items
        };
        let live: Vec<RemoteId> = items
            .iter()
            .filter(|id| self.alice.node(id).is_some())
            .cloned()
            .collect();
        (!live.is_empty()).then(|| live[self.rng.random_range(0..live.len())].clone())
    }

    /// A random folder of the user that still exists (the root included).
    fn pick_folder(&mut self, alice: bool) -> RemoteId {
        let root = self.user(alice).root_id();
        let items = if alice {
            &self.alice_items
        } else {
            &self.bob_items
        };
        let mut folders: Vec<RemoteId> = items
            .iter()
            .filter(|id| {
                self.alice
                    .node(id)
                    .is_some_and(|n| n.kind == NodeKind::Folder)
            })
            .cloned()
            .collect();
        folders.push(root);
        folders[self.rng.random_range(0..folders.len())].clone()
    }

    /// A second live item with the name of a random one of the user's, beside it.
    fn duplicate(&mut self, alice: bool) {
        let Some(node) = self.pick(alice).and_then(|id| self.alice.node(&id)) else {
            return;
        };
        let parent = node.parent.expect("not a root");
        let (content, mtime) = (self.content(), self.tick());
        let r = self.user(alice);
        let made = match node.kind {
            NodeKind::Folder => r.mkdir_duplicate(&parent, &node.name),
            NodeKind::Document => r.put_duplicate(&parent, &node.name, content, mtime),
            NodeKind::Link => return,
        };
        if let Ok(id) = made {
            self.record(alice, id);
        }
    }

    /// `n` random changes, mostly alice's; bob's never move an item (so his shares stay apart).
    pub fn change(&mut self, n: usize) {
        for _ in 0..n {
            let alice = self.rng.random_bool(0.75);
            let op = self.rng.random_range(0..12);
            if op >= 10 {
                if op == 10 {
                    self.duplicate(alice);
                } else {
                    let parent = self.pick_folder(alice);
                    let folder = self.rng.random_bool(0.3);
                    self.create(alice, &parent, folder);
                }
                continue;
            }
            let Some(id) = self.pick(alice) else { continue };
            let _ = match op {
                0..=2 => {
                    let name = self.random_name();
                    self.user(alice).rename(&id, &name)
                }
                3 | 4 if alice => {
                    let to = self.pick_folder(true);
                    self.alice.move_to(&id, &to)
                }
                3..=5 => self.user(alice).recycle(&id),
                6 => self.user(alice).restore(&id),
                7 | 8 => {
                    let (content, mtime) = (self.content(), self.tick());
                    self.user(alice).new_version(&id, content, mtime).map(drop)
                }
                _ => self.user(alice).delete(&id),
            };
        }
    }
}

pub(super) fn folder(id: &str) -> crate::remote::Collection {
    crate::remote::Collection::Folder(id.to_owned())
}
