// Tests of driver/supervisor: a crashing, aborting, hanging, throwing or exiting worker
// becomes that job's result and the run goes on; budgets; results.jsonl; interruption.
#include "driver/supervisor.hpp"
#include "driver/describe.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/catalog_json.hpp"
#include "driver/verdict.hpp"
#include "scenario/loader.hpp"
#include "driver/detections.hpp"

namespace threadmill {
namespace {
namespace fs = std::filesystem;

// In the harness's own sanitizer builds the self-test worker is sanitized too, and its runtime
// reports a SEGV itself and exits with a status instead of dying on the signal.
// (g++ says so with __SANITIZE_*__, clang with __has_feature.)
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define TM_TEST_SANITIZED_WORKER 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define TM_TEST_SANITIZED_WORKER 1
#endif
#endif
#if defined(TM_TEST_SANITIZED_WORKER)
constexpr bool k_sanitized_worker = true;
#else
constexpr bool k_sanitized_worker = false;
#endif

struct SelftestRun {
    std::vector<Scenario> scenarios;
    Plan jobs;
    RunOutcome outcome;
    fs::path out;
};

SelftestRun run_selftest(const std::string& file, bool stop_first = false) {
    SelftestRun r;
    const Catalog catalog = describe_worker(worker_path(TM_SELFTEST_WORKER_DIR, "plain"));
    r.scenarios.push_back(load_scenario(std::string(TM_TEST_DATA_DIR) + "/scenarios/selftest/" + file, catalog));
    PlanOptions plan;
    plan.seeds = {11};
    r.jobs = plan_jobs(r.scenarios, catalog, plan);
    r.out = fs::temp_directory_path() / fmt::format("tm-supervisor-{}-{}", ::getpid(), file);
    SupervisorOptions options;
    options.out_dir = r.out.string();
    options.worker_dir = TM_SELFTEST_WORKER_DIR;
    std::atomic<bool> stop{stop_first};
    r.outcome = run_jobs(r.jobs, catalog, options, current_context("test"), stop);
    return r;
}

const JobResult& job(const SelftestRun& r, const std::string& variant) {
    for (const auto& j : r.outcome.results) {
        if (j.variant == variant) return j;
    }
    throw std::runtime_error("no job for " + variant);
}

bool detected(const JobResult& j, const std::string& mechanism) {
    for (const auto& d : j.detections) {
        if (d.mechanism == mechanism) return true;
    }
    return false;
}

TEST(Supervisor, EveryKindOfMisbehaviourBecomesThatJobsResult) {
    const SelftestRun r = run_selftest("misbehave.toml");
    ASSERT_FALSE(r.outcome.interrupted);
    ASSERT_EQ(r.outcome.results.size(), 7u);  // the run went on after each crash

    const auto& safe = job(r, "safe");
    EXPECT_EQ(safe.verdict, Verdict::pass);
    EXPECT_TRUE(safe.expectation_met);
    ASSERT_TRUE(safe.measurement.has_value());

    const auto& crash = job(r, "crash");
    if (k_sanitized_worker) {  // ASan reports the SEGV; UBSan may stop the null store first
        EXPECT_TRUE(crash.worker_log.find("SEGV") != std::string::npos ||
                    crash.worker_log.find("null pointer") != std::string::npos)
            << crash.worker_log;
    } else {
        EXPECT_EQ(crash.signal, SIGSEGV);
    }
    EXPECT_TRUE(detected(crash, "crash"));
    EXPECT_TRUE(crash.expectation_met);

    EXPECT_EQ(job(r, "abort").signal, SIGABRT);
    EXPECT_TRUE(job(r, "abort").expectation_met);

    const auto& hang = job(r, "hang");
    EXPECT_TRUE(hang.timed_out);
    EXPECT_TRUE(detected(hang, "timeout"));
    EXPECT_TRUE(hang.expectation_met);
    ASSERT_EQ(hang.last_activity.size(), 2u);
    bool someone_in_work = false;
    for (const auto& a : hang.last_activity) someone_in_work |= a.in_op && a.op == "work";
    EXPECT_TRUE(someone_in_work);
    // With gdb installed, the hung worker's threads were backtraced before it was killed.
    if (::access("/usr/bin/gdb", X_OK) == 0) {
        EXPECT_NE(hang.backtraces.find("Thread "), std::string::npos) << hang.backtraces;
        // ... parsed per thread: the thread stuck in the target's `work` is blocked at the target's own line,
        // and the timeout's detection names it.
        ASSERT_FALSE(hang.hang_stacks.empty()) << hang.backtraces;
        const HangThread* stuck = nullptr;
        for (const auto& t : hang.hang_stacks) {
            const Frame* f = first_user_frame(t);
            if (f != nullptr && f->file.ends_with("tests/support/selftest_target.cpp")) stuck = &t;
        }
        ASSERT_NE(stuck, nullptr) << hang.backtraces;
        const auto timeout = std::find_if(hang.detections.begin(), hang.detections.end(),
                                          [](const Detection& d) { return d.mechanism == "timeout"; });
        ASSERT_NE(timeout, hang.detections.end());
        EXPECT_NE(timeout->detail.find(hang_thread_title(*stuck) + " blocked in "), std::string::npos) << timeout->detail;
        EXPECT_NE(timeout->detail.find("selftest_target.cpp:"), std::string::npos) << timeout->detail;
    } else {
        EXPECT_TRUE(hang.hang_stacks.empty());
        EXPECT_EQ(hang.backtraces, "(no backtraces: gdb is not installed)");
    }

    const auto& thrown = job(r, "throw");
    EXPECT_TRUE(detected(thrown, "exception"));
    EXPECT_EQ(thrown.verdict, Verdict::fail);
    EXPECT_TRUE(thrown.expectation_met);

    const auto& exited = job(r, "exit");
    EXPECT_EQ(exited.exit_code, 9);
    EXPECT_TRUE(detected(exited, "crash"));

    const auto& broken = job(r, "broken");
    EXPECT_TRUE(detected(broken, "invariant:ops_counted"));
    EXPECT_TRUE(broken.expectation_met);

    // results.jsonl: the context line, then one line per job, each readable back, then the
    // closing line.
    std::ifstream in(r.out / "results.jsonl");
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(nlohmann::json::parse(line).at("type"), "run");
    EXPECT_EQ(nlohmann::json::parse(line).at("planned"), 7);
    int jobs = 0;
    while (std::getline(in, line)) {
        const auto j = nlohmann::json::parse(line);
        if (j.at("type") == "run_end") break;
        const JobResult back = j.get<JobResult>();
        EXPECT_EQ(back.variant, r.outcome.results[static_cast<std::size_t>(jobs)].variant);
        ++jobs;
    }
    EXPECT_EQ(jobs, 7);
    const RunEnd end = nlohmann::json::parse(line).get<RunEnd>();
    EXPECT_EQ(end.planned, 7);
    EXPECT_EQ(end.ran, 7);
    EXPECT_FALSE(end.interrupted);
    EXPECT_EQ(end.error, "");
    EXPECT_FALSE(std::getline(in, line)) << "a line after the closing line: " << line;
    fs::remove_all(r.out);
}

// A target hook that is no operation (the reset between rounds, the teardown) and throws
// is the target failing: an exception detection naming the hook, the job runs to its end, and the
// worker does not die (it once ended in std::terminate: the reset runs in a barrier completion).
TEST(Supervisor, AThrowingResetOrCheckIsAnExceptionOfThatHookAndTheJobGoesOn) {
    const SelftestRun r = run_selftest("hooks.toml");
    ASSERT_EQ(r.outcome.results.size(), 3u);
    EXPECT_EQ(job(r, "safe").verdict, Verdict::pass);
    for (const auto& [variant, hook] : {std::pair{"reset_throws", "(reset between rounds)"},
                                        std::pair{"teardown_throws", "(final check)"}}) {
        const auto& j = job(r, variant);
        EXPECT_TRUE(j.expectation_met) << variant << ": " << j.expectation_detail;
        EXPECT_EQ(j.verdict, Verdict::fail) << variant;  // the target failed, as expected
        EXPECT_EQ(j.signal, 0) << variant;
        ASSERT_TRUE(j.measurement.has_value()) << variant;
        EXPECT_EQ(j.measurement->total_ops, 800u) << variant;  // every iteration of both threads ran
        const auto thrown = std::find_if(j.detections.begin(), j.detections.end(),
                                         [](const Detection& d) { return d.mechanism == "exception"; });
        ASSERT_NE(thrown, j.detections.end()) << variant;
        EXPECT_NE(thrown->detail.find(fmt::format("'{}' threw", hook)), std::string::npos) << thrown->detail;
        EXPECT_NE(thrown->detail.find("thrown on purpose"), std::string::npos) << thrown->detail;
        ASSERT_TRUE(j.first_detection.has_value()) << variant;
        EXPECT_EQ(j.first_detection->mechanism, "exception") << variant;
    }
    // The reset throws once per round from the trigger on (20 rounds, the last without a reset).
    const auto& reset = job(r, "reset_throws");
    const auto hook = std::find_if(reset.measurement->ops.begin(), reset.measurement->ops.end(),
                                   [](const OpStats& op) { return op.name == "(reset between rounds)"; });
    ASSERT_NE(hook, reset.measurement->ops.end());
    EXPECT_GE(hook->exceptions, 10u);
    EXPECT_LE(hook->exceptions, 19u);
    fs::remove_all(r.out);
}

TEST(Supervisor, RelativeBudgetCatchesASlowMutantButNotTheSafeVariant) {
    const SelftestRun r = run_selftest("budget.toml");
    ASSERT_EQ(r.outcome.results.size(), 2u);
    EXPECT_EQ(job(r, "safe").verdict, Verdict::pass);
    const auto& slow = job(r, "slow");
    EXPECT_TRUE(detected(slow, "slo"));
    EXPECT_TRUE(slow.expectation_met);
    fs::remove_all(r.out);
}

TEST(Supervisor, AStopRequestRunsNothingMoreAndSaysSo) {
    const SelftestRun r = run_selftest("budget.toml", /*stop_first=*/true);
    EXPECT_TRUE(r.outcome.interrupted);
    EXPECT_TRUE(r.outcome.results.empty());
    // The closing line says so too.
    std::ifstream in(r.out / "results.jsonl");
    std::string line, last;
    while (std::getline(in, line)) last = line;
    const RunEnd end = nlohmann::json::parse(last).get<RunEnd>();
    EXPECT_TRUE(end.interrupted);
    EXPECT_EQ(end.planned, 2);
    EXPECT_EQ(end.ran, 0);
    fs::remove_all(r.out);
}

TEST(Supervisor, AbsoluteBudgetsAreJudgedOnPlainOnly) {
    Scenario sc;
    SloBudget b;
    b.key = "get.p99";
    b.op = "get";
    b.statistic = "p99";
    b.absolute = 1000;
    b.text = "1us";
    sc.slo.push_back(b);
    JobResult j;
    j.flavor = "plain";
    Measurement m;
    OpStats op;
    op.name = "get";
    op.count = 10;
    op.p99 = 4100;
    m.ops.push_back(op);
    j.measurement = m;
    judge_budgets(j, sc, nullptr, true);
    ASSERT_EQ(j.detections.size(), 1u);
    EXPECT_EQ(j.detections[0].mechanism, "slo");
    EXPECT_EQ(j.detections[0].detail, "get.p99 = 4.10us > budget 1us");

    JobResult other = j;
    other.detections.clear();
    other.flavor = "tsan";
    judge_budgets(other, sc, nullptr, true);
    EXPECT_TRUE(other.detections.empty());
}

// ---- Variants that are builds of their own (<worker dir>/variants/<variant>/) -----------------

/// A worker folder whose default build is the self-test worker and whose variant `broken` is a
/// build of its own: a script that logs its arguments, then runs the self-test worker, its
/// `--describe` saying it was built for variant `says`.
class VariantBuildTest : public ::testing::Test {
protected:
    fs::path dir = fs::temp_directory_path() / fmt::format("tm-variant-build-{}-{}", ::getpid(),
                                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::path log = dir / "broken.log";
    std::string real = worker_path(TM_SELFTEST_WORKER_DIR, "plain");

    void SetUp() override {
        fs::create_directories(dir / "variants" / "broken");
        fs::create_symlink(real, dir / "threadmill-worker");
        std::ofstream(dir / "scenario.toml") << R"(name = "variant-build"
target = "selftest"
variants = ["safe", "broken"]
iterations = 50
timeout = "10s"

[params]
trigger_after = 1

[[group]]
name = "caller"
threads = 1
mix = { work = 1 }

[expect]
broken = "invariant:ops_counted"
)";
    }
    void TearDown() override { fs::remove_all(dir); }

    void make_broken_build(const std::string& says) {
        const fs::path script = dir / "variants" / "broken" / "threadmill-worker";
        std::ofstream(script) << fmt::format(R"(#!/bin/sh
echo "$@" >> '{0}'
if [ "$1" = --describe ]; then
  '{1}' --describe | sed 's/"variant_build": ""/"variant_build": "{2}"/'
  exit 0
fi
exec '{1}' "$@"
)",
                                             log.string(), real, says);
        fs::permissions(script, fs::perms::owner_all);
    }
    std::string logged() const {
        std::ifstream in(log);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }
    struct Planned {
        Catalog catalog;
        std::vector<Scenario> scenarios;
        Plan plan;
    };
    Planned plan() const {
        Planned p;
        p.catalog = describe_worker(real);
        p.scenarios.push_back(load_scenario((dir / "scenario.toml").string(), p.catalog));
        PlanOptions o;
        o.seeds = {5};
        p.plan = plan_jobs(p.scenarios, p.catalog, o);
        return p;
    }
    SupervisorOptions options() const {
        SupervisorOptions o;
        o.out_dir = (dir / "out").string();
        o.worker_dir = dir.string();
        return o;
    }
    static std::string error_of(const Plan& plan, const SupervisorOptions& o) {
        try {
            check_workers(plan, o);
        } catch (const std::runtime_error& e) {
            return e.what();
        }
        return "(no error)";
    }
};

TEST_F(VariantBuildTest, AVariantWithABuildFolderRunsOnThatBuildAndTheContextSaysSo) {
    make_broken_build("broken");
    EXPECT_TRUE(is_variant_build(dir.string(), "broken"));
    EXPECT_FALSE(is_variant_build(dir.string(), "safe"));
    EXPECT_EQ(job_worker_path(dir.string(), "broken", "plain"), (dir / "variants" / "broken" / "threadmill-worker").string());
    EXPECT_EQ(job_worker_path(dir.string(), "safe", "plain"), (dir / "threadmill-worker").string());

    const Planned p = plan();
    std::atomic<bool> stop{false};
    const RunOutcome outcome = run_jobs(p.plan, p.catalog, options(), current_context("test"), stop);
    ASSERT_EQ(outcome.results.size(), 2u);
    for (const auto& r : outcome.results) EXPECT_TRUE(r.expectation_met) << r.variant;
    // Only the broken variant's job ran on the variant build.
    EXPECT_NE(logged().find("--variant broken"), std::string::npos);
    EXPECT_EQ(logged().find("--variant safe"), std::string::npos);

    std::ifstream in(dir / "out" / "results.jsonl");
    std::string first;
    std::getline(in, first);
    const RunContext c = nlohmann::json::parse(first).get<RunContext>();
    ASSERT_EQ(c.workers.size(), 2u);
    EXPECT_EQ(c.workers[0].path, (dir / "threadmill-worker").string());
    EXPECT_EQ(c.workers[0].variant_build, "");
    EXPECT_EQ(c.workers[1].path, (dir / "variants" / "broken" / "threadmill-worker").string());
    EXPECT_EQ(c.workers[1].variant_build, "broken");
    ASSERT_TRUE(c.workers[1].build.has_value());
    EXPECT_EQ(c.workers[1].build->variant_build, "broken");
    EXPECT_EQ(c.workers[1].build->flavor, "plain");
    // The self-test worker is built by threadmill_add_worker(): it reports its compiler and flags.
    ASSERT_TRUE(c.workers[0].build.has_value());
    EXPECT_FALSE(c.workers[0].build->compiler.empty());
    EXPECT_NE(c.workers[0].build->compile_flags.find("-Wall"), std::string::npos);
}

TEST_F(VariantBuildTest, AVariantBuildThatSaysItIsAnotherBuildIsRefusedBeforeAnythingRuns) {
    make_broken_build("slow");
    const Planned p = plan();
    const std::string error = error_of(p.plan, options());
    EXPECT_NE(error.find("in the build folder of variant 'broken' says it was built for variant 'slow'"), std::string::npos)
        << error;
    std::atomic<bool> stop{false};
    EXPECT_THROW(run_jobs(p.plan, p.catalog, options(), current_context("test"), stop), std::runtime_error);
    EXPECT_FALSE(fs::exists(dir / "out"));

    make_broken_build("");
    EXPECT_NE(error_of(p.plan, options()).find("says it is the default build"), std::string::npos);
}

TEST_F(VariantBuildTest, AVariantBuildFolderWithoutTheFlavorsWorkerNeverFallsBackToTheDefaultBuild) {
    const Planned p = plan();  // variants/broken/ exists, empty
    const std::string error = error_of(p.plan, options());
    EXPECT_NE(error.find("variant 'broken' is a build of its own"), std::string::npos) << error;
    EXPECT_NE(error.find("its plain worker is missing"), std::string::npos) << error;
}

TEST(Verdict, GradingFollowsTheExpectation) {
    JobResult j;
    j.detections = {{"invariant:exactly_once_dispatch", "2 violations"}};
    grade(j, Expectation{{"invariant"}, {}});
    EXPECT_EQ(j.verdict, Verdict::fail);
    EXPECT_TRUE(j.expectation_met);
    grade(j, Expectation{{"pass"}, {}});
    EXPECT_FALSE(j.expectation_met);
    grade(j, Expectation{{"crash", "timeout"}, {}});
    EXPECT_FALSE(j.expectation_met);
    grade(j, Expectation{{"any"}, {}});
    EXPECT_TRUE(j.expectation_met);
    j.detections.clear();
    grade(j, Expectation{{"invariant:exactly_once_dispatch"}, {}});
    EXPECT_EQ(j.verdict, Verdict::pass);
    EXPECT_FALSE(j.expectation_met);
    EXPECT_TRUE(mechanism_matches("invariant", "invariant:x"));
    EXPECT_FALSE(mechanism_matches("invariant", "invariants:x"));
    EXPECT_FALSE(mechanism_matches("invariant:x", "invariant:xy"));
}

}  // namespace
}  // namespace threadmill
