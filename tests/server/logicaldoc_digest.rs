//! `digest` in WSDocument against a real `docsfs serve`: the SHA-1 (hex) of the content of the
//! version shown, for documents and new versions uploaded through LogicalDOC, for each record of
//! `getVersions`, after `replaceFile`, on a `copy`, and for content uploaded through WorkDocs.

use serde_json::Value;
use sha1::{Digest, Sha1};

use super::fixtures::{me, upload, upload_version};
use super::harness::{ALICE, Server};
use super::ld_client::{Ld, assert_no_content, id, json_of};

/// SHA-1("hello\n"), as `sha1sum` prints it.
const HELLO_SHA1: &str = "f572d396fae9206628714fb2ce00f72e94f2258f";

fn sha1_hex(bytes: &[u8]) -> String {
    hex::encode(Sha1::digest(bytes))
}

/// `(version, digest)` of each record `getVersions` answers for `doc`, newest first.
async fn version_digests(ld: &Ld, doc: &str) -> Vec<(String, String)> {
    let versions = ld.list("getVersions", &[("docId", doc)]).await;
    let field = |v: &Value, k: &str| v[k].as_str().unwrap_or_else(|| panic!("{k}: {v}")).into();
    versions
        .iter()
        .map(|v| (field(v, "version"), field(v, "digest")))
        .collect()
}

#[tokio::test]
async fn digest_is_the_sha1_of_the_version_shown() {
    assert_eq!(sha1_hex(b"hello\n"), HELLO_SHA1);
    let s = Server::start();
    let ld = Ld::documents(&s, "alice", ALICE);

    let n = ld
        .upload(&[("folderId", "4"), ("filename", "hello.txt")], b"hello\n")
        .await;
    let doc = n.to_string();
    assert_eq!(ld.document(n).await["digest"], HELLO_SHA1);

    let second = b"a second version\n";
    ld.upload(&[("docId", &doc), ("filename", "hello.txt")], second)
        .await;
    let d = ld.document(n).await;
    assert_eq!(
        (&d["version"], &d["digest"]),
        (&"1.1".into(), &sha1_hex(second).into())
    );
    let listed = ld.list("list", &[("folderId", "4")]).await;
    assert_eq!(
        listed[0]["digest"],
        sha1_hex(second),
        "listings carry it too"
    );
    assert_eq!(
        version_digests(&ld, &doc).await,
        [
            ("1.1".to_owned(), sha1_hex(second)),
            ("1.0".to_owned(), HELLO_SHA1.to_owned())
        ],
        "each version record has its own"
    );

    // replaceFile: the version's bytes and digest change, the other version's stay.
    let r = ld
        .post_multipart(
            "replaceFile",
            &[("docId", &doc), ("fileVersion", "1.0")],
            ("filedata", "x", b"replaced"),
        )
        .await;
    assert_no_content(r, "replaceFile").await;
    assert_eq!(
        version_digests(&ld, &doc).await,
        [
            ("1.1".to_owned(), sha1_hex(second)),
            ("1.0".to_owned(), sha1_hex(b"replaced"))
        ]
    );

    // A copy carries the digest of the content it was given.
    let c = json_of(
        ld.put("copy", &[("docId", &doc), ("folderId", "4")]).await,
        "copy",
    )
    .await;
    assert_eq!(c["digest"], sha1_hex(second));
    assert_eq!(ld.document(id(&c)).await["digest"], sha1_hex(second));

    // Content uploaded through WorkDocs has one too.
    let wa = s.alice();
    let home = me(&wa).await.root;
    let (wd, _) = upload(&wa, &home, "via-workdocs.txt", b"hello\n").await;
    upload_version(&wa, &wd, b"").await;
    let listed = ld.list("list", &[("folderId", "4")]).await;
    let found = listed
        .iter()
        .find(|d| d["fileName"] == "via-workdocs.txt")
        .unwrap_or_else(|| panic!("not listed: {listed:?}"));
    let versions = version_digests(&ld, &id(found).to_string()).await;
    assert_eq!(
        versions,
        [
            ("1.1".to_owned(), sha1_hex(b"")),
            ("1.0".to_owned(), HELLO_SHA1.to_owned())
        ]
    );
}
