//! Integration tests of `WorkDocsRemote`, the WorkDocs REST client behind the mount: each test
//! runs an in-process `docsfs serve` on 127.0.0.1:0 (or a tiny stub for replies the server never
//! gives) and drives the client through the `Remote` trait over loopback.

#[path = "remote_workdocs/content.rs"]
mod content;
#[path = "remote_workdocs/failures.rs"]
mod failures;
#[path = "remote_workdocs/listing.rs"]
mod listing;
#[path = "remote_workdocs/proxy.rs"]
mod proxy;
#[path = "remote_workdocs/support.rs"]
mod support;
#[path = "remote_workdocs/upload_failures.rs"]
mod upload_failures;
#[path = "remote_workdocs/uploads.rs"]
mod uploads;
#[path = "remote_workdocs/versions.rs"]
mod versions;
#[path = "remote_workdocs/writes.rs"]
mod writes;
