// Tests of the console reporter (reports/console.cpp): the recorded run, as a pipe sees it.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

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

TEST(ReportConsole, FormatClock) {
    EXPECT_EQ(format_clock(0), "0:00");
    EXPECT_EQ(format_clock(95), "1:35");
    EXPECT_EQ(format_clock(3725), "1:02:05");
    EXPECT_EQ(format_clock(-3), "0:00");
}

}  // namespace
}  // namespace threadmill
