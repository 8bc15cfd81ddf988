#!/usr/bin/env bash
# The main job: set up, build, and run the built-in scenario suite on several seeds.
# Usage: bash ci/suite.sh [extra `threadmill run` options, e.g. --seeds 10]
# Writes out/suite/: results.jsonl, job folders, and the HTML, JUnit, SARIF and Markdown reports.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh
cmake --preset default >/dev/null
cmake --build --preset default --target threadmill threadmill-worker threadmill-worker-tsan threadmill-worker-asan
seeds=(--seeds 5)
for a in "$@"; do case "$a" in --seed|--seeds|--seed=*|--seeds=*) seeds=() ;; esac; done
out=out/suite
status=0
./build/threadmill run scenarios --out "$out" "${seeds[@]}" \
  --report html="$out/index.html" --report junit="$out/junit.xml" \
  --report sarif="$out/threadmill.sarif" --report md="$out/summary.md" "$@" || status=$?
if [ -f "$out/index.html" ]; then
  echo "reports: $out/index.html (open in a browser), $out/junit.xml, $out/threadmill.sarif, $out/summary.md"
fi
exit $status
