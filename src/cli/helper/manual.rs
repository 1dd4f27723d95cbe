//! The text of `mount.docsfs --help` after the arguments and of mount.docsfs(8)'s own sections
//! (mount options, fstab, examples, environment, files): one table, rendered as plain text here
//! and as roff by `cli/generate.rs`, so the two never differ.

/// What `mount.docsfs --help` and mount.docsfs(8) say after the arguments: (section, items),
/// where an item is (term, text), an empty term a paragraph, and the term `$` a command line.
pub const SECTIONS: &[(&str, &[(&str, &str)])] = &[
    (
        "MOUNT OPTIONS",
        &[
            (
                "config=FILE",
                "The TOML file of profiles (see docsfs-mount(1)). Default: /etc/docsfs.toml \
                 for root, ~/.config/docsfs/config.toml for other users.",
            ),
            (
                "profile=NAME",
                "The profile to mount, instead of the one SOURCE names.",
            ),
            (
                "ro",
                "Mount read-only (--read-only). rw, which mount(8) adds by default, changes \
                 nothing: a profile's read-only = true stays.",
            ),
            (
                "allow_other",
                "Let other users see the mount (--allow-other); unless root mounts it, that \
                 needs user_allow_other in /etc/fuse.conf.",
            ),
            (
                "uid=N, gid=N, umask=OCTAL",
                "The owner and group (numbers) and the permission mask of every file.",
            ),
            (
                "cache_dir=DIR",
                "Where written files are spooled until uploaded. Default: the profile's \
                 cache-dir, else /var/cache/docsfs/NAME for root (as for \
                 docsfs@NAME.service) and ~/.cache/docsfs/NAME for other users.",
            ),
            (
                "log_file=FILE, log_level=FILTER",
                "Where the log goes and how much of it. A mount made by mount(8) has no \
                 terminal once it is up: without log_file its log is lost, and the level is \
                 warn unless log_level or RUST_LOG says otherwise.",
            ),
            (
                "KEY=VALUE, KEY",
                "Any other docsfs mount option: --KEY=VALUE, or --KEY for a flag, with \
                 underscores or dashes (metadata_ttl=120, poll_interval=0, \
                 allow_non_empty). config, profile and daemon are the helper's own. An \
                 option docsfs does not know is refused, or skipped under -s.",
            ),
            (
                "Dropped",
                "Options for mount(8) and systemd only: defaults, rw, auto, noauto, user, \
                 users, nouser, owner, group, _netdev, nofail, x-*, comment=*. Generic ones \
                 docsfs sets itself (nodev, nosuid, noatime) or does not offer: dev, suid, \
                 exec, noexec, atime, diratime, nodiratime, relatime, norelatime, \
                 strictatime, nostrictatime, lazytime, nolazytime, sync, async, dirsync, \
                 silent, loud.",
            ),
        ],
    ),
    (
        "FSTAB",
        &[
            (
                "",
                "One line per mount. _netdev makes systemd wait for the network; nofail \
                 keeps the boot going when the server cannot be reached:",
            ),
            (
                "$",
                "work  /mnt/docs  fuse.docsfs  _netdev,config=/etc/docsfs.toml,allow_other  0  0",
            ),
            (
                "$",
                "docsfs#archive  /mnt/archive  fuse.docsfs  _netdev,nofail,ro,log_file=/var/log/docsfs-archive.log  0  0",
            ),
            (
                "",
                "`mount /mnt/docs` mounts such a line by hand; `umount /mnt/docs` (or \
                 `fusermount3 -u /mnt/docs`) unmounts. Type docsfs works as well as \
                 fuse.docsfs; /proc/mounts shows fuse.docsfs either way.",
            ),
        ],
    ),
    (
        "EXAMPLES",
        &[
            (
                "$",
                "mount -t fuse.docsfs work /mnt/docs -o config=/etc/docsfs.toml",
            ),
            (
                "$",
                "mount -t fuse.docsfs https://docs.example.com /mnt/docs -o token_file=/etc/docsfs/work.token",
            ),
            (
                "$",
                "mount -fv /mnt/docs    # check an fstab line, show the docsfs command",
            ),
        ],
    ),
    (
        "ENVIRONMENT",
        &[(
            "DOCSFS_BIN",
            "The docsfs binary to run (default: /usr/bin/docsfs, else docsfs on PATH).",
        )],
    ),
    (
        "FILES",
        &[
            ("/etc/docsfs.toml", "Profiles of root's mounts."),
            ("~/.config/docsfs/config.toml", "A user's profiles."),
            (
                "/usr/sbin/mount.fuse.docsfs, /usr/sbin/mount.docsfs",
                "This helper. mount(8) looks for helpers in /sbin, which is /usr/sbin on \
                 merged-/usr systems (Debian 12, Ubuntu 22.04 and later).",
            ),
        ],
    ),
    (
        "SEE ALSO",
        &[(
            "",
            "docsfs-mount(1), docsfs(1), mount(8), fstab(5), fuse(8), systemd.mount(5)",
        )],
    ),
];

/// [`SECTIONS`] as plain text, for `--help`.
pub fn help_after() -> String {
    let mut out = String::new();
    for (title, items) in SECTIONS {
        out.push_str(&format!("{title}:\n"));
        for (term, text) in *items {
            match *term {
                "" => out.push_str(&format!("  {text}\n")),
                "$" => out.push_str(&format!("    {text}\n")),
                _ => out.push_str(&format!("  {term}\n      {text}\n")),
            }
        }
        out.push('\n');
    }
    out.trim_end().to_owned()
}
