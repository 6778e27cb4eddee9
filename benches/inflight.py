#!/usr/bin/env python3
"""Reads an emulator request log (JSON lines with start_ms, end_ms, function) and prints the largest
number of distinct functions that had requests in flight at the same moment, counting only the
requests that started at or after SINCE_MS. Used by benches/scaling.sh; not a test."""
import json
import sys


def max_in_flight(entries):
    best = 0
    for e in entries:
        t = e["start_ms"]
        # Half-open intervals: a request that ended at t is no longer in flight at t.
        active = {o["function"] for o in entries if o["start_ms"] <= t < o["end_ms"]}
        best = max(best, len(active))
    return best


def main():
    path, since = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0
    with open(path) as f:
        entries = [json.loads(line) for line in f if line.strip()]
    entries = [e for e in entries if e["start_ms"] >= since and e.get("function")]
    print(max_in_flight(entries))


if __name__ == "__main__":
    main()
