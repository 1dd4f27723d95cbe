//! docsfs: mount a document-management service as an ordinary directory. This crate holds the
//! embedded document server (`server`), shared protocol pieces (`sigv4`, `clock`) and the CLI.

pub mod cli;
pub mod clock;
pub mod fs;
#[doc(hidden)]
pub mod fuzzing;
pub mod mount;
pub mod remote;
pub mod server;
pub mod sigv4;
