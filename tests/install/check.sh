# shellcheck shell=bash
# The install tests' shared checks (sourced by tests/install/run.sh and tests/install/deb.sh): given an
# installed threadmill under a prefix, checks what the package holds, builds a project against that prefix only
# and runs its worker in every installed flavor.
#
# check_installed_threadmill <prefix> <work dir> <threadmill source dir> <threadmill build dir> <project dir>
#                            <C++ compiler> <generator> <CXX flags> <launcher>
# The project (tests/install/consumer, or any project alike) calls find_package(threadmill) and
# threadmill_add_worker() for one worker; its *.toml scenarios are run with that worker (all of them at once,
# each in its own flavors) and must meet their [expect]. It is copied out of the source tree first, so
# nothing of threadmill's source can be used. The consumer, built with threadmill's own compiler, flags and
# launcher: a threadmill built with -fsanitize=thread in CMAKE_CXX_FLAGS (preset harness-tsan) installs
# runtimes that only link into code built the same way.
# Needs a `fail` function (message; exits 1) from the caller.

check_installed_threadmill() {
  local prefix=$1 work=$2 source=$3 build=$4 project=$5 cxx=$6 generator=$7 cxx_flags=$8 launcher=$9
  prefix=$(cd "$prefix" && pwd -P)  # the driver finds itself through /proc/self/exe, symbolic links resolved

  # What the package must hold.
  local f
  for f in bin/threadmill bin/threadmill-worker include/threadmill/api/target.hpp \
           share/threadmill/sanitizers/tsan.supp share/threadmill/scenarios; do
    [ -e "$prefix/$f" ] || fail "the install has no $f"
  done
  local package
  package=$(dirname "$(find "$prefix" -name threadmillConfig.cmake | head -n1)")
  [ -f "$package/threadmillConfigVersion.cmake" ] || fail "no threadmill CMake package in $prefix"
  # The CMake package finds everything relative to itself: no path of the machine it was built on.
  if grep -rlF -e "$build" -e "$source/" "$package"; then
    fail "the CMake package names threadmill's build or source folder"
  fi
  if grep -rlE '"(driver|reports|cli)/' "$prefix/include/threadmill"; then
    fail "an installed header includes the driver, the reports or the command line"
  fi
  # The installed driver uses the installed suppression files, wherever threadmill's source is.
  (cd "$work" && "$prefix/bin/threadmill" doctor) >"$work/doctor.log" 2>&1 || true  # it may warn about this machine
  grep -qF "ok    suppression files: $prefix/share/threadmill/sanitizers" "$work/doctor.log" \
    || { cat "$work/doctor.log"; fail "the installed driver does not use $prefix/share/threadmill/sanitizers"; }
  # ... and lists the installed built-in scenarios when the current folder has none.
  (cd "$work" && "$prefix/bin/threadmill" list scenarios) >"$work/list-scenarios.log" 2>&1 \
    || { cat "$work/list-scenarios.log"; fail "threadmill list scenarios (the installed ones)"; }
  grep -qF "$prefix/share/threadmill/scenarios/" "$work/list-scenarios.log" \
    || { cat "$work/list-scenarios.log"; fail "threadmill list scenarios does not list $prefix/share/threadmill/scenarios"; }
  flavors=$(sed -n 's/^set(THREADMILL_FLAVORS \(.*\))$/\1/p' "$package/threadmillFlavors.cmake")
  [ -n "$flavors" ] || fail "threadmillFlavors.cmake names no flavor"
  echo "install test: flavors in the install: $flavors"

  rm -rf "$work/project-src" && cp -r "$project" "$work/project-src"
  cmake -S "$work/project-src" -B "$work/project" -G "$generator" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS="$cxx_flags" -DCMAKE_CXX_COMPILER_LAUNCHER="$launcher" \
        -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DCMAKE_PREFIX_PATH="$prefix" >"$work/configure.log" \
    || { cat "$work/configure.log"; fail "configuring the project $project"; }
  cmake --build "$work/project" >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "building the project $project"; }
  if grep -F -- "$source/" "$work/project/compile_commands.json"; then
    fail "the project was compiled with threadmill's source tree in its command line"
  fi
  grep -qF -- "$prefix/include/threadmill" "$work/project/compile_commands.json" \
    || fail "the project was not compiled with $prefix/include/threadmill (another threadmill found?)"
  if grep -i "warning:" "$work/build.log"; then fail "the project built with warnings"; fi
  local workers
  # (a variant build's workers are in <worker folder>/variants/<variant>/)
  workers=$(find "$work/project" -path '*/variants/*' -prune -o -type f -name threadmill-worker -perm -u+x -print)
  [ "$(printf '%s\n' "$workers" | grep -c .)" = 1 ] || fail "the project built not exactly one threadmill-worker: ${workers:-none}"
  local worker_dir
  worker_dir=$(dirname "$workers")

  # The installed driver finds its own built-in workers: its folder is the default --worker-dir.
  (cd "$work" && "$prefix/bin/threadmill" list targets) >"$work/list.log" 2>&1 || { cat "$work/list.log"; fail "threadmill list targets"; }
  local builtin=
  if grep -q config_store "$work/list.log"; then builtin=config_store; else echo "install test: no config_store target, no built-in run"; fi

  local flavor exe
  for flavor in $flavors; do
    exe=threadmill-worker
    [ "$flavor" = plain ] || exe=threadmill-worker-$flavor
    [ -x "$worker_dir/$exe" ] || fail "threadmill_add_worker built no $exe beside $worker_dir/threadmill-worker"
    [ -x "$prefix/bin/$exe" ] || fail "the install has no built-in worker bin/$exe"
    "$worker_dir/$exe" --describe >"$work/describe-$flavor.json" || fail "$worker_dir/$exe --describe"
    # The installed driver runs an installed built-in scenario with its own built-in workers (when
    # the build holds that target: TM_ONLY_TARGETS may have left it out).
    if [ -n "$builtin" ] && ! (cd "$work" && "$prefix/bin/threadmill" run "$prefix/share/threadmill/scenarios/config_store/counter-contention.toml" \
            --flavor "$flavor" --duration 100ms --out "$work/builtin-$flavor" >"$work/builtin-$flavor.log" 2>&1); then
      cat "$work/builtin-$flavor.log"
      fail "threadmill run of an installed built-in scenario, flavor $flavor"
    fi
  done

  # The project's scenarios with the project's worker, each in its own flavors: every expectation is met
  # (a safe variant passes, a mutant is caught), so the run exits 0.
  if ! (cd "$work" && "$prefix/bin/threadmill" --worker-dir "$worker_dir" run "$work/project-src" \
          --out "$work/out" >"$work/run.log" 2>&1); then
    cat "$work/run.log"
    fail "threadmill run of the project's scenarios with its worker"
  fi
  for flavor in $flavors; do
    grep -qF "\"flavor\":\"$flavor\"" "$work/out/results.jsonl" || fail "the project's run has no job in flavor $flavor"
    echo "install test: flavor $flavor: ok"
  done
}

# check_consumer_findings <work dir>: after check_installed_threadmill built tests/install/consumer, what that
# project's run must have found: its worker holds its target and nothing else, the forgetful mutant ran, and in
# tsan the installed runtime found the race in the consumer's own header, at its line.
check_consumer_findings() {
  local work=$1 json
  for json in "$work"/describe-*.json; do
    grep -q '"install_counter"' "$json" || fail "$json: the consumer's worker lacks its target"
    if grep -q '"config_store"' "$json"; then fail "$json: the consumer's worker holds a built-in target"; fi
  done
  grep -q '"forgetful"' "$work/out/results.jsonl" || fail "the consumer's results.jsonl has no forgetful job"
  if [[ " $flavors " == *" tsan "* ]]; then
    # ThreadSanitizer heads its report with whichever of the two racing accesses it caught second:
    # the unlocked write in add() or the locked read in value(); either is the consumer's line.
    local header=$work/project-src/include/my_counter.hpp add_line value_line
    add_line=$(grep -n 'the data race the tsan flavor must report' "$header" | cut -d: -f1)
    value_line=$(grep -n 'return m_value;' "$header" | cut -d: -f1)
    if [ -z "$add_line" ] || [ -z "$value_line" ]; then fail "$header: cannot find the lines of the race"; fi
    grep -qE "data-race at .*include/my_counter\.hpp:($add_line in my::Counter::add|$value_line in my::Counter::value) " "$work/run.log" \
      || { cat "$work/run.log"; fail "the race was not reported at the consumer's my_counter.hpp:$add_line or :$value_line"; }
  fi
}

# check_variant_builds <work dir>: after check_installed_threadmill built tests/install/consumer, its
# VARIANT_BUILD pair: my_worker/variants/<v>/ holds every flavor of the worker built with that variant's
# my_box.hpp, each executable says which build it is, `list` and `doctor` show them, and the run caught
# the buggy build by race in tsan at the buggy header and found the fixed one clean.
check_variant_builds() {
  local work=$1 prefix=$2 flavor exe v w
  local worker_dir=$work/project/my_worker results=$work/out/results.jsonl
  grep -q 'MY_BOX_FIXED=1' "$work/project/compile_commands.json" || fail "VARIANT_BUILD fixed's COMPILE_DEFINITIONS did not reach the compiler"
  for flavor in $flavors; do
    exe=threadmill-worker
    [ "$flavor" = plain ] || exe=threadmill-worker-$flavor
    "$worker_dir/$exe" --describe | grep -q '"variant_build": ""' || fail "my_worker/$exe does not say it is the default build"
    for v in buggy fixed; do
      w=$worker_dir/variants/$v/$exe
      [ -x "$w" ] || fail "threadmill_add_worker built no my_worker/variants/$v/$exe"
      "$w" --describe >"$work/describe-$v-$flavor.build.json" || fail "$w --describe"
      grep -q "\"variant_build\": \"$v\"" "$work/describe-$v-$flavor.build.json" || fail "$w does not say it is variant build $v"
      grep -q "\"flavor\": \"$flavor\"" "$work/describe-$v-$flavor.build.json" || fail "$w does not say it is flavor $flavor"
    done
  done
  (cd "$work" && "$prefix/bin/threadmill" --worker-dir "$worker_dir" list targets) >"$work/list-box.log" 2>&1 \
    || { cat "$work/list-box.log"; fail "threadmill list targets of the consumer's worker"; }
  grep -qE "^ +buggy .*\[own build: .*my_worker/variants/buggy\]" "$work/list-box.log" \
    || { cat "$work/list-box.log"; fail "threadmill list does not show that variant buggy is a build of its own"; }
  (cd "$work" && "$prefix/bin/threadmill" --worker-dir "$worker_dir" doctor) >"$work/doctor-box.log" 2>&1 || true
  grep -qF "ok    variant 'buggy' is a build of its own" "$work/doctor-box.log" \
    || { cat "$work/doctor-box.log"; fail "threadmill doctor does not check the buggy variant build"; }
  head -n1 "$results" | grep -q '"variant_build":"buggy"' || fail "results.jsonl's context does not list the buggy build's workers"
  head -n1 "$results" | grep -q "my_worker/variants/fixed/threadmill-worker" || fail "results.jsonl's context does not list the fixed build's worker"
  box_job() { grep '"type":"job"' "$results" | grep '"target":"install_box"' | grep "\"variant\":\"$1\"" | grep "\"flavor\":\"$2\""; }
  box_job fixed plain | grep -q '"outcome":"ok"' || fail "the fixed build's plain job is not ok"
  if [[ " $flavors " == *" tsan "* ]]; then
    box_job buggy tsan | grep -q '"outcome":"caught"' || { cat "$work/run.log"; fail "tsan did not catch the buggy build"; }
    box_job fixed tsan | grep -q '"outcome":"ok"' || { cat "$work/run.log"; fail "the fixed build is not clean under tsan"; }
    # Either access may be the one the headline names: add() writes unlocked, value() reads.
    grep -qE "data-race at .*include-buggy/my_box\.hpp:[0-9]+ in my::Box::(add|value)" "$work/run.log" \
      || { cat "$work/run.log"; fail "the race was not reported at include-buggy/my_box.hpp"; }
  fi
  echo "install test: variant builds: ok"
}

# check_examples <prefix> <work dir> <examples dir> <C++ compiler> <generator> <CXX flags> <launcher>
# Builds threadmill's examples/ (a project of their own, three workers) against the installed threadmill only,
# runs their scenario tests with `ctest -j2` (threadmill_add_scenario_tests: one test per scenario and flavor),
# and checks the findings: the buggy scoreboard is caught in tsan (a race) and asan (a heap-use-after-free) at
# its own header's lines, the fixed one is clean in every flavor, and the unlocked std::unordered_map's race is
# reported at the adapter's own lines.
check_examples() {
  local prefix=$1 work=$2 examples=$3 cxx=$4 generator=$5 cxx_flags=$6 launcher=$7
  rm -rf "$work/examples-src" && cp -r "$examples" "$work/examples-src"
  cmake -S "$work/examples-src" -B "$work/examples" -G "$generator" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS="$cxx_flags" -DCMAKE_CXX_COMPILER_LAUNCHER="$launcher" \
        -DCMAKE_PREFIX_PATH="$prefix" >"$work/examples-configure.log" \
    || { cat "$work/examples-configure.log"; fail "configuring examples/"; }
  cmake --build "$work/examples" >"$work/examples-build.log" 2>&1 || { cat "$work/examples-build.log"; fail "building examples/"; }
  if grep -i "warning:" "$work/examples-build.log"; then fail "examples/ built with warnings"; fi
  (cd "$work/examples" && ctest -N) >"$work/examples-list.log" || fail "ctest -N in examples/"
  local t
  for t in scoreboard-stale-scores.{plain,tsan,asan} scoreboard-contention.{plain,tsan,asan} scoreboard-linearizable.plain \
           unordered-map-unlocked.tsan; do
    grep -qE "Test +#[0-9]+: $t\$" "$work/examples-list.log" || { cat "$work/examples-list.log"; fail "examples/ registered no test $t"; }
  done
  if grep -q 'LIBCUCKOO_INCLUDE_DIR-NOTFOUND' "$work/examples/CMakeCache.txt"; then
    echo "install test: libcuckoo is not installed: its example is left out"
  else
    grep -qE "Test +#[0-9]+: libcuckoo-mixed\.asan\$" "$work/examples-list.log" || fail "examples/ registered no libcuckoo test"
  fi
  # The registered scenario tests, side by side: every run meets its [expect].
  (cd "$work/examples" && ctest -j2 -V) >"$work/examples-ctest.log" 2>&1 \
    || { grep -vE '^[0-9]+: (Test command|Working Directory|Test timeout)' "$work/examples-ctest.log"; fail "ctest -j2 in examples/"; }
  local header=$work/examples-src/scoreboard/include-buggy/scoreboard.hpp free_line read_line
  free_line=$(grep -n 'm_scores = std::move(next);' "$header" | cut -d: -f1)
  read_line=$(grep -n 'reads scores that a publish() may have freed' "$header" | cut -d: -f1)
  if [ -z "$free_line" ] || [ -z "$read_line" ]; then fail "$header: cannot find the lines of the bug"; fi
  # ThreadSanitizer names whichever access it saw second: the free in publish() or the read in total().
  grep -E "data-race at .*include-buggy/scoreboard\.hpp:($free_line in example::Scoreboard::publish|$read_line in example::Scoreboard::total) " "$work/examples-ctest.log" \
    || { cat "$work/examples-ctest.log"; fail "tsan did not report the race at include-buggy/scoreboard.hpp:$free_line or :$read_line"; }
  grep -E "heap-use-after-free at .*include-buggy/scoreboard\.hpp:$read_line in example::Scoreboard::total " "$work/examples-ctest.log" \
    || { cat "$work/examples-ctest.log"; fail "asan did not report the heap-use-after-free at include-buggy/scoreboard.hpp:$read_line"; }
  local flavor results
  for flavor in plain tsan asan; do
    results=$work/examples/threadmill/scoreboard-stale-scores.$flavor/results.jsonl
    grep '"type":"job"' "$results" | grep '"variant":"fixed"' | grep -q '"outcome":"ok"' || fail "the fixed scoreboard is not clean in $flavor"
  done
  for flavor in tsan asan; do
    grep '"type":"job"' "$work/examples/threadmill/scoreboard-stale-scores.$flavor/results.jsonl" | grep '"variant":"buggy"' \
      | grep -q '"outcome":"caught"' || fail "the buggy scoreboard was not caught in $flavor"
  done
  # The scoreboard's own sequential model: its plain worker (built against the install) checked the history.
  grep '"type":"job"' "$work/examples/threadmill/scoreboard-linearizable.plain/results.jsonl" \
    | grep -q '"verdict":"linearizable"' || fail "the fixed scoreboard's history was not checked linearizable against its own model"
  local source=$work/examples-src/unordered_map/unordered_map_target.cpp put_line get_line
  put_line=$(grep -n 'the race: every thread writes the map' "$source" | cut -d: -f1)
  get_line=$(grep -n 'the race: reads while another thread writes' "$source" | cut -d: -f1)
  grep -E "data-race at .*unordered_map/unordered_map_target\.cpp:($put_line|$get_line) " "$work/examples-ctest.log" \
    || { cat "$work/examples-ctest.log"; fail "the unordered_map race was not reported at unordered_map_target.cpp:$put_line or :$get_line"; }
  # A scenario that names its workers (worker = "...", relative to the scenario) runs with no --worker-dir.
  local named=$work/examples-src/unordered_map/named-worker.toml
  { echo 'worker = "../../examples/unordered_map_worker"'; cat "$work/examples-src/unordered_map/scenarios/unordered-map-unlocked.toml"; } >"$named"
  "$prefix/bin/threadmill" run "$named" --seed 1 --out "$work/named-worker" >"$work/named-worker.log" 2>&1 \
    || { cat "$work/named-worker.log"; fail "a scenario naming its worker folder did not run as expected"; }
  grep -q '"outcome":"caught"' "$work/named-worker/results.jsonl" || fail "the scenario naming its worker folder caught nothing"
  grep -q "examples/unordered_map_worker/threadmill-worker-tsan" "$work/named-worker/results.jsonl" \
    || fail "results.jsonl does not name the scenario's own worker"
  echo "install test: examples: ok"
}
