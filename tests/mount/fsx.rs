//! fsx on the mount: a port of the algorithm of fsx (the file system exerciser of xfstests),
//! written from its published description. One test file in the mount and an in-memory shadow
//! copy of what it must hold (fsx's "good buffer"); a seeded PRNG picks each operation — read,
//! write, mapped read, truncate — with fsx's defaults: file up to 256 KiB, operations up to
//! 64 KiB, no alignment. A write stores bytes derived from its operation number (the number
//! mod 256, plus a fixed random byte at odd offsets), so a stale byte tells which step wrote it.
//! Every read is compared with the shadow, and the size is checked after every operation.
//! Occasionally the file is fsync'ed (1 in 200) or closed and reopened (fsx's `-c 500`); both
//! upload it. Mapped writes are off, as with fsx's `-W` (their slot becomes a write): shared
//! writable mmap is not supported by the mount (FUSE without write-back cache, SEMANTICS.md).
//! On a mismatch, the failure shows the last 50 operations and the differing bytes, as fsx does.
//! At the end the file is read afresh, and again after a remount (it must be at the store).
//! `FSX_OPS` and `FSX_SEED` override the count and the seed when reproducing.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::harness::Mount;
use super::server_process::{ALICE, Server};

const OPS: u64 = 100_000;
const SEED: u64 = 1;
const MAX_FILE_LEN: u64 = 256 * 1024;
const MAX_OP_LEN: u64 = 64 * 1024;
/// One operation in this many is followed by a close and a reopen (fsx's `-c`).
const CLOSE_PROB: u64 = 500;
/// One operation in this many is followed by an fsync.
const FSYNC_PROB: u64 = 200;
const LOG_LEN: usize = 50;

#[derive(Clone, Copy, Debug)]
enum Op {
    Read(u64, u64),
    Write(u64, u64, u64),
    MapRead(u64, u64),
    Truncate(u64, u64),
    Fsync,
    CloseOpen,
    Skip(&'static str),
}

impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let range = |f: &mut std::fmt::Formatter<'_>, off: u64, len: u64| {
            write!(f, "{off:#x} thru {:#x}\t({len:#x} bytes)", off + len - 1)
        };
        match *self {
            Op::Read(off, len) => {
                write!(f, "READ     ")?;
                range(f, off, len)
            }
            Op::MapRead(off, len) => {
                write!(f, "MAPREAD  ")?;
                range(f, off, len)
            }
            Op::Write(off, len, size) => {
                write!(f, "WRITE    ")?;
                range(f, off, len)?;
                match off.cmp(&size) {
                    std::cmp::Ordering::Greater => write!(f, " HOLE"),
                    _ if off + len > size => write!(f, " EXTEND"),
                    _ => Ok(()),
                }
            }
            Op::Truncate(from, to) if to > from => {
                write!(f, "TRUNCATE UP   from {from:#x} to {to:#x}")
            }
            Op::Truncate(from, to) => write!(f, "TRUNCATE DOWN from {from:#x} to {to:#x}"),
            Op::Fsync => write!(f, "FSYNC"),
            Op::CloseOpen => write!(f, "CLOSE/OPEN"),
            Op::Skip(why) => write!(f, "SKIPPED ({why})"),
        }
    }
}

/// splitmix64: small, seedable, and the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Fsx<'a> {
    mount: &'a Mount,
    path: PathBuf,
    file: Option<File>,
    /// What the file must hold (its length is the file's size).
    good: Vec<u8>,
    /// Random bytes added to the pattern at odd offsets.
    noise: Vec<u8>,
    rng: Rng,
    seed: u64,
    /// The current operation's number, from 1.
    step: u64,
    log: VecDeque<(u64, Op)>,
    /// Operations done: read, write, mapread, truncate, fsync, close/open, skipped.
    counts: [u64; 7],
}

impl<'a> Fsx<'a> {
    fn new(mount: &'a Mount, path: &Path, seed: u64) -> Self {
        let mut rng = Rng(seed);
        let noise = (0..MAX_FILE_LEN).map(|_| rng.next() as u8).collect();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .unwrap_or_else(|e| panic!("fsx: open {}: {e}\n{}", path.display(), mount.log()));
        Self {
            mount,
            path: path.to_owned(),
            file: Some(file),
            good: Vec::new(),
            noise,
            rng,
            seed,
            step: 0,
            log: VecDeque::new(),
            counts: [0; 7],
        }
    }

    fn file(&self) -> &File {
        self.file.as_ref().expect("open")
    }

    fn record(&mut self, op: Op) {
        let kind = match op {
            Op::Read(..) => 0,
            Op::Write(..) => 1,
            Op::MapRead(..) => 2,
            Op::Truncate(..) => 3,
            Op::Fsync => 4,
            Op::CloseOpen => 5,
            Op::Skip(_) => 6,
        };
        self.counts[kind] += 1;
        if self.log.len() == LOG_LEN {
            self.log.pop_front();
        }
        self.log.push_back((self.step, op));
    }

    /// Fails the test with fsx's report: what went wrong, then the last operations.
    fn fail(&self, what: &str) -> ! {
        let mut report = format!(
            "fsx (seed {}, file {}): {what}\n",
            self.seed,
            self.path.display()
        );
        report += &format!(
            "LOG DUMP (last {} of {} operations):\n",
            self.log.len(),
            self.step
        );
        for (n, op) in &self.log {
            report += &format!("{n:6} {op}\n");
        }
        let log = self.mount.log();
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        report += "mount log (last 40 lines):\n";
        for line in tail.iter().rev() {
            report += &format!("  {line}\n");
        }
        panic!("{report}");
    }

    /// Compares bytes read at `off` with the shadow, reporting the bad ones as fsx does.
    fn check(&self, how: &str, off: u64, got: &[u8]) {
        let want = &self.good[off as usize..off as usize + got.len()];
        let Some(first) = (0..got.len()).find(|&i| got[i] != want[i]) else {
            return;
        };
        let bad: Vec<usize> = (first..got.len()).filter(|&i| got[i] != want[i]).collect();
        let mut what = format!(
            "{how} BAD DATA: offset = {off:#x}, size = {:#x}; {} bytes differ, the first at \
             {:#x}\nOFFSET\tGOOD\tBAD\n",
            got.len(),
            bad.len(),
            off + first as u64
        );
        for &i in bad.iter().take(16) {
            what += &format!("{:#x}\t{:#04x}\t{:#04x}\n", off + i as u64, want[i], got[i]);
        }
        let at = off + first as u64;
        let step = got[first].wrapping_sub(if at % 2 == 1 {
            self.noise[at as usize]
        } else {
            0
        });
        what += &format!("Step# (mod 256) for the first bad byte may be {step}\n");
        self.fail(&what);
    }

    fn check_size(&self) {
        match self.file().metadata() {
            Ok(m) if m.len() == self.good.len() as u64 => {}
            Ok(m) => self.fail(&format!(
                "size {:#x}, expected {:#x}",
                m.len(),
                self.good.len()
            )),
            Err(e) => self.fail(&format!("fstat: {e}")),
        }
    }

    /// One fsx step: an operation, the size check, maybe an fsync, maybe a close and reopen.
    fn step(&mut self) {
        self.step += 1;
        let size = self.good.len() as u64;
        let (r1, r2) = (self.rng.next(), self.rng.next());
        let len = r2 % (MAX_OP_LEN + 1);
        match r1 % 5 {
            // Reads and mapped reads start inside the file.
            0 | 2 if size == 0 => self.record(Op::Skip("zero size read")),
            0 | 2 if len == 0 => self.record(Op::Skip("zero length read")),
            0 => self.read((r1 >> 8) % size, len.min(size - (r1 >> 8) % size)),
            2 => self.map_read((r1 >> 8) % size, len.min(size - (r1 >> 8) % size)),
            // Writes (and mapped writes, off as with fsx -W) land anywhere below the maximum.
            1 | 4 if len == 0 => self.record(Op::Skip("zero length write")),
            1 | 4 => {
                let off = (r1 >> 8) % MAX_FILE_LEN;
                self.write(off, len.min(MAX_FILE_LEN - off));
            }
            _ => self.truncate((r1 >> 8) % (MAX_FILE_LEN + 1)),
        }
        self.check_size();
        if self.rng.below(FSYNC_PROB) == 0 {
            self.record(Op::Fsync);
            if let Err(e) = self.file().sync_all() {
                self.fail(&format!("fsync: {e}"));
            }
        }
        if self.rng.below(CLOSE_PROB) == 0 {
            self.close_open();
        }
    }

    fn read(&mut self, off: u64, len: u64) {
        self.record(Op::Read(off, len));
        let mut buf = vec![0; len as usize];
        let mut done = 0;
        while done < buf.len() {
            match self.file().read_at(&mut buf[done..], off + done as u64) {
                Ok(0) => self.fail(&format!("short read: {done:#x} bytes instead of {len:#x}")),
                Ok(n) => done += n,
                Err(e) => self.fail(&format!("read: {e}")),
            }
        }
        self.check("READ", off, &buf);
    }

    /// A read-only shared mapping of the pages holding the range; past the end of the file, the
    /// last page must read as zeroes.
    fn map_read(&mut self, off: u64, len: u64) {
        self.record(Op::MapRead(off, len));
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64;
        let start = off - off % page;
        let map_len = (off + len).next_multiple_of(page) - start;
        // SAFETY: a fresh read-only mapping of an open descriptor; the range never extends past
        // the page holding the end of the file (off + len <= size), so no access faults.
        let map = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len as usize,
                libc::PROT_READ,
                libc::MAP_SHARED,
                self.file().as_raw_fd(),
                start as libc::off_t,
            )
        };
        if map == libc::MAP_FAILED {
            self.fail(&format!("mmap: {}", std::io::Error::last_os_error()));
        }
        // SAFETY: `map` is `map_len` readable bytes until the munmap below.
        let pages =
            unsafe { std::slice::from_raw_parts(map as *const u8, map_len as usize) }.to_vec();
        // SAFETY: unmaps exactly what was mapped above.
        unsafe { libc::munmap(map, map_len as usize) };
        let got = &pages[(off - start) as usize..(off - start + len) as usize];
        self.check("MAPREAD", off, got);
        let eof = self.good.len() as u64;
        if start + map_len > eof {
            let tail = &pages[(eof - start) as usize..];
            if let Some(i) = tail.iter().position(|&b| b != 0) {
                let at = eof + i as u64;
                self.fail(&format!(
                    "MAPREAD: byte {at:#x} past the end ({eof:#x}) is not zero"
                ));
            }
        }
    }

    fn write(&mut self, off: u64, len: u64) {
        let size = self.good.len() as u64;
        self.record(Op::Write(off, len, size));
        let end = (off + len) as usize;
        if end > self.good.len() {
            self.good.resize(end, 0);
        }
        let step = self.step as u8;
        for i in off as usize..end {
            self.good[i] = step.wrapping_add(if i % 2 == 1 { self.noise[i] } else { 0 });
        }
        if let Err(e) = self.file().write_all_at(&self.good[off as usize..end], off) {
            self.fail(&format!("write: {e}"));
        }
    }

    fn truncate(&mut self, to: u64) {
        self.record(Op::Truncate(self.good.len() as u64, to));
        self.good.resize(to as usize, 0);
        if let Err(e) = self.file().set_len(to) {
            self.fail(&format!("ftruncate: {e}"));
        }
    }

    fn close_open(&mut self) {
        self.record(Op::CloseOpen);
        self.close();
        match OpenOptions::new().read(true).write(true).open(&self.path) {
            Ok(f) => self.file = Some(f),
            Err(e) => self.fail(&format!("reopen: {e}")),
        }
    }

    /// `close(2)` with its result (dropping a `File` ignores it): the upload's outcome.
    fn close(&mut self) {
        let fd = std::os::fd::IntoRawFd::into_raw_fd(self.file.take().expect("open"));
        // SAFETY: `fd` was just taken from the File, which no longer owns it.
        if unsafe { libc::close(fd) } != 0 {
            self.fail(&format!("close: {}", std::io::Error::last_os_error()));
        }
    }

    /// Closes the file, checks it through a fresh open, and returns what it must hold.
    fn finish(mut self) -> Vec<u8> {
        self.close();
        match std::fs::read(&self.path) {
            Ok(got) if got.len() == self.good.len() => self.check("FINAL READ", 0, &got),
            Ok(got) => self.fail(&format!(
                "FINAL READ: {:#x} bytes, expected {:#x}",
                got.len(),
                self.good.len()
            )),
            Err(e) => self.fail(&format!("FINAL READ: {e}")),
        }
        std::mem::take(&mut self.good)
    }
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).map_or(default, |v| v.parse().expect(name))
}

test_both!(fn fsx_100000_operations_match_the_shadow_copy_and_reach_the_store(backend) {
    let server = Server::start();
    let mount = Mount::on(backend, &server, ALICE, &[]);
    let path = mount.home().join("fsx.bin");
    let (ops, seed) = (env_or("FSX_OPS", OPS), env_or("FSX_SEED", SEED));
    let started = Instant::now();
    let mut fsx = Fsx::new(&mount, &path, seed);
    for _ in 0..ops {
        fsx.step();
    }
    let counts = fsx.counts;
    let good = fsx.finish();
    eprintln!(
        "fsx on {backend:?}: {ops} operations in {:.1?} (read, write, mapread, truncate, fsync, \
         close/open, skipped: {counts:?}); final size {:#x}",
        started.elapsed(),
        good.len()
    );
    drop(mount);
    let mount = Mount::on(backend, &server, ALICE, &[]);
    let stored = std::fs::read(mount.home().join("fsx.bin")).unwrap();
    assert_eq!(stored.len(), good.len(), "size after a remount");
    if let Some(i) = (0..good.len()).find(|&i| stored[i] != good[i]) {
        panic!(
            "after a remount, byte {i:#x} is {:#04x}, expected {:#04x}",
            stored[i], good[i]
        );
    }
});
