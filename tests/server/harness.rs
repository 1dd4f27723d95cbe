//! The server process guard of `tests/common/server_process.rs`, with model-checked clients for
//! its users.

#[path = "../common/server_process.rs"]
mod server_process;

pub use server_process::*;

use super::client::{ApiClient, Auth};

impl Server {
    pub fn client(&self, auth: Auth) -> ApiClient {
        ApiClient::new(&self.base, auth)
    }

    pub fn alice(&self) -> ApiClient {
        self.client(Auth::Token(ALICE.into()))
    }

    pub fn bob(&self) -> ApiClient {
        self.client(Auth::Token(BOB.into()))
    }

    pub fn carol(&self) -> ApiClient {
        self.client(Auth::Token(CAROL.into()))
    }

    pub fn admin(&self) -> ApiClient {
        self.client(Auth::Admin(admin_key()))
    }
}
