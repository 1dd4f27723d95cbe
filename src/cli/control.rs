//! The client side of a mount's control socket (`mount/control.rs`): from a path to the mount
//! it lies in and the daemon's inode number of it, then one request and its answer. The path is
//! resolved (`canonicalize`), `stat` gives its inode number and device, and the mount is the
//! longest /proc/self/mountinfo entry of that device holding the path, which must be a docsfs
//! (FUSE) mount. The socket's folder is checked as the daemon checks it before anything is sent.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::mount::control::{self, Op, Request, Response, VERSION};

/// A path inside a docsfs mount.
#[derive(Debug)]
pub struct Target {
    pub mountpoint: PathBuf,
    /// The daemon's inode number of the path.
    pub ino: u64,
}

/// Undoes mountinfo's octal escapes (`\040` for a space, …).
fn unescape(field: &str) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    let b = field.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let n = (b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0');
            out.push(n);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    PathBuf::from(std::ffi::OsString::from_vec(out))
}

/// The mount (mountpoint, filesystem type) of device `major:minor` that holds `path`, per
/// mountinfo text `info`: the longest mountpoint that is an ancestor of `path`.
fn mount_of(info: &str, dev: &str, path: &Path) -> Option<(PathBuf, String)> {
    info.lines()
        .filter_map(|l| {
            let fields: Vec<&str> = l.split(' ').collect();
            let sep = fields.iter().position(|f| *f == "-")?;
            let fstype = fields.get(sep + 1)?;
            let mountpoint = fields.get(4)?;
            (fields.get(2) == Some(&dev)).then(|| (unescape(mountpoint), fstype.to_string()))
        })
        .filter(|(mp, _)| path.starts_with(mp))
        .max_by_key(|(mp, _)| mp.as_os_str().len())
}

/// Finds the docsfs mount holding `path` and the daemon's inode number of it.
pub fn locate(path: &Path) -> anyhow::Result<Target> {
    let shown = path.display();
    let canonical = std::fs::canonicalize(path).with_context(|| format!("{shown}"))?;
    let meta = std::fs::metadata(&canonical).with_context(|| format!("{shown}"))?;
    let dev = format!("{}:{}", libc::major(meta.dev()), libc::minor(meta.dev()));
    let info = std::fs::read_to_string("/proc/self/mountinfo")
        .context("cannot read /proc/self/mountinfo")?;
    let Some((mountpoint, fstype)) = mount_of(&info, &dev, &canonical) else {
        bail!("{shown} is not inside a docsfs mount");
    };
    if fstype != "fuse.docsfs" && fstype != "fuse" {
        bail!(
            "{shown} is not inside a docsfs mount (it is on a {fstype} file system mounted at {})",
            mountpoint.display()
        );
    }
    Ok(Target {
        mountpoint,
        ino: meta.ino(),
    })
}

/// Sends `op` to the daemon of `target`'s mount; a refusal is an error carrying its message.
pub async fn ask(target: &Target, op: Op) -> anyhow::Result<Response> {
    let socket = control::socket_path(&target.mountpoint);
    let mp = target.mountpoint.display();
    if let Some(dir) = socket.parent() {
        control::check_dir(dir)
            .map_err(|e| anyhow::anyhow!("cannot reach the docsfs daemon of {mp}: {e}"))?;
    }
    let stream = tokio::net::UnixStream::connect(&socket)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot reach the docsfs daemon of {mp} ({e}); is it a mount of this user, by \
                 this version of docsfs?"
            )
        })?;
    let (read, mut write) = stream.into_split();
    let mut line = serde_json::to_vec(&Request { v: VERSION, op })?;
    line.push(b'\n');
    write
        .write_all(&line)
        .await
        .with_context(|| format!("the docsfs daemon of {mp} went away"))?;
    let mut answer = String::new();
    BufReader::new(read)
        .read_line(&mut answer)
        .await
        .with_context(|| format!("the docsfs daemon of {mp} went away"))?;
    if answer.trim().is_empty() {
        bail!("the docsfs daemon of {mp} did not answer (it refuses other users)");
    }
    let response: Response = serde_json::from_str(&answer)
        .with_context(|| format!("the docsfs daemon of {mp} answered something unreadable"))?;
    if !response.ok {
        let message = response
            .error
            .map_or_else(|| "failed without a reason".into(), |f| f.message);
        bail!("{message}");
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFO: &str = "\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
40 22 0:45 / /mnt/my\\040docs rw,nosuid,nodev shared:20 - fuse.docsfs docsfs:http://x rw,user_id=0
41 22 8:1 /srv /mnt/bind rw - ext4 /dev/sda1 rw
";

    #[test]
    fn the_mount_is_the_longest_one_of_the_device_holding_the_path() {
        let (mp, ty) = mount_of(INFO, "0:45", Path::new("/mnt/my docs/a/b")).unwrap();
        assert_eq!(mp, Path::new("/mnt/my docs"));
        assert_eq!(ty, "fuse.docsfs");
        let (mp, ty) = mount_of(INFO, "8:1", Path::new("/mnt/bind/x")).unwrap();
        assert_eq!(
            (mp.as_path(), ty.as_str()),
            (Path::new("/mnt/bind"), "ext4")
        );
        let (mp, _) = mount_of(INFO, "8:1", Path::new("/home/x")).unwrap();
        assert_eq!(mp, Path::new("/"));
        assert!(mount_of(INFO, "0:99", Path::new("/mnt/my docs")).is_none());
    }

    #[test]
    fn octal_escapes_are_undone() {
        assert_eq!(unescape("/a\\040b\\134c"), Path::new("/a b\\c"));
        assert_eq!(unescape("/plain\\"), Path::new("/plain\\"));
    }
}
