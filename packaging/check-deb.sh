#!/bin/sh
# Checks a docsfs .deb: every file packaging promises is in it with the right mode, it depends
# on fuse3, the binary inside runs, the helper and the bash completion parse, and the man pages
# are gzipped roff. Usage: packaging/check-deb.sh target/debian/docsfs_*.deb
set -eu
deb=$1
fail=0
listing=$(dpkg-deb --contents "$deb")

# path and mode of each expected file
while read -r mode path; do
    line=$(printf '%s\n' "$listing" | awk -v p="./$path" '$6 == p')
    if [ -z "$line" ]; then
        echo "check-deb: missing /$path" >&2
        fail=1
    elif [ "${line%% *}" != "$mode" ]; then
        echo "check-deb: /$path is ${line%% *}, not $mode" >&2
        fail=1
    fi
done <<'LIST'
-rwxr-xr-x usr/bin/docsfs
-rwxr-xr-x usr/sbin/mount.fuse.docsfs
-rwxr-xr-x usr/sbin/mount.docsfs
-rw-r--r-- usr/lib/systemd/system/docsfs@.service
-rw-r--r-- usr/lib/systemd/user/docsfs@.service
-rw-r--r-- usr/share/man/man1/docsfs.1.gz
-rw-r--r-- usr/share/man/man1/docsfs-mount.1.gz
-rw-r--r-- usr/share/man/man1/docsfs-serve.1.gz
-rw-r--r-- usr/share/man/man1/docsfs-status.1.gz
-rw-r--r-- usr/share/man/man1/docsfs-versions.1.gz
-rw-r--r-- usr/share/man/man1/docsfs-versions-list.1.gz
-rw-r--r-- usr/share/man/man1/docsfs-versions-restore.1.gz
-rw-r--r-- usr/share/man/man1/docsfs-demo.1.gz
-rw-r--r-- usr/share/man/man1/docsfs-share.1.gz
-rw-r--r-- usr/share/man/man1/docsfs-unshare.1.gz
-rw-r--r-- usr/share/man/man1/docsfs-shares.1.gz
-rw-r--r-- usr/share/man/man1/docsfs-activity.1.gz
-rw-r--r-- usr/share/man/man8/mount.docsfs.8.gz
-rw-r--r-- usr/share/bash-completion/completions/docsfs
-rw-r--r-- usr/share/zsh/vendor-completions/_docsfs
-rw-r--r-- usr/share/fish/vendor_completions.d/docsfs.fish
-rw-r--r-- usr/share/doc/docsfs/examples/docsfs.toml
-rw-r--r-- usr/share/doc/docsfs/copyright
LIST

depends=$(dpkg-deb --field "$deb" Depends)
case "$depends" in
*fuse3*) ;;
*) echo "check-deb: Depends ($depends) lacks fuse3" >&2; fail=1 ;;
esac

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg-deb --extract "$deb" "$root"
"$root/usr/bin/docsfs" --version >/dev/null || { echo "check-deb: the binary does not run" >&2; fail=1; }
sh -n "$root/usr/sbin/mount.fuse.docsfs" || fail=1
if command -v bash >/dev/null; then
    bash -n "$root/usr/share/bash-completion/completions/docsfs" || fail=1
fi
for page in "$root"/usr/share/man/man*/*.gz; do
    gzip -dc "$page" | grep -q '^\.TH ' || { echo "check-deb: $page is not a man page" >&2; fail=1; }
done

if [ "$fail" -ne 0 ]; then
    echo "check-deb: $deb is incomplete" >&2
    exit 1
fi
echo "check-deb: $deb has everything"
