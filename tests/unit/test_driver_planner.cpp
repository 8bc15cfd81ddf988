// Unit tests of driver/planner: filters, refused plans, run order and plans counted, not made;
// and of driver/sharding: groups, shards, CPU sets and the planned schedule.
#include "driver/planner.hpp"
#include "driver/sharding.hpp"
#include "driver/results_file.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace threadmill {
namespace {

/// A target with a safe variant and mutants caught by a harness detection, a data race, a
/// heap error and a latency budget.
const Catalog& catalog() {
    static const Catalog c = [] {
        TargetInfo t;
        t.name = "t";
        t.variants = {{"safe", "", ""},
                      {"broken", "", "invariant:held"},
                      {"racy", "", "race"},
                      {"freed", "", "memory:heap-use-after-free"},
                      {"slow", "", "slo"}};
        t.ops = {{"work", ""}};
        t.invariants = {{"held", ""}};
        return Catalog{{t}};
    }();
    return c;
}

/// A scenario of target `t` running `variants` in `flavors`; `expect` gives each mutant's
/// expectation in every flavor (safe variants pass).
Scenario scenario(const std::string& name, std::vector<std::string> variants, std::vector<std::string> flavors,
                  const std::map<std::string, std::vector<std::string>>& expect = {}) {
    Scenario sc;
    sc.path = name + ".toml";
    sc.name = name;
    sc.target = "t";
    sc.variants = std::move(variants);
    sc.flavors = std::move(flavors);
    sc.seed = 7;
    for (const auto& v : sc.variants) sc.expect[v][""] = Expectation{{"pass"}, {}};
    for (const auto& [v, words] : expect) sc.expect[v][""] = Expectation{words, {}};
    return sc;
}

std::vector<Job> all_jobs(const Plan& plan) {
    std::vector<Job> jobs;
    for (const Job job : plan) jobs.push_back(job);
    return jobs;
}

std::string label(const Job& j) { return j.scenario->name + "/" + j.variant + "/" + j.flavor; }

std::string plan_error(const std::vector<Scenario>& scenarios, const PlanOptions& options) {
    try {
        Plan plan(scenarios, catalog(), options);
    } catch (const UsageError& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(Planner, FlavorSelectsAmongEachScenariosOwnFlavors) {
    const std::vector<Scenario> scenarios = {
        scenario("tsan-only", {"safe", "racy"}, {"tsan"}, {{"racy", {"race"}}}),
        scenario("plain-asan", {"safe", "broken"}, {"plain", "asan"}, {{"broken", {"invariant"}}}),
    };
    PlanOptions options;
    options.flavors = {"plain", "tsan", "asan"};
    const Plan plan(scenarios, catalog(), options);
    std::vector<std::string> labels;
    for (const auto& j : all_jobs(plan)) labels.push_back(label(j));
    EXPECT_EQ(labels, (std::vector<std::string>{"tsan-only/safe/tsan", "tsan-only/racy/tsan", "plain-asan/safe/plain",
                                                "plain-asan/broken/plain", "plain-asan/safe/asan", "plain-asan/broken/asan"}));
    EXPECT_EQ(plan.size(), 6u);
    EXPECT_EQ(plan.flavors(), (std::vector<std::string>{"plain", "tsan", "asan"}));

    options.flavors = {"tsan"};
    const Plan only_tsan(scenarios, catalog(), options);
    for (const auto& j : all_jobs(only_tsan)) EXPECT_EQ(j.flavor, "tsan") << label(j);
    EXPECT_EQ(only_tsan.size(), 2u);
}

TEST(Planner, AFlavorNoScenarioDeclaresIsAUsageError) {
    const std::vector<Scenario> scenarios = {scenario("tsan-only", {"safe", "racy"}, {"tsan"}, {{"racy", {"race"}}})};
    PlanOptions options;
    options.flavors = {"plain", "tsan", "asan"};
    const std::string message = plan_error(scenarios, options);
    EXPECT_NE(message.find("--flavor 'plain' is not a flavor of any scenario given (they declare: tsan)"), std::string::npos)
        << message;
    options.flavors = {"tsna"};
    EXPECT_NE(plan_error(scenarios, options).find("unknown flavor 'tsna'; did you mean 'tsan'?"), std::string::npos)
        << plan_error(scenarios, options);
}

TEST(Planner, VariantSelectsAmongEachScenariosOwnVariants) {
    const std::vector<Scenario> scenarios = {
        scenario("a", {"safe", "broken"}, {"plain"}, {{"broken", {"invariant"}}}),
        scenario("b", {"safe"}, {"plain"}),
    };
    PlanOptions options;
    options.variants = {"broken"};
    const Plan plan(scenarios, catalog(), options);
    ASSERT_EQ(plan.size(), 1u);
    EXPECT_EQ(label(plan.at(0)), "a/broken/plain");
    options.variants = {"brokn"};
    EXPECT_NE(plan_error(scenarios, options).find("--variant 'brokn' is not a variant of any scenario given"), std::string::npos);
    options.variants = {"racy"};  // a variant of the target, but of no scenario given
    EXPECT_NE(plan_error(scenarios, options).find("--variant 'racy'"), std::string::npos);
}

TEST(Planner, AnExpectationNoJobOfAFlavorCanMeetIsRefused) {
    struct Case {
        std::string variant;
        std::vector<std::string> words;
        std::string flavor;
        std::string why;
    };
    const std::vector<Case> refused = {
        {"racy", {"race"}, "plain", "'race' is detected only in tsan"},
        {"racy", {"race"}, "asan", "'race' is detected only in tsan"},
        {"freed", {"memory:heap-use-after-free"}, "tsan", "'memory:heap-use-after-free' is detected only in asan"},
        {"freed", {"memory"}, "plain", "'memory' is detected only in asan"},
        {"freed", {"leak"}, "tsan", "'leak' is detected only in asan"},
        {"freed", {"ub:signed-integer-overflow"}, "plain", "only in asan"},
        {"slow", {"slo"}, "tsan", "'slo' is detected only in plain"},
        {"racy", {"race", "memory"}, "plain", "'race' is detected only in tsan; 'memory' is detected only in asan"},
        {"racy", {"thread-leak"}, "asan", "only in tsan"},
        {"racy", {"unrecognized"}, "plain", "only in tsan, asan"},
    };
    for (const auto& c : refused) {
        const std::vector<Scenario> scenarios = {scenario("s", {"safe", c.variant}, {c.flavor}, {{c.variant, c.words}})};
        const std::string message = plan_error(scenarios, PlanOptions{});
        EXPECT_NE(message.find(fmt::format("scenario 's', variant '{}', flavor '{}'", c.variant, c.flavor)), std::string::npos)
            << message;
        EXPECT_NE(message.find("can never be met"), std::string::npos) << message;
        EXPECT_NE(message.find(c.why), std::string::npos) << message;
    }
    // Met somewhere in the flavor: one word that can be is enough; a hang meets `deadlock` anywhere.
    const std::vector<Case> accepted = {
        {"racy", {"race"}, "tsan", ""},
        {"racy", {"race", "invariant"}, "plain", ""},
        {"racy", {"deadlock"}, "plain", ""},
        {"racy", {"any"}, "asan", ""},
        {"freed", {"memory:heap-use-after-free"}, "asan", ""},
        {"freed", {"ub"}, "asan", ""},
        {"freed", {"crash"}, "tsan", ""},
        {"slow", {"slo"}, "plain", ""},
    };
    for (const auto& c : accepted) {
        const std::vector<Scenario> scenarios = {scenario("s", {"safe", c.variant}, {c.flavor}, {{c.variant, c.words}})};
        EXPECT_EQ(plan_error(scenarios, PlanOptions{}), "(no error)") << c.variant << " in " << c.flavor;
    }
}

TEST(Planner, JobsRunInRoundsOfOneSeedAndRepetitionThatCoverEveryScenario) {
    std::vector<Scenario> scenarios;
    for (const char* name : {"a", "b", "c"}) {
        scenarios.push_back(scenario(name, {"broken", "safe"}, {"plain", "asan"}, {{"broken", {"invariant"}}}));
    }
    PlanOptions options;
    for (std::uint64_t s = 100; s < 110; ++s) options.seeds.push_back(s);
    options.repeat = 3;
    const Plan plan(scenarios, catalog(), options);
    ASSERT_EQ(plan.size(), 3u * 2 * 2 * 10 * 3);
    // A round (one seed, one repetition) is every scenario's groups, once.
    const std::size_t round = 3 * 2 * 2;
    std::set<std::string> covered;
    for (std::size_t i = 0; i < round; ++i) {
        const Job j = plan.at(i);
        EXPECT_EQ(j.seed, 100u) << i;
        EXPECT_EQ(j.repeat, 0) << i;
        covered.insert(j.scenario->name);
    }
    EXPECT_EQ(covered, (std::set<std::string>{"a", "b", "c"}));
    EXPECT_EQ(plan.at(round).seed, 100u);
    EXPECT_EQ(plan.at(round).repeat, 1);
    EXPECT_EQ(plan.at(round).scenario->name, "a");
    EXPECT_EQ(plan.at(3 * round).seed, 101u);
    EXPECT_EQ(plan.at(3 * round).repeat, 0);
    EXPECT_EQ(plan.at(plan.size() - 1).seed, 109u);
    EXPECT_EQ(plan.seeds().size(), 10u);
    // Within a scenario, seed and flavor: the safe variant first.
    EXPECT_EQ(label(plan.at(0)), "a/safe/plain");
    EXPECT_EQ(label(plan.at(1)), "a/broken/plain");
    EXPECT_EQ(label(plan.at(2)), "a/safe/asan");
}

TEST(Planner, EachRoundRepeatsEveryGroupAndABaselineJoinsRelativeBudgetsInPlainOnly) {
    Scenario sc = scenario("budget", {"safe", "slow"}, {"plain", "tsan"}, {{"slow", {"any"}}});
    SloBudget budget;
    budget.key = "work.p99";
    budget.op = "work";
    budget.statistic = "p99";
    budget.relative = 10;
    sc.slo.push_back(budget);
    PlanOptions options;
    options.repeat = 2;
    options.variants = {"slow"};
    const std::vector<Scenario> scenarios = {sc};  // outlives the plan, whose jobs point at it
    const Plan plan(scenarios, catalog(), options);
    std::vector<std::string> order;
    for (const auto& j : all_jobs(plan)) order.push_back(fmt::format("{}{}#{}", label(j), j.baseline ? "(baseline)" : "", j.repeat));
    EXPECT_EQ(order, (std::vector<std::string>{"budget/safe/plain(baseline)#0", "budget/slow/plain#0", "budget/slow/tsan#0",
                                               "budget/safe/plain(baseline)#1", "budget/slow/plain#1", "budget/slow/tsan#1"}));
}

TEST(Planner, AMillionJobPlanIsCountedWithoutBeingMade) {
    const std::vector<Scenario> scenarios = {
        scenario("a", {"safe", "broken"}, {"plain", "tsan", "asan"}, {{"broken", {"invariant"}}}),
        scenario("b", {"safe"}, {"plain"}),
    };
    PlanOptions options;
    for (std::uint64_t s = 0; s < 10'000; ++s) options.seeds.push_back(s);
    options.repeat = 100;
    const Plan plan(scenarios, catalog(), options);
    // (a: 2 variants x 3 flavors + b: 1) x 100 repeats x 10,000 seeds.
    ASSERT_EQ(plan.size(), 7'000'000u);
    std::vector<std::string> first;
    for (auto it = plan.begin(); it != plan.end() && first.size() < 3; ++it)
        first.push_back(fmt::format("{} {} #{} seed {}", (*it).index, label(*it), (*it).repeat, (*it).seed));
    EXPECT_EQ(first, (std::vector<std::string>{"1 a/safe/plain #0 seed 0", "2 a/broken/plain #0 seed 0",
                                               "3 a/safe/tsan #0 seed 0"}));
    const Job last = plan.at(plan.size() - 1);
    EXPECT_EQ(last.index, 7'000'000);
    EXPECT_EQ(label(last), "b/safe/plain");
    EXPECT_EQ(last.repeat, 99);
    EXPECT_EQ(last.seed, 9'999u);
    // The jobs after an interruption: from any position to the end.
    std::size_t rest = 0;
    for (auto it = plan.from(plan.size() - 5); it != plan.end(); ++it) ++rest;
    EXPECT_EQ(rest, 5u);
    EXPECT_EQ((*plan.from(600)).index, 601);
    EXPECT_EQ(label(*plan.from(600)), "a/broken/asan");  // round 85 (7 jobs each), its 6th job
    EXPECT_EQ((*plan.from(600)).repeat, 85);
}

TEST(Planner, APlanTooLargeToNumberIsAUsageErrorAndAnEmptyOneIsEmpty) {
    const std::vector<Scenario> scenarios = {scenario("a", {"safe", "broken"}, {"plain"}, {{"broken", {"invariant"}}})};
    PlanOptions options;
    options.seeds = std::vector<std::uint64_t>(1000, 1);
    options.repeat = 2'000'000;
    EXPECT_NE(plan_error(scenarios, options).find("the plan holds more than 2147483647 jobs"), std::string::npos);
    options = PlanOptions{};
    options.filter = "no-such-job";
    EXPECT_THROW(Plan(scenarios, catalog(), options), EmptyPlan);
}

TEST(Planner, IteratingMakesTheSameJobsAsAt) {
    const std::vector<Scenario> scenarios = {
        scenario("a", {"safe", "broken"}, {"plain", "asan"}, {{"broken", {"invariant"}}}),
        scenario("b", {"racy", "safe"}, {"tsan"}, {{"racy", {"race"}}}),
    };
    PlanOptions options;
    options.seeds = {5, 6, 7};
    options.repeat = 3;
    const Plan plan(scenarios, catalog(), options);
    std::size_t i = 0;
    for (const Job job : plan) {
        const Job again = plan.at(i);
        EXPECT_EQ(job.index, static_cast<int>(i + 1));
        EXPECT_EQ(label(job), label(again));
        EXPECT_EQ(job.seed, again.seed);
        EXPECT_EQ(job.repeat, again.repeat);
        ++i;
    }
    EXPECT_EQ(i, plan.size());
    EXPECT_EQ(i, (4u + 2u) * 3 * 3);
}

}  // namespace
// ---- Groups, shards, CPUs (driver/sharding.hpp) ------------------------------------------------

/// Two scenarios of different durations in three flavors, four seeds: 2 x 3 x 4 = 24 groups.
std::vector<Scenario> sharding_scenarios() {
    std::vector<Scenario> out = {
        scenario("long", {"safe", "broken"}, {"plain", "tsan", "asan"}, {{"broken", {"invariant"}}}),
        scenario("short", {"safe", "racy"}, {"plain", "tsan", "asan"}, {{"racy", {"race"}}}),
    };
    out[0].duration = std::chrono::milliseconds(2000);
    out[1].duration = std::chrono::milliseconds(100);
    // "race" cannot be met in plain or asan: give those flavors a mechanism they can meet.
    out[1].expect["racy"]["plain"] = Expectation{{"any"}, {}};
    out[1].expect["racy"]["asan"] = Expectation{{"any"}, {}};
    return out;
}

TEST(Sharding, GroupsCoverThePlanInOrderAndKeepAScenarioFlavorAndSeedTogether) {
    const auto scenarios = sharding_scenarios();
    PlanOptions options;
    options.seeds = {1, 2, 3, 4};
    const Plan plan(scenarios, catalog(), options);
    ASSERT_EQ(plan.group_count(), 24u);
    std::size_t next = 0;
    for (std::size_t g = 0; g < plan.group_count(); ++g) {
        const JobGroup group = plan.group_at(g);
        EXPECT_EQ(group.begin, next) << g;
        ASSERT_EQ(group.size, 2u);
        for (std::size_t p = group.begin; p < group.begin + group.size; ++p) {
            const Job j = plan.at(p);
            EXPECT_EQ(j.scenario, group.scenario);
            EXPECT_EQ(j.flavor, group.flavor);
            EXPECT_EQ(j.seed, plan.at(group.begin).seed);
        }
        next += group.size;
    }
    EXPECT_EQ(next, plan.size());
    EXPECT_THROW(plan.group_at(24), std::out_of_range);
}

TEST(Sharding, EveryGroupIsInExactlyOneShardAndShardsAreBalancedByExpectedTime) {
    const auto scenarios = sharding_scenarios();
    PlanOptions options;
    options.seeds = {1, 2, 3, 4};
    const Plan plan(scenarios, catalog(), options);
    for (int n : {1, 2, 3, 5, 30}) {
        std::map<std::size_t, int> owner;
        std::vector<double> load;
        double largest = 0;
        for (int k = 1; k <= n; ++k) {
            const auto groups = shard_groups(plan, {k, n, "test"}, nullptr);
            EXPECT_TRUE(std::is_sorted(groups.begin(), groups.end())) << k << "/" << n;
            double sum = 0;
            for (const auto g : groups) {
                EXPECT_TRUE(owner.emplace(g, k).second) << "group " << g << " in shards " << owner[g] << " and " << k;
                const double t = expected_group_seconds(plan, plan.group_at(g), nullptr);
                sum += t;
                largest = std::max(largest, t);
            }
            load.push_back(sum);
        }
        EXPECT_EQ(owner.size(), plan.group_count()) << n;
        // Longest-first greedy: no shard ends more than one group above the lightest.
        const auto [lo, hi] = std::minmax_element(load.begin(), load.end());
        EXPECT_LE(*hi - *lo, largest + 1e-9) << n << " shards";
    }
    // By count, 2 shards would each get 12 groups; by time, the long scenario's 12 groups
    // (2.1 s plain up to 2.5 s asan a job) are split between them.
    const auto first = shard_groups(plan, {1, 2, "test"}, nullptr);
    int long_groups = 0;
    for (const auto g : first) long_groups += plan.group_at(g).scenario->name == "long";
    EXPECT_EQ(long_groups, 6);
}

TEST(Sharding, AHistoryOfJobTimesReplacesTheEstimate) {
    const auto scenarios = sharding_scenarios();
    PlanOptions options;
    options.seeds = {1};
    const Plan plan(scenarios, catalog(), options);
    ResultsFile previous;
    for (const double t : {9.0, 1.0, 5.0}) {  // median 5
        JobResult r;
        r.scenario = "short";
        r.variant = "racy";
        r.flavor = "tsan";
        r.elapsed_seconds = t;
        previous.jobs.push_back(r);
    }
    JobResult hung = previous.jobs.front();
    hung.timed_out = true;  // a timeout measures the timeout, not the job
    hung.elapsed_seconds = 100;
    previous.jobs.push_back(hung);
    const JobTimes history(previous);
    EXPECT_EQ(history.size(), 1u);
    EXPECT_DOUBLE_EQ(expected_job_seconds(scenarios[1], "racy", "tsan", &history), 5.0);
    EXPECT_DOUBLE_EQ(expected_job_seconds(scenarios[1], "racy", "tsan", nullptr), 0.1 + 0.4);
    EXPECT_DOUBLE_EQ(expected_job_seconds(scenarios[1], "safe", "tsan", &history), 0.1 + 0.4);
}

TEST(Sharding, ShardNumbersComeFromTheFlagOrFromTheEngineThatRunsTheShards) {
    const auto env_of = [](std::map<std::string, std::string> vars) {
        return [vars](const std::string& name) -> std::optional<std::string> {
            const auto it = vars.find(name);
            return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
        };
    };
    const auto shard = [&](const std::string& text, std::map<std::string, std::string> vars = {}) {
        const ShardSpec s = parse_shard(text, env_of(std::move(vars)));
        return fmt::format("{}/{}", s.index, s.count);
    };
    const auto error = [&](const std::string& text, std::map<std::string, std::string> vars = {}) {
        try {
            parse_shard(text, env_of(std::move(vars)));
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(shard("2/4"), "2/4");
    EXPECT_NE(error("0/4").find("the shard must be 1 to 4"), std::string::npos);
    EXPECT_NE(error("5/4").find("the shard must be 1 to 4"), std::string::npos);
    EXPECT_NE(error("2of4").find("is not K/N"), std::string::npos);
    EXPECT_NE(error("-1/4").find("is not K/N"), std::string::npos);
    EXPECT_EQ(shard("auto", {{"THREADMILL_SHARD", "3/4"}, {"CI_NODE_INDEX", "1"}, {"CI_NODE_TOTAL", "2"}}), "3/4");
    EXPECT_EQ(shard("auto", {{"CI_NODE_INDEX", "2"}, {"CI_NODE_TOTAL", "2"}}), "2/2");  // GitLab, 1-based
    EXPECT_EQ(shard("auto", {{"JOB_COMPLETION_INDEX", "0"}, {"THREADMILL_SHARD_TOTAL", "4"}}), "1/4");  // 0-based
    EXPECT_NE(error("auto", {{"JOB_COMPLETION_INDEX", "0"}}).find("THREADMILL_SHARD_TOTAL is not"), std::string::npos);
    EXPECT_EQ(shard("auto", {{"SLURM_ARRAY_TASK_ID", "7"}, {"SLURM_ARRAY_TASK_MIN", "5"}, {"SLURM_ARRAY_TASK_MAX", "8"},
                             {"SLURM_ARRAY_TASK_COUNT", "4"}}),
              "3/4");
    EXPECT_NE(error("auto", {{"SLURM_ARRAY_TASK_ID", "4"}, {"SLURM_ARRAY_TASK_MIN", "0"}, {"SLURM_ARRAY_TASK_MAX", "12"},
                             {"SLURM_ARRAY_TASK_COUNT", "4"}, {"SLURM_ARRAY_TASK_STEP", "4"}})
                  .find("step of 1"),
              std::string::npos);
    const std::string none = error("auto");
    for (const char* name : {"THREADMILL_SHARD", "CI_NODE_INDEX", "JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID"})
        EXPECT_NE(none.find(name), std::string::npos) << name << ": " << none;
}

TEST(Sharding, APlansFingerprintChangesWithItsSeeds) {
    const auto scenarios = sharding_scenarios();
    PlanOptions options;
    options.seeds = {1, 2};
    const Plan a(scenarios, catalog(), options);
    const Plan same(scenarios, catalog(), options);
    options.seeds = {1, 3};
    const Plan other(scenarios, catalog(), options);
    EXPECT_EQ(plan_fingerprint(a), plan_fingerprint(same));
    EXPECT_NE(plan_fingerprint(a), plan_fingerprint(other));
}

TEST(Sharding, TheCpuPoolHandsOutDisjointSetsAndTakesBackOnlyWhatItGave) {
    CpuPool pool({4, 5, 6, 7});
    const auto a = pool.take(3);
    ASSERT_TRUE(a);
    EXPECT_EQ(*a, (std::vector<int>{4, 5, 6}));
    EXPECT_FALSE(pool.take(2));  // one left
    const auto b = pool.take(1);
    ASSERT_TRUE(b);
    EXPECT_EQ(*b, (std::vector<int>{7}));
    pool.give(*a);
    EXPECT_EQ(pool.free_count(), 3);
    EXPECT_THROW(pool.give(*a), std::logic_error);  // given back twice
    EXPECT_THROW(pool.give({9}), std::logic_error);  // never in the pool
}

TEST(Sharding, ThePlannedScheduleRunsNarrowJobsSideBySideAndWideOrBudgetedOnesAlone) {
    std::vector<Scenario> scenarios = {scenario("one", {"safe"}, {"tsan"}), scenario("three", {"safe"}, {"tsan"})};
    scenarios[0].duration = std::chrono::milliseconds(1000);
    scenarios[0].groups = {GroupSpec{"g", 1, {}, {}}};
    scenarios[1].duration = std::chrono::milliseconds(1000);
    scenarios[1].groups = {GroupSpec{"g", 3, {}, {}}};
    PlanOptions options;
    options.seeds = {1, 2, 3, 4};
    const Plan plan(scenarios, catalog(), options);
    const JobShare all(plan);
    // 8 jobs of 1.4 s: one at a time 11.2 s.
    const auto serial = plan_schedule(plan, all, 4, 1, nullptr);
    EXPECT_NEAR(serial.makespan_seconds, 11.2, 1e-9);
    EXPECT_EQ(serial.max_side_by_side, 1);
    // On 4 CPUs a 1-thread and a 3-thread job fit side by side: 4 rounds of 1.4 s.
    const auto four = plan_schedule(plan, all, 4, 4, nullptr);
    EXPECT_NEAR(four.makespan_seconds, 5.6, 1e-9);
    EXPECT_NEAR(four.serial_seconds, 11.2, 1e-9);
    EXPECT_EQ(four.max_side_by_side, 2);
    // On 2 CPUs the 3-thread job is wider than the machine: it runs alone.
    EXPECT_TRUE(runs_alone(scenarios[1], "tsan", 2));
    EXPECT_EQ(job_width(scenarios[1], "tsan", 2), 2);
    EXPECT_NEAR(plan_schedule(plan, all, 2, 2, nullptr).makespan_seconds, 11.2, 1e-9);
    // A job judging latency budgets runs alone in a flavor that judges latency, not in tsan.
    scenarios[0].slo.push_back(SloBudget{});
    EXPECT_TRUE(runs_alone(scenarios[0], "plain", 64));
    EXPECT_FALSE(runs_alone(scenarios[0], "tsan", 64));
    EXPECT_EQ(job_width(scenarios[0], "plain", 64), 64);
}

}  // namespace threadmill
