#!/usr/bin/env bash
# Manifest scaling: a generated manifest of FUNCTIONS functions (default 40; the same small function,
# one test each) against an emulator with LATENCY_MS (default 50) per response, at concurrency 1, 4
# and 8. Every run changes the code of every function, so each goes through all 5 rounds.
# Prints the wall time next to the ideal ceil(FUNCTIONS / c) × (the time of a one-function
# manifest) and the ratio, and, from the emulator's request log, the largest number of distinct
# functions with requests in flight at once (it must not exceed c; the script fails if it does).
# Usage: bash benches/scaling.sh [RUNS]   (RUNS: timed runs per concurrency, default 3)
# Needs: bash, cargo, python3
#   (optional: GNU time at /usr/bin/time for the peak RSS)
# Variables:
#   FUNCTIONS   functions in the generated manifest, default 40
#   LATENCY_MS  emulator delay per response, default 50
#   BIN         a built cloudfront-publish to use instead of `cargo build --release`
# Not a test beyond that one check.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=${1:-3}
FUNCTIONS=${FUNCTIONS:-40}
LATENCY_MS=${LATENCY_MS:-50}

build_release
start_emulator "$LATENCY_MS" "$WORK/requests.jsonl"
WS="$WORK/ws"
mkdir -p "$WS"
write_event "$WS/event.json"

write_manifest() { # FILE COUNT
    {
        echo "functions:"
        for n in $(seq -f '%02g' 1 "$2"); do
            printf '  - name: scale-%s\n    file: function.js\n    tests: [event.json]\n' "$n"
        done
    } >"$WS/$1"
}
write_manifest many.yaml "$FUNCTIONS"
write_manifest one.yaml 1

run_manifest() { # MANIFEST CONCURRENCY VARIANT
    write_function "$WS/function.js" "$3"
    run_action "$WS" MANIFEST="$1" CONCURRENCY="$2" ENDPOINT-URL="$URL" || { cat "$WS/last.log" >&2; return 1; }
}

# Create everything first (not timed).
run_manifest many.yaml 8 create

single=""
for i in $(seq 1 "$RUNS"); do
    start=$(now_ms)
    run_manifest one.yaml 1 "single-$i"
    single+=" $(($(now_ms) - start))"
done
single_ms=$(median $single)

echo
echo "## manifest scaling: $FUNCTIONS functions, emulator latency ${LATENCY_MS} ms, median of $RUNS runs"
echo "machine: $(machine)"
echo "one-function manifest: ${single_ms} ms (runs:${single})"
echo
echo "| concurrency | wall time | ideal ceil($FUNCTIONS/c) × one function | ratio | most functions in flight at once |"
echo "|---|---|---|---|---|"
status=0
for c in 1 4 8; do
    times="" worst=0
    for i in $(seq 1 "$RUNS"); do
        start=$(now_ms)
        run_manifest many.yaml "$c" "c$c-$i"
        times+=" $(($(now_ms) - start))"
        inflight=$(python3 "$ROOT/benches/inflight.py" "$WORK/requests.jsonl" "$start")
        ((inflight > worst)) && worst=$inflight
    done
    wall=$(median $times)
    ideal=$(((FUNCTIONS + c - 1) / c * single_ms))
    echo "| $c | ${wall} ms | ${ideal} ms | $(ratio "$wall" "$ideal")× | $worst (limit $c) |"
    ((worst <= c)) || status=1
done

if [[ -x /usr/bin/time ]]; then
    TIME_PREFIX="/usr/bin/time -v" run_manifest many.yaml 8 footprint
    rss_kb=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$WS/last.log")
    echo
    echo "peak RSS of the $FUNCTIONS-function run at concurrency 8: $((rss_kb / 1024)) MiB (${rss_kb} kB)"
fi
((status == 0)) || { echo "FAILED: more functions in flight than the concurrency allows" >&2; exit 1; }
