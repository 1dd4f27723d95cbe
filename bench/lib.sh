# Shared helpers of the bench/run-* scripts (sourced, not run). They use the caller's globals:
# PY (python3), BIN (docsfs), BASE (server URL), TOKEN, TOKEN_FILE, MNT, WORK, MOUNT_PID.

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }

die() { log "error: $*"; exit 1; }

is_mounted() { awk -v m="$MNT" '$5 == m { found = 1 } END { exit !found }' /proc/self/mountinfo; }

stop_pid() { # PID: SIGTERM, wait up to 15 s, then SIGKILL
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for (( i = 0; i < 150; i++ )); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true
}

unmount_fs() {
    if [[ -n $MOUNT_PID ]]; then
        stop_pid "$MOUNT_PID"
        MOUNT_PID=""
    fi
    if is_mounted; then fusermount3 -uz "$MNT" 2>/dev/null || umount -l "$MNT" || true; fi
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

mount_fs() { # a fresh `docsfs mount` process (empty caches) on $MNT
    unmount_fs
    "$BIN" mount --endpoint "$BASE" --token-file "$TOKEN_FILE" --log-level warn \
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

vm_kib() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$MOUNT_PID/status"; }

mbps() { calc "$1 / $2 / 1e6" .0f; }

verdict() { if "$PY" -c "import sys; sys.exit(not ($1))"; then echo yes; else echo "**no**"; fi; }

join() { local IFS=/; echo "$*"; }
