//! The recycle bin of a LogicalDOC mount. LogicalDOC keeps deleted documents in its own trash
//! but no web-service method lists it, so the client records each document it deletes — id,
//! name, folder, size, times, version — in a small JSON file under its cache folder, and shows
//! those records as the recycle bin. The file is replaced atomically (temporary file, fsync,
//! rename), so a crash leaves the old or the new record, never a torn one. Restoring
//! (`document/restore`) or forgetting an item removes its record; the document itself stays in
//! LogicalDOC's trash when forgotten.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::remote::{Node, NodeKind, RemoteError};

const FILE: &str = "deleted.json";

/// One deleted document as recorded.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Deleted {
    pub name: String,
    /// The folder it was deleted from (where a plain restore puts it back).
    pub folder: Option<String>,
    pub size: u64,
    pub mtime_ns: u128,
    pub ctime_ns: u128,
    pub version: Option<String>,
}

/// The record, by document id.
pub struct Trash {
    path: PathBuf,
    items: Mutex<BTreeMap<String, Deleted>>,
}

fn ns(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos())
}

fn time(ns: u128) -> SystemTime {
    let secs = (ns / 1_000_000_000) as u64;
    UNIX_EPOCH + Duration::new(secs, (ns % 1_000_000_000) as u32)
}

impl Deleted {
    pub fn of(node: &Node) -> Self {
        Self {
            name: node.name.clone(),
            folder: node.parent.clone(),
            size: node.size,
            mtime_ns: ns(node.mtime),
            ctime_ns: ns(node.ctime),
            version: node.version.clone(),
        }
    }

    fn node(&self, id: &str) -> Node {
        Node {
            id: id.to_owned(),
            kind: NodeKind::Document,
            name: self.name.clone(),
            parent: self.folder.clone(),
            size: self.size,
            mtime: time(self.mtime_ns),
            ctime: time(self.ctime_ns),
            version: self.version.clone(),
            recycled: true,
            role: None,
            link: None,
            digest: None,
        }
    }
}

impl Trash {
    /// Opens (or starts) the record in `dir`. An unreadable record is set aside as
    /// `deleted.json.bad` rather than lost or trusted.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        use std::os::unix::fs::DirBuilderExt;
        // Owner-only: the names of deleted documents are nobody else's business.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let path = dir.join(FILE);
        let items = match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(items) => items,
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "unreadable recycle-bin record set aside");
                    std::fs::rename(&path, path.with_extension("json.bad"))?;
                    BTreeMap::new()
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(e),
        };
        Ok(Self {
            path,
            items: Mutex::new(items),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Deleted>> {
        self.items.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The recorded items, as recycled documents.
    pub fn nodes(&self) -> Vec<Node> {
        self.lock().iter().map(|(id, d)| d.node(id)).collect()
    }

    pub fn get(&self, id: &str) -> Option<Deleted> {
        self.lock().get(id).cloned()
    }

    pub fn record(&self, id: &str, deleted: Deleted) -> Result<(), RemoteError> {
        let mut items = self.lock();
        items.insert(id.to_owned(), deleted);
        self.save(&items)
    }

    /// Forgets `id`; whether it was recorded.
    pub fn forget(&self, id: &str) -> Result<bool, RemoteError> {
        let mut items = self.lock();
        if items.remove(id).is_none() {
            return Ok(false);
        }
        self.save(&items).map(|()| true)
    }

    fn save(&self, items: &BTreeMap<String, Deleted>) -> Result<(), RemoteError> {
        let failed = |e: std::io::Error| {
            RemoteError::Protocol(format!("recycle-bin record {}: {e}", self.path.display()))
        };
        let tmp = self.path.with_extension("json.tmp");
        let body = serde_json::to_vec_pretty(items).expect("plain data serialises");
        let mut f = {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)
                .map_err(failed)?
        };
        f.write_all(&body).map_err(failed)?;
        f.sync_all().map_err(failed)?;
        std::fs::rename(&tmp, &self.path).map_err(failed)?;
        if let Some(dir) = self.path.parent() {
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(failed)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, name: &str) -> Node {
        Node {
            id: id.into(),
            kind: NodeKind::Document,
            name: name.into(),
            parent: Some("4".into()),
            size: 3,
            mtime: UNIX_EPOCH + Duration::new(7, 9),
            ctime: UNIX_EPOCH + Duration::from_secs(1),
            version: Some("1.1".into()),
            recycled: false,
            role: None,
            link: None,
            digest: None,
        }
    }

    #[test]
    fn survives_a_restart_and_forgets() {
        let dir = tempfile::tempdir().unwrap();
        let t = Trash::open(dir.path()).unwrap();
        t.record("101", Deleted::of(&node("101", "a.txt"))).unwrap();
        t.record("102", Deleted::of(&node("102", "b.txt"))).unwrap();
        assert!(t.forget("102").unwrap());
        assert!(!t.forget("102").unwrap());
        drop(t);
        let t = Trash::open(dir.path()).unwrap();
        let nodes = t.nodes();
        assert_eq!(nodes.len(), 1);
        let n = &nodes[0];
        assert_eq!(
            (n.id.as_str(), n.name.as_str(), n.recycled),
            ("101", "a.txt", true)
        );
        assert_eq!(n.mtime, UNIX_EPOCH + Duration::new(7, 9));
        assert_eq!(t.get("101").unwrap().folder.as_deref(), Some("4"));
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join(FILE)), 0o600);
    }

    #[test]
    fn a_torn_record_is_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE), b"{not json").unwrap();
        let t = Trash::open(dir.path()).unwrap();
        assert!(t.nodes().is_empty());
        assert!(dir.path().join("deleted.json.bad").exists());
    }
}
