#!/usr/bin/env bash
# The test job: set up, build, and run threadmill's own tests: once in the plain build, then
# again with the harness built under ThreadSanitizer and under AddressSanitizer+UBSan.
# Usage: bash ci/test.sh [plain|tsan|asan ...]   (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh

builds=("$@")
if ((${#builds[@]} == 0)); then builds=(plain tsan asan); fi
for b in "${builds[@]}"; do
  case "$b" in
    plain) preset=default ;;
    tsan|asan) preset="harness-$b" ;;
    *) echo "ci/test.sh: unknown build '$b' (plain, tsan or asan)" >&2; exit 2 ;;
  esac
  echo "=== threadmill tests: $b build ==="
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" --target threadmill-tests
  ctest --preset "$preset"
done
