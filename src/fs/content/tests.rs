//! The content cache on a real folder: filling and reading back, surviving a restart, detecting
//! corrupt and truncated entries, the size bound, and the store's checksum.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::*;

fn config(dir: &Path, limit: u64) -> ContentConfig {
    ContentConfig {
        dir: dir.join("content"),
        limit,
        store: "test store".into(),
        passthrough: false,
    }
}

fn bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_mul(31) ^ seed).collect()
}

/// Fills `doc`'s version `v` with `data` in chunks of `chunk` bytes.
fn fill(
    c: &Arc<ContentCache>,
    doc: &str,
    v: &str,
    data: &[u8],
    digest: Option<&str>,
) -> Arc<Entry> {
    let e = c.entry(doc, v, data.len() as u64, digest);
    let mut w = c.writer(&e, 0);
    for part in data.chunks(100_000) {
        w.write(part);
    }
    w.finish();
    e
}

#[test]
fn filled_entries_read_back_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = bytes(2_500_000, 7);
    let digest = hex::encode(Sha256::digest(&data));
    {
        let c = ContentCache::open(&config(dir.path(), 1 << 30)).unwrap();
        let e = fill(&c, "d1", "v1", &data, Some(&digest));
        assert!(c.is_complete(&e));
        assert_eq!(
            &c.read(&e, 1_000_000, 200_000).unwrap()[..],
            &data[1_000_000..1_200_000]
        );
        assert!(
            e.lock().whole_checked,
            "a stream of every byte is checked at its end"
        );
    }
    let c = ContentCache::open(&config(dir.path(), 1 << 30)).unwrap();
    assert_eq!(c.report().entries, 1);
    assert_eq!(c.report().bytes, data.len() as u64);
    let e = c.entry("d1", "v1", data.len() as u64, Some(&digest));
    assert!(c.is_complete(&e));
    assert!(c.check_whole(&e));
    let all = c.read(&e, 0, data.len() as u32).unwrap();
    assert_eq!(&all[..], &data[..]);
    // Another version, or another store, is another key.
    assert!(!c.is_complete(&c.entry("d1", "v2", data.len() as u64, None)));
    let other = ContentCache::open(&ContentConfig {
        store: "other".into(),
        ..config(dir.path(), 1 << 30)
    })
    .unwrap();
    assert!(!other.is_complete(&other.entry("d1", "v1", data.len() as u64, None)));
}

#[test]
fn a_partial_stream_records_only_whole_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let c = ContentCache::open(&config(dir.path(), 1 << 30)).unwrap();
    let data = bytes(3 * BLOCK as usize, 1);
    let e = c.entry("d", "v", data.len() as u64, None);
    // From the middle of block 0 to the middle of block 2: only block 1 is whole.
    let (from, to) = (BLOCK as usize / 2, 2 * BLOCK as usize + 10);
    let mut w = c.writer(&e, from as u64);
    w.write(&data[from..to]);
    drop(w);
    assert!(c.read(&e, 0, 10).is_none());
    assert_eq!(
        &c.read(&e, BLOCK, 10).unwrap()[..],
        &data[BLOCK as usize..][..10]
    );
    assert!(c.read(&e, 2 * BLOCK, 10).is_none());
    assert_eq!(c.report().bytes, BLOCK);
}

#[test]
fn a_corrupt_or_truncated_entry_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let data = bytes(1_500_000, 3);
    {
        let c = ContentCache::open(&config(dir.path(), 1 << 30)).unwrap();
        let a = fill(&c, "a", "1", &data, None);
        let b = fill(&c, "b", "1", &data, None);
        // One flipped byte in a, b cut short (as a crash or a bad disk would leave them).
        let mut raw = std::fs::read(a.data_path()).unwrap();
        raw[1_200_000] ^= 1;
        std::fs::write(a.data_path(), raw).unwrap();
        let f = std::fs::File::options()
            .write(true)
            .open(b.data_path())
            .unwrap();
        f.set_len(1_000_000).unwrap();
    }
    let c = ContentCache::open(&config(dir.path(), 1 << 30)).unwrap();
    let a = c.entry("a", "1", data.len() as u64, None);
    // The first block is intact; the second is not and takes the entry with it.
    assert!(c.read(&a, 0, 100).is_some());
    assert!(c.read(&a, 1_100_000, 100).is_none());
    assert!(!c.is_complete(&a));
    assert!(!a.data_path().exists());
    let b = c.entry("b", "1", data.len() as u64, None);
    assert!(c.read(&b, 1_100_000, 100).is_none());
    assert_eq!(c.report().corrupt, 2);
    assert_eq!(c.report().entries, 0);
    // A fresh entry for the same version fills again.
    let a = fill(&c, "a", "1", &data, None);
    assert_eq!(
        &c.read(&a, 1_100_000, 100).unwrap()[..],
        &data[1_100_000..1_100_100]
    );
}

#[test]
fn bytes_that_do_not_match_the_stores_checksum_are_not_kept() {
    let dir = tempfile::tempdir().unwrap();
    let c = ContentCache::open(&config(dir.path(), 1 << 30)).unwrap();
    let data = bytes(10_000, 5);
    let wrong = hex::encode(Sha256::digest(b"something else"));
    let e = c.entry("d", "v", data.len() as u64, Some(&wrong));
    let mut w = c.writer(&e, 0);
    w.write(&data);
    assert_eq!(w.finish(), writer::Finished::Mismatch);
    assert!(!c.is_complete(&e));
    assert!(c.read(&e, 0, 10).is_none());
    assert_eq!(c.report().corrupt, 1);
}

#[test]
fn the_least_recently_used_entries_go_first_and_the_bound_holds() {
    let dir = tempfile::tempdir().unwrap();
    let limit = 2 * BLOCK + BLOCK / 2;
    let c = ContentCache::open(&config(dir.path(), limit)).unwrap();
    let data = bytes(BLOCK as usize, 9);
    let a = fill(&c, "a", "1", &data, None);
    let b = fill(&c, "b", "1", &data, None);
    // a is used again, so b is now the oldest.
    c.entry("a", "1", BLOCK, None);
    let d = fill(&c, "d", "1", &data, None);
    assert!(c.is_complete(&a));
    assert!(
        !c.is_complete(&b),
        "the least recently used entry is evicted"
    );
    assert!(!b.data_path().exists());
    assert!(c.is_complete(&d));
    let r = c.report();
    assert!(r.bytes <= limit, "{r:?}");
    assert_eq!((r.entries, r.evictions), (2, 1));
    // A restart with a smaller bound evicts down to it, oldest use first.
    drop(c);
    let c = ContentCache::open(&config(dir.path(), BLOCK)).unwrap();
    assert_eq!(c.report().entries, 1);
    assert!(c.report().bytes <= BLOCK);
}

#[test]
fn an_uploaded_file_is_put_in_whole() {
    let dir = tempfile::tempdir().unwrap();
    let c = ContentCache::open(&config(dir.path(), 1 << 30)).unwrap();
    let data = bytes(1_300_000, 2);
    let spool = dir.path().join("spool-file");
    std::fs::write(&spool, &data).unwrap();
    c.put_file("d", "v9", None, &spool, data.len() as u64);
    let e = c.entry("d", "v9", data.len() as u64, None);
    assert!(c.is_complete(&e));
    assert_eq!(&c.read(&e, 0, data.len() as u32).unwrap()[..], &data[..]);
}

#[test]
fn reuse_is_recorded_in_a_batch_for_the_next_mounts_order() {
    let dir = tempfile::tempdir().unwrap();
    let c = ContentCache::open(&config(dir.path(), 1 << 30)).unwrap();
    let data = bytes(1000, 4);
    let a = fill(&c, "a", "1", &data, None);
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
    let set = |t| {
        let f = std::fs::File::options()
            .append(true)
            .open(a.meta_path())
            .unwrap();
        f.set_modified(t).unwrap();
    };
    let used = || {
        std::fs::metadata(a.meta_path())
            .unwrap()
            .modified()
            .unwrap()
    };
    set(old);
    // Used again: nothing written on the caller's path…
    c.entry("a", "1", 1000, None);
    assert_eq!(used(), old);
    // …but at the next batch.
    c.flush_touches();
    assert!(used() > old);
    // And what is left at the end is written when the cache goes.
    drop(c);
    let c = ContentCache::open(&config(dir.path(), 1 << 30)).unwrap();
    set(old);
    let _ = c.entry("a", "1", 1000, None);
    drop(c);
    assert!(used() > old);
}
