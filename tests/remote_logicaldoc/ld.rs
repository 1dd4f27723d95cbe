//! Shared pieces of the `LogicalDocRemote` tests: constructors for the client under test (a
//! password, an API key; a recycle-bin record folder), and listing helpers.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use docsfs::remote::logicaldoc::{LogicalDocAuth, LogicalDocConfig, LogicalDocRemote};
use docsfs::remote::{Collection, Node, Remote};

pub fn password(user: &str, secret: &str) -> LogicalDocAuth {
    LogicalDocAuth::Password {
        user: user.into(),
        password: secret.into(),
    }
}

/// A client as `user` with `secret` as password, its recycle-bin record in `trash`.
pub fn client(endpoint: &str, auth: LogicalDocAuth, trash: Option<&Path>) -> LogicalDocRemote {
    LogicalDocRemote::new(LogicalDocConfig {
        endpoint: endpoint.into(),
        auth,
        timeout: Duration::from_secs(10),
        trash_dir: trash.map(Path::to_path_buf),
        allow_insecure_http: false,
    })
    .expect("valid configuration")
}

/// Every item of a listing, and how many pages it took.
pub async fn list_all(r: &LogicalDocRemote, what: &Collection) -> (usize, Vec<Node>) {
    let (mut pages, mut items, mut marker) = (0, Vec::new(), None::<String>);
    loop {
        let page = r.list(what, marker.as_deref()).await.expect("list");
        pages += 1;
        items.extend(page.items);
        match page.next_marker {
            Some(m) => marker = Some(m),
            None => return (pages, items),
        }
    }
}

pub fn named<'a>(items: &'a [Node], name: &str) -> &'a Node {
    items.iter().find(|n| n.name == name).unwrap_or_else(|| {
        panic!(
            "{name} not in {:?}",
            items.iter().map(|n| &n.name).collect::<Vec<_>>()
        )
    })
}

/// The LogicalDOC id of the Default workspace (the caller's home).
pub const DEFAULT: &str = "4";
