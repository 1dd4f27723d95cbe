//! Real-mount tests: a real `docsfs serve` process on 127.0.0.1:0 and a real `docsfs mount`
//! process on a fresh mountpoint, exercised with ordinary file tools and std::fs. Most tests run
//! twice from one body (`test_both!`): through the WorkDocs API and through LogicalDOC's, which
//! the server speaks over the same store.

#[path = "../common/server_process.rs"]
mod server_process;

// First, so that `test_both!` is in scope in the modules below.
#[macro_use]
mod harness;

mod api;
mod cache;
mod calls;
mod changes;
mod cli;
mod crash;
mod errors;
mod faults;
mod fsx;
mod ld_api;
mod logicaldoc;
mod offline;
mod options;
mod packaging;
mod passthrough;
mod reads;
mod security;
mod sharing;
mod systemd;
mod tree;
mod versions;
mod writeback;
mod writes;
mod xattrs;

use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

/// Writes `len` deterministic bytes to `path` (streamed, so large files cost no memory) and sets
/// its mtime to `mtime_secs`.
pub fn write_file(path: &Path, len: u64, seed: u8, mtime_secs: u64) {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut buf = vec![0u8; 1 << 16];
    let mut written = 0u64;
    while written < len {
        let n = (len - written).min(buf.len() as u64) as usize;
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b = pattern_byte(written + i as u64, seed);
        }
        f.write_all(&buf[..n]).unwrap();
        written += n as u64;
    }
    let f = f.into_inner().unwrap();
    f.set_modified(UNIX_EPOCH + Duration::from_secs(mtime_secs))
        .unwrap();
}

pub fn pattern_byte(offset: u64, seed: u8) -> u8 {
    (offset.wrapping_mul(2_654_435_761) >> 13) as u8 ^ seed
}

/// The names in a folder, sorted.
pub fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

/// Runs `f` to completion on a runtime of its own (tests are synchronous).
pub fn block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// SHA-256 of a file, streamed.
pub fn sha256_file(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    let mut f = std::fs::File::open(path).unwrap();
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).unwrap();
    hex::encode(h.finalize())
}
