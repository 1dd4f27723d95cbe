//! The entry points of the fuzz targets (`fuzz/`, see docs/ARCHITECTURE.md): the parsers that
//! read what a document server sends, which are otherwise private to the backend clients. Not an
//! API: nothing else should use these paths. The server's own request parsing needs nothing
//! here: its modules are public, and `server::in_process` gives its routes without a listener.

/// What the WorkDocs client reads: response bodies (`wire`), error answers (`errors`), the
/// headers an upload URL was signed with (`put`) and the expiry of signed content URLs
/// (`content`).
pub mod workdocs {
    pub use crate::remote::workdocs::content::{Source, UrlCache};
    pub use crate::remote::workdocs::errors::WireError;
    pub use crate::remote::workdocs::put::signed_headers;
    pub use crate::remote::workdocs::wire::*;
}

/// What the LogicalDOC client reads: JSON answers (`parse_json`, `json`), its shapes and dates
/// (`wire`), error answers (`errors`) and the session id a login answers.
pub mod logicaldoc {
    pub use crate::remote::logicaldoc::errors::from_answer;
    pub use crate::remote::logicaldoc::parse_json;
    pub use crate::remote::logicaldoc::session::session_id;

    pub mod json {
        pub use crate::remote::logicaldoc::json::*;
    }

    pub mod wire {
        pub use crate::remote::logicaldoc::wire::*;
    }
}

/// What every client reads of a content download's answer.
pub mod http {
    pub use crate::remote::http::wanted_part;
}
