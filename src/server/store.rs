//! The server's durable state: one SQLite connection owned by one thread (the actor), reached
//! through a cloneable [`Store`] handle that sends it closures. SQLite is blocking, so the actor is
//! a plain thread rather than a tokio task; async handlers await a oneshot reply and never block
//! the runtime. Schema changes are numbered migrations tracked in `PRAGMA user_version`.
//! Document bytes live beside the database in the blob folder ([`blobs`]).

pub mod activities;
pub mod aliases;
pub mod blobs;
pub mod copies;
pub mod documents;
pub mod ld_ids;
pub mod listing;
pub mod locks;
pub mod rows;
pub mod schema;
pub mod sharing;
pub mod tags;
pub mod tree;
pub mod users;

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use rusqlite::{Connection, Transaction, TransactionBehavior};
use tokio::sync::oneshot;

use crate::server::error::ApiError;

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// Cloneable handle to the store actor.
#[derive(Clone)]
pub struct Store {
    jobs: mpsc::Sender<Job>,
    blobs: blobs::BlobDir,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot create data folder {0}: {1}")]
    DataDir(PathBuf, std::io::Error),
    #[error("cannot open database {0}: {1}")]
    Database(PathBuf, rusqlite::Error),
    #[error("database migration failed: {0}")]
    Migration(rusqlite::Error),
    #[error("the database is newer (schema {found}) than this docsfs understands ({known})")]
    TooNew { found: i64, known: i64 },
}

impl Store {
    /// Opens (creating if needed) `DATA/docsfs.sqlite3` and `DATA/blobs/`, migrates the schema and
    /// starts the actor thread. The thread ends when the last handle is dropped.
    pub fn open(data: &Path) -> Result<Self, OpenError> {
        std::fs::create_dir_all(data).map_err(|e| OpenError::DataDir(data.into(), e))?;
        let blobs = blobs::BlobDir::open(&data.join("blobs"))
            .map_err(|e| OpenError::DataDir(data.join("blobs"), e))?;
        let db_path = data.join("docsfs.sqlite3");
        let mut conn =
            Connection::open(&db_path).map_err(|e| OpenError::Database(db_path.clone(), e))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .and_then(|_| conn.pragma_update(None, "journal_mode", "WAL"))
            .and_then(|_| conn.pragma_update(None, "synchronous", "FULL"))
            .and_then(|_| conn.pragma_update(None, "foreign_keys", "ON"))
            .map_err(|e| OpenError::Database(db_path.clone(), e))?;
        schema::migrate(&mut conn)?;
        let (jobs, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("docsfs-store".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    job(&mut conn);
                }
            })
            .map_err(|e| OpenError::DataDir(data.into(), e))?;
        Ok(Self { jobs, blobs })
    }

    pub fn blobs(&self) -> &blobs::BlobDir {
        &self.blobs
    }

    /// Runs `f` on the actor thread inside one transaction and returns its result; the
    /// transaction commits when `f` succeeds and rolls back when it fails.
    async fn run<T, F>(&self, behavior: TransactionBehavior, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, ApiError> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = conn
                .transaction_with_behavior(behavior)
                .map_err(ApiError::from)
                .and_then(|tx| {
                    let out = f(&tx)?;
                    tx.commit()?;
                    Ok(out)
                });
            let _ = reply.send(result);
        });
        self.jobs
            .send(job)
            .map_err(|_| ApiError::Unavailable("store stopped".into()))?;
        rx.await
            .map_err(|_| ApiError::Unavailable("store job failed".into()))?
    }

    /// Runs `f` in a deferred transaction: one consistent snapshot for everything it reads (and
    /// one WAL read lock instead of one per statement).
    pub async fn call<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, ApiError> + Send + 'static,
    {
        self.run(TransactionBehavior::Deferred, f).await
    }

    /// Runs `f` inside one immediate (write) transaction: all of it commits, or none.
    pub async fn tx<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, ApiError> + Send + 'static,
    {
        self.run(TransactionBehavior::Immediate, f).await
    }
}
