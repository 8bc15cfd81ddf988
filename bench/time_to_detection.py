#!/usr/bin/env python3
"""Time to first detection: every mutant of the built-in suite under five schedules.

usage: bench/time_to_detection.py [--threadmill build/threadmill] [--seeds 20] [--seed 7000]
                                  [--out out/ttd] [SCENARIO ...]

For each scenario file (default: every file under scenarios/ that runs in the plain flavor) and each
schedule below, runs its mutants in the plain flavor over --seeds seeds with `threadmill run --set`,
then prints, per mutant, how many jobs caught it and the median time and operations to the first
detection (results.jsonl's first_detection) under each schedule:

  naive      threads start without a barrier, no rounds, no chaos (sync.mode=start,
             sync.start_barrier=false, chaos off): a hand-written stress loop
  rounds     barrier and rounds (the scenario's own rounds, else 64 ops a round), no chaos
  uniform    rounds + the scenario's chaos (yield 0.05 when it has none)
  pct        uniform + chaos.strategy=pct
  portfolio  uniform + chaos.strategy=portfolio

Lockstep scenarios keep their lockstep in every schedule (their mechanism is the arbiter's).
"""
import argparse
import json
import statistics
import subprocess
import sys
import tomllib
from pathlib import Path

SCHEDULES = ["naive", "rounds", "uniform", "pct", "portfolio"]


def sets_for(schedule: str, sc: dict) -> list[str]:
    sync = sc.get("sync", {})
    chaos = sc.get("chaos", {})
    mode = sync.get("mode", "start")
    out: list[str] = []
    chaos_off = ["chaos.yield=0"] + (["chaos.delay_probability=0"] if "delay" in chaos else [])
    if schedule == "naive":
        if mode != "lockstep":
            out += ["sync.mode=start", "sync.ops_per_round=", "sync.checkpoint=", "sync.start_barrier=false"]
        return out + chaos_off
    if mode == "start":
        out += ["sync.mode=rounds"]
    if schedule == "rounds":
        return out + chaos_off
    if not chaos.get("yield") and not chaos.get("delay_probability"):
        out += ["chaos.yield=0.05"]
    if schedule in ("pct", "portfolio"):
        out += [f"chaos.strategy={schedule}"]
    return out


def plain_expectation(sc: dict, variant: str):
    """The scenario's expectation for `variant` in the plain flavor ("" when it has none written)."""
    e = sc.get("expect", {}).get(variant, "")
    if isinstance(e, dict):
        e = e.get("plain", e.get("default", ""))
    return e


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenarios", nargs="*")
    ap.add_argument("--threadmill", default="build/threadmill")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7000)
    ap.add_argument("--out", default="out/ttd")
    args = ap.parse_args()
    files = [Path(p) for p in args.scenarios] or sorted(Path("scenarios").glob("*/*.toml"))
    rows: dict[tuple[str, str], dict[str, list[dict]]] = {}
    for f in files:
        sc = tomllib.loads(f.read_text())
        if "plain" not in sc.get("flavors", ["plain"]):
            continue
        mutants = [v for v in sc.get("variants", []) if v != "safe" and plain_expectation(sc, v) not in ("pass", "any")]
        if not mutants:
            continue
        for schedule in SCHEDULES:
            out = Path(args.out) / schedule / f.stem
            cmd = [args.threadmill, "run", str(f), "--flavor", "plain", "--variant", ",".join(mutants),
                   "--seed", str(args.seed), "--seeds", str(args.seeds), "--out", str(out), "-q"]
            for s in sets_for(schedule, sc):
                cmd += ["--set", s]
            print(" ".join(cmd), file=sys.stderr)
            done = subprocess.run(cmd)
            if done.returncode not in (0, 1):
                print(f"{f}: {schedule}: exit {done.returncode}; skipped", file=sys.stderr)
                continue
            for line in (out / "results.jsonl").read_text().splitlines():
                job = json.loads(line)
                if job.get("type") != "job" or job["variant"] not in mutants:
                    continue
                rows.setdefault((sc["name"], job["variant"]), {}).setdefault(schedule, []).append(job)
    print("| scenario | mutant | " + " | ".join(SCHEDULES) + " |")
    print("|---|---|" + "---|" * len(SCHEDULES))
    for (scenario, variant), by in sorted(rows.items()):
        cells = []
        for schedule in SCHEDULES:
            jobs = by.get(schedule, [])
            firsts = [j["first_detection"] for j in jobs if j.get("expectation_met") and j.get("first_detection")]
            if not jobs:
                cells.append("—")
                continue
            caught = sum(1 for j in jobs if j.get("expectation_met"))
            if not firsts:
                cells.append(f"{caught}/{len(jobs)}")
                continue
            secs = statistics.median(f["seconds"] for f in firsts)
            ops = [f["ops"] for f in firsts if f.get("ops") is not None]
            ops_text = f", {statistics.median(ops):.0f} ops" if ops else ""
            cells.append(f"{caught}/{len(jobs)}: {secs * 1000:.1f} ms{ops_text}")
        print(f"| {scenario} | {variant} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
