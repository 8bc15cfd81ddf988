// Tests of run comparison (driver/compare.cpp) and its text form (reports/compare_text.cpp).
#include <gtest/gtest.h>

#include <stdexcept>

#include <fmt/format.h>

#include "driver/compare.hpp"
#include "driver/results_file.hpp"
#include "reports/compare_text.hpp"

namespace threadmill {
namespace {

/// A job of scenario "s" measuring one op (default "get") with the given p50 (ns; p99 and
/// p99.9 are 10x and 20x it) and ops/s.
JobResult job(const std::string& variant, double p, double throughput, int repeat = 0, const std::string& op_name = "get") {
    JobResult j;
    j.scenario = "s";
    j.variant = variant;
    j.flavor = "plain";
    j.repeat = repeat;
    Measurement m;
    OpStats op;
    op.name = op_name;
    op.count = 1000;
    op.p50 = static_cast<std::uint64_t>(p);
    op.p99 = static_cast<std::uint64_t>(p * 10);
    op.p999 = static_cast<std::uint64_t>(p * 20);
    op.throughput = throughput;
    m.ops.push_back(op);
    j.measurement = m;
    return j;
}

/// One job per p50 value, throughput fixed.
std::vector<JobResult> jobs(const std::vector<double>& p50s, double throughput = 1000, const std::string& variant = "safe") {
    std::vector<JobResult> out;
    for (std::size_t i = 0; i < p50s.size(); ++i) out.push_back(job(variant, p50s[i], throughput, static_cast<int>(i)));
    return out;
}

const MetricChange& metric(const Comparison& c, const std::string& name) {
    for (const auto& m : c.ops.at(0).metrics) {
        if (m.metric == name) return m;
    }
    throw std::out_of_range(name);
}

/// One tolerance for every figure, tails included (the default gives the tails 100%).
CompareOptions flat(double tolerance = 0.10) {
    CompareOptions o;
    o.tolerance = tolerance;
    o.tail_tolerance = tolerance;
    return o;
}

void expect_counts_add_up(const Comparison& c) {
    EXPECT_EQ(c.figures, c.regressions + c.improvements + c.unchanged + c.not_judged);
    EXPECT_EQ(c.figures, static_cast<int>(4 * c.ops.size()));
}

TEST(EngineCompare, SingleSamplesAreNotJudgedUnlessAsked) {
    const auto c = compare_runs({job("safe", 100, 1000)}, {job("safe", 115, 1000)}, {});
    ASSERT_EQ(c.ops.size(), 1u);
    EXPECT_NEAR(metric(c, "p50").change, 0.15, 1e-9);
    EXPECT_TRUE(metric(c, "p50").worse_beyond_tolerance);
    EXPECT_EQ(metric(c, "p50").judgement, Judgement::not_judged);
    EXPECT_EQ(c.regressions, 0);
    EXPECT_EQ(c.not_judged, 4);
    EXPECT_EQ(c.fewest_base_samples, 1);
    EXPECT_EQ(c.fewest_next_samples, 1);
    EXPECT_EQ(c.samples_needed, 4);
    expect_counts_add_up(c);
    const std::string text = format_comparison(c, {}, false);
    EXPECT_NE(text.find("4 figures not judged, 1 sample per side: use --repeat 5 or more"), std::string::npos) << text;
    EXPECT_NE(text.find("0 regressions, 0 improvements, 0 unchanged, 4 not judged"), std::string::npos) << text;

    CompareOptions judge = flat();
    judge.judge_few_samples = true;
    const auto asked = compare_runs({job("safe", 100, 1000)}, {job("safe", 115, 1000)}, judge);
    EXPECT_EQ(asked.regressions, 3);  // p50, p99, p99.9 15% slower; throughput the same
    EXPECT_TRUE(metric(asked, "p99").tolerance_only);
    EXPECT_EQ(asked.not_judged, 1);
    expect_counts_add_up(asked);
    EXPECT_NE(format_comparison(asked, judge, false).find("tolerance only"), std::string::npos);
}

TEST(EngineCompare, ThreeASideCannotBeSignificantButFourCan) {
    const auto three = compare_runs(jobs({100, 101, 102}), jobs({200, 201, 202}), {});
    EXPECT_EQ(metric(three, "p50").judgement, Judgement::not_judged);
    const auto four = compare_runs(jobs({100, 101, 102, 103}), jobs({200, 201, 202, 203}), {});
    EXPECT_EQ(metric(four, "p50").judgement, Judgement::regression);
    EXPECT_NEAR(metric(four, "p50").p_value, 2.0 / 70, 1e-12);
}

TEST(EngineCompare, ARegressionNeedsSignificanceAndTheTolerance) {
    const std::vector<double> base = {100, 101, 102, 103, 104};
    // Fully separated and 20% slower: a regression.
    const auto slower = compare_runs(jobs(base), jobs({120, 121, 122, 123, 124}), flat());
    EXPECT_EQ(metric(slower, "p50").judgement, Judgement::regression);
    EXPECT_LT(metric(slower, "p50").p_value, 0.05);
    EXPECT_EQ(metric(slower, "throughput").judgement, Judgement::unchanged);
    EXPECT_EQ(slower.regressions, 3);
    expect_counts_add_up(slower);
    // Fully separated but 5% slower: significant, within the tolerance.
    const auto slight = compare_runs(jobs(base), jobs({105, 106, 107, 108, 109}), {});
    EXPECT_LT(metric(slight, "p50").p_value, 0.05);
    EXPECT_EQ(metric(slight, "p50").judgement, Judgement::unchanged);
    EXPECT_EQ(slight.regressions, 0);
    // Median 20% slower but the samples overlap (noise): not significant.
    const auto noisy = compare_runs(jobs({60, 100, 101, 150, 200}), jobs({61, 99, 121, 160, 190}), {});
    EXPECT_TRUE(metric(noisy, "p50").worse_beyond_tolerance);
    EXPECT_GE(metric(noisy, "p50").p_value, 0.05);
    EXPECT_EQ(metric(noisy, "p50").judgement, Judgement::unchanged);
    EXPECT_EQ(noisy.regressions, 0);
    EXPECT_NE(format_comparison(noisy, {}, false, true).find("noise (not significant)"), std::string::npos);
}

TEST(EngineCompare, TailsHaveTheirOwnTolerance) {
    // p50, p99 and p99.9 all 60% slower, fully separated: only p50 is beyond its 10%.
    const auto c = compare_runs(jobs({100, 101, 102, 103, 104}), jobs({160, 161, 163, 165, 166}), {});
    EXPECT_EQ(metric(c, "p50").judgement, Judgement::regression);
    EXPECT_EQ(metric(c, "p99").judgement, Judgement::unchanged);
    EXPECT_EQ(metric(c, "p999").judgement, Judgement::unchanged);
    EXPECT_NE(format_comparison(c, {}, false, true).find("within tolerance"), std::string::npos);
    EXPECT_NE(format_comparison(c, {}, false).find("tolerance 10% (tails 100%)"), std::string::npos);
    // 2.5x slower: beyond the tails' 100% too.
    const auto worse = compare_runs(jobs({100, 101, 102, 103, 104}), jobs({250, 251, 252, 253, 254}), {});
    EXPECT_EQ(worse.regressions, 3);
}

TEST(EngineCompare, ALoneSignificantFigureAmongManyIsCorrectedAway) {
    // Eight operations; one op's latencies fully separated (p = 0.008) and 20% slower, every other
    // figure the same on both sides: three small p-values among 32 tests, q = 0.008 * 32 / 3 = 0.085.
    std::vector<JobResult> base, next;
    for (int op = 0; op < 8; ++op) {
        for (int r = 0; r < 5; ++r) {
            base.push_back(job("safe", 100 + r, 1000, r, fmt::format("op{}", op)));
            next.push_back(job("safe", op == 0 ? 120 + r : 100 + r, 1000, r, fmt::format("op{}", op)));
        }
    }
    auto c = compare_runs(base, next, {});
    EXPECT_NEAR(metric(c, "p50").p_value, 2.0 / 252, 1e-12);
    EXPECT_NEAR(metric(c, "p50").q_value, 32 * 2.0 / 252 / 3, 1e-12);
    EXPECT_EQ(metric(c, "p50").judgement, Judgement::unchanged);
    EXPECT_EQ(c.regressions, 0);
    EXPECT_EQ(c.judged, 32);
    EXPECT_EQ(c.lone_samples_needed, 7);  // 2 / C(14, 7) * 32 = 0.019 < 0.05; 2 / C(12, 6) * 32 = 0.069
    EXPECT_NE(format_comparison(c, {}, false).find("among 32 judged figures, one that changed alone is found only with 7 "
                                                   "samples a side (these have as few as 5)"),
              std::string::npos);
    // The same slowdown alone: a regression.
    base.resize(5);
    next.resize(5);
    c = compare_runs(base, next, {});
    EXPECT_EQ(metric(c, "p50").judgement, Judgement::regression);
}

TEST(EngineCompare, ThroughputLowerIsWorseHigherIsBetter) {
    std::vector<JobResult> base, lower_jobs, triple;
    for (int i = 0; i < 5; ++i) {
        base.push_back(job("safe", 100, 1000 + i, i));
        lower_jobs.push_back(job("safe", 100, 400 + i, i));
        triple.push_back(job("safe", 100, 3000 + i, i));
    }
    const auto lower = compare_runs(base, lower_jobs, {});
    EXPECT_NEAR(metric(lower, "throughput").change, -0.6, 0.01);
    EXPECT_EQ(metric(lower, "throughput").judgement, Judgement::regression);
    EXPECT_EQ(change_text(metric(lower, "throughput")), "2.49× lower");
    const auto higher = compare_runs(base, triple, {});
    EXPECT_EQ(metric(higher, "throughput").judgement, Judgement::improvement);
    EXPECT_EQ(higher.regressions, 0);
    EXPECT_EQ(higher.improvements, 1);
    EXPECT_EQ(change_text(metric(higher, "throughput")), "3× higher");
}

TEST(EngineCompare, ChangesReadTheRightWay) {
    MetricChange latency;
    latency.base = 100;
    latency.next = 112.3;
    EXPECT_EQ(change_text(latency), "12.3% slower");
    latency.next = 95;
    EXPECT_EQ(change_text(latency), "5.0% faster");
    latency.next = 2040;
    EXPECT_EQ(change_text(latency), "20.4× slower");
    latency.next = 15432100;
    EXPECT_EQ(change_text(latency), "154321× slower");
    latency.next = 40;
    EXPECT_EQ(change_text(latency), "2.5× faster");
    latency.next = 100;
    EXPECT_EQ(change_text(latency), "no change");
    MetricChange rate;
    rate.higher_is_better = true;
    rate.base = 1000;
    rate.next = 600;
    EXPECT_EQ(change_text(rate), "40.0% lower");
    rate.next = 3518;  // the "worse by -251.8%" of old: more operations per second
    EXPECT_EQ(change_text(rate), "3.52× higher");
    rate.next = 1200;
    EXPECT_EQ(change_text(rate), "20.0% higher");
}

TEST(EngineCompare, LongListsAreFoldedLargestFirst) {
    std::vector<JobResult> base, next;
    for (int op = 0; op < 15; ++op) {
        for (int r = 0; r < 5; ++r) {
            base.push_back(job("safe", 100 + r, 1000, r, fmt::format("op{:02}", op)));
            next.push_back(job("safe", (100 + r) * (2 + op), 1000, r, fmt::format("op{:02}", op)));
        }
    }
    const auto c = compare_runs(base, next, flat());
    EXPECT_EQ(c.regressions, 45);  // 15 ops x (p50, p99, p99.9)
    EXPECT_EQ(c.unchanged, 15);
    expect_counts_add_up(c);
    const std::string text = format_comparison(c, flat(), false);
    EXPECT_NE(text.find("45 regressions, largest first"), std::string::npos) << text;
    EXPECT_NE(text.find("… and 35 more (use --all)"), std::string::npos) << text;
    EXPECT_LT(text.find("op14 p50"), text.find("op13 p50")) << text;  // 16x before 15x
    EXPECT_EQ(text.find("op00 p50"), std::string::npos) << text;      // folded
    EXPECT_NE(text.find("15 operations compared, 60 figures: 45 regressions, 0 improvements, 15 unchanged, "
                        "0 not judged (too few samples)"),
              std::string::npos)
        << text;
    const std::string all = format_comparison(c, flat(), false, true);
    EXPECT_EQ(all.find("more (use --all)"), std::string::npos);
    EXPECT_NE(all.find("op00 p50"), std::string::npos);
}

TEST(EngineCompare, MatchesByVariantUnlessPinned) {
    const auto unmatched = compare_runs({job("safe", 100, 1000)}, {job("mutant", 500, 1000)}, {});
    EXPECT_TRUE(unmatched.ops.empty());
    EXPECT_EQ(unmatched.only_in_base, std::vector<std::string>{"s/safe/plain/get"});
    EXPECT_EQ(unmatched.only_in_new, std::vector<std::string>{"s/mutant/plain/get"});
    CompareOptions pinned;
    pinned.base_variant = "safe";
    pinned.new_variant = "mutant";
    auto base = jobs({100, 101, 102, 103, 104});
    base.push_back(job("mutant", 1, 1));
    const auto c = compare_runs(base, jobs({500, 501, 502, 503, 504}, 1000, "mutant"), pinned);
    ASSERT_EQ(c.ops.size(), 1u);
    EXPECT_EQ(c.ops[0].base_variant, "safe");
    EXPECT_EQ(c.ops[0].new_variant, "mutant");
    EXPECT_EQ(metric(c, "p99").base_samples, 5);
    EXPECT_EQ(metric(c, "p99").judgement, Judgement::regression);
    CompareOptions half;
    half.base_variant = "safe";
    EXPECT_THROW(compare_runs({}, {}, half), std::invalid_argument);
    CompareOptions bad_alpha;
    bad_alpha.alpha = 1.5;
    EXPECT_THROW(compare_runs({}, {}, bad_alpha), std::invalid_argument);
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

ResultsFile fixture(const std::string& name) {
    return read_results_file(std::string(TM_TEST_DATA_DIR) + "/reports/fixtures/" + name);
}

// Two recorded runs of the same build (tests/reports/fixtures/record.sh), three repeats each:
// too few for the test, so nothing is judged and nothing fails.
TEST(EngineCompare, RecordedThreeRepeatsAreNotJudged) {
    const auto c = compare_runs(fixture("compare-a.jsonl").jobs, fixture("compare-b.jsonl").jobs, {});
    EXPECT_EQ(c.ops.size(), 4u);  // (safe, reader_preferring) x (set, read_fields)
    EXPECT_EQ(c.regressions, 0) << format_comparison(c, {}, false);
    EXPECT_EQ(c.not_judged, 16);
    expect_counts_add_up(c);
    EXPECT_NE(format_comparison(c, {}, false).find("3 samples per side: use --repeat 5 or more"), std::string::npos);
}

// The same two runs with five repeats each (compare-r5-*.jsonl).
TEST(EngineCompare, RecordedRunsOfTheSameBuildDoNotRegress) {
    const auto c = compare_runs(fixture("compare-r5-a.jsonl").jobs, fixture("compare-r5-b.jsonl").jobs, {});
    EXPECT_EQ(c.ops.size(), 4u);
    EXPECT_EQ(c.not_judged, 0);
    EXPECT_EQ(c.regressions, 0) << format_comparison(c, {}, false, true);
    expect_counts_add_up(c);
}

TEST(EngineCompare, RecordedMutantIsARegression) {
    CompareOptions o;
    o.base_variant = "safe";
    o.new_variant = "reader_preferring";
    const auto c = compare_runs(fixture("compare-r5-a.jsonl").jobs, fixture("compare-r5-b.jsonl").jobs, o);
    const std::string text = format_comparison(c, o, false);
    bool set_p99 = false;
    for (const auto& op : c.ops) {
        for (const auto& m : op.metrics) set_p99 |= op.op == "set" && m.metric == "p99" && m.judgement == Judgement::regression;
    }
    EXPECT_TRUE(set_p99) << text;
    EXPECT_NE(text.find("safe → reader_preferring · plain  set p99:"), std::string::npos) << text;
    EXPECT_NE(text.find("× slower (p=0.008, q=0.013, 5 a side)"), std::string::npos) << text;
    // The three-repeat runs: not judged by default, a tolerance-only regression when asked.
    const auto few = compare_runs(fixture("compare-a.jsonl").jobs, fixture("compare-b.jsonl").jobs, o);
    EXPECT_EQ(few.regressions, 0);
    o.judge_few_samples = true;
    EXPECT_GT(compare_runs(fixture("compare-a.jsonl").jobs, fixture("compare-b.jsonl").jobs, o).regressions, 0);
}

}  // namespace
}  // namespace threadmill
