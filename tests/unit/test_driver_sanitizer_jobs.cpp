// Tests of how the supervisor runs sanitizer-flavor jobs: their environment, and how findings
// become detections that expectations match.
#include <gtest/gtest.h>

#include "driver/supervisor.hpp"
#include "driver/verdict.hpp"
#include "sanitizers/environment.hpp"
#include "sanitizers/parser.hpp"
#include "driver/detections.hpp"

namespace threadmill {
namespace {

std::string value_of(const std::vector<std::pair<std::string, std::string>>& env, const std::string& name) {
    for (const auto& [k, v] : env) {
        if (k == name) return v;
    }
    return {};
}

TEST(SanitizerEnvironment, PlainJobsGetNone) {
    EXPECT_TRUE(sanitizer_environment("plain", "/tmp/job", "", Scenario{}).empty());
}

TEST(SanitizerEnvironment, TsanCollectsEveryReportIntoTheJobFolder) {
    Scenario sc;
    sc.sanitizer_options["tsan"] = "history_size=7";
    const auto env = sanitizer_environment("tsan", "/tmp/job", TM_SOURCE_DIR "/sanitizers", sc);
    const std::string tsan = value_of(env, "TSAN_OPTIONS");
    EXPECT_NE(tsan.find("halt_on_error=0"), std::string::npos);
    EXPECT_NE(tsan.find("log_path=/tmp/job/sanitizer"), std::string::npos);
    EXPECT_NE(tsan.find("exitcode=66"), std::string::npos);
    EXPECT_NE(tsan.find("suppressions=" TM_SOURCE_DIR "/sanitizers/tsan.supp"), std::string::npos);
    // The scenario's own options come last, so they win over the defaults.
    EXPECT_TRUE(tsan.ends_with(":history_size=7")) << tsan;
    EXPECT_TRUE(value_of(env, "ASAN_OPTIONS").empty());
}

TEST(SanitizerEnvironment, AsanAlsoConfiguresUbsanAndLsan) {
    const auto env = sanitizer_environment("asan", "/tmp/job", "", Scenario{});
    const std::string asan = value_of(env, "ASAN_OPTIONS");
    EXPECT_NE(asan.find("detect_stack_use_after_return=1"), std::string::npos);
    EXPECT_NE(asan.find("detect_leaks=1"), std::string::npos);
    EXPECT_EQ(asan.find(":suppressions="), std::string::npos);  // no folder given
    EXPECT_NE(value_of(env, "UBSAN_OPTIONS").find("print_stacktrace=1"), std::string::npos);
    EXPECT_NE(value_of(env, "LSAN_OPTIONS").find("exitcode=66"), std::string::npos);
}

Finding finding(FindingKind kind, std::string kind_name, std::string fingerprint) {
    Finding f;
    f.tool = "ThreadSanitizer";
    f.kind = kind;
    f.kind_name = std::move(kind_name);
    f.fingerprint = std::move(fingerprint);
    Frame user;
    user.function = "TtlCache::get";
    user.file = TM_SOURCE_DIR "/targets/cache/ttl_cache.cpp";
    user.line = 42;
    user.user = true;
    f.user_frame = user;
    return f;
}

TEST(FindingDetections, OnePerDistinctBugWithTheUserLocation) {
    JobResult job;
    job.findings = {finding(FindingKind::data_race, "data-race", "a"), finding(FindingKind::data_race, "data-race", "a"),
                    finding(FindingKind::heap_use_after_free, "heap-use-after-free", "b")};
    detect_from_findings(job);
    ASSERT_EQ(job.detections.size(), 2u);
    EXPECT_EQ(job.detections[0].mechanism, "race");
    EXPECT_EQ(job.detections[0].detail, "ThreadSanitizer: data-race at targets/cache/ttl_cache.cpp:42 in TtlCache::get");
    EXPECT_EQ(job.detections[1].mechanism, "memory:heap-use-after-free");

    grade(job, Expectation{{"memory"}, {}});
    EXPECT_TRUE(job.expectation_met);
    grade(job, Expectation{{"pass"}, {}});  // a safe variant with any finding fails
    EXPECT_FALSE(job.expectation_met);
}

TEST(FindingDetections, DeadlockExpectationAcceptsAHang) {
    EXPECT_TRUE(mechanism_matches("deadlock", "timeout"));
    EXPECT_TRUE(mechanism_matches("deadlock", "deadlock"));
    EXPECT_FALSE(mechanism_matches("race", "timeout"));
    EXPECT_TRUE(mechanism_matches("ub", "ub:signed-integer-overflow"));
}

TEST(Mechanisms, SanitizerWordsAreValidated) {
    TargetInfo t;
    t.name = "x";
    EXPECT_FALSE(check_mechanism("race", t).has_value());
    EXPECT_FALSE(check_mechanism("memory:heap-use-after-free", t).has_value());
    EXPECT_FALSE(check_mechanism("ub:shift-exponent", t).has_value());
    EXPECT_EQ(check_mechanism("memory:heap-use-after-fre", t).value_or(""),
              "unknown memory error kind 'heap-use-after-fre'; did you mean 'heap-use-after-free'?");
    EXPECT_TRUE(check_mechanism("rase", t).has_value());
}

}  // namespace
}  // namespace threadmill
