// Tests of run comparison (driver/compare.cpp) and its text form (reports/compare_text.cpp).
#include <gtest/gtest.h>

#include <stdexcept>

#include "driver/compare.hpp"
#include "driver/results_file.hpp"
#include "reports/compare_text.hpp"

namespace threadmill {
namespace {

/// A job of scenario "s" measuring one op "get" with the given p50/p99/p999 (ns) and ops/s.
JobResult job(const std::string& variant, double p, double throughput, int repeat = 0) {
    JobResult j;
    j.scenario = "s";
    j.variant = variant;
    j.flavor = "plain";
    j.repeat = repeat;
    Measurement m;
    OpStats op;
    op.name = "get";
    op.count = 1000;
    op.p50 = static_cast<std::uint64_t>(p);
    op.p99 = static_cast<std::uint64_t>(p * 10);
    op.p999 = static_cast<std::uint64_t>(p * 20);
    op.throughput = throughput;
    m.ops.push_back(op);
    j.measurement = m;
    return j;
}

const MetricChange& metric(const Comparison& c, const std::string& name) {
    for (const auto& m : c.ops.at(0).metrics) {
        if (m.metric == name) return m;
    }
    throw std::out_of_range(name);
}

TEST(EngineCompare, SingleSamplesUseTheToleranceOnly) {
    const auto c = compare_runs({job("safe", 100, 1000)}, {job("safe", 115, 1000)}, {});
    ASSERT_EQ(c.ops.size(), 1u);
    EXPECT_NEAR(metric(c, "p50").worse_by, 0.15, 1e-9);
    EXPECT_TRUE(metric(c, "p50").regression);
    EXPECT_FALSE(metric(c, "p50").within_noise);
    EXPECT_TRUE(c.single_samples);
    EXPECT_EQ(c.regressions, 3);  // p50, p99, p999 all 15% worse; throughput unchanged
    const auto small = compare_runs({job("safe", 100, 1000)}, {job("safe", 105, 1000)}, {});
    EXPECT_EQ(small.regressions, 0);
}

TEST(EngineCompare, LowerThroughputIsWorse) {
    const auto c = compare_runs({job("safe", 100, 1000)}, {job("safe", 100, 500)}, {});
    EXPECT_NEAR(metric(c, "throughput").worse_by, 0.5, 1e-9);
    EXPECT_TRUE(metric(c, "throughput").regression);
    const auto faster = compare_runs({job("safe", 100, 1000)}, {job("safe", 50, 2000)}, {});
    EXPECT_EQ(faster.regressions, 0);
    EXPECT_TRUE(metric(faster, "throughput").improvement);
    EXPECT_TRUE(metric(faster, "p50").improvement);
}

TEST(EngineCompare, MediansAndNoiseFromRepeats) {
    // Base: 100, 150, 200 -> median 150, spread (200-100)/150 = 67%. New: 180 (+20%): within noise.
    const std::vector<JobResult> base = {job("safe", 100, 1000, 0), job("safe", 150, 1000, 1), job("safe", 200, 1000, 2)};
    const std::vector<JobResult> noisy = {job("safe", 180, 1000, 0), job("safe", 180, 1000, 1)};
    const auto c = compare_runs(base, noisy, {});
    EXPECT_DOUBLE_EQ(metric(c, "p50").base, 150);
    EXPECT_NEAR(metric(c, "p50").base_spread, 100.0 / 150, 1e-9);
    EXPECT_TRUE(metric(c, "p50").within_noise);
    EXPECT_FALSE(metric(c, "p50").regression);
    EXPECT_FALSE(c.single_samples);
    // Steady on both sides: the same +20% is a regression.
    const std::vector<JobResult> steady = {job("safe", 150, 1000, 0), job("safe", 151, 1000, 1)};
    const std::vector<JobResult> slower = {job("safe", 180, 1000, 0), job("safe", 181, 1000, 1)};
    EXPECT_TRUE(metric(compare_runs(steady, slower, {}), "p50").regression);
}

TEST(EngineCompare, MatchesByVariantUnlessPinned) {
    const auto unmatched = compare_runs({job("safe", 100, 1000)}, {job("mutant", 500, 1000)}, {});
    EXPECT_TRUE(unmatched.ops.empty());
    EXPECT_EQ(unmatched.only_in_base, std::vector<std::string>{"s/safe/plain/get"});
    EXPECT_EQ(unmatched.only_in_new, std::vector<std::string>{"s/mutant/plain/get"});
    CompareOptions pinned;
    pinned.base_variant = "safe";
    pinned.new_variant = "mutant";
    const auto c = compare_runs({job("safe", 100, 1000), job("mutant", 1, 1)}, {job("mutant", 500, 1000)}, pinned);
    ASSERT_EQ(c.ops.size(), 1u);
    EXPECT_EQ(c.ops[0].base_variant, "safe");
    EXPECT_EQ(c.ops[0].new_variant, "mutant");
    EXPECT_TRUE(metric(c, "p99").regression);
    CompareOptions half;
    half.base_variant = "safe";
    EXPECT_THROW(compare_runs({}, {}, half), std::invalid_argument);
}

TEST(EngineCompare, ParseTolerance) {
    EXPECT_DOUBLE_EQ(parse_tolerance("10%"), 0.10);
    EXPECT_DOUBLE_EQ(parse_tolerance("2.5 %"), 0.025);
    EXPECT_DOUBLE_EQ(parse_tolerance("0.2"), 0.2);
    EXPECT_THROW(parse_tolerance("ten"), std::invalid_argument);
    EXPECT_THROW(parse_tolerance("-5%"), std::invalid_argument);
    EXPECT_THROW(parse_tolerance("5%%"), std::invalid_argument);
    EXPECT_THROW(parse_tolerance(""), std::invalid_argument);
}

// Two recorded runs of the same build (tests/reports/fixtures/record.sh), three repeats each.
TEST(EngineCompare, RecordedRunsOfTheSameBuildDoNotRegress) {
    const auto a = read_results_file(std::string(TM_TEST_DATA_DIR) + "/reports/fixtures/compare-a.jsonl");
    const auto b = read_results_file(std::string(TM_TEST_DATA_DIR) + "/reports/fixtures/compare-b.jsonl");
    const auto c = compare_runs(a.jobs, b.jobs, {});
    EXPECT_EQ(c.ops.size(), 4u);  // (safe, reader_preferring) x (set, read_fields)
    EXPECT_EQ(c.regressions, 0) << format_comparison(c, {}, false);
}

TEST(EngineCompare, RecordedMutantIsARegression) {
    const auto a = read_results_file(std::string(TM_TEST_DATA_DIR) + "/reports/fixtures/compare-a.jsonl");
    const auto b = read_results_file(std::string(TM_TEST_DATA_DIR) + "/reports/fixtures/compare-b.jsonl");
    CompareOptions o;
    o.base_variant = "safe";
    o.new_variant = "reader_preferring";
    const auto c = compare_runs(a.jobs, b.jobs, o);
    const std::string text = format_comparison(c, o, false);
    bool set_p99 = false;
    for (const auto& op : c.ops) {
        for (const auto& m : op.metrics) set_p99 |= op.op == "set" && m.metric == "p99" && m.regression;
    }
    EXPECT_TRUE(set_p99) << text;
    EXPECT_NE(text.find("REGRESSION"), std::string::npos);
    EXPECT_NE(text.find("safe → reader_preferring"), std::string::npos) << text;
}

}  // namespace
}  // namespace threadmill
