#!/usr/bin/env bash
# The same job done three ways against one local emulator, timed end to end as a CI step sees it
# (process start included): describe, update with new code, test with one event, publish.
#   (a) this binary in action mode (one process; it also reads the code of both stages and reads
#       LIVE back after publishing, so it makes more requests than the others),
#   (b) the AWS CLI, one `aws cloudfront ...` process per call, as a shell script in a workflow does,
#   (c) a Node script on @aws-sdk/client-cloudfront (benches/node/job.mjs), one process.
# Prints the median wall time of RUNS runs (after one warm-up) and the ratios.
# Usage: bash benches/compare.sh [RUNS]   (RUNS: timed runs, default 10)
# Needs: bash, cargo, python3, node, npm, AWS CLI
#   (the AWS CLI: `pip install awscli`; npm installs @aws-sdk/client-cloudfront into benches/node on the
#   first run; no AWS account: fake keys and a local emulator)
# Variables:
#   LATENCY_MS  emulator delay per response, default 0 (tool overhead only)
#   BIN         a built cloudfront-publish to use instead of `cargo build --release`
#   AWS_BIN     the aws executable, default pyenv's or the one on PATH
# Not a test: it asserts only that every run succeeds.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=${1:-10}
LATENCY_MS=${LATENCY_MS:-0}

AWS_BIN=${AWS_BIN:-$( (command -v pyenv >/dev/null && pyenv which aws 2>/dev/null) || command -v aws || true)}
[[ -n "$AWS_BIN" ]] || { echo "the AWS CLI is missing: pip install awscli" >&2; exit 1; }
command -v node >/dev/null || { echo "node is missing" >&2; exit 1; }
if [[ ! -d "$ROOT/benches/node/node_modules/@aws-sdk/client-cloudfront" ]]; then
    echo "installing @aws-sdk/client-cloudfront (npm ci in benches/node)" >&2
    (cd "$ROOT/benches/node" && npm ci --no-audit --no-fund --silent)
fi

build_release
start_emulator "$LATENCY_MS" "$WORK/requests.jsonl"
EMU=$EMULATOR_PID
WS="$WORK/ws"
mkdir -p "$WS"
write_event "$WS/event.json"

export AWS_ACCESS_KEY_ID=AKIDBENCHFAKE000001 AWS_SECRET_ACCESS_KEY=benchFakeSecret0000000000000000000000001
export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""

job_binary() { # VARIANT
    write_function "$WS/function.js" "$1"
    run_action "$WS" FUNCTION-NAME=bench-binary FUNCTION-FILE=function.js TEST-EVENTS=event.json \
        ENDPOINT-URL="$URL" || { cat "$WS/last.log" >&2; return 1; }
}

job_cli() { # VARIANT
    write_function "$WS/function-cli.js" "$1"
    local etag
    etag=$("$AWS_BIN" cloudfront describe-function --endpoint-url "$URL" --name bench-cli \
        --query ETag --output text)
    etag=$("$AWS_BIN" cloudfront update-function --endpoint-url "$URL" --name bench-cli --if-match "$etag" \
        --function-config Comment="",Runtime=cloudfront-js-2.0 --function-code "fileb://$WS/function-cli.js" \
        --query ETag --output text)
    local error
    error=$("$AWS_BIN" cloudfront test-function --endpoint-url "$URL" --name bench-cli --if-match "$etag" \
        --event-object "fileb://$WS/event.json" --query TestResult.FunctionErrorMessage --output text)
    [[ "$error" == "None" || -z "$error" ]] || { echo "test failed: $error" >&2; return 1; }
    "$AWS_BIN" cloudfront publish-function --endpoint-url "$URL" --name bench-cli --if-match "$etag" >/dev/null
}

job_node() { # VARIANT
    write_function "$WS/function-node.js" "$1"
    node --no-warnings "$ROOT/benches/node/job.mjs" "$URL" bench-node "$WS/function-node.js" "$WS/event.json"
}

# The three functions exist before timing starts (the binary creates them).
for name in bench-binary bench-cli bench-node; do
    write_function "$WS/seed.js" seed
    run_action "$WS" FUNCTION-NAME="$name" FUNCTION-FILE=seed.js ENDPOINT-URL="$URL" || { cat "$WS/last.log" >&2; exit 1; }
done

declare -A TIMES
for tool in binary cli node; do
    "job_$tool" warmup
    TIMES[$tool]=""
done
# Interleaved, so a burst of load on the machine hits every tool alike.
for i in $(seq 1 "$RUNS"); do
    for tool in binary cli node; do
        start=$(now_ms)
        "job_$tool" "run-$i"
        TIMES[$tool]+=" $(($(now_ms) - start))"
    done
done

bin_ms=$(median ${TIMES[binary]})
cli_ms=$(median ${TIMES[cli]})
node_ms=$(median ${TIMES[node]})
requests=$(wc -l <"$WORK/requests.jsonl")
stop_emulator "$EMU"

echo
echo "## describe + update + test + publish, median of $RUNS runs (emulator latency ${LATENCY_MS} ms)"
echo "machine: $(machine)"
echo
echo "| tool | median wall time | binary is faster by |"
echo "|---|---|---|"
echo "| cloudfront-publish (action mode, one process) | ${bin_ms} ms | 1× |"
echo "| AWS CLI $("$AWS_BIN" --version 2>&1 | cut -d' ' -f1 | cut -d/ -f2) (4 processes) | ${cli_ms} ms | $(ratio "$cli_ms" "$bin_ms")× |"
echo "| Node $(node --version) + @aws-sdk/client-cloudfront $(node -p "require('$ROOT/benches/node/node_modules/@aws-sdk/client-cloudfront/package.json').version") (one process) | ${node_ms} ms | $(ratio "$node_ms" "$bin_ms")× |"
echo
echo "all runs (ms): binary${TIMES[binary]}; cli${TIMES[cli]}; node${TIMES[node]}; requests served: $requests"
