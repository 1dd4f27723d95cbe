# Shared helpers of the bench/run* scripts (sourced, not run). They use the caller's globals:
# ROOT (the repository), PY (python3), BIN (docsfs), BASE (server URL), TOKEN, TOKEN_FILE, MNT,
# WORK, MOUNT_PID, SERVER_PID, WATCH_PID, and for rclone RMNT, RCLONE_MOUNT_PID, RCLONE_SERVE_PID,
# PROXY_PID (bench/delayproxy.py in front of rclone serve).
#
# A script calls, in this order: bench_init TOOLS… (root, tools, PY), bench_build (BIN, COMMIT),
# bench_workdir NEED_MIB (WORK, MNT, the EXIT trap, a private copy of BIN), then make_token and
# start_server. bench_cleanup (the trap) undoes whatever of that happened: mounts (docsfs and
# rclone), servers, the CPU watcher, a child script, the temporary folder.

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }

die() { log "error: $*"; exit 1; }

is_mounted() { # [DIR] (default $MNT)
    awk -v m="${1:-$MNT}" '$5 == m { found = 1 } END { exit !found }' /proc/self/mountinfo
}

stop_pid() { # PID [SECONDS]: SIGTERM, wait up to SECONDS (default 15), then SIGKILL
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for (( i = 0; i < ${2:-15} * 10; i++ )); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true
}

unmount_fs() {
    if [[ -n ${MOUNT_PID:-} ]]; then
        stop_pid "$MOUNT_PID"
        MOUNT_PID=""
    fi
    if [[ -n ${MNT:-} ]] && is_mounted; then fusermount3 -uz "$MNT" 2>/dev/null || umount -l "$MNT" || true; fi
}

now() { date +%s.%N; }

calc() { "$PY" -c "print(format($1, '${2:-.3f}'))"; }

median() { "$PY" -c 'import statistics, sys; print(format(statistics.median(map(float, sys.argv[1:])), ".3f"))' "$@"; }

# json EXPR: evaluates EXPR with `j` bound to the JSON document on stdin.
json() { "$PY" -c "import json, sys; j = json.load(sys.stdin); print($1)"; }

drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches; }

api() { # PATH: GET with the user's token
    curl -sf -H "Authentication: $TOKEN" "$BASE$1"
}

calls_total() { curl -sf "$BASE/_docsfs/stats" | json 'j["total"]'; }

set_latency() {
    curl -sf -X PUT -H 'Content-Type: application/json' \
        -d "{\"latency_ms\": $1, \"fail_rate\": 0.0, \"reset_rate\": 0.0}" \
        "$BASE/_docsfs/faults" >/dev/null
}

# A fresh `docsfs mount` process on $MNT with empty caches: its content cache is emptied first
# unless KEEP_CONTENT=1 (a remount that reads what the last one cached). MOUNT_BACKEND=logicaldoc
# mounts through LogicalDOC's API (user bench, the token as password). MOUNT_ARGS: more options.
mount_fs() {
    unmount_fs
    [[ ${KEEP_CONTENT:-0} == 1 ]] || rm -rf "$WORK/cache/content"
    local auth=(--token-file "$TOKEN_FILE")
    if [[ ${MOUNT_BACKEND:-workdocs} == logicaldoc ]]; then
        auth=(--backend logicaldoc --user bench --password-file "$TOKEN_FILE")
    fi
    # shellcheck disable=SC2086 # MOUNT_ARGS: options, one word each
    "$BIN" mount --endpoint "$BASE" "${auth[@]}" --log-level warn ${MOUNT_ARGS:-} \
        --cache-dir "$WORK/cache" "$MNT" \
        </dev/null >>"$WORK/mount.log" 2>&1 &
    MOUNT_PID=$!
    local i
    for (( i = 0; i < 400; i++ )); do
        is_mounted && return 0
        kill -0 "$MOUNT_PID" 2>/dev/null || { cat "$WORK/mount.log" >&2; die "docsfs mount exited"; }
        sleep 0.05
    done
    die "docsfs mount did not mount within 20 s"
}

vm_kib() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/${2:-$MOUNT_PID}/status"; }

mbps() { calc "$1 / $2 / 1e6" .0f; }

verdict() { if "$PY" -c "import sys; sys.exit(not ($1))"; then echo yes; else echo "**no**"; fi; }

join() { local IFS=/; echo "$*"; }

# --- setup ---------------------------------------------------------------------------------------

bench_init() { # TOOLS…: root, the tools, PY
    [[ $(id -u) == 0 ]] || die "run as root (drop_caches and FUSE mounts need it)"
    local tool
    for tool in curl python3 fusermount3 dd "$@"; do
        command -v "$tool" >/dev/null || die "$tool is missing"
    done
    # The interpreter itself, not a wrapper (pyenv shims), so that $! of a background python is its PID.
    PY=$(python3 -c 'import sys; print(sys.executable)')
}

bench_build() { # BIN: $DOCSFS_BIN, or a release build; COMMIT, DIRTY, DIRTY_FILES
    if [[ -n ${DOCSFS_BIN:-} ]]; then
        BIN=$DOCSFS_BIN
    else
        log "cargo build --release"
        (cd "$ROOT" && cargo build --release --quiet)
        BIN=$ROOT/target/release/docsfs
    fi
    [[ -x $BIN ]] || die "no docsfs binary at $BIN"
    # The commit the binary stands for (others may commit or rebuild while this runs).
    COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
    DIRTY=$(git -C "$ROOT" status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null | wc -l)
    DIRTY_FILES=$(git -C "$ROOT" status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null |
        awk '{ print $2 }' | head -5 | paste -sd, | sed 's/,/, /g')
}

bench_cleanup() { # the EXIT trap of every script
    local status=$? s
    trap - EXIT INT TERM
    # A failure because docsfs serve is gone (crashed, killed): say so, with the end of its log.
    if (( status != 0 )) && [[ -n ${SERVER_PID:-} ]] && ! kill -0 "$SERVER_PID" 2>/dev/null; then
        s=0; wait "$SERVER_PID" 2>/dev/null || s=$?
        log "docsfs serve (pid $SERVER_PID) had exited with status $s; the end of its log:"
        tail -20 "$WORK/server.log" >&2 || true
        SERVER_PID=""
    fi
    # A child script (bench/run) first: its own trap cleans up after it.
    if [[ -n ${CHILD_PID:-} ]]; then stop_pid "$CHILD_PID" 120; CHILD_PID=""; fi
    unmount_fs
    rclone_unmount
    if [[ -n ${PROXY_PID:-} ]]; then stop_pid "$PROXY_PID"; PROXY_PID=""; fi
    if [[ -n ${RCLONE_SERVE_PID:-} ]]; then stop_pid "$RCLONE_SERVE_PID"; RCLONE_SERVE_PID=""; fi
    if [[ -n ${SERVER_PID:-} ]]; then stop_pid "$SERVER_PID"; SERVER_PID=""; fi
    if [[ -n ${WATCH_PID:-} ]]; then stop_pid "$WATCH_PID"; WATCH_PID=""; fi
    if [[ -z ${WORK:-} ]]; then
        :
    elif { [[ -n ${MNT:-} ]] && is_mounted "$MNT"; } || { [[ -n ${RMNT:-} ]] && is_mounted "$RMNT"; }; then
        log "warning: a mount under $WORK is still there; leaving $WORK"
    elif [[ -n ${DOCSFS_BENCH_KEEP:-} ]]; then
        log "kept $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}

bench_workdir() { # NEED_MIB: WORK (under $DOCSFS_BENCH_TMP, default /var/tmp), MNT, the traps
    TMP_BASE=${DOCSFS_BENCH_TMP:-/var/tmp}
    local avail
    avail=$(df -Pm "$TMP_BASE" | awk 'NR==2 {print $4}')
    (( avail > $1 )) || die "$TMP_BASE has ${avail} MiB free; this run needs ~$1 MiB"
    WORK=$(mktemp -d "$TMP_BASE/docsfs-bench.XXXXXX")
    MNT=$WORK/mnt
    SERVER_PID="" MOUNT_PID="" WATCH_PID="" CHILD_PID=""
    trap bench_cleanup EXIT
    # set -e ends a script silently; say where.
    trap 'log "error: exit status $? at line $LINENO: $BASH_COMMAND"' ERR
    trap 'exit 130' INT
    trap 'exit 143' TERM
    # A private copy, so a rebuild of target/release during the run cannot change what is measured.
    if [[ -n ${BIN:-} ]]; then
        cp "$BIN" "$WORK/docsfs"
        BIN=$WORK/docsfs
    fi
    mkdir -p "$MNT"
}

make_token() { # TOKEN, TOKEN_FILE (mode 0600)
    TOKEN=bench-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
    TOKEN_FILE=$WORK/token
    (umask 077 && printf %s "$TOKEN" >"$TOKEN_FILE")
    chmod 600 "$TOKEN_FILE"
}

start_server() { # [ARGS…] for `docsfs serve` (e.g. --import DIR --as bench): SERVER_PID, BASE, ROOT_ID
    : >"$WORK/server.out"   # before the loop below reads it (the background redirection may come later)
    "$BIN" serve --data "$WORK/store" --listen 127.0.0.1:0 --user "bench:$TOKEN" --log-level warn "$@" \
        </dev/null >"$WORK/server.out" 2>"$WORK/server.log" &
    SERVER_PID=$!
    BASE=""
    while [[ -z $BASE ]]; do
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; die "docsfs serve exited"; }
        BASE=$(sed -n 's/^listening on //p' "$WORK/server.out" | head -1)
        [[ -n $BASE ]] || sleep 0.2
    done
    ROOT_ID=$(api /api/v1/me | json 'j["User"]["RootFolderId"]')
}

# child_id PARENT_ID NAME: the id of a folder (or, with a third argument `doc`, "DOC_ID VERSION_ID"
# of a document) called NAME in folder PARENT_ID.
child_id() {
    local page
    page=$(api "/api/v1/folders/$1/contents?limit=999")
    if [[ ${3:-} == doc ]]; then
        json "' '.join(next((d['Id'], d['LatestVersionMetadata']['Id']) for d in j['Documents'] if d['LatestVersionMetadata']['Name'] == '$2'))" <<<"$page"
    else
        json "next(f['Id'] for f in j['Folders'] if f['Name'] == '$2')" <<<"$page"
    fi
}

signed_url() { # DOC_ID VERSION_ID: the version's signed download URL
    api "/api/v1/documents/$1/versions/$2?fields=SOURCE" | json 'j["Metadata"]["Source"]["ORIGINAL"]'
}

# --- source data ---------------------------------------------------------------------------------

random_file() { # PATH MIB: random bytes, one 64 MiB chunk ($WORK/chunk) cut (MIB < 64) or repeated
    (( $2 < 64 || $2 % 64 == 0 )) || die "random_file: $2 MiB is neither below nor a multiple of 64"
    [[ -f $WORK/chunk ]] || head -c $((64 << 20)) /dev/urandom >"$WORK/chunk"
    local i
    if (( $2 < 64 )); then
        head -c $(($2 << 20)) "$WORK/chunk" >"$1"
    else
        for (( i = 0; i < $2 / 64; i++ )); do cat "$WORK/chunk"; done >"$1"
    fi
}

# write_tree DIR FILES TOP SUB [sized]: FILES small files spread evenly over TOP folders x SUB
# subfolders, named file-NNNNN.txt; each holds "i\n", or with `sized` that line 1 + i % 50 times
# (2 B to 300 B).
write_tree() {
    "$PY" - "$@" <<'PYEOF'
import os, sys
root, files, top, sub = sys.argv[1], *map(int, sys.argv[2:5])
sized = len(sys.argv) > 5 and sys.argv[5] == "sized"
leaves = [os.path.join(root, f"d{a:02}", f"s{b:02}") for a in range(top) for b in range(sub)]
for d in leaves:
    os.makedirs(d)
for i in range(files):
    with open(os.path.join(leaves[i % len(leaves)], f"file-{i:05}.txt"), "w") as f:
        f.write(f"{i}\n" * ((1 + i % 50) if sized else 1))
PYEOF
}

# --- measuring -----------------------------------------------------------------------------------

dd_read() { # FILE -> prints "seconds bytes"; the file's page cache must be dropped by the caller
    local t0 t1 out
    t0=$(now)
    out=$(LC_ALL=C dd if="$1" of=/dev/null bs=1M 2>&1)
    t1=$(now)
    echo "$(calc "$t1 - $t0" .4f) $(awk '/bytes/ { print $1 }' <<<"$out")"
}

timed_find() { # [DIR] (default $MNT) -> prints "seconds entries"; bash's clock, no fork to read it
    local t0 t1
    t0=$EPOCHREALTIME
    find "${1:-$MNT}" >"$WORK/find.out"
    t1=$EPOCHREALTIME
    echo "$(calc "${t1/,/.} - ${t0/,/.}" .4f) $(wc -l <"$WORK/find.out")"
}

crawl() { # [FOLDER_ID] (default $ROOT_ID): bench/crawl.py's JSON line
    "$PY" "$ROOT/bench/crawl.py" --endpoint "$BASE" --token-file "$TOKEN_FILE" --root "${1:-$ROOT_ID}"
}

curl_upload() { # NAME FILE [PARENT_ID]: initiate + PUT (every signed header) + activate; sets SECS
    local t0 init doc ver url size hdrs=()
    size=$(stat -c %s "$2")
    t0=$(now)
    init=$(curl -sf -H "Authentication: $TOKEN" -H 'Content-Type: application/json' \
        -d "{\"ParentFolderId\": \"${3:-$ROOT_ID}\", \"Name\": \"$1\", \"DocumentSizeInBytes\": $size}" \
        "$BASE/api/v1/documents")
    doc=$(json 'j["Metadata"]["Id"]' <<<"$init")
    ver=$(json 'j["Metadata"]["LatestVersionMetadata"]["Id"]' <<<"$init")
    url=$(json 'j["UploadMetadata"]["UploadUrl"]' <<<"$init")
    while IFS= read -r h; do hdrs+=(-H "$h"); done < <(json '"\n".join(f"{k}: {v}" for k, v in j["UploadMetadata"]["SignedHeaders"].items())' <<<"$init")
    curl -sf "${hdrs[@]}" -T "$2" "$url" >/dev/null
    curl -sf -X PATCH -H "Authentication: $TOKEN" -H 'Content-Type: application/json' \
        -d '{"VersionStatus": "ACTIVE"}' "$BASE/api/v1/documents/$doc/versions/$ver" >/dev/null
    SECS=$(calc "$(now) - $t0" .4f)
}

# --- other load ----------------------------------------------------------------------------------

start_cpuwatch() { # CPU time of processes outside this script's tree, until stop_cpuwatch
    "$PY" "$ROOT/bench/cpuwatch.py" $$ "$WORK/cpuwatch.json" &
    WATCH_PID=$!
    LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
}

stop_cpuwatch() { # OTHER_CPU, OTHER_TOP, WATCH_S
    stop_pid "$WATCH_PID"; WATCH_PID=""
    OTHER_CPU=$(json 'j["other_cpu_s"]' <"$WORK/cpuwatch.json")
    OTHER_TOP=$(json '", ".join(f"{n} {c} s" for n, c in j["top"] if c >= 0.1) or "none"' <"$WORK/cpuwatch.json")
    WATCH_S=$(json 'j["seconds"]' <"$WORK/cpuwatch.json")
}

# --- raw results for bench/run (results.json) ----------------------------------------------------
# record KEY VALUE…: one figure, for $DOCSFS_BENCH_JSON. KEY is dotted (read.cold.docsfs); one VALUE
# is stored as a number (or a string), several as a list (every run). Nothing happens without
# DOCSFS_BENCH_JSON.
record() {
    [[ -n ${DOCSFS_BENCH_JSON:-} ]] || return 0
    local key=$1
    shift
    printf '%s' "$key" >>"$WORK/records.tsv"
    printf '\t%s' "$@" >>"$WORK/records.tsv"
    printf '\n' >>"$WORK/records.tsv"
}

record_list() { # KEY VALUE…: like record, but always a list (also of one run)
    record "$1" "[list]" "${@:2}"
}

write_records() { # the recorded figures, as nested JSON, to $DOCSFS_BENCH_JSON
    [[ -n ${DOCSFS_BENCH_JSON:-} ]] || return 0
    "$PY" - "$WORK/records.tsv" "$DOCSFS_BENCH_JSON" <<'PYEOF'
import json, sys

def value(s):
    for kind in (int, float):
        try:
            return kind(s)
        except ValueError:
            pass
    return s

out = {}
with open(sys.argv[1]) as f:
    for line in f:
        key, *vals = line.rstrip("\n").split("\t")
        node = out
        *path, last = key.split(".")
        for p in path:
            node = node.setdefault(p, {})
        if vals[:1] == ["[list]"]:
            node[last] = [value(v) for v in vals[1:]]
        else:
            node[last] = value(vals[0]) if len(vals) == 1 else [value(v) for v in vals]
with open(sys.argv[2], "w") as f:
    json.dump(out, f, indent=1)
PYEOF
    log "wrote $DOCSFS_BENCH_JSON"
}

# --- rclone (bench/run-sweeps) -------------------------------------------------------------------
# rclone serve webdav of a local folder on 127.0.0.1 (a free port the kernel picks), and fresh
# `rclone mount` processes of it on $RMNT. Config in $WORK/rclone.conf (remote `bench:`).

rclone_serve() { # DIR: RCLONE_SERVE_PID, RCLONE_URL, $WORK/rclone.conf
    rclone serve webdav "$1" --addr 127.0.0.1:0 --config /dev/null \
        --log-file "$WORK/rclone-serve.log" --log-level NOTICE </dev/null >/dev/null 2>&1 &
    RCLONE_SERVE_PID=$!
    RCLONE_URL=""
    local i
    for (( i = 0; i < 200; i++ )); do
        kill -0 "$RCLONE_SERVE_PID" 2>/dev/null || { tail -20 "$WORK/rclone-serve.log" >&2 || true; die "rclone serve exited"; }
        if [[ -f $WORK/rclone-serve.log ]]; then
            RCLONE_URL=$(sed -n 's|.*Server started on \[\{0,1\}\(http://[^]/ ]*\).*|\1|p' "$WORK/rclone-serve.log" | head -1)
        fi
        [[ -n $RCLONE_URL ]] && break
        sleep 0.1
    done
    [[ -n $RCLONE_URL ]] || die "rclone serve webdav did not start within 20 s"
    printf '[bench]\ntype = webdav\nurl = %s\nvendor = other\n' "$RCLONE_URL" >"$WORK/rclone.conf"
}

rclone_mount() { # [CACHE_MODE] (default off): a fresh `rclone mount bench:` on $RMNT (RCLONE_ARGS: more options); RCLONE_MOUNT_PID
    # Its VFS cache folder is emptied first (as mount_fs empties docsfs's), unless KEEP_CONTENT=1.
    rclone_unmount
    [[ ${KEEP_CONTENT:-0} == 1 ]] || rm -rf "$WORK/rclone-cache"
    mkdir -p "$RMNT"
    # shellcheck disable=SC2086 # RCLONE_ARGS: more options, one word each
    rclone mount bench: "$RMNT" --config "$WORK/rclone.conf" --vfs-cache-mode "${1:-off}" \
        --cache-dir "$WORK/rclone-cache" --log-file "$WORK/rclone-mount.log" --log-level NOTICE \
        ${RCLONE_ARGS:-} </dev/null >/dev/null 2>&1 &
    RCLONE_MOUNT_PID=$!
    local i
    for (( i = 0; i < 400; i++ )); do
        is_mounted "$RMNT" && return 0
        kill -0 "$RCLONE_MOUNT_PID" 2>/dev/null || { tail -20 "$WORK/rclone-mount.log" >&2; die "rclone mount exited"; }
        sleep 0.05
    done
    die "rclone mount did not mount within 20 s"
}

rclone_unmount() { # fusermount3 -u, then wait for the process (lazy unmount and SIGTERM if stuck)
    if [[ -n ${RMNT:-} ]] && is_mounted "$RMNT"; then
        fusermount3 -u "$RMNT" 2>/dev/null || fusermount3 -uz "$RMNT" 2>/dev/null || umount -l "$RMNT" || true
    fi
    if [[ -n ${RCLONE_MOUNT_PID:-} ]]; then
        local i
        for (( i = 0; i < 100; i++ )); do kill -0 "$RCLONE_MOUNT_PID" 2>/dev/null || break; sleep 0.1; done
        stop_pid "$RCLONE_MOUNT_PID"
        RCLONE_MOUNT_PID=""
    fi
}

# --- delayproxy (bench/run-smallreads, run-treereads, run-bigreads) ------------------------------
# bench/delayproxy.py between `rclone mount` and `rclone serve webdav`: the same delay per HTTP
# request as `PUT /_docsfs/faults` gives docsfs, and a count of rclone's requests.

proxy_start() { # MS: PROXY_PID, PROXY_URL; points $WORK/rclone.conf (remote bench:) at the proxy
    rm -f "$WORK/proxy.port"
    "$PY" "$ROOT/bench/delayproxy.py" --upstream "$RCLONE_URL" --delay-ms "$1" \
        --port-file "$WORK/proxy.port" --stats-file "$WORK/proxy.stats" \
        </dev/null >"$WORK/proxy.out" 2>"$WORK/proxy.log" &
    PROXY_PID=$!
    local deadline=$(( ${EPOCHREALTIME%[.,]*} + 20 ))
    until [[ -s $WORK/proxy.port ]]; do
        kill -0 "$PROXY_PID" 2>/dev/null || { cat "$WORK/proxy.log" >&2; die "delayproxy.py exited"; }
        (( ${EPOCHREALTIME%[.,]*} < deadline )) || die "delayproxy.py did not listen within 20 s"
        sleep 0.05
    done
    PROXY_URL=http://127.0.0.1:$(<"$WORK/proxy.port")
    printf '[bench]\ntype = webdav\nurl = %s\nvendor = other\n' "$PROXY_URL" >"$WORK/rclone.conf"
}

proxy_delay() { # MS: the proxy's delay per request from now on
    curl -sf -X PUT "$PROXY_URL/_proxy/delay?ms=$1" >/dev/null
}

proxy_stats() { curl -sf "$PROXY_URL/_proxy/stats"; } # its counts, as JSON

