//! Content through signed URLs: Range reads, expiry, tampering, and the checks on uploads.

use serde_json::json;
use sha2::{Digest, Sha256};

use super::fixtures::{fetch, me, put_content, read_document, source_url, upload};
use super::harness::Server;

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[tokio::test]
async fn downloads_honour_range() {
    let s = Server::start();
    let (c, root) = (s.alice(), me(&s.alice()).await.root);
    let data = pattern(1000);
    let (doc, v) = upload(&c, &root, "r.bin", &data).await;
    let url = source_url(&c, &doc, &v).await;
    let (status, h, body) = fetch(&url, None).await;
    assert_eq!((status, body.as_slice()), (200, data.as_slice()));
    assert_eq!(h["accept-ranges"], "bytes");
    assert_eq!(h["content-length"], "1000");
    let (status, h, body) = fetch(&url, Some("bytes=10-19")).await;
    assert_eq!((status, body.as_slice()), (206, &data[10..20]));
    assert_eq!(h["content-range"], "bytes 10-19/1000");
    let (status, _, body) = fetch(&url, Some("bytes=990-")).await;
    assert_eq!((status, body.as_slice()), (206, &data[990..]));
    let (status, h, body) = fetch(&url, Some("bytes=-5")).await;
    assert_eq!((status, body.as_slice()), (206, &data[995..]));
    assert_eq!(h["content-range"], "bytes 995-999/1000");
    let (status, _, body) = fetch(&url, Some("bytes=900-5000")).await;
    assert_eq!((status, body.as_slice()), (206, &data[900..]));
    let (status, h, _) = fetch(&url, Some("bytes=1000-")).await;
    assert_eq!(status, 416);
    assert_eq!(h["content-range"], "bytes */1000");
}

#[tokio::test]
async fn tampered_urls_are_refused() {
    let s = Server::start();
    let (c, root) = (s.alice(), me(&s.alice()).await.root);
    let (doc, v) = upload(&c, &root, "t.txt", b"secret").await;
    let (other, _) = upload(&c, &root, "u.txt", b"other").await;
    let url = source_url(&c, &doc, &v).await;
    let flip = |u: &str| {
        let last = u.chars().last().unwrap();
        format!(
            "{}{}",
            &u[..u.len() - 1],
            if last == '0' { '1' } else { '0' }
        )
    };
    let (status, _, body) = fetch(&flip(&url), None).await;
    assert_eq!(status, 403);
    assert!(String::from_utf8_lossy(&body).contains("SignatureDoesNotMatch"));
    let later = url.replace("X-Docsfs-Expires=", "X-Docsfs-Expires=9");
    assert_eq!(fetch(&later, None).await.0, 403);
    let other_version = read_version_id(&c, &other).await;
    let swapped = url.replace(&v, &other_version);
    assert_eq!(fetch(&swapped, None).await.0, 403);
    let unsigned = url.split('?').next().unwrap().to_owned();
    assert_eq!(fetch(&unsigned, None).await.0, 403);
    // A download URL does not upload.
    let put = reqwest::Client::new()
        .put(&url)
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status().as_u16(), 403);
    assert_eq!(read_document(&c, &doc).await, b"secret");
}

async fn read_version_id(c: &super::client::ApiClient, doc: &str) -> String {
    let d = c
        .call("GetDocument", json!({ "DocumentId": doc }))
        .await
        .ok();
    d["Metadata"]["LatestVersionMetadata"]["Id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn urls_expire() {
    let s = Server::start_with(&["--url-ttl", "1"]);
    let (c, root) = (s.alice(), me(&s.alice()).await.root);
    let init = c
        .call(
            "InitiateDocumentVersionUpload",
            json!({ "ParentFolderId": root, "Name": "late", "DocumentSizeInBytes": 1 }),
        )
        .await
        .ok();
    let (doc, v) = upload(&c, &root, "e.txt", b"e").await;
    let url = source_url(&c, &doc, &v).await;
    assert_eq!(fetch(&url, None).await.0, 200);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let (status, _, body) = fetch(&url, None).await;
    assert_eq!(status, 403);
    assert!(String::from_utf8_lossy(&body).contains("expired"));
    assert_eq!(put_content(&init["UploadMetadata"], b"x").await, 403);
    // A fresh URL works again.
    assert_eq!(fetch(&source_url(&c, &doc, &v).await, None).await.0, 200);
}

#[tokio::test]
async fn uploads_need_the_signed_headers_and_the_declared_size() {
    let s = Server::start();
    let (c, root) = (s.alice(), me(&s.alice()).await.root);
    let init = c
        .call(
            "InitiateDocumentVersionUpload",
            json!({ "ParentFolderId": root, "Name": "p.txt", "DocumentSizeInBytes": 5, "ContentType": "text/plain" }),
        )
        .await
        .ok();
    let up = &init["UploadMetadata"];
    let url = up["UploadUrl"].as_str().unwrap();
    let http = reqwest::Client::new();
    let send = |ct: Option<&str>, sse: bool, body: &'static [u8]| {
        let mut req = http.put(url).body(body);
        if let Some(ct) = ct {
            req = req.header("Content-Type", ct);
        }
        if sse {
            req = req.header("x-amz-server-side-encryption", "AES256");
        }
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(send(Some("text/plain"), false, b"12345").await, 403);
    assert_eq!(send(Some("text/html"), true, b"12345").await, 403);
    assert_eq!(send(None, true, b"12345").await, 403);
    assert_eq!(send(Some("text/plain"), true, b"1234").await, 400);
    assert_eq!(send(Some("text/plain"), true, b"123456").await, 400);
    assert_eq!(send(Some("text/plain"), true, b"12345").await, 200);
    let doc = init["Metadata"]["Id"].as_str().unwrap();
    let version = init["Metadata"]["LatestVersionMetadata"]["Id"]
        .as_str()
        .unwrap();
    c.call(
        "UpdateDocumentVersion",
        json!({ "DocumentId": doc, "VersionId": version, "VersionStatus": "ACTIVE" }),
    )
    .await
    .ok();
    // Once active, a version's content is fixed.
    assert_eq!(send(Some("text/plain"), true, b"abcde").await, 403);
    assert_eq!(read_document(&c, doc).await, b"12345");
}

#[tokio::test]
async fn large_content_streams_both_ways() {
    let s = Server::start();
    let (c, root) = (s.alice(), me(&s.alice()).await.root);
    let data = pattern(24 << 20);
    let (doc, _) = upload(&c, &root, "big.bin", &data).await;
    let back = read_document(&c, &doc).await;
    assert_eq!(back.len(), data.len());
    assert_eq!(Sha256::digest(&back), Sha256::digest(&data));
    let d = c
        .call("GetDocument", json!({ "DocumentId": doc }))
        .await
        .ok();
    assert_eq!(
        d["Metadata"]["LatestVersionMetadata"]["Signature"],
        hex::encode(Sha256::digest(&data))
    );
}
