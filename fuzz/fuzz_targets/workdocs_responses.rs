//! Fuzzes everything the WorkDocs client makes of a server's answer: the success bodies of every
//! operation it calls (`wire::parse` into each response type, then `into_node`/`into_nodes`,
//! `role`, `next_marker`, the timestamps and mtime labels), the signed headers and URL of an
//! upload (`put::signed_headers`, `ServerUrls::allows`), the expiry of a content URL (the URL
//! cache), error answers (`WireError::new` with `x-amzn-ErrorType`, `Retry-After` and the body,
//! then `to_remote` and `is_retryable`), and the headers of a ranged download
//! (`http::wanted_part`). The input is an answer as text (`common`); every parser reads it.
//! No parser may panic, whatever the bytes.

#![no_main]

mod common;

use docsfs::fuzzing::http::wanted_part;
use docsfs::fuzzing::workdocs::{
    self as wd, GetCurrentUser, GetDocument, GetDocumentVersion, GetFolder, InitiateUpload,
    Listing, Permissions, Source, UrlCache, WireError,
};
use docsfs::remote::http::ServerUrls;
use libfuzzer_sys::fuzz_target;

/// The client's rule for URLs in answers, for a loopback endpoint with and without
/// `--allow-insecure-http`.
fn url_rules() -> [ServerUrls; 2] {
    [
        ServerUrls::new("http://127.0.0.1:8080", false),
        ServerUrls::new("http://127.0.0.1:8080", true),
    ]
}

fn check_url(url: &str) {
    for rule in url_rules() {
        let _ = rule.allows(url);
    }
    let cache = UrlCache::default();
    let source = Source {
        url: url.to_owned(),
        size: Some(1),
    };
    cache.put("d", "v", &source);
    let _ = cache.get("d", "v").map(|s| s.url == url);
    cache.forget("d", "v");
}

fuzz_target!(|data: &[u8]| {
    let answer = common::answer(data);
    let body = answer.body;

    // Success bodies, each as the operation that reads it.
    if let Ok(me) = wd::parse::<GetCurrentUser>("GetCurrentUser", body) {
        let _ = (
            me.user.id,
            me.user.root_folder_id,
            me.user.recycle_bin_folder_id,
        );
    }
    if let Ok(f) = wd::parse::<GetFolder>("GetFolder", body) {
        let _ = f.metadata.into_node("GetFolder", false);
    }
    for (op, recycled) in [
        ("DescribeFolderContents", false),
        ("DescribeFolderContents", true),
        ("GetResources", false),
    ] {
        if let Ok(listing) = wd::parse::<Listing>(op, body) {
            let _ = wd::next_marker(listing.marker.clone());
            let _ = listing.into_nodes(op, recycled);
        }
    }
    if let Ok(d) = wd::parse::<GetDocument>("GetDocument", body) {
        let _ = d.metadata.into_node("GetDocument", false);
    }
    if let Ok(up) = wd::parse::<InitiateUpload>("InitiateDocumentVersionUpload", body) {
        if let Some(meta) = up.upload_metadata {
            let _ = wd::signed_headers(meta.signed_headers);
            if let Some(url) = meta.upload_url {
                check_url(&url);
            }
        }
        let _ = up
            .metadata
            .into_node("InitiateDocumentVersionUpload", false);
    }
    if let Ok(v) = wd::parse::<GetDocumentVersion>("GetDocumentVersion", body) {
        let _ = wd::time(
            "GetDocumentVersion",
            "x",
            v.metadata.content_modified_timestamp,
        );
        if let Some(url) = v.metadata.source.unwrap_or_default().remove("ORIGINAL") {
            check_url(&url);
        }
    }
    if let Ok(p) = wd::parse::<Permissions>("DescribeResourcePermissions", body) {
        let _ = wd::next_marker(p.marker);
        let roles = p.principals.into_iter().flatten().flat_map(|p| p.roles);
        let best = roles
            .flatten()
            .filter_map(|r| r.role.as_deref().and_then(wd::role))
            .max();
        let _ = best;
    }

    // The answer as an error.
    let error = WireError::new(answer.status, &answer.headers, body);
    let _ = error.is_retryable();
    let _ = error.to_remote("Op").to_string();

    // The answer as a ranged download's.
    for &range in common::RANGES {
        for partial in [false, true] {
            if let Some((skip, keep)) = wanted_part(partial, &answer.headers, range) {
                assert!(keep <= range.1 - range.0, "more bytes kept than asked for");
                let _ = skip;
            }
        }
    }
});
