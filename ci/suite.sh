#!/usr/bin/env bash
# The main job: set up, build, and run the built-in scenario suite on several seeds.
# Usage: bash ci/suite.sh [extra `threadmill run` options, e.g. --seeds 10]
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh
cmake --preset default >/dev/null
cmake --build --preset default --target threadmill threadmill-worker threadmill-worker-tsan threadmill-worker-asan
seeds=(--seeds 5)
for a in "$@"; do case "$a" in --seed|--seeds|--seed=*|--seeds=*) seeds=() ;; esac; done
exec ./build/threadmill run scenarios --out out/suite "${seeds[@]}" "$@"
