#!/usr/bin/env bash
# Benchmark of `threadmill compare` against noise: pairs of runs of the same build must not be
# flagged, and a real slowdown (config_store's reader_preferring lock against the safe one) must.
# Usage: bash bench/compare_noise.sh [build-dir] [pairs] [duration] [keep-dir]
#        (defaults: build 10 250ms; with keep-dir, the runs and compare outputs are kept there)
# Prints one line per pair and the two counts; results in docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
pairs=${2:-10}
duration=${3:-250ms}
scenario=scenarios/config_store/writer-starvation.toml   # variants safe and reader_preferring
if [[ -n ${4:-} ]]; then
    tmp=$4
    mkdir -p "$tmp"
else
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
fi

tm() { "$build/threadmill" --worker-dir "$build" "$@"; }

# run OUT SEED: both variants, plain worker, 5 repeats. Exit 1 (an expectation missed) is the
# scenario's business, not this benchmark's; anything else is a harness failure.
run() {
    local rc=0
    tm run "$scenario" --flavor plain --seed "$2" --repeat 5 --duration "$duration" --out "$1" -q || rc=$?
    if [[ $rc -ne 0 && $rc -ne 1 ]]; then echo "run $1 exited $rc" >&2; exit 3; fi
}

# flagged NAME ARGS...: 1 when compare exits 1 (a regression), 0 when it exits 0.
flagged() {
    local name=$1 rc=0
    shift
    tm compare "$@" > "$tmp/$name.txt" || rc=$?
    case $rc in
        0) echo 0 ;;
        1) echo 1 ;;
        *) echo "compare $name exited $rc" >&2; cat "$tmp/$name.txt" >&2; exit 3 ;;
    esac
}

same=0
slow=0
start=$SECONDS
for i in $(seq 1 "$pairs"); do
    seed=$((1000 + i))
    run "$tmp/$i-a" "$seed"
    run "$tmp/$i-b" "$seed"
    s=$(flagged "$i-same" "$tmp/$i-a/results.jsonl" "$tmp/$i-b/results.jsonl")
    m=$(flagged "$i-slow" "$tmp/$i-a/results.jsonl" "$tmp/$i-b/results.jsonl" \
        --base-variant safe --new-variant reader_preferring)
    same=$((same + s))
    slow=$((slow + m))
    echo "pair $i (seed $seed): same build $([[ $s == 1 ]] && echo FLAGGED || echo ok)," \
         "safe -> reader_preferring $([[ $m == 1 ]] && echo flagged || echo MISSED)" \
         "· $(tail -n 1 "$tmp/$i-same.txt")"
    if [[ $s == 1 ]]; then sed -n '/regressions\{0,1\}, largest first/,/^$/p' "$tmp/$i-same.txt"; fi
done
echo
echo "same build flagged:                $same/$pairs (want 0)"
echo "safe -> reader_preferring flagged: $slow/$pairs (want $pairs)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) · $((SECONDS - start)) s"
