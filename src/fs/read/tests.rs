//! Tests of the prefetcher against a counting in-memory remote.

use std::sync::Mutex;

use super::*;
use crate::remote::{Collection, Node, NodeKind, Page, Relocation, Role, Roots, Upload};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

/// An in-memory document that records requested ranges, delivers `chunk`-sized pieces and
/// fails a stream (once per entry) when it reaches an offset listed in `fail_at`.
#[derive(Default)]
struct MemRemote {
    data: Bytes,
    chunk: u64,
    fail_at: Mutex<Vec<u64>>,
    ranges: Mutex<Vec<Range<u64>>>,
}

impl Remote for MemRemote {
    async fn roots(&self) -> Result<Roots, RemoteError> {
        Err(RemoteError::Unsupported("test double".into()))
    }
    async fn list(&self, _: &Collection, _: Option<&str>) -> Result<Page, RemoteError> {
        Err(RemoteError::Unsupported("test double".into()))
    }
    async fn role(&self, _: &RemoteId) -> Result<Role, RemoteError> {
        Err(RemoteError::Unsupported("test double".into()))
    }
    async fn read(&self, _: &RemoteId, _: &str, r: Range<u64>) -> Result<ByteStream, RemoteError> {
        self.ranges.lock().unwrap().push(r.clone());
        let end = r.end.min(self.data.len() as u64);
        let mut fails = self.fail_at.lock().unwrap();
        let i = fails.iter().position(|x| r.contains(x));
        let fail = i.map(|i| fails.remove(i));
        let (mut at, stop, mut items) = (r.start, fail.unwrap_or(end), Vec::new());
        while at < stop {
            let n = (stop - at).min(self.chunk);
            items.push(Ok(self.data.slice(at as usize..(at + n) as usize)));
            at += n;
        }
        items.extend(fail.map(|_| Err(RemoteError::Network("injected".into()))));
        Ok(Box::pin(futures_util::stream::iter(items)))
    }
    async fn create_folder(&self, _: &RemoteId, _: &str) -> Result<Node, RemoteError> {
        Err(unsupported())
    }
    async fn relocate(&self, _: &RemoteId, _: NodeKind, _: &Relocation) -> Result<(), RemoteError> {
        Err(unsupported())
    }
    async fn recycle(&self, _: &RemoteId, _: NodeKind) -> Result<(), RemoteError> {
        Err(unsupported())
    }
    async fn restore(&self, _: &RemoteId, _: NodeKind, _: &Relocation) -> Result<(), RemoteError> {
        Err(unsupported())
    }
    async fn delete(&self, _: &RemoteId, _: NodeKind) -> Result<(), RemoteError> {
        Err(unsupported())
    }
    async fn upload(&self, _: &Upload) -> Result<Node, RemoteError> {
        Err(unsupported())
    }
    async fn set_mtime(
        &self,
        _: &RemoteId,
        _: &str,
        _: std::time::SystemTime,
    ) -> Result<(), RemoteError> {
        Err(unsupported())
    }
}

fn unsupported() -> RemoteError {
    RemoteError::Unsupported("test double".into())
}

fn setup(size: u64, chunk: u64, config: ReadConfig) -> (Arc<MemRemote>, Prefetcher) {
    let data = (0..size).map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8);
    let remote = MemRemote {
        data: data.collect(),
        chunk,
        ..Default::default()
    };
    (
        Arc::new(remote),
        Prefetcher::new("doc".into(), "v1".into(), size, config),
    )
}

/// Reads `len` at `at`, checks the bytes against the document, and returns the end.
async fn check(r: &Arc<MemRemote>, p: &mut Prefetcher, at: u64, len: u64) -> u64 {
    let got = p.read(r, at, len as u32).await.unwrap();
    let (start, end) = (at.min(p.size), (at + len).min(p.size));
    assert!(
        got == r.data[start as usize..end.max(start) as usize],
        "read at {at}"
    );
    end
}

async fn read_all(r: &Arc<MemRemote>, p: &mut Prefetcher, mut at: u64, to: u64, step: u64) {
    while at < to {
        at = check(r, p, at, step).await;
    }
}

fn ranges(r: &MemRemote) -> Vec<Range<u64>> {
    r.ranges.lock().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn sequential_reads_grow_the_window_and_stay_bounded() {
    let (r, mut p) = setup(50 * MIB, 64 * KIB, ReadConfig::default());
    read_all(&r, &mut p, 0, 50 * MIB, 128 * KIB).await;
    check(&r, &mut p, 50 * MIB, 4096).await;
    // In offset order: requests in flight together reach the remote in any order.
    let mut asked = ranges(&r);
    asked.sort_by_key(|x| x.start);
    let (s, sizes) = (
        p.stats(),
        asked.iter().map(|x| x.end - x.start).collect::<Vec<_>>(),
    );
    println!("50 MiB in 128 KiB reads: {s:?}, request sizes {sizes:?}");
    // ×4 while below 4 MiB, then ×2, up to 16 MiB.
    let growth = [256 * KIB, MIB, 4 * MIB, 8 * MIB, 16 * MIB, 16 * MIB];
    assert_eq!(sizes[..6], growth, "{sizes:?}");
    assert!(s.requests <= 8 && s.bytes_requested == 50 * MIB, "{s:?}");
    assert!(
        s.max_buffered_seen > 0 && s.max_buffered_seen <= 8 << 20,
        "{s:?}"
    );
    // Many small reads.
    let (r, mut p) = setup(8 * MIB + 123, 64 * KIB, ReadConfig::default());
    read_all(&r, &mut p, 0, 8 * MIB + 123, 4 * KIB).await;
    let s = p.stats();
    println!("8 MiB in 4 KiB reads: {s:?}");
    assert!(
        s.requests <= 7 && s.bytes_requested == 8 * MIB + 123,
        "{s:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn short_reads_cost_one_request_and_long_ones_keep_three_in_flight() {
    // The first 64 KiB of a file: one request, nothing more ahead.
    let (r, mut p) = setup(100 * MIB, 64 * KIB, ReadConfig::default());
    read_all(&r, &mut p, 0, 64 * KIB, 4 * KIB).await;
    assert_eq!(ranges(&r).len(), 1);
    // Once windows reach 4 MiB, three contiguous requests are in flight, starting at `pos`.
    let mut at = 64 * KIB;
    let mut deepest = 0;
    while at < 60 * MIB {
        at = check(&r, &mut p, at, 128 * KIB).await;
        deepest = deepest.max(p.inflight.len());
        let mut next = p.pos;
        for req in &p.inflight {
            assert_eq!(req.next, next, "contiguous from pos");
            next = req.end;
        }
    }
    assert_eq!(deepest, MAX_INFLIGHT);
    let s = p.stats();
    assert!(s.max_buffered_seen <= 8 << 20, "{s:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_reader_is_held_to_max_buffered() {
    let config = ReadConfig {
        max_buffered: 1 << 20,
        ..ReadConfig::default()
    };
    let (r, mut p) = setup(24 * MIB, 16 * KIB, config);
    for at in (0..24 * MIB).step_by(128 << 10) {
        check(&r, &mut p, at, 128 * KIB).await;
        tokio::time::sleep(std::time::Duration::from_micros(200)).await;
    }
    println!("24 MiB, max_buffered 1 MiB, slow reader: {:?}", p.stats());
    assert!(p.stats().max_buffered_seen <= 1 << 20);
}

#[tokio::test(flavor = "multi_thread")]
async fn random_reads_fetch_only_what_they_need_and_seeks_reset_the_window() {
    let (r, mut p) = setup(50 * MIB, 64 * KIB, ReadConfig::default());
    let (mut x, mut read, mut prev_end) = (12345u64, 0, 0);
    for _ in 0..200 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let (at, len) = ((x >> 20) % (50 * MIB), 4096 + (x >> 8) % 60_000);
        if at != prev_end {
            prev_end = check(&r, &mut p, at, len).await;
            read += prev_end - at;
        }
    }
    println!("200 random reads: {read} bytes read, {:?}", p.stats());
    assert_eq!(p.stats().bytes_requested, read);
    // After a sequential run, a seek fetches exactly its read, then restarts the window.
    read_all(&r, &mut p, 0, 4 * MIB, 128 * KIB).await;
    let before = ranges(&r).len();
    read_all(&r, &mut p, 30 * MIB, 30 * MIB + 512 * KIB, 128 * KIB).await;
    let (at, k) = (30 * MIB, 128 * KIB);
    assert_eq!(
        ranges(&r)[before..before + 2],
        [at..at + k, at + k..at + 3 * k]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn eof_and_zero_size() {
    let (r, mut p) = setup(1000, 64, ReadConfig::default());
    for (at, len) in [
        (0, 4096),
        (1000, 10),
        (5000, 10),
        (990, 100),
        (10, 0),
        (400, 9),
    ] {
        check(&r, &mut p, at, len).await;
    }
    let (r, mut p) = setup(0, 64, ReadConfig::default());
    check(&r, &mut p, 0, 4096).await;
    assert_eq!(p.stats().requests, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn mid_stream_failure_retries_once_with_exact_bytes() {
    let (r, mut p) = setup(8 * MIB, 48 * KIB, ReadConfig::default());
    r.fail_at.lock().unwrap().extend([MIB + 17, 5 * MIB + 3]);
    read_all(&r, &mut p, 0, 8 * MIB, 128 * KIB).await;
    assert!(ranges(&r).iter().any(|x| x.start == MIB + 17));
    // A direct (seek) read resumes where it broke off.
    r.fail_at.lock().unwrap().push(2 * MIB + 100);
    check(&r, &mut p, 2 * MIB, 4096).await;
    assert_eq!(ranges(&r).last(), Some(&(2 * MIB + 100..2 * MIB + 4096)));
    // Failing twice gives the error; the next read starts afresh.
    r.fail_at.lock().unwrap().extend([6 * MIB + 5, 6 * MIB + 5]);
    let err = p.read(&r, 6 * MIB, 64 << 10).await.unwrap_err();
    assert!(err.is_transient(), "{err}");
    read_all(&r, &mut p, 6 * MIB, 7 * MIB, 64 * KIB).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn out_of_order_reads_use_skip_and_tail() {
    let (r, mut p) = setup(4 * MIB, 64 * KIB, ReadConfig::default());
    let k = 128 * KIB;
    for (at, len) in [
        (0, k),
        (2 * k, k),
        (k, k),
        (3 * k, k),
        (2 * k + 5, 99),
        (4 * k, k),
    ] {
        check(&r, &mut p, at, len).await;
    }
    let ranges = ranges(&r);
    assert!(
        ranges.windows(2).all(|w| w[0].end == w[1].start),
        "{ranges:?}"
    );
}
