//! The write side through a real mount: rsync backups (a second run sends nothing; changed files
//! become new versions of the same documents), cp -a, tar -x, the editor pattern, sed -i,
//! appends, truncation, random writes checked after a remount, rm and restore through the
//! Recycle Bin, roles, and a server that dies before `close`. Every test runs on both backends;
//! where LogicalDOC's API cannot do what WorkDocs' does (restore a folder, purge from the bin),
//! the test asserts what a LogicalDOC mount does instead.

use std::io::{Seek, SeekFrom, Write};
use std::os::fd::IntoRawFd;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::process::Command;

use super::api::Api;
use super::harness::{Backend, Mount, assert_bin_read};
use super::server_process::{ALICE, BOB, Server};
use super::{names, sha256_file, write_file};

/// Runs a command; panics with its output unless it succeeds. Returns stdout.
fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn diff_r(a: &Path, b: &Path) {
    run(Command::new("diff").arg("-r").arg(a).arg(b));
}

/// rsync's "Number of regular files transferred" from `--stats` output.
fn files_transferred(stats: &str) -> u64 {
    let line = stats
        .lines()
        .find(|l| l.starts_with("Number of regular files transferred"))
        .unwrap_or_else(|| panic!("no transfer count in:\n{stats}"));
    line.rsplit(' ')
        .next()
        .unwrap()
        .replace(',', "")
        .parse()
        .unwrap()
}

fn rsync_stats(src: &Path, dst: &Path) -> u64 {
    let out = run(Command::new("rsync")
        .args(["-a", "--stats"])
        .arg(format!("{}/", src.display()))
        .arg(format!("{}/", dst.display())));
    files_transferred(&out)
}

/// A tree of 1,000 files in 20 × 5 folders, from empty to 5 MiB (most small).
fn backup_tree(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for d in 0..20 {
        for s in 0..5 {
            let dir = root.join(format!("dir{d:02}/sub{s}"));
            std::fs::create_dir_all(&dir).unwrap();
            for f in 0..10 {
                let n = d * 50 + s * 10 + f;
                let len = match n % 100 {
                    0 => 5 << 20,
                    50 => 1 << 20,
                    n if n % 7 == 0 => 0,
                    n => (n as u64 * 977) % 40_000,
                };
                let rel = format!("dir{d:02}/sub{s}/file{f}.dat");
                write_file(&root.join(&rel), len, n as u8, 1_600_000_000 + n as u64);
                files.push(rel);
            }
        }
    }
    files
}

test_both!(fn rsync_backups_resend_nothing_and_changed_files_become_versions(backend) {
    let server = Server::start();
    let api = Api::new(&server.base, ALICE);
    let (_, root, _) = api.me();
    let mount = Mount::on(backend, &server, ALICE, &[]);
    let src = tempfile::tempdir().unwrap();
    let files = backup_tree(src.path());
    assert_eq!(files.len(), 1000);
    let dst = mount.home().join("backup");
    assert_eq!(rsync_stats(src.path(), &dst), 1000);
    diff_r(src.path(), &dst);
    assert_eq!(rsync_stats(src.path(), &dst), 0, "{}", mount.log());

    let changed = [&files[3], &files[500], &files[999]];
    let ids: Vec<String> = changed
        .iter()
        .map(|rel| api.id_at(&root, &format!("backup/{rel}")))
        .collect();
    for (i, rel) in changed.iter().enumerate() {
        write_file(&src.path().join(rel), 12_345 + i as u64, 99, 1_700_000_000);
    }
    assert_eq!(rsync_stats(src.path(), &dst), 3);
    diff_r(src.path(), &dst);
    for (rel, id) in changed.iter().zip(&ids) {
        assert_eq!(&api.id_at(&root, &format!("backup/{rel}")), id, "{rel}");
        assert_eq!(api.versions(id).len(), 2, "{rel}");
    }
    // The times are at the store, not only in this mount's memory.
    drop(mount);
    let mount = Mount::on(backend, &server, ALICE, &[]);
    let dst = mount.home().join("backup");
    assert_eq!(rsync_stats(src.path(), &dst), 0);
    // Nothing of rsync's temporary files is left, at the store or in the bin.
    let (_, _, bin) = api.me();
    let binned: Vec<String> = api
        .children(&bin)
        .iter()
        .map(|c| c["LatestVersionMetadata"]["Name"].as_str().unwrap_or("?").to_owned())
        .collect();
    match backend {
        Backend::WorkDocs => assert!(binned.is_empty(), "{binned:?}"),
        // A temporary renamed over its target became a version of the target and was then
        // deleted; LogicalDOC's API cannot purge, so such temporaries stay in the store's
        // recycle bin (never in the mount's, nor live).
        Backend::LogicalDoc => assert!(
            binned.iter().all(|n| n.starts_with(".file") && n.contains(".dat.")),
            "{binned:?}"
        ),
    }
    assert!(names(&mount.bin()).is_empty());
});

test_both!(fn cp_a_and_tar_x_copy_trees_with_their_times(backend) {
    let server = Server::start();
    let mount = Mount::on(backend, &server, ALICE, &[]);
    let home = mount.home();
    let src = tempfile::tempdir().unwrap();
    let tree = src.path().join("tree");
    for (rel, len) in [("a.txt", 10), ("sub/b.bin", 300_000), ("sub/deeper/c", 0)] {
        let p = tree.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        write_file(&p, len, 3, 1_650_000_000);
    }
    run(Command::new("cp").arg("-a").arg(&tree).arg(&home));
    diff_r(&tree, &home.join("tree"));
    let mtime = |p: &Path| std::fs::metadata(p).unwrap().modified().unwrap();
    assert_eq!(
        mtime(&home.join("tree/sub/b.bin")),
        mtime(&tree.join("sub/b.bin"))
    );
    let tar = src.path().join("t.tar");
    run(Command::new("tar")
        .arg("-cf")
        .arg(&tar)
        .arg("-C")
        .arg(&tree)
        .arg("."));
    let untar = home.join("untar");
    std::fs::create_dir(&untar).unwrap();
    run(Command::new("tar")
        .arg("-xf")
        .arg(&tar)
        .arg("-C")
        .arg(&untar));
    diff_r(&tree, &untar);
    assert_eq!(mtime(&untar.join("a.txt")), mtime(&tree.join("a.txt")));
});

test_both!(fn editors_sed_appends_and_truncation_keep_the_document(backend) {
    let server = Server::start();
    let api = Api::new(&server.base, ALICE);
    let (_, root, _) = api.me();
    let doc = api.upload(&root, "notes.txt", b"alpha beta\n");
    let mount = Mount::on(backend, &server, ALICE, &[]);
    let home = mount.home();
    let notes = home.join("notes.txt");
    // The editor pattern: write a temporary file, fsync it, rename it over the original.
    let tmp = home.join(".notes.txt.swp");
    let mut f = std::fs::File::create(&tmp).unwrap();
    f.write_all(b"alpha beta gamma\n").unwrap();
    f.sync_all().unwrap();
    drop(f);
    std::fs::rename(&tmp, &notes).unwrap();
    assert_eq!(std::fs::read(&notes).unwrap(), b"alpha beta gamma\n");
    assert_eq!(api.id_at(&root, "notes.txt"), doc);
    assert_eq!(api.versions(&doc).len(), 2);
    // sed -i writes a new file and renames it over.
    run(Command::new("sed").args(["-i", "s/beta/BETA/"]).arg(&notes));
    assert_eq!(std::fs::read(&notes).unwrap(), b"alpha BETA gamma\n");
    assert_eq!(api.id_at(&root, "notes.txt"), doc);
    assert_eq!(api.versions(&doc).len(), 3);
    // Append with >>.
    run(Command::new("sh")
        .arg("-c")
        .arg(format!("echo delta >> '{}'", notes.display())));
    assert_eq!(std::fs::read(&notes).unwrap(), b"alpha BETA gamma\ndelta\n");
    // Truncate.
    run(Command::new("truncate").args(["-s", "5"]).arg(&notes));
    assert_eq!(std::fs::read(&notes).unwrap(), b"alpha");
    assert_eq!(api.id_at(&root, "notes.txt"), doc);
    assert_eq!(api.versions(&doc).len(), 5);
    let listed: Vec<_> = names(&home)
        .into_iter()
        .filter(|n| !n.starts_with("Recycle") && !n.starts_with("Shared"))
        .collect();
    assert_eq!(listed, ["notes.txt"]);
    // The replaced temporaries are gone for good, not in the bin.
    assert!(names(&mount.bin()).is_empty());
});

test_both!(fn random_offset_writes_read_back_after_a_remount(backend) {
    let server = Server::start();
    let src = tempfile::tempdir().unwrap();
    let mut expected = {
        let p = src.path().join("orig");
        write_file(&p, 3 << 20, 5, 1_600_000_000);
        std::fs::read(&p).unwrap()
    };
    let mount = Mount::on(backend, &server, ALICE, &[]);
    let path = mount.home().join("random.bin");
    std::fs::write(&path, &expected).unwrap();
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    for i in 0..64u64 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let offset = rng % (expected.len() as u64 + 4096);
        let data: Vec<u8> = (0..(1 + rng % 9000)).map(|j| (i + j) as u8).collect();
        f.write_all_at(&data, offset).unwrap();
        let end = offset as usize + data.len();
        if end > expected.len() {
            expected.resize(end, 0);
        }
        expected[offset as usize..end].copy_from_slice(&data);
    }
    let mut f = f;
    f.seek(SeekFrom::End(0)).unwrap();
    drop(f);
    let sha = {
        let p = src.path().join("expected");
        std::fs::write(&p, &expected).unwrap();
        sha256_file(&p)
    };
    drop(mount);
    let mount = Mount::on(backend, &server, ALICE, &[]);
    assert_eq!(sha256_file(&mount.home().join("random.bin")), sha);
});

test_both!(fn rm_recycles_mv_out_of_the_bin_restores_and_rm_in_the_bin_purges(backend) {
    let server = Server::start();
    let api = Api::new(&server.base, ALICE);
    let (_, root, bin_id) = api.me();
    let doc = api.upload(&root, "keep.txt", b"keep me\n");
    let mount = Mount::on(backend, &server, ALICE, &[]);
    let home = mount.home();
    let bin = mount.bin();
    std::fs::remove_file(home.join("keep.txt")).unwrap();
    assert!(!home.join("keep.txt").exists());
    assert_bin_read(backend, &bin.join("keep.txt"), b"keep me\n");
    // Recycled at the store, whichever API did it.
    assert!(api.children(&bin_id).iter().any(|c| c["Id"] == doc.as_str()));
    run(Command::new("mv")
        .arg(bin.join("keep.txt"))
        .arg(home.join("keep.txt")));
    assert_eq!(std::fs::read(home.join("keep.txt")).unwrap(), b"keep me\n");
    assert_eq!(api.id_at(&root, "keep.txt"), doc);
    assert!(api.children(&bin_id).is_empty());
    assert!(names(&bin).is_empty());
    // A folder with contents goes to the bin whole; rm inside the bin deletes for good.
    std::fs::create_dir(home.join("old")).unwrap();
    std::fs::write(home.join("old/x"), b"x").unwrap();
    let err = std::fs::remove_dir(home.join("old")).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOTEMPTY));
    run(Command::new("rm").arg("-r").arg(home.join("old")));
    assert!(!home.join("old").exists());
    std::fs::remove_file(home.join("keep.txt")).unwrap();
    match backend {
        Backend::WorkDocs => assert_eq!(names(&bin), ["keep.txt", "old", "x"]),
        Backend::LogicalDoc => {
            // LogicalDOC's API lists no trash: the bin is the documents this mount deleted, and a
            // deleted folder cannot be restored through the API, so it is not shown.
            assert_eq!(names(&bin), ["keep.txt", "x"]);
            let err = std::fs::metadata(bin.join("old")).unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::ENOENT));
            // The store recycled it all the same.
            let old = api
                .children(&bin_id)
                .into_iter()
                .find(|c| c["Name"] == "old")
                .expect("the folder is in the store's recycle bin");
            assert_eq!(old["ResourceState"], "RECYCLED");
        }
    }
    std::fs::remove_file(bin.join("keep.txt")).unwrap();
    assert!(!bin.join("keep.txt").exists());
    match backend {
        Backend::WorkDocs => {
            // Gone for good: the server no longer knows the document.
            assert_eq!(api.status(&format!("/api/v1/documents/{doc}")), 404);
            assert!(
                api.children(&bin_id)
                    .iter()
                    .all(|c| c["Id"] != doc.as_str())
            );
        }
        Backend::LogicalDoc => {
            // LogicalDOC's API cannot purge its trash: the mount forgets the document, which
            // stays recycled at the store (and out of every listing).
            assert_eq!(names(&bin), ["x"]);
            let kept = api.call("GET", &format!("/api/v1/documents/{doc}"), None);
            assert_eq!(kept["Metadata"]["ResourceState"], "RECYCLED");
            assert!(!home.join("keep.txt").exists());
        }
    }
});

test_both!(fn viewers_get_eacces_for_every_write_and_links_get_eperm(backend) {
    let server = Server::start();
    let (alice, bob) = (Api::new(&server.base, ALICE), Api::new(&server.base, BOB));
    let (alice_id, _, _) = alice.me();
    let (_, bob_root, _) = bob.me();
    let shared = bob.mkdir(&bob_root, "theirs");
    bob.upload(&shared, "doc.txt", b"read only\n");
    bob.share(&shared, &alice_id, "VIEWER");
    let mount = Mount::on(backend, &server, ALICE, &[]);
    let dir = mount.shared("theirs");
    let eacces = |r: std::io::Result<()>| {
        assert_eq!(r.unwrap_err().raw_os_error(), Some(libc::EACCES));
    };
    eacces(std::fs::write(dir.join("doc.txt"), b"x"));
    eacces(std::fs::write(dir.join("new.txt"), b"x"));
    eacces(std::fs::create_dir(dir.join("sub")));
    eacces(std::fs::remove_file(dir.join("doc.txt")));
    eacces(std::fs::rename(dir.join("doc.txt"), dir.join("moved.txt")));
    // Links and special files cannot be stored anywhere.
    let eperm = |r: std::io::Result<()>| {
        assert_eq!(r.unwrap_err().raw_os_error(), Some(libc::EPERM));
    };
    let home = mount.home();
    eperm(std::os::unix::fs::symlink("target", home.join("link")));
    std::fs::write(home.join("mine"), b"m").unwrap();
    eperm(std::fs::hard_link(home.join("mine"), home.join("hard")));
    assert_eq!(std::fs::read(dir.join("doc.txt")).unwrap(), b"read only\n");
});

test_both!(fn a_dead_server_at_close_fails_the_close_and_keeps_the_data(backend) {
    let mut server = Server::start();
    let mount = Mount::on(backend, &server, ALICE, &["--timeout", "3"]);
    let mut f = std::fs::File::create(mount.home().join("unsent.txt")).unwrap();
    f.write_all(b"these bytes must survive\n").unwrap();
    server.stop();
    let fd = f.into_raw_fd();
    // SAFETY: fd is an open descriptor we own; it is closed exactly once here.
    let rc = unsafe { libc::close(fd) };
    let errno = std::io::Error::last_os_error().raw_os_error();
    assert_eq!(rc, -1, "close succeeded with the server gone");
    assert!(
        matches!(errno, Some(libc::EIO) | Some(libc::ETIMEDOUT)),
        "{errno:?}"
    );
    let kept: Vec<_> = std::fs::read_dir(mount.spool_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_none())
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    assert!(
        kept.iter().any(|k| k == b"these bytes must survive\n"),
        "spool: {kept:?}\n{}",
        mount.log()
    );
});

test_both!(fn touch_after_upload_persists_to_the_nanosecond(backend) {
    let server = Server::start();
    let api = Api::new(&server.base, ALICE);
    let (_, root, _) = api.me();
    let mount = Mount::on(backend, &server, ALICE, &[]);
    let path = mount.home().join("stamped.txt");
    std::fs::write(&path, b"content\n").unwrap();
    let doc = api.id_at(&root, "stamped.txt");
    run(Command::new("touch")
        .args(["-m", "-d", "2021-05-06 07:08:09.123456789 UTC"])
        .arg(&path));
    let expected = std::time::UNIX_EPOCH + std::time::Duration::new(1_620_284_889, 123_456_789);
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        expected
    );
    drop(mount);
    let mount = Mount::on(backend, &server, ALICE, &[]);
    let path = mount.home().join("stamped.txt");
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        expected
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"content\n");
    // Setting a time is not a new version.
    assert_eq!(api.versions(&doc).len(), 1);
});

test_both!(fn shell_redirections_and_dd_make_one_version_per_write(backend) {
    let server = Server::start();
    let api = Api::new(&server.base, ALICE);
    let (_, root, _) = api.me();
    let doc = api.upload(&root, "existing.txt", b"old\n");
    let mount = Mount::on(backend, &server, ALICE, &[]);
    let home = mount.home();
    let sh = |script: &str| run(Command::new("sh").arg("-c").arg(script).current_dir(&home));
    sh("echo new > fresh.txt");
    sh("echo replaced > existing.txt");
    sh("dd if=/dev/zero of=zeros.bin bs=4096 count=3 status=none");
    assert_eq!(
        std::fs::read(home.join("existing.txt")).unwrap(),
        b"replaced\n"
    );
    assert_eq!(
        api.versions(&doc).len(),
        2,
        "old + replaced, no empty version between"
    );
    let fresh = api.id_at(&root, "fresh.txt");
    assert_eq!(api.versions(&fresh).len(), 1);
    let zeros = api.id_at(&root, "zeros.bin");
    assert_eq!(api.versions(&zeros).len(), 1);
    assert_eq!(api.versions(&zeros)[0]["Size"], 12288);
    // A file made only by open (touch) reaches the store when its last descriptor closes.
    sh("touch empty.txt");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !api
        .children(&root)
        .iter()
        .any(|c| c["LatestVersionMetadata"]["Name"] == "empty.txt")
    {
        assert!(std::time::Instant::now() < deadline, "{}", mount.log());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
});
