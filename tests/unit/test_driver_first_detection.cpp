// The timing of a job's detections: the activity board's record of the worker's first one, the
// driver's choice of the earliest, and the detection rates over repeated jobs.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

#include "driver/first_detection.hpp"
#include "driver/summary.hpp"
#include "model/activity.hpp"

namespace threadmill {
namespace {
namespace fs = std::filesystem;

std::string board_path(const std::string& name) {
    return (fs::temp_directory_path() / fmt::format("tm-board-{}-{}.bin", ::getpid(), name)).string();
}

TEST(ActivityBoardTiming, TheFirstDetectionIsKeptWithTheOpsDoneThen) {
    const std::string path = board_path("first");
    {
        ActivityBoard board(path, 2);
        board.started(1'000'000);
        board.slot(0).ops_done.store(30);
        board.slot(1).ops_done.store(12);
        board.detected(WorkerDetection::exception, 5'000);
        board.slot(0).ops_done.store(90);
        board.detected(WorkerDetection::invariant, 9'000);  // later: not kept
        const BoardTiming t = read_board_timing(path);
        ASSERT_TRUE(t.start_ns.has_value());
        EXPECT_EQ(*t.start_ns, 1'000'000);
        EXPECT_EQ(t.first, WorkerDetection::exception);
        EXPECT_EQ(t.first_ns, 5'000);
        EXPECT_EQ(t.first_ops, 42u);
        EXPECT_EQ(t.ops_done, 102u);  // read now, not at the detection
    }
    fs::remove(path);
}

TEST(ActivityBoardTiming, ABoardNeverStartedOrMissingHasNoTiming) {
    const std::string path = board_path("fresh");
    {
        ActivityBoard board(path, 3);
        const BoardTiming t = read_board_timing(path);
        EXPECT_FALSE(t.start_ns.has_value());
        EXPECT_EQ(t.first, WorkerDetection::none);
    }
    fs::remove(path);
    EXPECT_FALSE(read_board_timing(path).start_ns.has_value());
}

JobResult job_with(std::vector<std::string> mechanisms) {
    JobResult j;
    for (auto& m : mechanisms) j.detections.push_back({std::move(m), "detail"});
    return j;
}

JobTiming started_at(std::int64_t start_ns) {
    JobTiming t;
    t.board.start_ns = start_ns;
    return t;
}

TEST(TimeDetections, TheEarliestTimedDetectionOfTheJobIsTheFirst) {
    JobResult j = job_with({"invariant:exactly_once", "crash"});
    JobTiming t = started_at(1'000'000'000);
    t.board.first = WorkerDetection::invariant;
    t.board.first_ns = 20'000'000;  // 20 ms after the start
    t.board.first_ops = 700;
    t.board.ops_done = 5'000;
    t.ended_ns = 1'500'000'000;  // the crash: 0.5 s after the start
    time_detections(j, t);
    ASSERT_TRUE(j.first_detection.has_value());
    EXPECT_EQ(j.first_detection->mechanism, "invariant");
    EXPECT_DOUBLE_EQ(j.first_detection->seconds, 0.02);
    EXPECT_EQ(j.first_detection->ops, 700u);
    ASSERT_TRUE(j.ops_run.has_value());  // no measurement: the board's count
    EXPECT_EQ(*j.ops_run, 5'000u);
    EXPECT_EQ(j.detection_events, 1u);  // the crash; no measurement holds the violations
}

TEST(TimeDetections, APortfolioNamesTheStrategyRunningAtTheFirstDetection) {
    JobResult j = job_with({"exception"});
    j.measurement.emplace();
    j.measurement->total_ops = 4'000;
    j.measurement->schedule = {{"none", 0.0, 0}, {"pct", 0.25, 1'000}, {"uniform", 0.5, 2'000}};
    JobTiming t = started_at(0);
    t.board.first = WorkerDetection::exception;
    t.board.first_ns = 300'000'000;  // in the pct slice
    t.board.first_ops = 1'200;
    time_detections(j, t);
    ASSERT_TRUE(j.first_detection.has_value());
    EXPECT_EQ(j.first_detection->strategy, "pct");
    EXPECT_EQ(*j.ops_run, 4'000u);  // the measurement's count
}

TEST(TimeDetections, ASanitizerLogSeenBeforeTheCrashIsTheFirst) {
    JobResult j = job_with({"memory:heap-use-after-free", "crash"});
    Finding f;
    f.kind = FindingKind::heap_use_after_free;
    f.kind_name = "heap-use-after-free";
    j.findings.push_back(f);
    JobTiming t = started_at(1'000);
    t.sanitizer_log_ns = 1'000 + 3'000'000;
    t.sanitizer_log_ops = 99;
    t.ended_ns = 1'000 + 9'000'000;
    time_detections(j, t);
    ASSERT_TRUE(j.first_detection.has_value());
    EXPECT_EQ(j.first_detection->mechanism, "memory:heap-use-after-free");
    EXPECT_DOUBLE_EQ(j.first_detection->seconds, 0.003);
    EXPECT_EQ(j.first_detection->ops, 99u);
    EXPECT_EQ(j.detection_events, 2u);  // the report and the crash
}

TEST(TimeDetections, AWorkerRecordNotAmongTheDetectionsIsNotUsed) {
    // The board saw an exception, but the job's detections do not include one (as when the run
    // judged it otherwise): the hang is the first detection, timed at the kill.
    JobResult j = job_with({"timeout"});
    JobTiming t = started_at(0);
    t.board.first = WorkerDetection::exception;
    t.board.first_ns = 1'000;
    t.ended_ns = 2'000'000'000;
    time_detections(j, t);
    ASSERT_TRUE(j.first_detection.has_value());
    EXPECT_EQ(j.first_detection->mechanism, "timeout");
    EXPECT_DOUBLE_EQ(j.first_detection->seconds, 2.0);
}

TEST(TimeDetections, ALinearizabilityViolationIsTimedAtTheFirstUnplacedReturnWithoutOps) {
    JobResult j = job_with({"linearizability"});
    j.linearizability.emplace();
    LinOp placed, late, early;
    placed.call = 10;
    placed.ret = 20;
    late.unplaced = true;
    late.call = 5'000'000;
    late.ret = 9'000'000;
    early.unplaced = true;
    early.call = 1'000'000;
    early.ret = 4'000'000;
    j.linearizability->window = {placed, late, early};
    time_detections(j, started_at(123));
    ASSERT_TRUE(j.first_detection.has_value());
    EXPECT_EQ(j.first_detection->mechanism, "linearizability");
    EXPECT_DOUBLE_EQ(j.first_detection->seconds, 0.004);
    EXPECT_FALSE(j.first_detection->ops.has_value());
}

TEST(TimeDetections, NothingIsTimedWithoutTheStartBarrier) {
    JobResult j = job_with({"crash"});
    JobTiming t;
    t.ended_ns = 5;
    time_detections(j, t);
    EXPECT_FALSE(j.first_detection.has_value());
    EXPECT_FALSE(j.ops_run.has_value());
}

JobResult seed_job(const std::string& variant, bool detected, std::optional<double> first_seconds = std::nullopt) {
    JobResult j;
    j.scenario = "s";
    j.variant = variant;
    j.flavor = "plain";
    j.expected = {variant == "safe" ? "pass" : "invariant"};
    if (detected) j.detections.push_back({"invariant:x", ""});
    j.expectation_met = (variant == "safe") != detected;
    j.ops_run = 1000;
    if (first_seconds) j.first_detection = FirstDetection{"invariant", *first_seconds, 10, ""};
    return j;
}

TEST(DetectionRates, OneRowPerScenarioVariantFlavorWithIntervalBoundAndMedians) {
    std::vector<JobResult> jobs;
    for (int i = 0; i < 10; ++i) jobs.push_back(seed_job("safe", false));
    for (int i = 0; i < 10; ++i) {
        const bool hit = i < 5;
        jobs.push_back(seed_job("mutant", hit, hit ? std::optional<double>(0.1 * (i + 1)) : std::nullopt));
    }
    const auto rates = detection_rates(jobs);
    ASSERT_EQ(rates.size(), 2u);
    const DetectionRate& safe = rates[0];
    EXPECT_EQ(safe.variant, "safe");
    EXPECT_EQ(safe.jobs, 10);
    EXPECT_EQ(safe.detected, 0);
    ASSERT_TRUE(safe.zero_bound.has_value());
    EXPECT_NEAR(*safe.zero_bound, zero_hit_upper_bound(10), 1e-12);
    EXPECT_FALSE(safe.median_first_seconds.has_value());
    EXPECT_EQ(safe.ops_run, 10'000u);

    const DetectionRate& mutant = rates[1];
    EXPECT_EQ(mutant.detected, 5);
    EXPECT_EQ(mutant.met, 5);
    EXPECT_FALSE(mutant.zero_bound.has_value());
    EXPECT_NEAR(mutant.rate.low, wilson_interval(5, 10).low, 1e-12);
    EXPECT_EQ(mutant.jobs_for_goal, trials_for_detection(mutant.rate.low, k_detection_goal));
    EXPECT_EQ(mutant.timed, 5);
    ASSERT_TRUE(mutant.median_first_seconds.has_value());
    EXPECT_NEAR(*mutant.median_first_seconds, 0.3, 1e-12);  // of 0.1 .. 0.5
    EXPECT_DOUBLE_EQ(*mutant.median_first_ops, 10.0);
}

TEST(DetectionRates, PortfolioJobsCountTheStrategiesThatFoundTheBug) {
    std::vector<JobResult> jobs;
    for (const char* strategy : {"pct", "uniform", "pct"}) {
        JobResult j = seed_job("mutant", true, 0.1);
        j.measurement.emplace();
        j.measurement->schedule = {{"uniform", 0, 0}, {"pct", 0.05, 10}};
        j.first_detection->strategy = strategy;
        jobs.push_back(std::move(j));
    }
    JobResult single = seed_job("mutant", true, 0.1);  // one strategy: not a portfolio's finding
    single.first_detection->strategy = "uniform";
    jobs.push_back(std::move(single));
    const auto rates = detection_rates(jobs);
    ASSERT_EQ(rates.size(), 1u);
    const std::vector<std::pair<std::string, int>> expected{{"pct", 2}, {"uniform", 1}};
    EXPECT_EQ(rates[0].found_by, expected);
}

}  // namespace
}  // namespace threadmill
