#!/usr/bin/env python3
"""Detection table: how many jobs of each mutant caught it, per scenario and flavor.

usage: ci/detection-table.py RESULTS.jsonl [--target NAME]

Reads a results.jsonl (for example of `threadmill run scenarios --seeds 20`) and prints one Markdown
table per target: for every mutant (a variant whose expectation is not `pass`) in every scenario and
flavor, the jobs that met the expectation over the jobs that ran. A flavor whose expectation is `any`
is not gated: it shows how many of its jobs had any detection, in brackets. Rows of gated flavors
below every job are marked. The exit code is 0 when every gated row caught in every job, else 1.
"""
import argparse
import json
import sys
from collections import defaultdict

FLAVOR_ORDER = {"plain": 0, "tsan": 1, "asan": 2}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results")
    parser.add_argument("--target", help="only this target's mutants")
    args = parser.parse_args()

    rows = defaultdict(lambda: {"jobs": 0, "met": 0, "detected": 0, "expected": None})
    with open(args.results, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            try:
                job = json.loads(line)
            except json.JSONDecodeError as e:
                print(f"{args.results}:{number}: not JSON ({e}); skipped", file=sys.stderr)
                continue
            if job.get("type") != "job" or job.get("expected") == ["pass"]:
                continue
            if args.target and job.get("target") != args.target:
                continue
            key = (job["target"], job["scenario"], job["variant"], job["flavor"])
            row = rows[key]
            row["jobs"] += 1
            row["met"] += 1 if job.get("expectation_met") else 0
            row["detected"] += 1 if job.get("detections") else 0
            row["expected"] = " or ".join(job.get("expected", []))

    if not rows:
        print("no mutant jobs in " + args.results, file=sys.stderr)
        return 1
    short = 0
    for target in sorted({k[0] for k in rows}):
        print(f"\n### `{target}`\n")
        print("| scenario | mutant | flavor | expects | caught |")
        print("|---|---|---|---|---|")
        keys = sorted((k for k in rows if k[0] == target), key=lambda k: (k[2], k[1], FLAVOR_ORDER.get(k[3], 9), k[3]))
        for key in keys:
            row = rows[key]
            _, scenario, variant, flavor = key
            if row["expected"] == "any":
                cell = f"not gated ({row['detected']}/{row['jobs']} had a detection)"
            else:
                cell = f"{row['met']}/{row['jobs']}"
                if row["met"] < row["jobs"]:
                    cell = f"**{cell}**"
                    short += 1
            print(f"| {scenario} | `{variant}` | {flavor} | {row['expected']} | {cell} |")
    print(f"\n{short} gated row(s) below every job" if short else "\nevery gated row caught in every job")
    return 1 if short else 0


if __name__ == "__main__":
    sys.exit(main())
