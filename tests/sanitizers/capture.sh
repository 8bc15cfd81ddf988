#!/usr/bin/env bash
# Rebuilds the sanitizer report fixtures (fixtures/{gcc,clang}/<name>.txt) from programs/*.cpp.
#
# Each program is built with g++ and with clang++ under the sanitizer it exercises and run with
# options close to the ones threadmill's workers use; its stderr is saved unmasked (it is parser
# input for tests/unit/test_sanitizers_report_parser.cpp). The fixtures are committed: this script
# documents how they were made and is not run in CI. Re-run it from anywhere:
#
#   tests/sanitizers/capture.sh            # both compilers
#   tests/sanitizers/capture.sh clang      # one compiler
#
# The options are those of sanitizers/environment.cpp (sanitizer_environment), with stderr captured instead of
# log_path; like the supervisor, ASan runs get ASAN_SYMBOLIZER_PATH. clang's runtimes then run
# llvm-symbolizer (found on PATH, or $LLVM_SYMBOLIZER); gcc's keep their built-in libbacktrace
# symbolizer even so, which prints no columns and names inlined functions without scope or
# parameters. The parser must read both styles of frame.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
programs=$here/programs
fixtures=$here/fixtures
# A fixed build directory keeps module paths in the fixtures the same from one capture to the next.
work=${TMPDIR:-/tmp}/threadmill-sanitizer-fixtures
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

symbolizer=${LLVM_SYMBOLIZER:-/usr/bin/llvm-symbolizer}
export PATH="$(dirname "$symbolizer"):$PATH"

common_flags=(-std=c++20 -g -O1 -fno-omit-frame-pointer -pthread)

# Options of threadmill's sanitizer flavors (exit status 66 after reporting, every report collected).
common_options="halt_on_error=0:exitcode=66:print_suppressions=1:symbolize=1"
tsan_options="$common_options:report_signal_unsafe=1:second_deadlock_stack=1"
asan_options="$common_options:detect_stack_use_after_return=1:detect_leaks=1:abort_on_error=0:check_initialization_order=1"
lsan_options="exitcode=66:print_suppressions=1"
ubsan_options="$common_options:print_stacktrace=1"

suppressions=$work/suppressions
mkdir -p "$suppressions"
printf 'race:bump_suppressed\n' >"$suppressions/tsan.supp"
printf 'leak:leak_known\n' >"$suppressions/lsan.supp"

# capture <compiler> <program> <fixture> "<sanitizer flags>" [VAR=value ...]
# Builds programs/<program>.cpp and saves the run's stderr as fixtures/<compiler>/<fixture>.txt.
capture() {
    local compiler=$1 program=$2 fixture=$3 flags=$4
    shift 4
    local cxx
    case $compiler in
        gcc) cxx=/usr/bin/g++ ;;
        clang) cxx=/usr/bin/clang++ ;;
    esac
    local bin=$work/$compiler/$fixture/$program
    mkdir -p "$(dirname "$bin")"
    # shellcheck disable=SC2086  # flags is a word list
    "$cxx" "${common_flags[@]}" $flags "$programs/$program.cpp" -o "$bin"
    mkdir -p "$fixtures/$compiler"
    # The programs fail on purpose: keep going whatever the exit status, and keep the shell's own
    # "Floating point exception" notes out of the way.
    (cd "$(dirname "$bin")" && env "$@" timeout 60 "$bin" >/dev/null 2>"$fixtures/$compiler/$fixture.txt") 2>/dev/null || true
    printf '%-6s %-28s %s lines\n' "$compiler" "$fixture" "$(wc -l <"$fixtures/$compiler/$fixture.txt")"
}

capture_all() {
    local c=$1

    # ThreadSanitizer
    local tsan=(TSAN_OPTIONS="$tsan_options")
    for p in data_race data_race_atomic lock_order_inversion thread_leak signal_unsafe_call mutex_misuse; do
        capture "$c" "$p" "$p" "-fsanitize=thread" "${tsan[@]}"
    done
    capture "$c" deadly_signal tsan_deadly_signal "-fsanitize=thread" "${tsan[@]}"
    capture "$c" race_suppressed race_suppressed "-fsanitize=thread" \
        TSAN_OPTIONS="$tsan_options:suppressions=$suppressions/tsan.supp"

    # AddressSanitizer (with LeakSanitizer at exit)
    local asan=(ASAN_OPTIONS="$asan_options" LSAN_OPTIONS="$lsan_options" ASAN_SYMBOLIZER_PATH="$symbolizer")
    for p in heap_use_after_free double_free heap_buffer_overflow stack_buffer_overflow global_buffer_overflow \
             stack_use_after_return stack_use_after_scope alloc_dealloc_mismatch memory_leak; do
        capture "$c" "$p" "$p" "-fsanitize=address" "${asan[@]}"
    done
    capture "$c" deadly_signal asan_deadly_signal "-fsanitize=address" "${asan[@]}"
    capture "$c" asan_recover asan_recover "-fsanitize=address -fsanitize-recover=address" "${asan[@]}"
    capture "$c" leak_suppressed leak_suppressed "-fsanitize=address" ASAN_OPTIONS="$asan_options" \
        LSAN_OPTIONS="$lsan_options:suppressions=$suppressions/lsan.supp" ASAN_SYMBOLIZER_PATH="$symbolizer"

    # UndefinedBehaviorSanitizer: two runs name the check in their SUMMARY (report_error_type=1), the
    # others leave the parser to infer it from the message.
    capture "$c" ub_signed_integer_overflow ub_signed_integer_overflow "-fsanitize=undefined" \
        UBSAN_OPTIONS="$ubsan_options:report_error_type=1"
    capture "$c" ub_shift_exponent ub_shift_exponent "-fsanitize=undefined" \
        UBSAN_OPTIONS="$ubsan_options:report_error_type=1"
    capture "$c" ub_division_by_zero ub_division_by_zero "-fsanitize=undefined" UBSAN_OPTIONS="$ubsan_options"
    capture "$c" ub_invalid_bool_load ub_invalid_bool_load "-fsanitize=undefined" UBSAN_OPTIONS="$ubsan_options"
    # One misplaced container: many reports in libstdc++ frames, one place in the program (one distinct bug).
    capture "$c" ub_in_library ub_in_library "-fsanitize=undefined" UBSAN_OPTIONS="$ubsan_options"
    capture "$c" ub_with_asan ub_with_asan "-fsanitize=address,undefined" \
        ASAN_OPTIONS="$asan_options" UBSAN_OPTIONS="$ubsan_options" ASAN_SYMBOLIZER_PATH="$symbolizer"

    # A worker killed in the middle of a report: the race report cut inside its second stack.
    local race=$fixtures/$c/data_race.txt
    local cut
    cut=$(grep -n -m1 'Previous write' "$race" | cut -d: -f1) || { echo "no race in $race" >&2; return 1; }
    head -n "$((cut + 2))" "$race" >"$fixtures/$c/data_race_truncated.txt"
    printf '%-6s %-28s %s lines\n' "$c" data_race_truncated "$(wc -l <"$fixtures/$c/data_race_truncated.txt")"
}

compilers=("$@")
[ ${#compilers[@]} -eq 0 ] && compilers=(gcc clang)
for c in "${compilers[@]}"; do
    capture_all "$c"
done
