//! Integration tests of `LogicalDocRemote`, the LogicalDOC REST client behind
//! `docsfs mount --backend logicaldoc`: each test runs an in-process `docsfs serve` on
//! 127.0.0.1:0 (arranging content through its WorkDocs API, the same store) or a tiny stub for
//! answers only other LogicalDOC versions give, and drives the client through the `Remote`
//! trait over loopback.

#[path = "remote_logicaldoc/ld.rs"]
mod ld;
#[path = "remote_logicaldoc/listing.rs"]
mod listing;
#[path = "remote_logicaldoc/sessions.rs"]
mod sessions;
#[path = "remote_workdocs/support.rs"]
mod support;
#[path = "remote_logicaldoc/tolerant.rs"]
mod tolerant;
#[path = "remote_logicaldoc/versions.rs"]
mod versions;
#[path = "remote_logicaldoc/writes.rs"]
mod writes;
