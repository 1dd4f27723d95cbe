//! The mount's control socket: how `docsfs share`, `unshare`, `shares` and `activity` reach the
//! daemon that holds the credentials, so the command itself never holds any. One Unix socket per
//! mount in a private folder ([`socket_dir`]: `/run/docsfs` for root, else
//! `$XDG_RUNTIME_DIR/docsfs`, else `/tmp/docsfs-<uid>`; created 0700 and refused when someone
//! else owns it or others may enter it), named by a digest of the canonical mountpoint
//! ([`socket_path`]) so it fits in `sun_path`. Only a peer whose `SO_PEERCRED` uid is the
//! daemon's or root's is answered. The protocol is one JSON request line and one JSON answer
//! line, versioned (`"v": 1`); an item is named by its inode number, which is the one `stat`
//! shows inside the mount. The socket file is removed when the mount ends (and a stale one
//! replaced when it starts).

use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

use crate::fs::Fs;
use crate::remote::{
    ActivityEntry, NodeKind, PrincipalKind, Remote, RemoteError, Role, Share, ShareRequest,
};

/// The protocol's version; a request of another is refused.
pub const VERSION: u32 = 1;
/// A request line longer than this is refused.
const MAX_REQUEST: u64 = 64 << 10;
/// How long a client may take to send its request.
const REQUEST_TIME: Duration = Duration::from_secs(10);
/// The most activity entries one request returns.
const MAX_ACTIVITY: usize = 10_000;
/// The longest path a Unix socket address holds (`sun_path`, with its terminating NUL).
const SUN_PATH_MAX: usize = 107;

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("the control socket folder {0}: {1}")]
    Dir(PathBuf, String),
    #[error("cannot listen on the control socket {0}: {1}")]
    Bind(PathBuf, std::io::Error),
}

/// Where control sockets live for a process of effective uid `euid`, given `$XDG_RUNTIME_DIR`.
pub fn socket_dir_for(euid: u32, xdg_runtime_dir: Option<&std::ffi::OsStr>) -> PathBuf {
    if euid == 0 {
        return PathBuf::from("/run/docsfs");
    }
    match xdg_runtime_dir.map(Path::new) {
        Some(dir) if dir.is_absolute() => dir.join("docsfs"),
        _ => PathBuf::from(format!("/tmp/docsfs-{euid}")),
    }
}

/// Where this process's control sockets live.
pub fn socket_dir() -> PathBuf {
    // SAFETY: geteuid cannot fail and touches no memory.
    let euid = unsafe { libc::geteuid() };
    socket_dir_for(euid, std::env::var_os("XDG_RUNTIME_DIR").as_deref())
}

/// The socket's file name for a canonical mountpoint: the first 16 bytes of its SHA-256, hex.
pub fn socket_name(mountpoint: &Path) -> String {
    use sha2::{Digest, Sha256};
    use std::os::unix::ffi::OsStrExt;
    let digest = Sha256::digest(mountpoint.as_os_str().as_bytes());
    format!("{}.sock", hex::encode(&digest[..16]))
}

/// The control socket of the mount at `mountpoint` (canonical).
pub fn socket_path(mountpoint: &Path) -> PathBuf {
    socket_dir().join(socket_name(mountpoint))
}

/// Checks that `dir` is a folder (not a link) owned by this process's user and closed to
/// everyone else.
pub fn check_dir(dir: &Path) -> Result<(), ControlError> {
    let bad = |why: String| ControlError::Dir(dir.to_path_buf(), why);
    let meta = std::fs::symlink_metadata(dir).map_err(|e| bad(e.to_string()))?;
    if !meta.file_type().is_dir() {
        return Err(bad("is not a folder".into()));
    }
    // SAFETY: geteuid cannot fail and touches no memory.
    let euid = unsafe { libc::geteuid() };
    if meta.uid() != euid {
        return Err(bad(format!(
            "belongs to uid {}, not to this user (uid {euid})",
            meta.uid()
        )));
    }
    if meta.mode() & 0o077 != 0 {
        return Err(bad(format!(
            "may be entered by other users (mode {:o}); it must be 0700",
            meta.mode() & 0o777
        )));
    }
    Ok(())
}

/// Creates the socket folder (0700) if needed and checks it.
fn prepare_dir(dir: &Path) -> Result<(), ControlError> {
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(ControlError::Dir(dir.to_path_buf(), e.to_string())),
    }
    check_dir(dir)
}

/// Whether a peer of uid `peer` may use the socket of a daemon running as `own`.
pub fn peer_allowed(peer: u32, own: u32) -> bool {
    peer == own || peer == 0
}

/// A request: the version and the operation.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Request {
    pub v: u32,
    #[serde(flatten)]
    pub op: Op,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    Shares {
        ino: u64,
    },
    Share {
        ino: u64,
        with: String,
        /// `viewer`, `contributor` or `coowner`.
        role: String,
        notify: Option<String>,
    },
    Unshare {
        ino: u64,
        with: String,
    },
    Activity {
        /// `None`: everything the mount's user may see.
        ino: Option<u64>,
        since_ms: Option<i64>,
        limit: usize,
    },
}

impl Op {
    fn name(&self) -> &'static str {
        match self {
            Op::Shares { .. } => "listing shares",
            Op::Share { .. } => "sharing",
            Op::Unshare { .. } => "unsharing",
            Op::Activity { .. } => "activity",
        }
    }
}

/// The answer to a request.
#[derive(Clone, Debug, Serialize, Deserialize, Default)]
pub struct Response {
    pub v: u32,
    pub ok: bool,
    /// The mount's backend (`WorkDocs`, `LogicalDOC`).
    pub backend: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Failure>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shares: Option<Vec<ShareOut>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<Vec<ActivityOut>>,
}

/// Why a request failed: a kind a script can test (`unsupported`, `not_found`, `denied`,
/// `invalid`, `unavailable`, `not_an_item`, `protocol`) and one line for people.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Failure {
    pub kind: String,
    pub message: String,
}

/// One share as `docsfs shares --json` prints it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ShareOut {
    pub id: String,
    /// `user`, `group`, `invite`, `anonymous`, `organization`.
    #[serde(rename = "type")]
    pub principal_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `viewer`, `contributor`, `coowner`, `owner`.
    pub role: String,
    pub inherited: bool,
}

/// One event as `docsfs activity --json` prints it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ActivityOut {
    /// RFC 3339, UTC, milliseconds.
    pub time: String,
    pub actor: String,
    /// The store's name, e.g. `DOCUMENT_RENAMED`.
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// `folder` or `document`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_parent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub participants: Vec<String>,
}

pub fn role_word(role: Role) -> &'static str {
    match role {
        Role::Viewer => "viewer",
        Role::Contributor => "contributor",
        Role::Coowner => "coowner",
        Role::Owner => "owner",
    }
}

fn parse_role(s: &str) -> Option<Role> {
    match s.to_ascii_lowercase().as_str() {
        "viewer" => Some(Role::Viewer),
        "contributor" => Some(Role::Contributor),
        "coowner" | "co-owner" => Some(Role::Coowner),
        _ => None,
    }
}

fn share_out(s: Share) -> ShareOut {
    let principal_type = match s.principal.kind {
        PrincipalKind::User => "user",
        PrincipalKind::Group => "group",
        PrincipalKind::Invite => "invite",
        PrincipalKind::Anonymous => "anonymous",
        PrincipalKind::Organization => "organization",
    };
    ShareOut {
        id: s.principal.id,
        principal_type: principal_type.into(),
        name: s.principal.name,
        email: s.principal.email,
        role: role_word(s.role).into(),
        inherited: s.inherited,
    }
}

fn ms_of(t: SystemTime) -> i64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    }
}

fn activity_out(a: ActivityEntry) -> ActivityOut {
    ActivityOut {
        time: crate::clock::format_iso8601_ms(ms_of(a.time)),
        actor: a.actor,
        action: a.action,
        item: a.item_name,
        item_type: a.item_kind.map(|k| match k {
            NodeKind::Folder | NodeKind::Link => "folder".into(),
            NodeKind::Document => "document".into(),
        }),
        item_id: a.item_id,
        old_name: a.old_name,
        old_parent: a.old_parent,
        version: a.version,
        participants: a.participants,
    }
}

/// What a failed store call comes to.
fn failure_of(e: RemoteError, op: &Op, backend: &str) -> Failure {
    let (kind, message) = match e {
        RemoteError::Unsupported(m) => (
            "unsupported",
            format!(
                "{} is not supported on this {backend} mount: {m}",
                op.name()
            ),
        ),
        e @ RemoteError::NotFound(_) => ("not_found", e.to_string()),
        e @ (RemoteError::Denied(_) | RemoteError::Unauthenticated(_)) => ("denied", e.to_string()),
        e
        @ (RemoteError::Invalid(_) | RemoteError::AlreadyExists(_) | RemoteError::Conflict(_)) => {
            ("invalid", e.to_string())
        }
        e @ (RemoteError::Unavailable { .. }
        | RemoteError::Timeout(_)
        | RemoteError::Network(_)) => ("unavailable", e.to_string()),
        e @ (RemoteError::Protocol(_) | RemoteError::Corrupt(_)) => ("protocol", e.to_string()),
    };
    Failure {
        kind: kind.into(),
        message,
    }
}

fn failed(backend: &str, kind: &str, message: String) -> Response {
    Response {
        v: VERSION,
        ok: false,
        backend: backend.into(),
        error: Some(Failure {
            kind: kind.into(),
            message,
        }),
        ..Response::default()
    }
}

/// A live control socket; dropping it stops answering and removes the socket file.
pub type Control = super::FileTask;

/// Listens on the control socket of the mount at `mountpoint` (canonical), answering with
/// `core`; `backend` names the store in messages. Must run inside the runtime.
pub fn start<R: Remote>(
    core: Arc<Fs<R>>,
    mountpoint: &Path,
    backend: &'static str,
) -> Result<Control, ControlError> {
    let dir = socket_dir();
    prepare_dir(&dir)?;
    let path = dir.join(socket_name(mountpoint));
    if path.as_os_str().len() > SUN_PATH_MAX {
        return Err(ControlError::Dir(
            dir,
            "is too deep for a socket address; set XDG_RUNTIME_DIR to a shorter path".into(),
        ));
    }
    // A socket left by a daemon that was killed (the mountpoint is ours now).
    match std::fs::remove_file(&path) {
        Ok(()) => tracing::debug!(socket = %path.display(), "replaced a stale control socket"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(ControlError::Bind(path, e)),
    }
    let listener = UnixListener::bind(&path).map_err(|e| ControlError::Bind(path.clone(), e))?;
    // SAFETY: geteuid cannot fail and touches no memory.
    let own = unsafe { libc::geteuid() };
    let task = tokio::spawn(async move {
        loop {
            let stream = match listener.accept().await {
                Ok((s, _)) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "control socket: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            match stream.peer_cred() {
                Ok(cred) if peer_allowed(cred.uid(), own) => {
                    tokio::spawn(serve_one(core.clone(), backend, stream));
                }
                Ok(cred) => {
                    tracing::warn!(
                        peer_uid = cred.uid(),
                        "control socket: refused a client of another user"
                    );
                }
                Err(e) => tracing::warn!(error = %e, "control socket: no peer credentials"),
            }
        }
    });
    tracing::debug!(socket = %path.display(), "control socket listening");
    Ok(Control { path, task })
}

/// Reads one request from `stream` and writes its answer.
async fn serve_one<R: Remote>(core: Arc<Fs<R>>, backend: &'static str, stream: UnixStream) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read.take(MAX_REQUEST));
    let mut line = String::new();
    let response = match tokio::time::timeout(REQUEST_TIME, reader.read_line(&mut line)).await {
        Err(_) => failed(backend, "invalid", "no request within 10 s".into()),
        Ok(Err(e)) => failed(backend, "invalid", format!("cannot read the request: {e}")),
        Ok(Ok(_)) => match serde_json::from_str::<Request>(&line) {
            Ok(req) if req.v == VERSION => answer(&core, backend, req.op).await,
            Ok(req) => failed(
                backend,
                "invalid",
                format!(
                    "protocol version {} is not this daemon's ({VERSION}); use the docsfs that \
                     mounted it",
                    req.v
                ),
            ),
            Err(e) => failed(backend, "invalid", format!("not a request: {e}")),
        },
    };
    let mut out = serde_json::to_vec(&response).unwrap_or_default();
    out.push(b'\n');
    if let Err(e) = write.write_all(&out).await {
        tracing::debug!(error = %e, "control socket: the client went away");
    }
}

/// Carries out one operation.
async fn answer<R: Remote>(core: &Fs<R>, backend: &'static str, op: Op) -> Response {
    match carry_out(core, backend, &op).await {
        Ok(r) => r,
        Err(f) => failed(backend, &f.kind, f.message),
    }
}

async fn carry_out<R: Remote>(
    core: &Fs<R>,
    backend: &'static str,
    op: &Op,
) -> Result<Response, Failure> {
    let item = |ino: u64| {
        core.item_of(ino).map_err(|e| Failure {
            kind: "not_an_item".into(),
            message: e.to_string(),
        })
    };
    let fail = |e: RemoteError| failure_of(e, op, backend);
    let remote = core.remote();
    let mut ok = Response {
        v: VERSION,
        ok: true,
        backend: backend.into(),
        ..Response::default()
    };
    match op {
        Op::Shares { ino } => {
            let it = item(*ino)?;
            let shares = remote.shares(&it.id, it.kind).await.map_err(fail)?;
            ok.shares = Some(shares.into_iter().map(share_out).collect());
        }
        Op::Share {
            ino,
            with,
            role,
            notify,
        } => {
            let it = item(*ino)?;
            let role = parse_role(role).ok_or_else(|| Failure {
                kind: "invalid".into(),
                message: format!("unknown role {role:?}: viewer, contributor or coowner"),
            })?;
            let request = ShareRequest {
                with: with.clone(),
                role,
                notify: notify.clone(),
            };
            tracing::info!(item = %it.id, role = role_word(role), "sharing");
            remote
                .share(&it.id, it.kind, &request)
                .await
                .map_err(fail)?;
        }
        Op::Unshare { ino, with } => {
            let it = item(*ino)?;
            tracing::info!(item = %it.id, "unsharing");
            remote.unshare(&it.id, it.kind, with).await.map_err(fail)?;
        }
        Op::Activity {
            ino,
            since_ms,
            limit,
        } => {
            let it = ino.map(item).transpose()?;
            // The mount root: everything the user may see, not only their own folder.
            let target = it.as_ref().filter(|i| !i.root).map(|i| (&i.id, i.kind));
            let since = since_ms.map(crate::clock::ms_to_system_time);
            let list = remote
                .activity(target, since, (*limit).clamp(1, MAX_ACTIVITY))
                .await
                .map_err(fail)?;
            ok.activity = Some(list.into_iter().map(activity_out).collect());
        }
    }
    Ok(ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_folder_depends_on_who_runs_it() {
        assert_eq!(socket_dir_for(0, None), Path::new("/run/docsfs"));
        let xdg = std::ffi::OsStr::new("/run/user/1000");
        assert_eq!(socket_dir_for(0, Some(xdg)), Path::new("/run/docsfs"));
        assert_eq!(
            socket_dir_for(1000, Some(xdg)),
            Path::new("/run/user/1000/docsfs")
        );
        let relative = std::ffi::OsStr::new("run");
        assert_eq!(
            socket_dir_for(1000, Some(relative)),
            Path::new("/tmp/docsfs-1000")
        );
        assert_eq!(socket_dir_for(1000, None), Path::new("/tmp/docsfs-1000"));
    }

    #[test]
    fn the_socket_name_is_a_short_digest_of_the_mountpoint() {
        let a = socket_name(Path::new("/mnt/docs"));
        assert_eq!(a.len(), 32 + ".sock".len());
        assert!(a.ends_with(".sock"));
        assert_ne!(a, socket_name(Path::new("/mnt/docs2")));
        assert_eq!(a, socket_name(Path::new("/mnt/docs")));
        let deep = Path::new("/run/user/4294967294/docsfs").join(&a);
        assert!(deep.as_os_str().len() <= SUN_PATH_MAX);
    }

    #[test]
    fn only_the_same_user_and_root_are_answered() {
        assert!(peer_allowed(1000, 1000));
        assert!(peer_allowed(0, 1000));
        assert!(!peer_allowed(1001, 1000));
        assert!(peer_allowed(0, 0));
        assert!(!peer_allowed(1000, 0));
    }

    #[test]
    fn a_folder_others_may_enter_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("docsfs");
        prepare_dir(&dir).unwrap();
        assert_eq!(
            std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let err = prepare_dir(&dir).unwrap_err().to_string();
        assert!(err.contains("0700"), "{err}");
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(tmp.path(), &link).unwrap();
        assert!(check_dir(&link).is_err());
    }

    #[test]
    fn requests_are_one_versioned_json_object() {
        let req = Request {
            v: VERSION,
            op: Op::Share {
                ino: 42,
                with: "bob".into(),
                role: "viewer".into(),
                notify: None,
            },
        };
        let text = serde_json::to_string(&req).unwrap();
        assert!(
            text.contains(r#""v":1"#) && text.contains(r#""op":"share""#),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<Request>(&text).unwrap(), req);
        let activity: Request =
            serde_json::from_str(r#"{"v":1,"op":"activity","ino":null,"since_ms":null,"limit":5}"#)
                .unwrap();
        assert!(matches!(activity.op, Op::Activity { limit: 5, .. }));
    }

    #[test]
    fn an_unsupported_operation_names_the_backend_and_the_operation() {
        let op = Op::Activity {
            ino: None,
            since_ms: None,
            limit: 1,
        };
        let f = failure_of(
            RemoteError::Unsupported("no history service".into()),
            &op,
            "LogicalDOC",
        );
        assert_eq!(f.kind, "unsupported");
        assert_eq!(
            f.message,
            "activity is not supported on this LogicalDOC mount: no history service"
        );
    }
}
