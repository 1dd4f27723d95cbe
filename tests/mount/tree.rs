//! The mounted tree: an imported tree looks the same through the mount (names, sizes, mtimes),
//! large folders list completely, special folders show the server's recycle bin and shares, and
//! names the local file system cannot hold are escaped visibly. Every test runs on both
//! backends; on LogicalDOC the shares are workspaces at the root and the home is `Default`.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use super::api::Api;
use super::harness::{Backend, Mount, assert_bin_read};
use super::server_process::{ALICE, BOB, Server};
use super::{names, write_file};

fn import_args(src: &Path) -> Vec<String> {
    vec![
        "--import".into(),
        src.to_str().unwrap().into(),
        "--as".into(),
        "alice".into(),
    ]
}

fn start_with_import(src: &Path) -> Server {
    let args = import_args(src);
    Server::start_with(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// `find DIR -type f` lines (size, mtime, path) and the directories, sorted, without the
/// special folders at the top.
fn find_listing(dir: &Path) -> (Vec<String>, Vec<String>) {
    let run = |args: &[&str]| -> Vec<String> {
        let out = Command::new("find")
            .current_dir(dir)
            .args([
                ".",
                "-path",
                "./Recycle Bin",
                "-prune",
                "-o",
                "-path",
                "./Shared with me",
                "-prune",
                "-o",
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "find failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut lines: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        lines.sort();
        lines
    };
    (
        run(&["-type", "f", "-printf", "%s %T@ %P\\n"]),
        run(&["-type", "d", "-printf", "%P\\n"]),
    )
}

test_both!(fn find_and_ls_of_an_imported_tree_equal_the_source(backend) {
    let src = tempfile::tempdir().unwrap();
    let p = src.path();
    for d in [
        "docs",
        "docs/2024",
        "docs/2024/q1",
        "empty",
        "media",
        "with space",
    ] {
        std::fs::create_dir_all(p.join(d)).unwrap();
    }
    let files = [
        ("readme.txt", 12),
        ("docs/a.txt", 0),
        ("docs/2024/report.pdf", 4096),
        ("docs/2024/q1/notes.md", 4095),
        ("media/clip.bin", 1_000_003),
        ("with space/ünïcødé name.txt", 77),
    ];
    for (i, (name, len)) in files.iter().enumerate() {
        write_file(
            &p.join(name),
            *len,
            i as u8,
            1_600_000_000 + i as u64 * 86_400,
        );
    }
    let server = start_with_import(p);
    let mount = Mount::on(backend, &server, ALICE, &[]);
    let home = mount.home();
    assert_eq!(find_listing(&home), find_listing(p));
    // ls -lR shows the same names, sizes and mtimes for every file.
    let ls = |dir: &Path| {
        let out = Command::new("ls")
            .current_dir(dir)
            .args([
                "-lR",
                "--time-style=+%s",
                "-I",
                "Recycle Bin",
                "-I",
                "Shared with me",
                ".",
            ])
            .output()
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter(|l| l.starts_with('-'))
            .map(|l| l.split_whitespace().skip(4).collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
    };
    assert_eq!(ls(&home), ls(p));
    assert_eq!(
        std::fs::read(home.join("readme.txt")).unwrap(),
        std::fs::read(p.join("readme.txt")).unwrap()
    );
});

test_both!(fn a_folder_of_2500_documents_lists_completely(backend) {
    let src = tempfile::tempdir().unwrap();
    std::fs::create_dir(src.path().join("big")).unwrap();
    for i in 0..2500 {
        std::fs::write(src.path().join(format!("big/doc-{i:04}.txt")), b"").unwrap();
    }
    let server = start_with_import(src.path());
    let mount = Mount::on(backend, &server, ALICE, &[]);
    let names: BTreeSet<String> = std::fs::read_dir(mount.home().join("big"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let want: BTreeSet<String> = (0..2500).map(|i| format!("doc-{i:04}.txt")).collect();
    assert_eq!(names, want);
});

test_both!(fn special_folders_show_the_recycle_bin_and_shares(backend) {
    let server = Server::start();
    let (alice, bob) = (Api::new(&server.base, ALICE), Api::new(&server.base, BOB));
    let (alice_id, alice_root, _) = alice.me();
    let (_, bob_root, _) = bob.me();
    let handbook = bob.mkdir(&bob_root, "Handbook");
    bob.upload(&handbook, "rules.md", b"be kind\n");
    bob.share(&handbook, &alice_id, "VIEWER");
    let old = alice.upload(&alice_root, "old.txt", b"old\n");
    alice.recycle_document(&old);
    alice.upload(&alice_root, "mine.txt", b"mine\n");
    let mount = Mount::on(backend, &server, ALICE, &[]);
    let bin = mount.bin();
    let binned = match backend {
        Backend::WorkDocs => {
            assert_eq!(
                names(&mount.path),
                ["Recycle Bin", "Shared with me", "mine.txt"]
            );
            assert_eq!(std::fs::read(bin.join("old.txt")).unwrap(), b"old\n");
            bin.join("old.txt")
        }
        Backend::LogicalDoc => {
            // The workspaces: the home as Default and the folder shared with alice; then the bin.
            assert_eq!(names(&mount.path), ["Default", "Handbook", "Recycle Bin"]);
            assert_eq!(names(&mount.home()), ["mine.txt"]);
            // The bin shows what this mount deleted, not what was recycled through WorkDocs.
            assert!(names(&bin).is_empty(), "{:?}", names(&bin));
            std::fs::write(mount.home().join("gone.txt"), b"gone\n").unwrap();
            std::fs::remove_file(mount.home().join("gone.txt")).unwrap();
            assert_eq!(names(&bin), ["gone.txt"]);
            assert_bin_read(backend, &bin.join("gone.txt"), b"gone\n");
            bin.join("gone.txt")
        }
    };
    let shared = mount.shared("Handbook");
    assert_eq!(
        std::fs::read(shared.join("rules.md")).unwrap(),
        b"be kind\n"
    );
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&shared), 0o555);
    assert_eq!(mode(&shared.join("rules.md")), 0o444);
    assert_eq!(mode(&binned), 0o444);
    assert_eq!(mode(&mount.home().join("mine.txt")), 0o644);
});

test_both!(fn names_the_file_system_cannot_hold_are_escaped_visibly(backend) {
    let server = Server::start();
    let (alice, bob) = (Api::new(&server.base, ALICE), Api::new(&server.base, BOB));
    let (alice_id, root, _) = alice.me();
    alice.upload(&root, "Q3/Q4 review.txt", b"slash\n");
    // A folder named like a special folder is shown under another name, not hidden.
    let clash = alice.mkdir(&root, "Recycle Bin");
    alice.upload(&clash, "inside.txt", b"not lost\n");
    // So is a shared one (a workspace at the root on LogicalDOC).
    let (_, bob_root, _) = bob.me();
    let theirs = bob.mkdir(&bob_root, "Recycle Bin");
    bob.upload(&theirs, "bob.txt", b"from bob\n");
    bob.share(&theirs, &alice_id, "VIEWER");
    let mount = Mount::on(backend, &server, ALICE, &[]);
    assert_eq!(
        std::fs::read(mount.home().join("Q3\u{FF0F}Q4 review.txt")).unwrap(),
        b"slash\n"
    );
    let disambiguated = |dir: &Path| -> Vec<String> {
        names(dir)
            .into_iter()
            .filter(|n| n.starts_with("Recycle Bin~"))
            .collect()
    };
    let (mine, shared) = match backend {
        Backend::WorkDocs => {
            // The home is the root: alice's folder clashes with the bin.
            let shown = disambiguated(&mount.path);
            assert_eq!(shown.len(), 1, "the clashing folder is shown disambiguated");
            // Under Shared with me, nothing clashes.
            let shared = mount.shared("Recycle Bin");
            (mount.path.join(&shown[0]), shared)
        }
        Backend::LogicalDoc => {
            // The home (Default) holds no special folder: alice's folder keeps its name.
            assert!(disambiguated(&mount.home()).is_empty());
            // Bob's workspace clashes with the bin at the root.
            let shown = disambiguated(&mount.path);
            assert_eq!(shown.len(), 1, "the clashing workspace is shown disambiguated");
            (mount.home().join("Recycle Bin"), mount.path.join(&shown[0]))
        }
    };
    assert_eq!(
        std::fs::read(mine.join("inside.txt")).unwrap(),
        b"not lost\n"
    );
    assert_eq!(std::fs::read(shared.join("bob.txt")).unwrap(), b"from bob\n");
    // The real bin is still the bin.
    assert!(!mount.bin().join("inside.txt").exists());
    assert!(!mount.bin().join("bob.txt").exists());
});
