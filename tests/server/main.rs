//! Integration tests of `docsfs serve`: a real server process on 127.0.0.1:0 per test, driven over
//! loopback by a model-driven client that checks every response against the WorkDocs service
//! model (status code, member names and types, required members, enums, error names).

mod activity;
mod client;
mod content;
mod coverage;
mod fixtures;
mod harness;
mod identity;
mod import;
mod isolation;
mod ld_client;
mod logicaldoc_acl;
mod logicaldoc_aliases;
mod logicaldoc_attributes;
mod logicaldoc_auth;
mod logicaldoc_digest;
mod logicaldoc_doc_updates;
mod logicaldoc_document_writes;
mod logicaldoc_documents;
mod logicaldoc_folder_copy;
mod logicaldoc_folder_paths;
mod logicaldoc_folder_writes;
mod logicaldoc_folders;
mod logicaldoc_locks;
mod model;
mod paging;
mod persistence;
mod recycle;
mod robustness;
mod sdk;
mod sharing;
mod tree;
