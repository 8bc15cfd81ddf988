// Tests of the console reporter (reports/console.cpp): the recorded run, as a pipe sees it.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <regex>

#include <fmt/format.h>

#include "reports/console.hpp"
#include "tests/support/golden.hpp"

namespace threadmill {
namespace {

/// The console report of the fixture run, as `threadmill report` prints it to a pipe.
std::string console_text(const testing::Fixture& f) {
    char* data = nullptr;
    std::size_t size = 0;
    std::FILE* out = ::open_memstream(&data, &size);
    {
        ConsoleReporter console(out, "/src/threadmill");  // not a terminal: plain lines, no colour, no status line
        const int n = static_cast<int>(f.run.jobs.size());
        console.run_started(f.run.context, n);
        for (const auto& j : f.run.jobs) {
            console.job_started(j.index, n, fmt::format("{} · {}", j.scenario, j.variant));
            console.job_finished(j, n);
        }
        console.run_finished(f.run.jobs, f.summary);
    }
    std::fclose(out);
    std::string text(data, size);
    std::free(data);
    return text;
}

/// The fixture run as a worker built without -g would have reported it: functions and modules, no file:line.
int strip_line_info(testing::Fixture& f) {
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

TEST(ReportConsole, MatchesGolden) {
    const testing::Fixture f;
    testing::expect_golden(console_text(f), "console.txt");
}

TEST(ReportConsole, PipedOutputHasNoEscapes) {
    const testing::Fixture f;
    const std::string text = console_text(f);
    EXPECT_EQ(text.find('\033'), std::string::npos);
    EXPECT_EQ(text.find('\r'), std::string::npos);
}

TEST(ReportConsole, AFrameWithoutLineInformationSaysSoInWords) {
    testing::Fixture f;
    ASSERT_GT(strip_line_info(f), 0);
    const std::string text = console_text(f);
    // The user frame of a stack and the SUMMARY line: the function, then the words instead of ":0".
    EXPECT_NE(text.find("#0 run /opt/tm/threadmill-worker-tsan+0x1234 (no line information: the worker was built "
                        "without -g)"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("SUMMARY: data-race at run in /opt/tm/threadmill-worker-tsan+0x1234 (no line information: "
                        "the worker was built without -g)"),
              std::string::npos)
        << text;
    EXPECT_FALSE(std::regex_search(text, std::regex("[A-Za-z_)]:0([^0-9]|$)"))) << text;
}

TEST(ReportConsole, FormatClock) {
    EXPECT_EQ(format_clock(0), "0:00");
    EXPECT_EQ(format_clock(95), "1:35");
    EXPECT_EQ(format_clock(3725), "1:02:05");
    EXPECT_EQ(format_clock(-3), "0:00");
}

}  // namespace
}  // namespace threadmill
