#!/usr/bin/env python3
"""Time to first detection: every plain-flavor mutant of the built-in suite under five schedules.

usage: bench/time_to_detection.py [--build build] [--seeds 20] [--seed 7000] [--out out/ttd]
                                  [--only MECHANISM | --except MECHANISM] [--table-only] [SCENARIO ...]

For each scenario file (default: every file under scenarios/ that runs in the plain flavor) and each
schedule below, runs its mutants in the plain flavor over --seeds seeds with `threadmill run --set`
(one run per scenario and schedule, into OUT/<schedule>/<scenario file>-<pick>-seeds-<seed>x<seeds>), then prints, per mutant,
how many jobs caught it as expected and the median time and operation count to the first detection
(results.jsonl's first_detection) under each schedule, over the caught jobs. The table reads every
results.jsonl under OUT, so a second pass (say `--only timeout` after `--except timeout`) adds to it,
and `--table-only` prints it again without running anything.

  naive      threads start without a barrier, no rounds, no chaos (sync.mode=start,
             sync.start_barrier=false, chaos off): a hand-written stress loop
  rounds     barrier and rounds (the scenario's own rounds, else the default round length), no chaos
  uniform    rounds + the scenario's chaos (yield 0.05 when it has none): threadmill's default strategy
  pct        uniform + chaos.strategy=pct
  portfolio  uniform + chaos.strategy=portfolio

Lockstep scenarios keep their lockstep in every schedule (their mechanism is the arbiter's).
Every job's timeout is at most --timeout-cap (3 s): a mutant that hangs under some schedule (a naive
loop has no checkpoint to see a stalled bus, and its publishers block) costs that much a job, not the
scenario's 20 s, and a hang's detection time is its timeout.
--only / --except pick mutants by the mechanism expected of them in the plain flavor (the scenario's
[expect], else the target's declared one): `--except timeout` leaves out the hangs, whose detection
time is the scenario's timeout under any schedule.
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
    """The --set overrides that turn the scenario into `schedule`."""
    sync = sc.get("sync", {})
    chaos = sc.get("chaos", {})
    mode = sync.get("mode", "start")
    out: list[str] = []
    chaos_off = [f"chaos.{key}=" for key in ("yield", "delay", "delay_probability", "strategy", "pct_depth", "start_spread")]
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
    out += ["chaos.strategy=" + ("uniform" if schedule == "uniform" else schedule)]
    return out


def seconds(text: str) -> float:
    """A scenario duration ("20s", "1500ms", "50us") in seconds."""
    for unit, scale in (("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9), ("s", 1.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * scale
    raise ValueError(f"not a duration: {text}")


def plain_expectation(sc: dict, variant: str, declared: dict[str, str]):
    """What the scenario expects of `variant` in the plain flavor, else what the target declares."""
    e = sc.get("expect", {}).get(variant)
    if isinstance(e, dict):
        e = e.get("plain", e.get("default"))
    return e if e is not None else declared.get(variant, "")


def mechanisms(expectation) -> list[str]:
    items = expectation if isinstance(expectation, list) else [expectation]
    return [str(i).split(":")[0] for i in items]


def declared_mechanisms(build: Path) -> dict[str, dict[str, str]]:
    catalog = json.loads(subprocess.run([str(build / "threadmill-worker"), "--describe"], check=True,
                                        capture_output=True, text=True).stdout)
    return {t["name"]: {v["name"]: v["caught_by"] for v in t["variants"]} for t in catalog["targets"]}


def run(args) -> None:
    declared = declared_mechanisms(Path(args.build))
    files = [Path(p) for p in args.scenarios] or sorted(Path("scenarios").glob("*/*.toml"))
    for f in files:
        sc = tomllib.loads(f.read_text())
        if "plain" not in sc.get("flavors", ["plain"]):
            continue
        mutants = []
        for v in sc.get("variants", []):
            e = plain_expectation(sc, v, declared.get(sc.get("target", ""), {}))
            if v == "safe" or e in ("pass", "any", ""):
                continue
            m = mechanisms(e)
            if args.only and args.only not in m:
                continue
            if args.exclude and args.exclude in m:
                continue
            mutants.append(v)
        if not mutants:
            continue
        for schedule in args.schedules:
            pick = f"only-{args.only}" if args.only else f"except-{args.exclude}" if args.exclude else "all"
            out = Path(args.out) / schedule / f"{f.parent.name}-{f.stem}-{pick}-seeds-{args.seed}x{args.seeds}"
            cmd = [str(Path(args.build) / "threadmill"), "run", str(f), "--flavor", "plain",
                   "--variant", ",".join(mutants), "--seed", str(args.seed), "--seeds", str(args.seeds),
                   "--out", str(out), "-q"]
            for s in sets_for(schedule, sc):
                cmd += ["--set", s]
            if seconds(sc.get("timeout", "20s")) > args.timeout_cap:
                cmd += ["--set", f"timeout=\"{args.timeout_cap}s\""]
            print(" ".join(cmd), file=sys.stderr, flush=True)
            done = subprocess.run(cmd)
            if done.returncode not in (0, 1):
                print(f"{f}: {schedule}: exit {done.returncode}; left out", file=sys.stderr)


def table(args) -> None:
    rows: dict[tuple[str, str], dict[str, list[dict]]] = {}
    for schedule in SCHEDULES:
        for results in sorted((Path(args.out) / schedule).glob("*/results.jsonl")):
            for line in results.read_text().splitlines():
                job = json.loads(line)
                # A run with a relative [slo] budget runs the safe variant too, as its baseline.
                if job.get("type") == "job" and job["variant"] != "safe":
                    rows.setdefault((job["scenario"], job["variant"]), {}).setdefault(schedule, []).append(job)
    print("| scenario | mutant | " + " | ".join(SCHEDULES) + " |")
    print("|---|---|" + "---|" * len(SCHEDULES))
    medians: dict[str, list[float]] = {s: [] for s in SCHEDULES}
    caught_jobs = {s: 0 for s in SCHEDULES}
    all_jobs = {s: 0 for s in SCHEDULES}
    by_mutant: dict[tuple[str, str], dict[str, float]] = {}
    for (scenario, variant), by in sorted(rows.items()):
        cells = []
        for schedule in SCHEDULES:
            jobs = by.get(schedule, [])
            if not jobs:
                cells.append("—")
                continue
            caught = [j for j in jobs if j.get("expectation_met")]
            caught_jobs[schedule] += len(caught)
            all_jobs[schedule] += len(jobs)
            firsts = [j["first_detection"] for j in caught if j.get("first_detection")]
            if not firsts:
                cells.append(f"{len(caught)}/{len(jobs)}")
                continue
            secs = statistics.median(f["seconds"] for f in firsts)
            medians[schedule].append(secs)
            by_mutant.setdefault((scenario, variant), {})[schedule] = secs
            ops = [f["ops"] for f in firsts if f.get("ops") is not None]
            ops_text = f", {statistics.median(ops):.0f} ops" if ops else ""
            cells.append(f"{len(caught)}/{len(jobs)}: {secs * 1000:.1f} ms{ops_text}")
        print(f"| {scenario} | {variant} | " + " | ".join(cells) + " |")
    print()
    # Speed-up against the naive loop: per mutant with a median under both, naive's median over
    # this schedule's; summarized by the geometric mean and by how many mutants are 2x faster.
    print("| schedule | jobs caught as expected | mutants with a median | median of the medians | "
          "mutants under 1 s | geometric mean speed-up over naive (mutants) | mutants ≥ 2x faster than naive |")
    print("|---|---|---|---|---|---|---|")
    for schedule in SCHEDULES:
        m = medians[schedule]
        ratios = [t["naive"] / t[schedule] for t in by_mutant.values()
                  if t.get("naive") and t.get(schedule)]
        geo = statistics.geometric_mean(ratios) if ratios else float("nan")
        faster = sum(1 for r in ratios if r >= 2)
        median = f"{statistics.median(m) * 1000:.1f} ms" if m else "—"
        print(f"| {schedule} | {caught_jobs[schedule]}/{all_jobs[schedule]} | {len(m)} | {median} | "
              f"{sum(1 for x in m if x < 1)} | {geo:.2f}x ({len(ratios)}) | {faster} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenarios", nargs="*")
    ap.add_argument("--build", default="build", help="the build folder holding threadmill and threadmill-worker")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7000)
    ap.add_argument("--out", default="out/ttd")
    pick = ap.add_mutually_exclusive_group()
    pick.add_argument("--only", help="only mutants expected to be caught by this mechanism (timeout, invariant, ...)")
    pick.add_argument("--except", dest="exclude", help="leave out mutants expected to be caught by this mechanism")
    ap.add_argument("--timeout-cap", type=float, default=3.0,
                    help="seconds: a scenario's timeout above this is lowered to it, so a schedule under which a "
                         "mutant hangs costs this much a job (default 3)")
    ap.add_argument("--schedule", dest="schedules", action="append", choices=SCHEDULES,
                    help="run only this schedule (repeatable; the table still reads every schedule in OUT)")
    ap.add_argument("--table-only", action="store_true", help="print the table from OUT without running")
    args = ap.parse_args()
    args.schedules = args.schedules or SCHEDULES
    if not args.table_only:
        run(args)
    table(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
