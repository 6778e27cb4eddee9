#!/usr/bin/env bash
# Every shell benchmark in one go (about 5 minutes): tools compared, critical path and footprint,
# manifest scaling. Each prints Markdown tables; see the header of each script for what it measures.
# Usage: bash benches/all.sh
# Needs: bash, cargo, python3, node, npm, AWS CLI   (what compare.sh needs; the others need less)
# Variables:
#   RUNS        timed runs for compare.sh and critical_path.sh, default 10 (scaling.sh runs 3)
#   LATENCY_MS  when set, replaces every script's own default (0, 100 and 50 ms)
#   FUNCTIONS   functions in scaling.sh's manifest, default 40
#   BIN         a built cloudfront-publish to use instead of `cargo build --release`
#   AWS_BIN     the aws executable for compare.sh
#   DIST_BIN    a `--profile dist` binary whose size critical_path.sh reports
set -euo pipefail
dir=$(dirname "${BASH_SOURCE[0]}")
bash "$dir/compare.sh" "${RUNS:-10}"
bash "$dir/critical_path.sh" "${RUNS:-10}"
bash "$dir/scaling.sh" 3
