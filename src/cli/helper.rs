//! `mount.docsfs`, the helper mount(8) runs for `mount -t fuse.docsfs SOURCE DIR -o OPTIONS` and
//! for fstab lines of type `fuse.docsfs`: `packaging/mount.docsfs` execs `docsfs mount-helper`
//! with mount(8)'s arguments, and this module turns them into the `docsfs mount … --daemon DIR`
//! command line that the rest of the CLI then parses, config file included — so an fstab line
//! gets exactly the checks and one-line refusals of `docsfs mount`, and mount(8) returns once
//! the mount is up. SOURCE names a profile (`work`, `docsfs#work`) or the server's URL; each
//! `key=value` option that is a `docsfs mount` option becomes `--key=value`; the options that
//! only mean something to mount(8) or systemd (`_netdev`, `nofail`, `x-systemd.*`, …) are
//! dropped. The options are checked here, against the list clap knows, so a typo is one line
//! naming it, before anything runs.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::Parser;

mod manual;
pub use manual::SECTIONS;
use manual::help_after;

/// The hidden `docsfs` subcommand `packaging/mount.docsfs` runs.
pub const SUBCOMMAND: &str = "mount-helper";

/// mount(8)'s call of a filesystem helper: `mount.fuse.docsfs SOURCE DIR [-sfnv] [-o OPTIONS]`.
#[derive(Parser, Debug)]
#[command(
    name = "mount.docsfs",
    version,
    about = "mount(8) helper for docsfs: mount -t fuse.docsfs PROFILE DIR -o config=FILE",
    long_about = "The helper mount(8) runs for filesystems of type fuse.docsfs (as \
        /sbin/mount.fuse.docsfs) and docsfs (as /sbin/mount.docsfs), so that `mount -t \
        fuse.docsfs PROFILE DIR -o OPTIONS` and /etc/fstab lines mount a docsfs profile. It runs \
        `docsfs mount --config FILE --profile PROFILE [OPTIONS] --daemon DIR` and returns once the \
        mount is up, or fails with docsfs's one-line message.",
    after_long_help = help_after()
)]
pub struct HelperArgs {
    /// PROFILE or docsfs#PROFILE: the profile of the config file to mount (`none` or `docsfs`:
    /// the file's only profile, or its `default`); or the server's URL (https://…), which
    /// becomes --endpoint.
    #[arg(value_name = "SOURCE")]
    pub source: String,
    /// The directory to mount on.
    #[arg(value_name = "DIR")]
    pub mountpoint: PathBuf,
    /// Comma-separated mount options (see MOUNT OPTIONS below); may be repeated.
    #[arg(short = 'o', value_name = "OPTIONS")]
    pub options: Vec<String>,
    /// The type mount(8) was given (fuse.docsfs or docsfs); accepted and not otherwise used.
    #[arg(short = 't', value_name = "TYPE")]
    pub fstype: Option<String>,
    /// Fake: check the options and the profile, then stop without mounting.
    #[arg(short = 'f')]
    pub fake: bool,
    /// Verbose: print the docsfs command line before running it.
    #[arg(short = 'v')]
    pub verbose: bool,
    /// Sloppy: skip (with a warning) options docsfs does not know instead of refusing them.
    #[arg(short = 's')]
    pub sloppy: bool,
    /// Do not write /etc/mtab (accepted; docsfs writes none).
    #[arg(short = 'n')]
    pub no_mtab: bool,
    /// Mount in another mount namespace (not supported: refused).
    #[arg(short = 'N', value_name = "NS")]
    pub namespace: Option<String>,
}

/// Options that mean something only to mount(8), systemd or the kernel's generic VFS flags
/// that docsfs sets itself (nodev, nosuid, noatime) or does not offer.
const DROPPED: &[&str] = &[
    "defaults",
    "rw",
    "auto",
    "noauto",
    "user",
    "users",
    "nouser",
    "owner",
    "group",
    "_netdev",
    "nofail",
    "dev",
    "nodev",
    "suid",
    "nosuid",
    "exec",
    "noexec",
    "atime",
    "noatime",
    "diratime",
    "nodiratime",
    "relatime",
    "norelatime",
    "strictatime",
    "nostrictatime",
    "lazytime",
    "nolazytime",
    "sync",
    "async",
    "dirsync",
    "silent",
    "loud",
];

/// `docsfs mount` options that an fstab line may not set: the helper decides them.
const RESERVED: &[&str] = &["config", "profile", "daemon", "fs-name", "help", "version"];

/// A long option of `docsfs mount`: its name and whether it takes a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionSpec {
    pub name: String,
    pub takes_value: bool,
}

/// What is wrong with mount(8)'s call (each is one line for the user).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HelperError {
    #[error("`{0}` is not a docsfs mount option (see `man mount.docsfs`; -s skips unknown ones)")]
    Unknown(String),
    #[error("the mount option `{0}` needs a value: {0}=…")]
    NeedsValue(String),
    #[error("the mount option `{0}` takes no value")]
    TakesNoValue(String),
    #[error("the mount option `{0}` is set by mount.docsfs itself")]
    Reserved(String),
    #[error("-N (mounting in another namespace) is not supported")]
    Namespace,
}

/// The `docsfs mount` command that stands for mount(8)'s call.
#[derive(Debug, PartialEq, Eq)]
pub struct Translation {
    /// `docsfs mount [--config F] [--profile P] [--endpoint URL] OPTIONS --daemon -- DIR`.
    pub argv: Vec<OsString>,
    /// Settings the profile and the options override (the per-profile cache folder): to go
    /// right after `mount` once the config file has been expanded.
    pub defaults: Vec<OsString>,
    /// Options skipped under -s.
    pub warnings: Vec<String>,
}

/// Where the calling user's files live, for the defaults.
#[derive(Clone, Debug, Default)]
pub struct Places {
    pub root: bool,
    pub home: Option<PathBuf>,
    pub xdg_config_home: Option<PathBuf>,
    pub xdg_cache_home: Option<PathBuf>,
    /// `DOCSFS_CACHE_DIR` is set: it, not a per-profile folder, is the default.
    pub cache_dir_from_env: bool,
}

impl Places {
    /// The calling process's.
    pub fn current() -> Self {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Self {
            // SAFETY: geteuid cannot fail and touches no memory.
            root: unsafe { libc::geteuid() } == 0,
            home: var("HOME"),
            xdg_config_home: var("XDG_CONFIG_HOME"),
            xdg_cache_home: var("XDG_CACHE_HOME"),
            cache_dir_from_env: var("DOCSFS_CACHE_DIR").is_some(),
        }
    }

    /// `/etc/docsfs.toml` for root, else `$XDG_CONFIG_HOME/docsfs/config.toml`.
    fn default_config(&self) -> Option<PathBuf> {
        if self.root {
            return Some(PathBuf::from("/etc/docsfs.toml"));
        }
        let base = self
            .xdg_config_home
            .clone()
            .or_else(|| self.home.as_ref().map(|h| h.join(".config")))?;
        Some(base.join("docsfs").join("config.toml"))
    }

    /// `/var/cache/docsfs/NAME` for root, else `$XDG_CACHE_HOME/docsfs/NAME`.
    fn default_cache(&self, profile: &str) -> Option<PathBuf> {
        if self.cache_dir_from_env {
            return None;
        }
        let base = if self.root {
            PathBuf::from("/var/cache")
        } else {
            self.xdg_cache_home
                .clone()
                .or_else(|| self.home.as_ref().map(|h| h.join(".cache")))?
        };
        Some(base.join("docsfs").join(folder_name(profile)))
    }
}

/// A profile name as one safe path component.
fn folder_name(profile: &str) -> String {
    let name: String = profile
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-@+".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() || name.chars().all(|c| c == '.') {
        "_".repeat(name.len().max(1))
    } else {
        name
    }
}

/// What SOURCE says: a profile, the config's only/default profile, or an endpoint.
#[derive(Debug, PartialEq, Eq)]
enum Source {
    Profile(String),
    Unnamed,
    Endpoint(String),
}

fn source(s: &str) -> Source {
    if s.contains("://") {
        return Source::Endpoint(s.to_owned());
    }
    let name = s.strip_prefix("docsfs#").unwrap_or(s);
    match name {
        "" | "none" | "docsfs" => Source::Unnamed,
        _ => Source::Profile(name.to_owned()),
    }
}

/// Splits `-o` text at commas outside double quotes, dropping the quotes.
fn split_options(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    out.push(current);
    out.retain(|o| !o.is_empty());
    out
}

fn dropped(key: &str) -> bool {
    DROPPED.contains(&key) || key.starts_with("x-") || key == "comment"
}

/// Turns mount(8)'s call into the `docsfs mount` command line.
pub fn translate(
    args: &HelperArgs,
    specs: &[OptionSpec],
    places: &Places,
) -> Result<Translation, HelperError> {
    if args.namespace.is_some() {
        return Err(HelperError::Namespace);
    }
    let mut config: Option<String> = None;
    let mut profile: Option<String> = None;
    let mut options: Vec<OsString> = Vec::new();
    let mut warnings = Vec::new();
    for option in args.options.iter().flat_map(|o| split_options(o)) {
        let (key, value) = match option.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (option.as_str(), None),
        };
        if dropped(key) {
            continue;
        }
        let needs_value = |v: Option<&str>| {
            v.map(str::to_owned)
                .ok_or_else(|| HelperError::NeedsValue(key.to_owned()))
        };
        match key {
            "config" => config = Some(needs_value(value)?),
            "profile" => profile = Some(needs_value(value)?),
            "ro" => match value {
                None => options.push("--read-only".into()),
                Some(_) => return Err(HelperError::TakesNoValue(key.to_owned())),
            },
            _ => {
                let name = key.replace('_', "-");
                if RESERVED.contains(&name.as_str()) {
                    return Err(HelperError::Reserved(key.to_owned()));
                }
                let Some(spec) = specs.iter().find(|s| s.name == name) else {
                    if args.sloppy {
                        warnings.push(format!("skipping the unknown mount option `{key}`"));
                        continue;
                    }
                    return Err(HelperError::Unknown(key.to_owned()));
                };
                match (spec.takes_value, value) {
                    (true, Some(v)) => options.push(format!("--{name}={v}").into()),
                    (true, None) => return Err(HelperError::NeedsValue(key.to_owned())),
                    (false, None) => options.push(format!("--{name}").into()),
                    (false, Some(_)) => return Err(HelperError::TakesNoValue(key.to_owned())),
                }
            }
        }
    }
    let source = source(&args.source);
    let mut endpoint = None;
    match source {
        Source::Profile(name) => {
            profile.get_or_insert(name);
        }
        Source::Endpoint(url) => endpoint = Some(url),
        Source::Unnamed => {}
    }
    // The default config file: when a profile is named, or SOURCE names neither a profile nor
    // a server and the file is there.
    if config.is_none() {
        let default = places.default_config();
        config = match (&profile, &endpoint) {
            (Some(_), _) => default,
            (None, None) => default.filter(|p| p.is_file()),
            (None, Some(_)) => None,
        }
        .map(|p| p.to_string_lossy().into_owned());
    }
    let mut argv: Vec<OsString> = vec!["docsfs".into(), "mount".into()];
    if let Some(c) = &config {
        argv.push(format!("--config={c}").into());
    }
    if let Some(p) = &profile {
        argv.push(format!("--profile={p}").into());
    }
    if let Some(e) = &endpoint {
        argv.push(format!("--endpoint={e}").into());
    }
    argv.extend(options);
    // The kernel's source is SOURCE as written, as mount(8) compares it with fstab's.
    argv.push(format!("--fs-name={}", args.source).into());
    argv.extend(["--daemon".into(), "--".into()]);
    argv.push(args.mountpoint.clone().into_os_string());
    let defaults = places
        .default_cache(profile.as_deref().unwrap_or("default"))
        .map(|dir| vec![OsString::from(format!("--cache-dir={}", dir.display()))])
        .unwrap_or_default();
    Ok(Translation {
        argv,
        defaults,
        warnings,
    })
}

/// `--log-level=warn` when the log would go to mount(8)'s terminal (no log file) and nobody
/// chose a level: until it detaches, the daemon's log is on mount(8)'s stderr, and a mount that
/// works should say nothing there. Warnings and the failure still show.
pub fn quiet_default(argv: &[OsString], rust_log_set: bool) -> Option<OsString> {
    let given = |name: &str| {
        argv.iter()
            .any(|a| a.to_string_lossy().split('=').next() == Some(name))
    };
    (!rust_log_set && !given("--log-level") && !given("--log-file"))
        .then(|| "--log-level=warn".into())
}

/// Parses `docsfs mount-helper ARGS` (clap's usage errors exit here, as for any command).
pub fn parse(argv: &[OsString]) -> HelperArgs {
    let mut own: Vec<OsString> = vec!["mount.docsfs".into()];
    own.extend(argv.iter().skip(2).cloned());
    HelperArgs::parse_from(own)
}

/// The helper's clap command (for its man page).
pub fn command() -> clap::Command {
    <HelperArgs as clap::CommandFactory>::command()
}

/// The command line for `-v`, shell-quoted where needed.
pub fn shown(argv: &[OsString]) -> String {
    argv.iter()
        .map(|a| {
            let a = a.to_string_lossy();
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_=./:@,+#%".contains(c))
            {
                a.into_owned()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `argv` is `docsfs mount-helper …`.
pub fn is_helper(argv: &[OsString]) -> bool {
    argv.get(1).is_some_and(|a| a == SUBCOMMAND)
}

#[cfg(test)]
mod tests;
