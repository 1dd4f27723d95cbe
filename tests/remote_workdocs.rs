//! Integration tests of `WorkDocsRemote`, the WorkDocs REST client behind the mount: each test
//! runs an in-process `docsfs serve` on 127.0.0.1:0 (or a tiny stub for replies the server never
//! gives) and drives the client through the `Remote` trait over loopback.

#[path = "remote_workdocs/content.rs"]
mod content;
#[path = "remote_workdocs/failures.rs"]
mod failures;
#[path = "remote_workdocs/listing.rs"]
mod listing;
#[path = "remote_workdocs/support.rs"]
mod support;
