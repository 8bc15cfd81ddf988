#!/usr/bin/env bash
# The install test: installs threadmill into a temporary prefix (`cmake --install`), builds a project against
# that prefix only, and runs its worker in every installed flavor (tests/install/check.sh).
# usage: run.sh <threadmill build dir> <threadmill source dir> <C++ compiler> [<generator> [<CXX flags> [<launcher> [<project>]]]]
# <project> defaults to tests/install/consumer; examples/ is built and its scenario tests run (check_examples).
set -euo pipefail

build=$1
source=$2
cxx=$3
generator=${4:-Ninja}
cxx_flags=${5:-}
launcher=${6:-}
project=${7:-$source/tests/install/consumer}
# The consumer's checks against a `cmake --install` prefix are the same as install.deb's against the package's
# root (cpack installs with the same rules into a relocated prefix): with dpkg-deb there, install.deb runs them
# and this one steps aside (THREADMILL_INSTALL_TEST_ALWAYS=1 runs it anyway).
if [ "$project" -ef "$source/tests/install/consumer" ] && command -v dpkg-deb >/dev/null \
   && [ -z "${THREADMILL_INSTALL_TEST_ALWAYS:-}" ]; then
  echo "install test: skipped: install.deb runs the same checks against the package's root (dpkg-deb is installed)"
  exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/threadmill-install-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "install test: FAILED: $*" >&2; exit 1; }
. "$source/tests/install/check.sh"

prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log"; fail "cmake --install"; }
if [ "$project" -ef "$source/examples" ]; then
  # examples/ has three workers and its own scenario tests (tests/install/check.sh, check_examples).
  check_examples "$prefix" "$work" "$project" "$cxx" "$generator" "$cxx_flags" "$launcher"
else
  check_installed_threadmill "$prefix" "$work" "$source" "$build" "$project" "$cxx" "$generator" "$cxx_flags" "$launcher"
  if [ "$project" -ef "$source/tests/install/consumer" ]; then check_consumer_findings "$work"; check_variant_builds "$work" "$prefix"; fi
fi
echo "install test: passed"
