// Test support: a job that timed out, with the backtraces of a captured deadlock (tests/sanitizers/gdb/).
#pragma once

#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "model/result.hpp"
#include "sanitizers/gdb_backtraces.hpp"
#include "tests/support/golden.hpp"

namespace threadmill::testing {

/// The source root that makes the captured program's paths read "cache.cpp".
inline constexpr const char* k_hang_source_root = "/tmp/i12g";

/// A job of the `deadlock` variant stopped at its timeout, gdb's backtraces parsed: two threads waiting in
/// Cache::get (cache.cpp:11) and the main thread joining them (cache.cpp:19). `expected` decides its outcome
/// ("timeout": caught; anything else: UNEXPECTED).
inline JobResult hung_job(const std::string& expected = "crash") {
    JobResult j;
    j.index = 1;
    j.scenario = "cache-hang";
    j.scenario_path = "scenarios/cache/hang.toml";
    j.target = "cache";
    j.variant = "deadlock";
    j.flavor = "plain";
    j.seed = 5;
    j.replay = "threadmill run scenarios/cache/hang.toml --variant deadlock --flavor plain --seed 5";
    j.timed_out = true;
    j.backtraces = read_text(std::filesystem::path(TM_TEST_DATA_DIR) / "sanitizers" / "gdb" / "condition_variable_wait.txt");
    j.hang_stacks = parse_gdb_backtraces(j.backtraces);
    j.detections.push_back(
        {"timeout", fmt::format("no result after 1.50s; {}", fmt::join(describe_hang(j.hang_stacks, k_hang_source_root), "; "))});
    j.verdict = Verdict::fail;
    j.expected = {expected};
    j.expectation_met = expected == "timeout";
    j.expectation_detail = j.expectation_met ? "caught by timeout, as expected" : "expected crash, but caught by timeout";
    return j;
}

}  // namespace threadmill::testing
