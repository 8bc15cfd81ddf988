// Tests of model/suppressions: reading and checking a suppression file, merging the files of a
// job per runtime, and joining the runtimes' tables of matches per file (stale patterns).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model/suppressions.hpp"

namespace threadmill {
namespace {

TEST(SuppressionText, EachTypeGoesToItsRuntime) {
    const auto t = parse_suppression_text("# comment\n\nrace:Cache::get\n  deadlock:Registry  \nleak:make_node\n"
                                          "signed-integer-overflow:hash.cpp\ninterceptor_via_fun:legacy_copy\n");
    ASSERT_TRUE(t.errors.empty());
    ASSERT_EQ(t.patterns.size(), 5u);
    EXPECT_EQ(t.patterns[0].runtime, "tsan");
    EXPECT_EQ(t.patterns[0].text, "race:Cache::get");
    EXPECT_EQ(t.patterns[0].line, 3);
    EXPECT_EQ(t.patterns[1].text, "deadlock:Registry");  // trimmed, as the runtime reads it
    EXPECT_EQ(t.patterns[2].runtime, "lsan");
    EXPECT_EQ(t.patterns[3].runtime, "ubsan");
    EXPECT_EQ(t.patterns[4].runtime, "asan");
}

TEST(SuppressionText, BadLinesNameTheirLineAndTheFix) {
    const auto t = parse_suppression_text("rase:foo\nrace:ok\njust_a_name\nleak:\nrace:*\n");
    ASSERT_EQ(t.errors.size(), 3u);
    EXPECT_EQ(t.errors[0].line, 1);
    EXPECT_EQ(t.errors[0].message, "unknown suppression type 'rase'; did you mean 'race'?");
    EXPECT_EQ(t.errors[1].line, 3);
    EXPECT_EQ(t.errors[1].message,
              "'just_a_name' is not a suppression: write <type>:<pattern>, such as race:MyClass::method");
    EXPECT_EQ(t.errors[2].line, 4);
    EXPECT_NE(t.errors[2].message.find("'leak:' has no pattern"), std::string::npos);
    ASSERT_EQ(t.patterns.size(), 2u);  // the good lines are still read
}

TEST(SuppressionText, APerRuntimeFileTakesOnlyItsRuntimesTypes) {
    const auto t = parse_suppression_text("race:a\nleak:b\n", "tsan");
    ASSERT_EQ(t.errors.size(), 1u);
    EXPECT_EQ(t.errors[0].line, 2);
    EXPECT_EQ(t.errors[0].message, "'leak' suppresses lsan reports, and this file is read by tsan only; move the line to lsan.supp");
}

SuppressionSource source(std::string origin, std::string path, std::string text) {
    auto parsed = parse_suppression_text(text);
    EXPECT_TRUE(parsed.errors.empty());
    return {std::move(origin), std::move(path), std::move(parsed.patterns)};
}

TEST(MergedSuppressions, OneFilePerRuntimeInSourceOrderEachPatternOnce) {
    const std::vector<SuppressionSource> sources = {
        source("threadmill", "/share/tsan.supp", "race:libfoo.so\n"),
        source("project", "/w/threadmill-suppressions.txt", "race:Cache::get\nleak:make_node\n"),
        source("scenario", "/s/hot.supp", "race:Cache::get\nrace:Cache::set\n"),
    };
    const std::string tsan = merged_suppressions(sources, "tsan");
    EXPECT_EQ(tsan,
              "# tsan suppressions of this job, merged by threadmill from the files below.\n"
              "# from /share/tsan.supp (threadmill)\nrace:libfoo.so\n"
              "# from /w/threadmill-suppressions.txt (project)\nrace:Cache::get\n"
              "# from /s/hot.supp (scenario)\nrace:Cache::set\n");
    const std::string lsan = merged_suppressions(sources, "lsan");
    EXPECT_NE(lsan.find("\nleak:make_node\n"), std::string::npos);
    EXPECT_EQ(lsan.find("race:"), std::string::npos);
    EXPECT_EQ(merged_suppressions(sources, "ubsan").find('\n'), merged_suppressions(sources, "ubsan").size() - 1)
        << "no pattern: the header line only";
}

TEST(SuppressionUses, CountsPerFileAcrossJobsAndStalePatterns) {
    const auto scenario = source("scenario", "/s/hot.supp", "race:Cache::get\nrace:Never::called\nsigned-integer-overflow:h\n");
    const auto project = source("project", "/w/threadmill-suppressions.txt", "race:Cache::get\n");
    std::vector<SuppressionFileUse> uses;
    add_suppression_uses(uses, {project, scenario}, {{"ThreadSanitizer", "race:Cache::get", 3}});
    add_suppression_uses(uses, {project, scenario}, {{"ThreadSanitizer", "race:Cache::get", 2},
                                                     {"LeakSanitizer", "race:Never::called", 9}});  // another tool
    ASSERT_EQ(uses.size(), 2u);
    EXPECT_EQ(uses[0].origin, "project");
    EXPECT_EQ(uses[0].jobs, 2);
    ASSERT_EQ(uses[0].patterns.size(), 1u);
    EXPECT_EQ(uses[0].patterns[0].count, 5u);  // a pattern in two files is credited to each
    const auto& rows = uses[1].patterns;
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].count, 5u);
    EXPECT_FALSE(rows[0].stale());
    EXPECT_EQ(rows[1].text, "race:Never::called");
    EXPECT_EQ(rows[1].count, 0u);
    EXPECT_TRUE(rows[1].stale());
    EXPECT_FALSE(rows[2].counted);  // UBSan prints no table of matches: never called stale
    EXPECT_FALSE(rows[2].stale());
}

TEST(SuppressionUses, SourcesRoundTripThroughJson) {
    const auto src = source("scenario", "/s/hot.supp", "race:a\nleak:b\n");
    const nlohmann::json j = src;
    const auto back = j.get<SuppressionSource>();
    EXPECT_EQ(back.origin, "scenario");
    EXPECT_EQ(back.path, "/s/hot.supp");
    ASSERT_EQ(back.patterns.size(), 2u);
    EXPECT_EQ(back.patterns[1].runtime, "lsan");
    EXPECT_EQ(back.patterns[1].text, "leak:b");
}

}  // namespace
}  // namespace threadmill
