#!/usr/bin/env bash
# Critical path and footprint of one pipeline run, against an emulator that delays every response
# by LATENCY_MS (default 100), so the wall time is dominated by sequential round trips:
#   changed function   5 rounds (reads ∥, update, tests ∥, publish, describe LIVE)
#   unchanged function 2 rounds (reads ∥, tests ∥; LIVE already holds the code, nothing to publish)
#   changed function + changed key value store data, store given by ARN: 5 rounds (function and
#   store reads ∥, update ∥ puts, tests ∥, publish, describe LIVE ∥ deletes); by name one more (the
#   store's lookup by name comes before its data-plane reads)
# The run's one ListDistributions goes beside the reads; the script says whether both shapes kept
# their rounds with it.
# Prints the median wall time of RUNS runs next to the lower bound ROUNDS × LATENCY_MS and the ratio,
# then the peak RSS of one run (/usr/bin/time -v) and the binary's size.
# Usage: bash benches/critical_path.sh [RUNS]   (RUNS: timed runs per variant, default 10)
# Needs: bash, cargo, python3
#   (optional: GNU time at /usr/bin/time for the peak RSS, `strip` for the stripped size)
# Variables:
#   LATENCY_MS  emulator delay per response, default 100
#   BIN         a built cloudfront-publish to use instead of `cargo build --release`
#   DIST_BIN    a `--profile dist` binary to report the size of, default target-dist/dist/cloudfront-publish
# Not a test: it asserts only that every run succeeds.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=${1:-10}
LATENCY_MS=${LATENCY_MS:-100}

build_release
start_emulator "$LATENCY_MS" "$WORK/requests.jsonl"
WS="$WORK/ws"
mkdir -p "$WS"
write_event "$WS/event.json"

pipeline() { # VARIANT
    write_function "$WS/function.js" "$1"
    run_action "$WS" FUNCTION-NAME=critical FUNCTION-FILE=function.js TEST-EVENTS=event.json \
        ENDPOINT-URL="$URL" || { cat "$WS/last.log" >&2; return 1; }
}

# Requests of the last run (started at START_MS, ended at END_MS): rounds = how many times a request
# started after all earlier ones had ended; "to first request" = process start to the first request;
# "busy" = time with at least one request in the emulator (its latency and work).
rounds_of_last_run() { # START_MS END_MS
    python3 - "$WORK/requests.jsonl" "$1" "$2" <<'EOF'
import json, sys
start, end = int(sys.argv[2]), int(sys.argv[3])
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
lines = sorted((l for l in lines if start <= l["start_ms"] <= end), key=lambda l: l["start_ms"])
# The distribution listing (GET /2020-05-31/distribution) is not counted as a round: it must go
# beside the function's requests, ending before the last of them does.
is_listing = lambda l: l["method"] == "GET" and l["path"].rstrip("/").endswith("/2020-05-31/distribution")
listings = [l for l in lines if is_listing(l)]
lines = [l for l in lines if not is_listing(l)]
last_end = max((l["end_ms"] for l in lines), default=0)
beside = "beside" if all(l["end_ms"] <= last_end for l in listings) else "ON THE CRITICAL PATH"
rounds, horizon, busy = 0, -1, 0
for l in lines:
    if l["start_ms"] >= horizon:
        rounds += 1
        busy += l["end_ms"] - l["start_ms"]
    elif l["end_ms"] > horizon:
        busy += l["end_ms"] - horizon
    horizon = max(horizon, l["end_ms"])
first = lines[0]["start_ms"] - start if lines else 0
print(f"{rounds} rounds, {len(lines)} requests + {len(listings)} ListDistributions {beside}, busy {busy} ms, to first request {first} ms")
EOF
}

# "yes" when the last run's shape has exactly ROUNDS rounds and one ListDistributions beside them.
within_design() { # SHAPE ROUNDS
    [[ "$1" == "$2 rounds,"*"+ 1 ListDistributions beside,"* ]] && echo yes || echo "NO: $1"
}

pipeline create # creates and publishes the function; not timed
changed="" unchanged=""
for i in $(seq 1 "$RUNS"); do
    start=$(now_ms)
    pipeline "run-$i"
    end=$(now_ms)
    changed+=" $((end - start))"
    changed_shape=$(rounds_of_last_run "$start" "$end")
    start=$(now_ms)
    pipeline "run-$i" # the same code again: nothing to update or publish
    end=$(now_ms)
    unchanged+=" $((end - start))"
    unchanged_shape=$(rounds_of_last_run "$start" "$end")
done
# The second run of each pair must really have been a no-op.
[[ "$(grep -A1 '^changed<<' "$WS/github_output" | sed -n 2p)" == false ]] || { echo "the unchanged run changed something" >&2; exit 1; }

# Key value store: each run changes the function and the data (one key added, one changed, one
# removed), so the puts and the deletes both happen.
write_kvs_data() { # FILE VARIANT
    printf '{"data": [{"key": "k-%s", "value": "v"}, {"key": "shared", "value": "%s"}]}\n' "$2" "$2" >"$1"
}
kvs_pipeline() { # VARIANT STORE
    write_function "$WS/kvs-function.js" "kvs-$1"
    write_kvs_data "$WS/kvs.json" "$1"
    run_action "$WS" FUNCTION-NAME=critical-kvs FUNCTION-FILE=kvs-function.js TEST-EVENTS=event.json \
        KEY-VALUE-STORE="$2" KEY-VALUE-STORE-DATA=kvs.json ENDPOINT-URL="$URL" ||
        { cat "$WS/last.log" >&2; return 1; }
}
kvs_pipeline create bench-store # creates the store and the function; not timed
KVS_ARN=$(grep -A1 '^key-value-store-arn<<' "$WS/github_output" | sed -n 2p)
[[ "$KVS_ARN" == arn:* ]] || { echo "no key-value-store-arn output" >&2; exit 1; }
kvs_arn="" kvs_name=""
for i in $(seq 1 "$RUNS"); do
    start=$(now_ms)
    kvs_pipeline "arn-$i" "$KVS_ARN"
    end=$(now_ms)
    kvs_arn+=" $((end - start))"
    kvs_arn_shape=$(rounds_of_last_run "$start" "$end")
    start=$(now_ms)
    kvs_pipeline "name-$i" bench-store
    end=$(now_ms)
    kvs_name+=" $((end - start))"
    kvs_name_shape=$(rounds_of_last_run "$start" "$end")
done
grep -q '"removed":\["k-arn-' "$WS/github_output" || { echo "the KVS runs deleted nothing" >&2; exit 1; }
kvs_arn_ms=$(median $kvs_arn)
kvs_name_ms=$(median $kvs_name)

changed_ms=$(median $changed)
unchanged_ms=$(median $unchanged)
changed_bound=$((5 * LATENCY_MS))
unchanged_bound=$((2 * LATENCY_MS))

# Footprint: one changed run under /usr/bin/time -v.
TIME_BIN=/usr/bin/time
if [[ -x "$TIME_BIN" ]]; then
    TIME_PREFIX="$TIME_BIN -v" pipeline footprint
    rss_kb=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$WS/last.log")
    rss="$((rss_kb / 1024)) MiB (${rss_kb} kB)"
else
    rss="n/a (install GNU time: apt-get install time)"
fi
size_release=$(stat -c %s "$BIN")
cp "$BIN" "$WORK/stripped" && strip "$WORK/stripped" 2>/dev/null && size_stripped=$(stat -c %s "$WORK/stripped") || size_stripped=""

echo
echo "## critical path, emulator latency ${LATENCY_MS} ms per response, median of $RUNS runs"
echo "machine: $(machine)"
echo
echo "| run | round trips (design) | observed (last run) | lower bound | median wall time | ratio |"
echo "|---|---|---|---|---|---|"
echo "| changed function | 5 | $changed_shape | ${changed_bound} ms | ${changed_ms} ms | $(ratio "$changed_ms" "$changed_bound")× |"
echo "| unchanged function | 2 | $unchanged_shape | ${unchanged_bound} ms | ${unchanged_ms} ms | $(ratio "$unchanged_ms" "$unchanged_bound")× |"
echo "| changed function + changed KVS data (store by ARN) | 5 | $kvs_arn_shape | ${changed_bound} ms | ${kvs_arn_ms} ms | $(ratio "$kvs_arn_ms" "$changed_bound")× |"
echo "| changed function + changed KVS data (store by name) | 6 | $kvs_name_shape | $((6 * LATENCY_MS)) ms | ${kvs_name_ms} ms | $(ratio "$kvs_name_ms" "$((6 * LATENCY_MS))")× |"
echo
echo "round trips with the distribution listing beside the reads: changed 5 $(within_design "$changed_shape" 5), unchanged 2 $(within_design "$unchanged_shape" 2), KVS by ARN 5 $(within_design "$kvs_arn_shape" 5), KVS by name 6 $(within_design "$kvs_name_shape" 6)"
echo
echo "| footprint | value |"
echo "|---|---|"
echo "| peak RSS, one changed run (action mode) | $rss |"
echo "| release binary (\`cargo build --release\`) | $((size_release / 1024 / 1024)) MiB ($size_release bytes) |"
[[ -n "$size_stripped" ]] && echo "| release binary, stripped | $((size_stripped / 1024 / 1024)) MiB ($size_stripped bytes) |"
DIST="${DIST_BIN:-$ROOT/target-dist/dist/cloudfront-publish}"
[[ -x "$DIST" ]] && echo "| \`--profile dist\` binary (LTO, stripped) | $(($(stat -c %s "$DIST") / 1024 / 1024)) MiB ($(stat -c %s "$DIST") bytes) |"
echo
echo "all runs (ms): changed$changed; unchanged$unchanged; kvs by ARN$kvs_arn; kvs by name$kvs_name"
