#!/usr/bin/env bash
# The Debian package test: builds threadmill's .deb (`cpack -G DEB`), checks what dpkg-deb says it holds,
# extracts it under a scratch root (`dpkg -x`, nothing installed on this machine) and runs the same checks
# as the install test there (tests/install/check.sh): the package must work wherever it is unpacked.
# usage: deb.sh <threadmill build dir> <threadmill source dir> <C++ compiler> [<generator> [<CXX flags> [<launcher> [<project>]]]]
# <project> defaults to tests/install/consumer. Exits 77 (skipped) without dpkg-deb.
set -euo pipefail

build=$1
source=$2
cxx=$3
generator=${4:-Ninja}
cxx_flags=${5:-}
launcher=${6:-}
project=${7:-$source/tests/install/consumer}
fail() { echo "deb test: FAILED: $*" >&2; exit 1; }
if ! command -v dpkg-deb >/dev/null; then echo "deb test: skipped: no dpkg-deb (apt-get install dpkg-dev)"; exit 77; fi
work=$(mktemp -d "${TMPDIR:-/tmp}/threadmill-deb-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
. "$source/tests/install/check.sh"

# The package is built in the scratch folder: cpack's staging area stays out of the build tree.
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/package" >"$work/cpack.log" 2>&1 \
  || { cat "$work/cpack.log"; fail "cpack -G DEB"; }
debs=("$work"/package/threadmill_*.deb)
if [ ${#debs[@]} != 1 ] || [ ! -f "${debs[0]}" ]; then ls -l "$work/package"; fail "cpack made not exactly one threadmill_*.deb"; fi
deb=${debs[0]}
echo "deb test: $(basename "$deb"), $(du -k "$deb" | cut -f1) KiB"

# The metadata, as apt will read it.
dpkg-deb --info "$deb" >"$work/info.txt" || fail "dpkg-deb --info $deb"
version=$(sed -n 's/^project(threadmill VERSION \([0-9.]*\).*/\1/p' "$source/CMakeLists.txt")
for field in "Package: threadmill" "Version: $version" "Section: devel" "Maintainer: " "Depends: " "Description: "; do
  grep -qF " $field" "$work/info.txt" || { cat "$work/info.txt"; fail "the package's control has no '$field'"; }
done
for dep in libfmt-dev g++; do
  grep -E "^ Depends: " "$work/info.txt" | grep -qF "$dep" || { cat "$work/info.txt"; fail "the package does not depend on $dep"; }
done
# What it holds: the driver, one worker runtime per flavor, the target API, the CMake package, the
# suppression files and the scenarios, all under /usr.
dpkg-deb --contents "$deb" | awk '{print $NF}' | sed 's|^\./|/|' >"$work/contents.txt" || fail "dpkg-deb --contents $deb"
if grep -v '^/usr/' "$work/contents.txt" | grep -v '^/$'; then fail "the package holds files outside /usr"; fi
expect_file() {  # a regular expression one line of the contents must match
  grep -qE "$1" "$work/contents.txt" || { cat "$work/contents.txt"; fail "the package holds no file matching $1"; }
}
expect_file '^/usr/bin/threadmill$'
expect_file '^/usr/include/threadmill/api/target\.hpp$'
expect_file '^/usr/lib/(.*/)?cmake/threadmill/threadmillConfig\.cmake$'
expect_file '^/usr/share/threadmill/sanitizers/tsan\.supp$'
expect_file '^/usr/share/threadmill/scenarios/.*\.toml$'
# Every flavor of model/flavors.def: the worker runtime library and the built-in worker.
mapfile -t all_flavors < <(sed -n 's/^TM_FLAVOR(\([a-z0-9_]*\),.*/\1/p' "$source/model/flavors.def")
[ ${#all_flavors[@]} -gt 0 ] || fail "model/flavors.def names no flavor"
for flavor in "${all_flavors[@]}"; do
  suffix=
  [ "$flavor" = plain ] || suffix=_$flavor
  expect_file "^/usr/lib/(.*/)?libthreadmill_worker_main${suffix}\.a$"
  exe=threadmill-worker
  [ "$flavor" = plain ] || exe=threadmill-worker-$flavor
  expect_file "^/usr/bin/$exe\$"
done

root=$work/root
dpkg -x "$deb" "$root" || fail "dpkg -x $deb"
"$root/usr/bin/threadmill" --version >"$work/version.txt" 2>&1 || { cat "$work/version.txt"; fail "threadmill --version"; }
grep -qF "$version" "$work/version.txt" || { cat "$work/version.txt"; fail "threadmill --version does not say $version"; }
check_installed_threadmill "$root/usr" "$work" "$source" "$build" "$project" "$cxx" "$generator" "$cxx_flags" "$launcher"
if [ "$project" -ef "$source/tests/install/consumer" ]; then check_consumer_findings "$work"; check_variant_builds "$work" "$root/usr"; fi
echo "deb test: passed"
