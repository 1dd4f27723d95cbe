//! Reading through the mount: a 1 GiB document end to end, random offsets, concurrent readers,
//! the page cache and new versions. Every test runs on both backends.

use std::os::unix::fs::FileExt;
use std::path::Path;

use rand::{Rng, SeedableRng};

use super::api::Api;
use super::harness::{Backend, Mount};
use super::server_process::{ALICE, Server};
use super::{pattern_byte, sha256_file, write_file};

fn serve_files(files: &[(&str, u64)]) -> (Server, tempfile::TempDir) {
    let src = tempfile::tempdir().unwrap();
    for (i, (name, len)) in files.iter().enumerate() {
        write_file(&src.path().join(name), *len, i as u8 + 1, 1_700_000_000);
    }
    let server = Server::start_with(&["--import", src.path().to_str().unwrap(), "--as", "alice"]);
    (server, src)
}

test_both!(
    fn a_one_gib_document_reads_back_with_the_same_sha256(backend) {
        let (server, src) = serve_files(&[("big.bin", 1 << 30)]);
        let mount = Mount::on(backend, &server, ALICE, &[]);
        let big = mount.home().join("big.bin");
        assert_eq!(std::fs::metadata(&big).unwrap().len(), 1 << 30);
        assert_eq!(sha256_file(&big), sha256_file(&src.path().join("big.bin")));
    }
);

test_both!(fn reads_at_random_offsets_match(backend) {
    let len = 8 << 20;
    let (server, _src) = serve_files(&[("r.bin", len)]);
    let mount = Mount::on(backend, &server, ALICE, &[]);
    let f = std::fs::File::open(mount.home().join("r.bin")).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for _ in 0..200 {
        let offset = rng.random_range(0..len);
        let want = rng.random_range(1..300_000u64).min(len - offset) as usize;
        let mut buf = vec![0u8; want];
        f.read_exact_at(&mut buf, offset).unwrap();
        let expected: Vec<u8> = (offset..offset + want as u64)
            .map(|o| pattern_byte(o, 1))
            .collect();
        assert!(buf == expected, "bytes differ at offset {offset} (+{want})");
    }
    // Reads at and past the end.
    let mut buf = [0u8; 10];
    assert_eq!(f.read_at(&mut buf, len).unwrap(), 0);
    assert_eq!(f.read_at(&mut buf, len - 3).unwrap(), 3);
});

test_both!(fn eight_concurrent_readers_see_the_same_bytes(backend) {
    let (server, src) = serve_files(&[("shared.bin", 24 << 20)]);
    let mount = Mount::on(backend, &server, ALICE, &[]);
    let want = sha256_file(&src.path().join("shared.bin"));
    let path = mount.home().join("shared.bin");
    let readers: Vec<_> = (0..8)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || sha256_file(Path::new(&path)))
        })
        .collect();
    for r in readers {
        assert_eq!(r.join().unwrap(), want);
    }
});

/// Content downloads the server has answered, from its request log: GETs of WorkDocs content
/// URLs (`/blobs/…`) or of LogicalDOC's `/download` servlet. (`/_docsfs/stats` counts WorkDocs
/// API operations only, not content requests nor LogicalDOC calls.)
fn content_gets(backend: Backend, server: &Server) -> usize {
    let route = match backend {
        Backend::WorkDocs => "method=GET route=\"/blobs/",
        Backend::LogicalDoc => "method=GET route=\"/download\"",
    };
    server.log().lines().filter(|l| l.contains(route)).count()
}

test_both!(
    fn reopening_an_unchanged_file_reuses_the_page_cache_and_a_new_version_is_seen(backend) {
        let server = Server::start();
        let api = Api::new(&server.base, ALICE);
        let (_, root, _) = api.me();
        api.upload(&root, "doc.txt", b"first version\n");
        let mount = Mount::on(backend, &server, ALICE, &["--metadata-ttl", "1"]);
        let path = mount.home().join("doc.txt");
        assert_eq!(std::fs::read(&path).unwrap(), b"first version\n");
        let after_first = content_gets(backend, &server);
        assert!(after_first > 0, "the first read downloaded nothing");
        assert_eq!(std::fs::read(&path).unwrap(), b"first version\n");
        assert_eq!(
            content_gets(backend, &server),
            after_first,
            "the second read came from the page cache"
        );
        // Another client uploads a new version (same name: a new version of the same document).
        let doc = api.id_at(&root, "doc.txt");
        let init = serde_json::json!({ "Id": doc, "DocumentSizeInBytes": 15 });
        let r = api.call("POST", "/api/v1/documents", Some(init));
        api.put_and_activate(&doc, &r, b"second version\n");
        std::thread::sleep(std::time::Duration::from_millis(1500));
        assert_eq!(std::fs::read(&path).unwrap(), b"second version\n");
    }
);
