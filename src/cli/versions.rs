//! `docsfs versions list PATH` and `docsfs versions restore PATH VERSION`: a document's history
//! through a running mount, with no credentials of its own. Both work purely on the mount's
//! hidden view (`DIR/.versions/NAME/`, see `fs/versions.rs`): `list` reads that folder;
//! `restore` copies the chosen version's file over PATH (open with `O_TRUNC`, stream, `fsync`,
//! close), which the mount uploads as a new version, so the history is kept and nothing is lost.
//! VERSION is a file name of the view, a label (`2`, `v2`, `1.1`) or a version id.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde::Serialize;

use crate::fs::versions::{VERSIONS_NAME, parse_file_name};

/// The file-system type of a docsfs mount in /proc/self/mountinfo.
const FS_TYPE: &str = "fuse.docsfs";
/// Bytes copied per read while restoring.
const COPY_BUFFER: usize = 1 << 20;

#[derive(Args, Debug)]
pub struct VersionsArgs {
    #[command(subcommand)]
    command: VersionsCommand,
}

#[derive(Subcommand, Debug)]
enum VersionsCommand {
    /// List a document's versions, oldest first (the last is the current content).
    List {
        /// A document in a docsfs mount.
        path: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Make an earlier version the document's content again. The mount uploads it as a new
    /// version: every version stays in the history.
    Restore {
        /// A document in a docsfs mount.
        path: PathBuf,
        /// A name from `docsfs versions list`, a label (`2`, `v2`, `1.1`) or a version id.
        version: String,
    },
}

/// One version as the view shows it.
#[derive(Debug, Serialize)]
struct Listed {
    label: String,
    modified: String,
    size: u64,
    name: String,
    current: bool,
    #[serde(skip)]
    path: PathBuf,
    #[serde(skip)]
    ino: u64,
}

pub fn versions(args: VersionsArgs) -> anyhow::Result<()> {
    match args.command {
        VersionsCommand::List { path, json } => list(&path, json),
        VersionsCommand::Restore { path, version } => restore(&path, &version),
    }
}

fn list(path: &Path, json: bool) -> anyhow::Result<()> {
    let view = view_of(path)?;
    let versions = listed(&view)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&versions)?);
        return Ok(());
    }
    let width = versions
        .iter()
        .map(|v| v.label.len() + 1)
        .max()
        .unwrap_or(1);
    for v in &versions {
        let mark = if v.current { "  (current)" } else { "" };
        println!(
            "{:<width$}  {}  {:>12}  {}{mark}",
            format!("v{}", v.label),
            v.modified,
            v.size,
            v.name
        );
    }
    Ok(())
}

fn restore(path: &Path, version: &str) -> anyhow::Result<()> {
    let view = view_of(path)?;
    let versions = listed(&view)?;
    let chosen = choose(&view, &versions, version).with_context(|| {
        format!(
            "{} has no version {version:?} (see `docsfs versions list {}`)",
            path.display(),
            path.display()
        )
    })?;
    let mut from = std::fs::File::open(&chosen.path)
        .with_context(|| format!("cannot open version {}", chosen.name))?;
    // No O_CREAT: PATH is the document itself, which keeps its identity and history.
    let mut to = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)
        .with_context(|| format!("cannot open {} for writing", path.display()))?;
    let mut buf = vec![0u8; COPY_BUFFER];
    let mut copied = 0u64;
    loop {
        let n = from
            .read(&mut buf)
            .with_context(|| format!("cannot read version {}", chosen.name))?;
        if n == 0 {
            break;
        }
        to.write_all(&buf[..n])
            .with_context(|| format!("cannot write {}", path.display()))?;
        copied += n as u64;
    }
    // The mount uploads on fsync; a failure shows here, not lost in a close.
    to.sync_all()
        .with_context(|| format!("cannot upload {}", path.display()))?;
    drop(to);
    println!(
        "{}: restored version v{} ({}, {copied} bytes) as a new version",
        path.display(),
        chosen.label,
        chosen.modified
    );
    Ok(())
}

/// The version `wanted` names: a listed file name, a label, or a version id (which the view
/// looks up without listing it).
fn choose<'a>(view: &Path, versions: &'a [Listed], wanted: &str) -> anyhow::Result<&'a Listed> {
    if let Some(v) = versions.iter().find(|v| v.name == wanted) {
        return Ok(v);
    }
    let label = wanted.strip_prefix('v').unwrap_or(wanted);
    if let Some(v) = versions
        .iter()
        .find(|v| v.label == label || v.label == wanted)
    {
        return Ok(v);
    }
    if !wanted.is_empty() && !wanted.contains('/') && wanted != "." && wanted != ".." {
        if let Ok(meta) = std::fs::metadata(view.join(wanted)) {
            use std::os::unix::fs::MetadataExt;
            if let Some(v) = versions.iter().find(|v| v.ino == meta.ino()) {
                return Ok(v);
            }
        }
    }
    bail!("unknown version")
}

/// The versions in a document's view folder, in listing order (oldest first).
fn listed(view: &Path) -> anyhow::Result<Vec<Listed>> {
    use std::os::unix::fs::MetadataExt;
    let entries =
        std::fs::read_dir(view).with_context(|| format!("cannot list {}", view.display()))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", view.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((label, _)) = parse_file_name(&name) else {
            continue;
        };
        let meta = entry
            .metadata()
            .with_context(|| format!("cannot stat {name}"))?;
        out.push(Listed {
            label: label.to_owned(),
            modified: iso_seconds(meta.modified().unwrap_or(UNIX_EPOCH)),
            size: meta.len(),
            name,
            current: false,
            path: entry.path(),
            ino: meta.ino(),
        });
    }
    if let Some(last) = out.last_mut() {
        last.current = true;
    }
    Ok(out)
}

/// `2026-11-24T10:15:03Z`.
fn iso_seconds(t: SystemTime) -> String {
    let ms = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let iso = crate::clock::format_iso8601_ms(ms);
    format!("{}Z", &iso[..19])
}

/// `DIR/.versions/NAME` for the document `path`, after checking that it is one.
fn view_of(path: &Path) -> anyhow::Result<PathBuf> {
    let shown = path.display();
    let meta = std::fs::metadata(path).with_context(|| format!("cannot stat {shown}"))?;
    let full = std::fs::canonicalize(path).with_context(|| format!("cannot resolve {shown}"))?;
    if !in_docsfs_mount(&full)? {
        bail!("{shown} is not in a docsfs mount");
    }
    if meta.is_dir() {
        bail!("{shown} is a folder; versions are kept for documents");
    }
    let (Some(dir), Some(name)) = (full.parent(), full.file_name()) else {
        bail!("{shown} is not a document");
    };
    let view = dir.join(VERSIONS_NAME).join(name);
    match std::fs::metadata(&view) {
        Ok(m) if m.is_dir() => Ok(view),
        _ => bail!("{shown} is not a document at the store (not uploaded yet, or not a document)"),
    }
}

/// Whether the mount holding `path` (canonical) is a docsfs mount.
fn in_docsfs_mount(path: &Path) -> anyhow::Result<bool> {
    let info = std::fs::read_to_string("/proc/self/mountinfo")
        .context("cannot read /proc/self/mountinfo")?;
    Ok(mount_type(&info, path).is_some_and(|t| t == FS_TYPE))
}

/// The file-system type of the innermost mount holding `path`, from mountinfo's text.
fn mount_type<'a>(mountinfo: &'a str, path: &Path) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for line in mountinfo.lines() {
        let mut fields = line.split(' ');
        let Some(point) = fields.nth(4) else {
            continue;
        };
        let Some(fs_type) = line.split(" - ").nth(1).and_then(|r| r.split(' ').next()) else {
            continue;
        };
        let point = unescape(point);
        if path.starts_with(&point) {
            let depth = Path::new(&point).components().count();
            // Later lines are mounted over earlier ones at the same point.
            if best.is_none_or(|(d, _)| depth >= d) {
                best = Some((depth, fs_type));
            }
        }
    }
    best.map(|(_, t)| t)
}

/// mountinfo's octal escapes (`\040` for a space).
fn unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|b| (b'0'..=b'7').contains(b)));
        match (bytes[i], octal) {
            (b'\\', Some(d)) => {
                out.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_innermost_mount_decides() {
        let info = "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n\
                    40 22 0:50 / /mnt/my\\040docs rw - fuse.docsfs https://x rw\n\
                    41 40 0:51 / /mnt/my\\040docs/inner rw - tmpfs tmpfs rw\n";
        let at = |p: &str| mount_type(info, Path::new(p));
        assert_eq!(at("/mnt/my docs/a/b.txt"), Some("fuse.docsfs"));
        assert_eq!(at("/mnt/my docs/inner/x"), Some("tmpfs"));
        assert_eq!(at("/mnt/my docsx/y"), Some("ext4"));
        assert_eq!(at("/home/x"), Some("ext4"));
    }
}
