#!/usr/bin/env bash
# Every shell benchmark in one go (about 5 minutes): tools compared, critical path and footprint,
# manifest scaling. Each prints Markdown tables; see the header of each script for what it measures.
# Usage: bash benches/all.sh
set -euo pipefail
dir=$(dirname "${BASH_SOURCE[0]}")
bash "$dir/compare.sh" "${RUNS:-10}"
bash "$dir/critical_path.sh" "${RUNS:-10}"
bash "$dir/scaling.sh" 3
