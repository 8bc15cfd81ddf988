// Golden-file testing for reporters: render the recorded fixture run, mask what varies
// between machines (addresses, times, absolute paths), and compare with a file kept in git.
// Set THREADMILL_UPDATE_GOLDEN=1 to rewrite the golden files (then review the diff).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "driver/results_file.hpp"
#include "reports/reporter.hpp"
#include "driver/summary.hpp"

namespace threadmill::testing {

inline std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// The recorded run every reporter's golden test renders: canaries (a race under tsan, a
/// use-after-free under asan), an invariant, latency budgets (absolute and relative), a hang,
/// crashes, an exception and a missed expectation; two runs merged (`report merge`).
/// Recorded with `tests/reports/fixtures/record.sh`.
struct Fixture {
    ResultsFile run = read_results_file(std::string(TM_TEST_DATA_DIR) + "/reports/fixtures/run.jsonl");
    RunSummary summary = [this] {
        RunSummary s = summarize_run(run.jobs, static_cast<int>(run.jobs.size()), false, 0, "out/results.jsonl");
        for (const auto& j : run.jobs) s.elapsed_seconds += j.elapsed_seconds;
        return s;
    }();
    /// A ReportInput as `threadmill report out/results.jsonl --report FORMAT=out/<file>` builds it.
    ReportInput input(const std::string& output_path) const {
        ReportSettings settings;
        settings.results_dir = "out";
        settings.source_root = "/src/threadmill";
        settings.artifacts = {{"html", "out/index.html"}, {"junit", "out/junit.xml"},
                              {"sarif", "out/threadmill.sarif"}, {"md", "out/summary.md"}};
        return ReportInput{run.context, run.jobs, summary, output_path, settings};
    }
};

/// Rewrites the fixture run as a worker built without -g would have reported it: functions and
/// modules, no file:line. Returns how many findings had a user frame.
inline int strip_line_info(Fixture& f) {
    int user_frames = 0;
    const auto strip = [](Frame& fr) {
        fr.file.clear();
        fr.line = 0;
        fr.column = 0;
        fr.module = "/opt/tm/threadmill-worker-tsan+0x1234";
    };
    for (auto& j : f.run.jobs) {
        for (auto& finding : j.findings) {
            for (auto& a : finding.accesses)
                for (auto& fr : a.stack.frames) strip(fr);
            for (auto& b : finding.blocks)
                for (auto& fr : b.frames) strip(fr);
            if (finding.user_frame) {
                strip(*finding.user_frame);
                ++user_frames;
            }
        }
    }
    return user_frames;
}

/// Replaces what differs between machines and runs: hex addresses, clock times and dates.
inline std::string mask_volatile(std::string text) {
    text = std::regex_replace(text, std::regex("0x[0-9a-fA-F]{4,}"), "0xADDR");
    text = std::regex_replace(text, std::regex("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z?"), "TIMESTAMP");
    return text;
}

/// Compares `actual` (masked) with tests/reports/golden/<name>, or rewrites it when
/// THREADMILL_UPDATE_GOLDEN is set.
inline void expect_golden(const std::string& actual, const std::string& name) {
    const std::filesystem::path path = std::filesystem::path(TM_TEST_DATA_DIR) / "reports" / "golden" / name;
    const std::string masked = mask_volatile(actual);
    if (std::getenv("THREADMILL_UPDATE_GOLDEN")) {
        std::filesystem::create_directories(path.parent_path());
        std::ofstream(path, std::ios::binary) << masked;
        GTEST_SKIP() << "rewrote " << path;
    }
    ASSERT_TRUE(std::filesystem::exists(path)) << path << " is missing: run with THREADMILL_UPDATE_GOLDEN=1";
    const std::string expected = read_text(path);
    if (masked == expected) return;
    // Point at the first differing line rather than dumping two whole reports.
    std::istringstream a(masked), e(expected);
    std::string la, le;
    int line = 1;
    while (std::getline(a, la) && std::getline(e, le) && la == le) ++line;
    ADD_FAILURE() << name << " differs from the golden file at line " << line << ":\n  golden: " << le
                  << "\n  actual: " << la << "\n(THREADMILL_UPDATE_GOLDEN=1 rewrites it; review the diff)";
}

}  // namespace threadmill::testing
