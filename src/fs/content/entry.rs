//! One cached version on disk: its files, its record (`Meta`, JSON), the checksums it is checked
//! against, and the per-block state shared by every handle reading or filling it.
//!
//! A version's bytes live at their own offsets in a sparse `KEY.data`; `KEY.meta` records the
//! document, version and size, the checksum the store states for the content, and for each block
//! (`BLOCK` bytes) that is present a 64-bit prefix of the SHA-256 of its bytes. A block is
//! recorded only after all of it was written in order by one stream, so the record never claims
//! bytes that were not written; the data is not fsynced (a cache may lose entries in a crash),
//! and the block hashes catch what a crash or a disk left wrong.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Bytes per block: the unit of presence, hashing and checking.
pub const BLOCK: u64 = 1 << 20;

/// A checksum a store states for a version's content (hex on the wire).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Checksum {
    /// WorkDocs' `Signature` as this project's server makes it.
    Sha256([u8; 32]),
    /// LogicalDOC's `digest`.
    Sha1([u8; 20]),
}

impl Checksum {
    /// The checksum a hex string is, by its length; `None` for a form this cache cannot check
    /// (the bytes are then checked against the size and the block hashes only).
    pub fn parse(hex_digest: &str) -> Option<Self> {
        let bytes = hex::decode(hex_digest.trim()).ok()?;
        match bytes.len() {
            32 => Some(Self::Sha256(bytes.try_into().ok()?)),
            20 => Some(Self::Sha1(bytes.try_into().ok()?)),
            _ => None,
        }
    }

    pub fn hex(&self) -> String {
        match self {
            Self::Sha256(b) => hex::encode(b),
            Self::Sha1(b) => hex::encode(b),
        }
    }

    pub fn hasher(&self) -> WholeHasher {
        match self {
            Self::Sha256(_) => WholeHasher::Sha256(Sha256::new()),
            Self::Sha1(_) => WholeHasher::Sha1(Sha1::new()),
        }
    }
}

/// The running checksum of a whole version's bytes.
#[derive(Clone)]
pub enum WholeHasher {
    Sha256(Sha256),
    Sha1(Sha1),
}

impl WholeHasher {
    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Self::Sha256(h) => h.update(bytes),
            Self::Sha1(h) => h.update(bytes),
        }
    }

    /// Whether the bytes hashed are the ones `want` states.
    pub fn matches(self, want: &Checksum) -> bool {
        match (self, want) {
            (Self::Sha256(h), Checksum::Sha256(w)) => h.finalize().as_slice() == w,
            (Self::Sha1(h), Checksum::Sha1(w)) => h.finalize().as_slice() == w,
            _ => false,
        }
    }
}

/// The hash recorded for a block's bytes: their CRC-32, which catches what a disk or a crash
/// damages at a cost a streaming read does not notice (the store's checksum, checked on whole
/// entries, is what guards against wrong bytes from the network).
pub fn block_hash(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

/// The running hash of one block's bytes.
pub type BlockHasher = crc32fast::Hasher;

/// The format of the records this version writes; records of another format are dropped.
pub const FORMAT: u32 = 2;

/// What `KEY.meta` holds.
#[derive(Serialize, Deserialize)]
pub struct Meta {
    /// [`FORMAT`]; absent in the first format (SHA-256 prefixes as block hashes).
    #[serde(default)]
    pub format: u32,
    pub doc: String,
    pub version: String,
    pub size: u64,
    pub checksum: Option<String>,
    /// Per block: the hash of its bytes when present.
    pub blocks: Vec<Option<u32>>,
    /// The whole content was checked against `checksum`.
    #[serde(default)]
    pub whole_checked: bool,
}

/// Per-entry state; lock it after the cache's index, and hold it across no I/O but the
/// record's own write.
pub struct State {
    pub blocks: Vec<Option<u32>>,
    /// Blocks whose bytes this process has checked against their hash (or written itself).
    pub checked: Vec<bool>,
    pub whole_checked: bool,
    /// Evicted or dropped as corrupt: writers stop, readers fall back to the store.
    pub gone: bool,
    /// Blocks were recorded since the record was last written.
    pub dirty: bool,
    /// The record's time was bumped by this process (its LRU position for the next mount).
    pub touched: bool,
    /// The data file, opened once for reading.
    pub file: Option<Arc<File>>,
    /// A background check of every block is under way (`passthrough.rs`).
    pub checking: bool,
}

/// One cached version.
pub struct Entry {
    pub key: String,
    pub doc: String,
    pub version: String,
    pub size: u64,
    pub checksum: Option<Checksum>,
    pub state: Mutex<State>,
    data: PathBuf,
    meta: PathBuf,
}

/// Blocks a version of `size` bytes has.
pub fn block_count(size: u64) -> usize {
    size.div_ceil(BLOCK) as usize
}

/// Bytes of block `i` of a version of `size` bytes.
pub fn block_len(size: u64, i: usize) -> u64 {
    let start = i as u64 * BLOCK;
    (size - start.min(size)).min(BLOCK)
}

impl Entry {
    pub fn new(
        dir: &Path,
        key: String,
        doc: &str,
        version: &str,
        size: u64,
        checksum: Option<Checksum>,
    ) -> Self {
        let sub = dir.join(&key[..2]);
        let n = block_count(size);
        Self {
            data: sub.join(format!("{key}.data")),
            meta: sub.join(format!("{key}.meta")),
            key,
            doc: doc.to_owned(),
            version: version.to_owned(),
            size,
            checksum,
            state: Mutex::new(State {
                blocks: vec![None; n],
                checked: vec![false; n],
                whole_checked: false,
                gone: false,
                dirty: false,
                touched: false,
                file: None,
                checking: false,
            }),
        }
    }

    /// An entry as a record on disk describes it (`None`: the record does not fit its key).
    pub fn from_meta(dir: &Path, key: String, meta: Meta) -> Option<Self> {
        if meta.format != FORMAT || meta.blocks.len() != block_count(meta.size) {
            return None;
        }
        let checksum = meta.checksum.as_deref().and_then(Checksum::parse);
        let e = Self::new(dir, key, &meta.doc, &meta.version, meta.size, checksum);
        let mut st = e.lock();
        st.blocks = meta.blocks;
        st.whole_checked = meta.whole_checked;
        drop(st);
        Some(e)
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn data_path(&self) -> &Path {
        &self.data
    }

    pub fn meta_path(&self) -> &Path {
        &self.meta
    }

    /// Bytes of the blocks present.
    pub fn present_bytes(&self, st: &State) -> u64 {
        let present = st.blocks.iter().enumerate().filter(|(_, b)| b.is_some());
        present.map(|(i, _)| block_len(self.size, i)).sum()
    }

    /// Writes the record (to a temporary name, then renamed over the old one).
    pub fn write_meta(&self, st: &mut State) -> std::io::Result<()> {
        let meta = Meta {
            format: FORMAT,
            doc: self.doc.clone(),
            version: self.version.clone(),
            size: self.size,
            checksum: self.checksum.as_ref().map(Checksum::hex),
            blocks: st.blocks.clone(),
            whole_checked: st.whole_checked,
        };
        let tmp = self.meta.with_extension("meta.tmp");
        std::fs::write(&tmp, serde_json::to_vec(&meta).expect("plain data"))?;
        std::fs::rename(&tmp, &self.meta)?;
        st.dirty = false;
        Ok(())
    }

    /// Removes the files (an evicted or corrupt entry).
    pub fn remove_files(&self) {
        let _ = std::fs::remove_file(&self.meta);
        let _ = std::fs::remove_file(&self.data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_by_length() {
        let sha256 = hex::encode(Sha256::digest(b"abc"));
        let sha1 = hex::encode(Sha1::digest(b"abc"));
        let a = Checksum::parse(&sha256).unwrap();
        let b = Checksum::parse(&sha1).unwrap();
        assert!(matches!(a, Checksum::Sha256(_)));
        assert!(matches!(b, Checksum::Sha1(_)));
        assert_eq!(a.hex(), sha256);
        for (c, ok) in [(&a, b"abc".as_slice()), (&b, b"abc")] {
            let mut h = c.hasher();
            h.update(ok);
            assert!(h.matches(c));
            let mut h = c.hasher();
            h.update(b"abd");
            assert!(!h.matches(c));
        }
        assert_eq!(
            Checksum::parse("d41d8cd98f00b204e9800998ecf8427e"),
            None,
            "MD5"
        );
        assert_eq!(Checksum::parse("not hex"), None);
    }

    #[test]
    fn blocks_of_a_size() {
        assert_eq!(block_count(0), 0);
        assert_eq!(block_count(1), 1);
        assert_eq!(block_count(BLOCK), 1);
        assert_eq!(block_count(BLOCK + 1), 2);
        assert_eq!(block_len(BLOCK + 5, 0), BLOCK);
        assert_eq!(block_len(BLOCK + 5, 1), 5);
    }
}
