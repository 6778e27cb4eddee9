# Shared helpers of the shell benchmarks (sourced, not run): build the release binary once, start
# and stop `cloudfront-publish emulator` processes, run the binary in action mode as the runner does,
# time commands and take medians. Not a test harness: the scripts print numbers, they assert little.
# Needs: bash, cargo (unless BIN is set), python3
# Variables:
#   BIN          a built cloudfront-publish; unset: `cargo build --release` once, then its path
#   TMPDIR       where the scratch folder goes, default /tmp
#   TIME_PREFIX  set by the scripts (not by you) to run one measured run under /usr/bin/time -v

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cfp-bench.XXXXXX")
EMULATOR_PIDS=()

cleanup() {
    for pid in "${EMULATOR_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

# Builds the release binary (once per script run) and sets BIN.
build_release() {
    if [[ -z "${BIN:-}" ]]; then
        echo "building: cargo build --release" >&2
        (cd "$ROOT" && cargo build --release --quiet)
        BIN=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps |
            python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/cloudfront-publish
    fi
    [[ -x "$BIN" ]] || { echo "no binary at $BIN" >&2; exit 1; }
}

# start_emulator LATENCY_MS LOG_FILE: starts an emulator on a free port; sets URL and EMULATOR_PID.
start_emulator() {
    local latency=$1 log=$2 out
    out=$(mktemp "$WORK/emulator-out.XXXXXX")
    "$BIN" emulator --listen 127.0.0.1:0 --latency-ms "$latency" --request-log "$log" >"$out" 2>&1 &
    EMULATOR_PID=$!
    EMULATOR_PIDS+=("$EMULATOR_PID")
    for _ in $(seq 1 200); do
        if grep -q '^listening on ' "$out"; then
            URL=$(sed -n 's/^listening on //p' "$out" | head -n1)
            return 0
        fi
        sleep 0.05
    done
    echo "the emulator did not start:" >&2
    cat "$out" >&2
    exit 1
}

stop_emulator() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# run_action WORKSPACE [INPUT=VALUE ...]: the binary in action mode with a clean environment, as
# the Actions runner starts it (fake credentials, no PR comment). Output goes to WORKSPACE/last.log.
run_action() {
    local ws=$1
    shift
    local env=(PATH="$PATH" GITHUB_ACTIONS=true GITHUB_WORKSPACE="$ws"
        GITHUB_OUTPUT="$ws/github_output" GITHUB_STEP_SUMMARY="$ws/github_summary"
        AWS_ACCESS_KEY_ID=AKIDBENCHFAKE000001 AWS_SECRET_ACCESS_KEY=benchFakeSecret0000000000000000000000001
        AWS_EC2_METADATA_DISABLED=true INPUT_PR-COMMENT=off)
    local kv
    for kv in "$@"; do
        env+=("INPUT_${kv%%=*}=${kv#*=}")
    done
    : >"$ws/github_output"
    (cd "$ws" && env -i "${env[@]}" ${TIME_PREFIX:-} "$BIN") >"$ws/last.log" 2>&1
}

now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

# median N1 N2 ...: the median (the mean of the middle two for an even count), integer ms.
median() {
    printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print int((a[NR/2]+a[NR/2+1])/2)}'
}

# ratio A B: A/B with two decimals.
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "inf"; else printf "%.2f", a / b }'
}

# A small viewer-request function; VARIANT changes its code so every run really updates it.
write_function() {
    cat >"$1" <<EOF
// bench variant $2
function handler(event) {
    var request = event.request;
    request.headers['x-bench'] = { value: '$2' };
    return request;
}
EOF
}

write_event() {
    cat >"$1" <<'EOF'
{"version":"1.0","context":{"eventType":"viewer-request"},"viewer":{"ip":"198.51.100.7"},"request":{"method":"GET","uri":"/index.html","querystring":{},"headers":{"host":{"value":"www.example.com"}},"cookies":{}}}
EOF
}

machine() {
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
}
