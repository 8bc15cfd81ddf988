#!/usr/bin/env bash
# The fuzz job: builds the libFuzzer targets (preset `fuzz`, clang, ASan+UBSan) and runs each one
# for a while on its seed corpus (test fixtures) and its regression inputs (fuzz/regressions/).
# Usage: bash ci/fuzz.sh [seconds per target, default 60] [target ...]   (docs/fuzzing.md)
# Exits 1 when a target crashes, naming the input that did it; 2 on a usage error.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || ((seconds < 1)); then
  echo "ci/fuzz.sh: seconds must be a positive whole number, not '$seconds'" >&2
  exit 2
fi
shift $(($# > 0 ? 1 : 0))
targets=("$@")
if ((${#targets[@]} == 0)); then targets=(fuzz_scenario_loader fuzz_sanitizer_parser fuzz_results_reader); fi
build="build-fuzz"

bash ci/setup.sh
echo "=== threadmill fuzz: building (preset fuzz) ==="
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

# Seeds: every fixture a target reads, named by content hash so that re-seeding adds nothing twice.
# A results file is cut into small seeds (its context line with one job line each): libFuzzer
# mutates short inputs far faster than the 400 KB fixture.
seed() {  # seed <corpus dir> <file>...
  local dir="$1" f; shift
  mkdir -p "$dir"
  for f in "$@"; do cp -f "$f" "$dir/$(sha1sum "$f" | cut -c1-40)"; done
}
seed_results() {  # seed_results <corpus dir> <results.jsonl>...
  local dir="$1" f tmp line n; shift
  mkdir -p "$dir"
  tmp="$(mktemp -d)"
  for f in "$@"; do
    head -n 1 "$f" >"$tmp/seed" && cp -f "$tmp/seed" "$dir/$(sha1sum "$tmp/seed" | cut -c1-40)"
    n=0
    while IFS= read -r line && ((n < 8)); do
      ((${#line} < 8000)) || continue  # short job lines only: libFuzzer is quicker on short inputs
      { head -n 1 "$f"; printf '%s\n' "$line"; } >"$tmp/seed"
      cp -f "$tmp/seed" "$dir/$(sha1sum "$tmp/seed" | cut -c1-40)"
      n=$((n + 1))
    done < <(tail -n +2 "$f")
  done
  rm -rf "$tmp"
}
corpus="$build/fuzz/corpus"
mapfile -t scenario_seeds < <(find tests/scenarios/good tests/scenarios/bad scenarios -name '*.toml' | sort)
seed "$corpus/fuzz_scenario_loader" "${scenario_seeds[@]}"
seed "$corpus/fuzz_sanitizer_parser" tests/sanitizers/fixtures/*/*.txt
seed_results "$corpus/fuzz_results_reader" tests/reports/fixtures/*.jsonl

status=0
for t in "${targets[@]}"; do
  regressions="fuzz/regressions/$t"
  artifacts="$build/fuzz/crashes/$t"
  rm -rf "$artifacts" && mkdir -p "$artifacts" "$regressions"
  echo "=== threadmill fuzz: $t for ${seconds}s ==="
  # First every regression input once, on its own: a fix that came undone fails here by name.
  if compgen -G "$regressions/*" >/dev/null && ! "$build/fuzz/$t" "$regressions"/* \
        >"$build/fuzz/$t.regressions.log" 2>&1; then
    echo "ci/fuzz.sh: $t crashes on a regression input again (fuzz/regressions/$t):" >&2
    tail -n 40 "$build/fuzz/$t.regressions.log" >&2
    status=1
    continue
  fi
  # New inputs go to the corpus (the first folder); the regressions are read as seeds only.
  if ! "$build/fuzz/$t" "$corpus/$t" "$regressions" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" \
        >"$build/fuzz/$t.log" 2>&1; then
    echo "ci/fuzz.sh: $t crashed; the last lines of $build/fuzz/$t.log:" >&2
    tail -n 60 "$build/fuzz/$t.log" >&2
    for input in "$artifacts"/*; do
      [ -e "$input" ] || continue
      echo "ci/fuzz.sh: crashing input: $input  (replay: $build/fuzz/$t $input)" >&2
    done
    status=1
    continue
  fi
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|^Done ' "$build/fuzz/$t.log" | tr '\n' ' '
  echo
done
exit "$status"
