// Tests of the console reporter (reports/console.cpp): the recorded run, as a pipe sees it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "reports/console.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/hang.hpp"

namespace threadmill {
namespace {

/// The console report of the fixture run, as `threadmill report` prints it to a pipe.
std::string console_text(const testing::Fixture& f, bool verbose = false) {
    char* data = nullptr;
    std::size_t size = 0;
    std::FILE* out = ::open_memstream(&data, &size);
    {
        ConsoleReporter console(out, "/src/threadmill", verbose);  // not a terminal: plain lines, no colour, no status line
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

// Only the user's stale patterns get a line, one per file; used and uncounted patterns and
// threadmill's own files do not.
TEST(ReportConsole, OneLinePerUserFileWithStalePatterns) {
    testing::Fixture f;
    f.summary.suppression_files = {
        {"scenario", "/src/threadmill/scenarios/known.supp", 3,
         {{"tsan", "race:Cache::get", 12, true}, {"tsan", "race:Gone", 0, true}, {"tsan", "race:AlsoGone", 0, true},
          {"ubsan", "alignment:x.cpp", 0, false}}},
        {"project", "/w/threadmill-suppressions.txt", 1, {{"tsan", "race:Used", 2, true}}},
        {"threadmill", "/src/threadmill/sanitizers/tsan.supp", 3, {{"tsan", "race:libold.so", 0, true}}},
    };
    const std::string text = console_text(f);
    EXPECT_NE(text.find("\nstale suppressions in scenarios/known.supp (scenario): race:Gone, race:AlsoGone matched "
                        "nothing in 3 jobs\n"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.find("threadmill-suppressions.txt"), std::string::npos) << text;
    EXPECT_EQ(text.find("race:libold.so"), std::string::npos) << text;
    EXPECT_EQ(text.find("alignment:x.cpp"), std::string::npos) << text;
}

TEST(ReportConsole, PipedOutputHasNoEscapes) {
    const testing::Fixture f;
    const std::string text = console_text(f);
    EXPECT_EQ(text.find('\033'), std::string::npos);
    EXPECT_EQ(text.find('\r'), std::string::npos);
}

TEST(ReportConsole, ACaughtMutantReadsCaughtAndNeverFail) {
    const testing::Fixture f;
    for (const bool verbose : {false, true}) {
        const std::string text = console_text(f, verbose);
        // canary-race · race · tsan: the race mutant, caught by the race it expects; by default
        // on its group's line, with -v on a line of its own.
        const auto at = text.find(verbose ? "[2/29] canary-race · race · tsan · seed 7 · caught (expected) · 0.35s · by race\n"
                                          : "[1-2/29] canary-race · tsan · seed 7 · 0.44s · safe ok · race caught (expected) by race\n");
        EXPECT_NE(at, std::string::npos) << text;
        EXPECT_EQ(text.find("FAIL"), std::string::npos) << text;
        EXPECT_EQ(text.find("PASS"), std::string::npos) << text;
        EXPECT_EQ(text.find("verdict"), std::string::npos) << text;
    }
}

TEST(ReportConsole, DetailsOnlyForJobsThatNeedALookUnlessVerbose) {
    const testing::Fixture f;
    const std::string brief = console_text(f);
    const std::string verbose = console_text(f, true);
    // One line per group of jobs that did what was expected; the latency table only with -v.
    EXPECT_NE(brief.find("\n[5-6/29] cache-queue · plain · seed 7 · 0.63s · safe ok · double_dispatch caught (expected) by "
                         "invariant:exactly_once_dispatch\n[7-8/29]"),
              std::string::npos)
        << brief;
    EXPECT_NE(verbose.find("[5/29] cache-queue · safe · plain · seed 7 · ok · 0.32s\n"), std::string::npos) << verbose;
    EXPECT_EQ(brief.find("p99.9"), std::string::npos) << brief;
    EXPECT_NE(verbose.find("p99.9"), std::string::npos);
    EXPECT_NE(verbose.find("BROKEN  exactly_once_dispatch"), std::string::npos) << verbose;
    // The miss has its details and its reason in both.
    for (const auto* text : {&brief, &verbose}) {
        EXPECT_NE(text->find("  crash worker killed by SIGSEGV"), std::string::npos) << *text;
        EXPECT_NE(text->find("  UNEXPECTED: expected timeout, but caught by crash\n"), std::string::npos) << *text;
    }
    // A distinct bug is named the first time it is seen: by default its place, with -v its stacks.
    EXPECT_NE(brief.find("[1-2/29] canary-race · tsan · seed 7 · 0.44s · safe ok · race caught (expected) by race\n"
                         "  new bug ThreadSanitizer: data-race at targets/canary/canary_target.cpp:22 in run [race]\n"),
              std::string::npos)
        << brief;
    EXPECT_EQ(brief.find("FINDING"), std::string::npos) << brief;
    EXPECT_NE(verbose.find("FINDING ThreadSanitizer: data-race [canary-race · race · tsan · seed 7]"), std::string::npos);
    EXPECT_LT(std::count(brief.begin(), brief.end(), '\n'), std::count(verbose.begin(), verbose.end(), '\n') / 3);
}

TEST(ReportConsole, ReplayLinesOnlyForTheJobsThatNeedALook) {
    const testing::Fixture f;
    const std::string text = console_text(f);
    const auto header = text.find("replay the jobs that need a look:\n");
    ASSERT_NE(header, std::string::npos) << text;
    const std::string list = text.substr(header, text.find("results:", header) - header);
    EXPECT_EQ(std::count(list.begin(), list.end(), '\n'), 2) << list;  // the header and the one UNEXPECTED job
    EXPECT_NE(list.find("--variant crash --flavor plain --seed 7   # UNEXPECTED"), std::string::npos) << list;
}

TEST(ReportConsole, OnlyExercisedInvariantsAreListed) {
    const testing::Fixture f;
    std::vector<JobResult> jobs = {f.run.jobs[4]};  // cache-queue · safe · plain: six invariants held
    ASSERT_TRUE(jobs[0].measurement);
    auto& invariants = jobs[0].measurement->invariants;
    ASSERT_FALSE(invariants.empty());
    invariants[0].checks = 0;  // never checked: not exercised
    const std::string unchecked = invariants[0].name;
    char* data = nullptr;
    std::size_t size = 0;
    std::FILE* out = ::open_memstream(&data, &size);
    {
        ConsoleReporter console(out, "/src/threadmill", true);
        console.job_finished(jobs[0], 1);
    }
    std::fclose(out);
    const std::string text(data, size);
    std::free(data);
    EXPECT_EQ(text.find(unchecked), std::string::npos) << text;
    EXPECT_NE(text.find(invariants[1].name), std::string::npos) << text;
}

/// The fixture's cache-queue safe job (index 5) as a lockstep job whose outcome table the driver
/// graded: an acceptable result, an interesting one, a forbidden one seen (or not) and one never seen.
JobResult lockstep_job(const testing::Fixture& f, bool forbidden_seen) {
    JobResult j = f.run.jobs[4];
    j.measurement->rounds = 1000;
    j.outcomes = {{"1, 1", 900, 0.9, OutcomeGrade::acceptable, "both seen"},
                  {"0, 1", 97, 0.097, OutcomeGrade::interesting, "a stale read"},
                  {"0, 0", forbidden_seen ? 3u : 0u, forbidden_seen ? 0.003 : 0, OutcomeGrade::forbidden, "both lost"}};
    return j;
}

std::string job_text(const JobResult& j, bool verbose) {
    char* data = nullptr;
    std::size_t size = 0;
    std::FILE* out = ::open_memstream(&data, &size);
    {
        ConsoleReporter console(out, "/src/threadmill", verbose);
        console.job_finished(j, 1);
        console.run_finished({j}, RunSummary{});
    }
    std::fclose(out);
    std::string text(data, size);
    std::free(data);
    return text;
}

TEST(ReportConsole, ALockstepJobShowsItsGradedOutcomeTable) {
    const testing::Fixture f;
    const std::string text = job_text(lockstep_job(f, true), true);
    EXPECT_NE(text.find("  outcomes of 1,000 lockstep rounds\n"
                        "    result         count     freq  grade        description\n"
                        "    1, 1             900    90.0%  acceptable   both seen\n"
                        "    0, 1              97    9.70%  interesting  a stale read\n"
                        "  ! 0, 0               3   0.300%  FORBIDDEN    both lost\n"),
              std::string::npos)
        << text;
    // Not seen, a forbidden result is listed quietly (what was looked for), without the mark.
    const std::string clean = job_text(lockstep_job(f, false), true);
    EXPECT_NE(clean.find("    0, 0               0       0%  forbidden    both lost\n"), std::string::npos) << clean;
    EXPECT_EQ(clean.find("FORBIDDEN"), std::string::npos) << clean;
    // A job that is not lockstep has no table.
    EXPECT_EQ(job_text(f.run.jobs[4], true).find("outcomes of"), std::string::npos);
}

TEST(ReportConsole, AnInterestingResultGetsALineEvenWhenTheJobNeedsNoLook) {
    const testing::Fixture f;
    const std::string text = job_text(lockstep_job(f, false), false);
    EXPECT_EQ(text.find("outcomes of"), std::string::npos) << text;  // no details for an ok job
    EXPECT_NE(text.find("\n  interesting '0, 1' in 97 of 1,000 rounds: a stale read [safe]\n"), std::string::npos) << text;
}

TEST(ReportConsole, AFrameWithoutLineInformationSaysSoInWords) {
    testing::Fixture f;
    ASSERT_GT(strip_line_info(f), 0);
    const std::string text = console_text(f, true);  // -v: the stacks
    // The user frame of a stack and the SUMMARY line: the function, then the words instead of ":0".
    EXPECT_NE(text.find("#0 run /opt/tm/threadmill-worker-tsan+0x1234 (no line information: the worker was built "
                        "without -g)"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("SUMMARY: data-race at run in /opt/tm/threadmill-worker-tsan+0x1234 (no line information: "
                        "the worker was built without -g)"),
              std::string::npos)
        << text;
    // No "name:0" (a line number of zero) anywhere: ':0' after a letter, '_' or ')' and not
    // before another digit.
    for (std::size_t at = text.find(":0", 1); at != std::string::npos; at = text.find(":0", at + 1)) {
        const char before = text[at - 1];
        const bool after_name = std::isalpha(static_cast<unsigned char>(before)) != 0 || before == '_' || before == ')';
        const bool ends = at + 2 >= text.size() || std::isdigit(static_cast<unsigned char>(text[at + 2])) == 0;
        EXPECT_FALSE(after_name && ends) << "a line number 0 at " << at << " in\n" << text;
    }
}

// A hang that needs a look shows each thread blocked in the code under test with its user frames.
TEST(ReportConsole, HangShowsTheBlockedThreadsUserFrames) {
    char* data = nullptr;
    std::size_t size = 0;
    std::FILE* out = ::open_memstream(&data, &size);
    {
        ConsoleReporter console(out, testing::k_hang_source_root, false);
        console.job_finished(testing::hung_job("crash"), 1);
    }
    std::fclose(out);
    const std::string text(data, size);
    std::free(data);
    EXPECT_NE(text.find("  threads in the code under test at the timeout (gdb):\n"
                        "    thread 3 \"cache\"\n"
                        "      #6 Cache::get cache.cpp:11\n"
                        "      #7 operator() cache.cpp:18\n"
                        "      (+14 frames in the harness, the standard library or the runtime)\n"
                        "    thread 2 \"reader\"\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("    thread 1 \"cache\"\n      #5 main cache.cpp:19\n"), std::string::npos) << text;
    EXPECT_NE(text.find("backtraces at the timeout: see backtraces.txt"), std::string::npos) << text;
}

TEST(ReportConsole, FormatClock) {
    EXPECT_EQ(format_clock(0), "0:00");
    EXPECT_EQ(format_clock(95), "1:35");
    EXPECT_EQ(format_clock(3725), "1:02:05");
    EXPECT_EQ(format_clock(-3), "0:00");
}

}  // namespace
}  // namespace threadmill
