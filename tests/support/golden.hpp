// Golden-file testing for reporters: render the recorded fixture run, mask what varies
// between machines (addresses, times, absolute paths), and compare with a file kept in git.
// Set THREADMILL_UPDATE_GOLDEN=1 to rewrite the golden files (then review the diff).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
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

/// Replaces what differs between machines and runs: hex addresses (`0x` and 4 or more hex
/// digits) become 0xADDR, ISO 8601 times (`2026-12-07T10:00:00[.123][Z]`) TIMESTAMP. Plain
/// scanning: GCC 12 warns inside <regex> in the ASan build.
inline std::string mask_volatile(const std::string& text) {
    const auto digit = [&](std::size_t i) { return i < text.size() && text[i] >= '0' && text[i] <= '9'; };
    const auto hex = [&](std::size_t i) {
        return i < text.size() && (digit(i) || (text[i] >= 'a' && text[i] <= 'f') || (text[i] >= 'A' && text[i] <= 'F'));
    };
    const auto digits = [&](std::size_t i, std::size_t n) {
        for (std::size_t k = 0; k < n; ++k)
            if (!digit(i + k)) return false;
        return true;
    };
    // The length of the timestamp starting at i, or 0: dddd-dd-ddTdd:dd:dd(.d+)?Z?
    const auto timestamp = [&](std::size_t i) -> std::size_t {
        const char* shape = "dddd-dd-ddTdd:dd:dd";
        for (std::size_t k = 0; shape[k] != '\0'; ++k) {
            if (shape[k] == 'd' ? !digits(i + k, 1) : (i + k >= text.size() || text[i + k] != shape[k])) return 0;
        }
        std::size_t n = 19;
        if (i + n < text.size() && text[i + n] == '.' && digit(i + n + 1)) {
            ++n;
            while (digit(i + n)) ++n;
        }
        if (i + n < text.size() && text[i + n] == 'Z') ++n;
        return n;
    };
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        if (text.compare(i, 2, "0x") == 0) {
            std::size_t n = 0;
            while (hex(i + 2 + n)) ++n;
            if (n >= 4) {
                out += "0xADDR";
                i += 2 + n;
                continue;
            }
        }
        if (const std::size_t n = timestamp(i); n > 0) {
            out += "TIMESTAMP";
            i += n;
            continue;
        }
        out += text[i++];
    }
    return out;
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
