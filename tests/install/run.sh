#!/usr/bin/env bash
# The install test: installs threadmill into a temporary prefix, builds tests/install/consumer against that prefix only, and runs its worker in every installed flavor.
# usage: run.sh <threadmill build dir> <threadmill source dir> <C++ compiler> [<generator> [<CXX flags> [<launcher>]]]
# The consumer is built with threadmill's own compiler, CMAKE_CXX_FLAGS and compiler launcher: a
# threadmill built with -fsanitize=thread in CMAKE_CXX_FLAGS (preset harness-tsan) installs
# runtimes that only link into code built the same way.
set -euo pipefail

build=$1
source=$2
cxx=$3
generator=${4:-Ninja}
cxx_flags=${5:-}
launcher=${6:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/threadmill-install-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "install test: FAILED: $*" >&2; exit 1; }

prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log"; fail "cmake --install"; }

# What the package must hold.
for f in bin/threadmill bin/threadmill-worker include/threadmill/api/target.hpp \
         share/threadmill/sanitizers/tsan.supp share/threadmill/scenarios; do
  [ -e "$prefix/$f" ] || fail "the install has no $f"
done
package=$(dirname "$(find "$prefix" -name threadmillConfig.cmake | head -n1)")
[ -f "$package/threadmillConfigVersion.cmake" ] || fail "no threadmill CMake package in $prefix"
if grep -rlE '"(driver|reports|cli)/' "$prefix/include/threadmill"; then
  fail "an installed header includes the driver, the reports or the command line"
fi
# The installed driver uses the installed suppression files, wherever threadmill's source is.
(cd "$work" && "$prefix/bin/threadmill" doctor) >"$work/doctor.log" 2>&1 || true  # it may warn about this machine
grep -qF "ok    suppression files: $prefix/share/threadmill/sanitizers" "$work/doctor.log" \
  || { cat "$work/doctor.log"; fail "the installed driver does not use share/threadmill/sanitizers"; }
flavors=$(sed -n 's/^set(THREADMILL_FLAVORS \(.*\))$/\1/p' "$package/threadmillFlavors.cmake")
[ -n "$flavors" ] || fail "threadmillFlavors.cmake names no flavor"
echo "install test: flavors in the install: $flavors"

# The consumer is copied out of the source tree, so nothing of threadmill's source can be used.
cp -r "$source/tests/install/consumer" "$work/consumer-src"
cmake -S "$work/consumer-src" -B "$work/consumer" -G "$generator" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS="$cxx_flags" -DCMAKE_CXX_COMPILER_LAUNCHER="$launcher" \
      -DCMAKE_PREFIX_PATH="$prefix" >"$work/configure.log" \
  || { cat "$work/configure.log"; fail "configuring the consumer"; }
cmake --build "$work/consumer" >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "building the consumer"; }
if grep -F -- "$source" "$work/consumer/compile_commands.json"; then
  fail "the consumer was compiled with threadmill's source tree in its command line"
fi
if grep -i "warning:" "$work/build.log"; then fail "the consumer built with warnings"; fi

# The installed driver finds its own built-in workers: its folder is the default --worker-dir.
(cd "$work" && "$prefix/bin/threadmill" list targets) >"$work/list.log" 2>&1 || { cat "$work/list.log"; fail "threadmill list targets"; }
builtin=
if grep -q config_store "$work/list.log"; then builtin=config_store; else echo "install test: no config_store target, no built-in run"; fi

for flavor in $flavors; do
  exe=threadmill-worker
  [ "$flavor" = plain ] || exe=threadmill-worker-$flavor
  [ -x "$work/consumer/my_worker/$exe" ] || fail "threadmill_add_worker built no my_worker/$exe"
  [ -x "$prefix/bin/$exe" ] || fail "the install has no built-in worker bin/$exe"
  # The user's worker holds the user's target and nothing else; the safe variant passes and the
  # mutant is caught, so the run exits 0.
  "$work/consumer/my_worker/$exe" --describe | grep -q '"install_counter"' || fail "my_worker/$exe lacks the target"
  if ! (cd "$work" && "$prefix/bin/threadmill" --worker-dir "$work/consumer/my_worker" run \
          "$work/consumer-src/counter.toml" --flavor "$flavor" --out "$work/out-$flavor" >"$work/run-$flavor.log" 2>&1); then
    cat "$work/run-$flavor.log"
    fail "threadmill run of the consumer's worker, flavor $flavor"
  fi
  grep -q '"forgetful"' "$work/out-$flavor/results.jsonl" || fail "results.jsonl of flavor $flavor has no forgetful job"
  # The installed ThreadSanitizer runtime finds the race in the user's own header, and says where.
  if [ "$flavor" = tsan ]; then
    if ! (cd "$work" && "$prefix/bin/threadmill" --worker-dir "$work/consumer/my_worker" run \
            "$work/consumer-src/racy.toml" --out "$work/out-racy" >"$work/run-racy.log" 2>&1); then
      cat "$work/run-racy.log"
      fail "threadmill run of the consumer's racy scenario under tsan"
    fi
    grep -qE "data-race at .*include/my_counter\.hpp:[0-9]+ in my::Counter::add" "$work/run-racy.log" \
      || { cat "$work/run-racy.log"; fail "the race was not reported at the consumer's my_counter.hpp"; }
  fi
  # The installed driver runs an installed built-in scenario with its own built-in workers (when
  # the build holds that target: TM_ONLY_TARGETS may have left it out).
  if [ -n "$builtin" ] && ! (cd "$work" && "$prefix/bin/threadmill" run "$prefix/share/threadmill/scenarios/config_store/counter-contention.toml" \
          --flavor "$flavor" --duration 100ms --out "$work/builtin-$flavor" >"$work/builtin-$flavor.log" 2>&1); then
    cat "$work/builtin-$flavor.log"
    fail "threadmill run of an installed built-in scenario, flavor $flavor"
  fi
  echo "install test: flavor $flavor: ok"
done

# Variant builds: my_worker/variants/<v>/ holds every flavor of the worker built with that
# variant's my_box.hpp, and each executable says which build it is.
grep -q 'MY_BOX_FIXED=1' "$work/consumer/compile_commands.json" || fail "VARIANT_BUILD fixed's COMPILE_DEFINITIONS did not reach the compiler"
for flavor in $flavors; do
  exe=threadmill-worker
  [ "$flavor" = plain ] || exe=threadmill-worker-$flavor
  "$work/consumer/my_worker/$exe" --describe | grep -q '"variant_build": ""' || fail "my_worker/$exe does not say it is the default build"
  for v in buggy fixed; do
    w=$work/consumer/my_worker/variants/$v/$exe
    [ -x "$w" ] || fail "threadmill_add_worker built no my_worker/variants/$v/$exe"
    "$w" --describe >"$work/describe-$v-$flavor.json" || fail "$w --describe"
    grep -q "\"variant_build\": \"$v\"" "$work/describe-$v-$flavor.json" || fail "$w does not say it is variant build $v"
    grep -q "\"flavor\": \"$flavor\"" "$work/describe-$v-$flavor.json" || fail "$w does not say it is flavor $flavor"
  done
done
(cd "$work" && "$prefix/bin/threadmill" --worker-dir "$work/consumer/my_worker" list targets) >"$work/list-box.log" 2>&1 \
  || { cat "$work/list-box.log"; fail "threadmill list targets of the consumer's worker"; }
grep -qE "^ +buggy .*\[own build: .*my_worker/variants/buggy\]" "$work/list-box.log" \
  || { cat "$work/list-box.log"; fail "threadmill list does not show that variant buggy is a build of its own"; }
(cd "$work" && "$prefix/bin/threadmill" --worker-dir "$work/consumer/my_worker" doctor) >"$work/doctor-box.log" 2>&1 || true
grep -qF "ok    variant 'buggy' is a build of its own" "$work/doctor-box.log" \
  || { cat "$work/doctor-box.log"; fail "threadmill doctor does not check the buggy variant build"; }
# The buggy build races and tsan says so, at the buggy header; the fixed build is clean; the run exits 0.
box_flavors=plain
case " $flavors " in *" tsan "*) box_flavors=plain,tsan ;; esac
if ! (cd "$work" && "$prefix/bin/threadmill" --worker-dir "$work/consumer/my_worker" run \
        "$work/consumer-src/box.toml" --flavor "$box_flavors" --out "$work/out-box" >"$work/run-box.log" 2>&1); then
  cat "$work/run-box.log"
  fail "threadmill run of the consumer's variant builds (flavors $box_flavors)"
fi
results=$work/out-box/results.jsonl
head -n1 "$results" | grep -q '"variant_build":"buggy"' || fail "results.jsonl's context does not list the buggy build's workers"
head -n1 "$results" | grep -q "my_worker/variants/fixed/threadmill-worker" || fail "results.jsonl's context does not list the fixed build's worker"
job() { grep '"type":"job"' "$results" | grep "\"variant\":\"$1\"" | grep "\"flavor\":\"$2\""; }
job fixed plain | grep -q '"outcome":"ok"' || fail "the fixed build's plain job is not ok"
if [ "$box_flavors" = plain,tsan ]; then
  job buggy tsan | grep -q '"outcome":"caught"' || { cat "$work/run-box.log"; fail "tsan did not catch the buggy build"; }
  job fixed tsan | grep -q '"outcome":"ok"' || { cat "$work/run-box.log"; fail "the fixed build is not clean under tsan"; }
  # Either access may be the one the headline names: add() writes unlocked, value() reads.
  grep -qE "data-race at .*include-buggy/my_box\.hpp:[0-9]+ in my::Box::(add|value)" "$work/run-box.log" \
    || { cat "$work/run-box.log"; fail "the race was not reported at include-buggy/my_box.hpp"; }
fi
echo "install test: variant builds: ok"

echo "install test: passed"
