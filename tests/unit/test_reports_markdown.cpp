// Tests of the Markdown report (reports/markdown.cpp).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "reports/markdown.hpp"
#include "tests/support/golden.hpp"

namespace threadmill {
namespace {

TEST(ReportMarkdown, MatchesGolden) {
    const testing::Fixture f;
    testing::expect_golden(render_markdown(f.input("out/summary.md")), "summary.md");
}

TEST(ReportMarkdown, ListsEachWorkersOwnBuild) {
    testing::Fixture f;
    f.run.context.workers = {{"/w/variants/buggy/threadmill-worker-tsan", "tsan", "buggy",
                              WorkerBuild{"GNU 12.2.0", "-O2 -fsanitize=thread", "Release", "tsan", "buggy"}}};
    const std::string md = render_markdown(f.input("out/summary.md"));
    EXPECT_NE(md.find("- worker tsan, variant build buggy: `/w/variants/buggy/threadmill-worker-tsan` · GNU 12.2.0 · "
                      "Release · `-O2 -fsanitize=thread`\n"),
              std::string::npos)
        << md;
}

TEST(ReportMarkdown, CountsAndMissedExpectations) {
    const testing::Fixture f;
    const std::string md = render_markdown(f.input("out/summary.md"));
    EXPECT_NE(md.find("28 of 29 jobs did what their scenario expects"), std::string::npos) << md;
    ASSERT_GT(f.summary.missed, 0);  // the fixture holds one wrong expectation
    EXPECT_NE(md.find("### Jobs that need a look (1)"), std::string::npos) << md;
    EXPECT_NE(md.find("wrong-expectation"), std::string::npos) << md;
    EXPECT_NE(md.find("FAILED"), std::string::npos);
}

TEST(ReportMarkdown, ListsTheForbiddenAndInterestingOutcomesSeen) {
    testing::Fixture f;
    f.run.jobs[4].outcomes = {{"2", 95, 0.95, OutcomeGrade::acceptable, "both"},
                              {"1", 4, 0.04, OutcomeGrade::forbidden, "one | lost"},
                              {"0", 1, 0.01, OutcomeGrade::interesting, "none"},
                              {"3", 0, 0, OutcomeGrade::forbidden, "never seen"}};
    const std::string md = render_markdown(f.input("out/summary.md"));
    EXPECT_NE(md.find("### Lockstep outcomes seen, forbidden or interesting (2)\n"), std::string::npos) << md;
    EXPECT_NE(md.find("| `1` | 4 | 4.00% | **FORBIDDEN** | one \\| lost |\n"), std::string::npos) << md;
    EXPECT_NE(md.find("| `0` | 1 | 1.00% | interesting | none |\n"), std::string::npos) << md;
    EXPECT_EQ(md.find("never seen"), std::string::npos) << md;
    EXPECT_EQ(md.find("| `2` |"), std::string::npos) << md;
    EXPECT_EQ(render_markdown(testing::Fixture{}.input("out/summary.md")).find("Lockstep outcomes"), std::string::npos);
}

TEST(ReportMarkdown, LinksAreRelativeToTheReport) {
    const testing::Fixture f;
    const std::string md = render_markdown(f.input("out/summary.md"));
    EXPECT_NE(md.find("[html](index.html)"), std::string::npos) << md;
    EXPECT_NE(md.find("[sarif](threadmill.sarif)"), std::string::npos) << md;
    // From a report one folder down, the same files are one folder up.
    const std::string nested = render_markdown(f.input("out/ci/summary.md"));
    EXPECT_NE(nested.find("[html](../index.html)"), std::string::npos) << nested;
}

TEST(ReportMarkdown, SourcePathsRelativeToTheRoot) {
    const testing::Fixture f;
    const std::string md = render_markdown(f.input("out/summary.md"));
    EXPECT_NE(md.find("`targets/canary/canary_target.cpp:"), std::string::npos) << md;
    EXPECT_EQ(md.find("/src/threadmill/"), std::string::npos) << md;
}

/// The fixture run with a summary of two suppression files: one user file with a used, a stale
/// and an uncounted pattern, and threadmill's own with a stale one.
RunSummary with_suppression_files(RunSummary s) {
    s.suppression_files = {
        {"scenario", "/src/threadmill/scenarios/known.supp", 3,
         {{"tsan", "race:Cache::get", 12, true}, {"tsan", "race:Gone", 0, true}, {"ubsan", "alignment:x.cpp", 0, false}}},
        {"threadmill", "/src/threadmill/sanitizers/tsan.supp", 3, {{"tsan", "race:libold.so", 0, true}}},
    };
    return s;
}

TEST(ReportMarkdown, SuppressionPatternsPerFileWithStaleOnes) {
    testing::Fixture f;
    f.summary = with_suppression_files(f.summary);
    const std::string md = render_markdown(f.input("out/summary.md"));
    EXPECT_NE(md.find("### Sanitizer suppressions\n\n| file | from | pattern | matched |\n|---|---|---|---:|\n"
                      "| `scenarios/known.supp` | scenario | `race:Cache::get` | 12 |\n"
                      "| `scenarios/known.supp` | scenario | `race:Gone` | **0 (stale)** |\n"
                      "| `scenarios/known.supp` | scenario | `alignment:x.cpp` | not counted |\n"
                      "| `sanitizers/tsan.supp` | threadmill | `race:libold.so` | **0 (stale)** |\n"),
              std::string::npos)
        << md;
    EXPECT_EQ(render_markdown(testing::Fixture{}.input("out/summary.md")).find("Sanitizer suppressions"),
              std::string::npos);  // nothing when no job ran with a suppression file
}

TEST(ReportMarkdown, RelativeLink) {
    EXPECT_EQ(relative_link("out/jobs/0001-x", "out/summary.md"), "jobs/0001-x");
    EXPECT_EQ(relative_link("out/index.html", "out/ci/summary.md"), "../index.html");
    EXPECT_EQ(relative_link("a.html", "summary.md"), "a.html");
}

}  // namespace
}  // namespace threadmill
