// Tests of worker/schedule: PCT's seeded decisions, the start spread, the portfolio's slices, and
// jobs run with each strategy (no deadlock with chaos points inside the component's locks).
#include "worker/schedule.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "api/threadmill.hpp"
#include "model/scenario.hpp"
#include "scenario/loader.hpp"
#include "worker/runner.hpp"

namespace threadmill {
namespace {

using namespace std::chrono_literals;

// ---- PCT's plan -------------------------------------------------------------------------------

/// Everything a plan decides for its first `epochs` epochs, as numbers.
std::vector<std::uint64_t> decisions(const PctPlan& plan, std::uint64_t epochs) {
    std::vector<std::uint64_t> out;
    for (std::uint64_t e = 0; e < epochs; ++e) {
        for (int t = 0; t < plan.threads(); ++t) out.push_back(static_cast<std::uint64_t>(plan.priority(e, t)));
        for (const auto& c : plan.changes(e)) {
            out.push_back(static_cast<std::uint64_t>(c.thread));
            out.push_back(c.point);
            out.push_back(static_cast<std::uint64_t>(c.priority));
        }
    }
    return out;
}

TEST(PctPlan, TheSameSeedMakesTheSameDecisionsAndAnotherSeedOthers) {
    const PctPlan a(42, 6, 4, 100);
    const PctPlan b(42, 6, 4, 100);
    EXPECT_EQ(decisions(a, 20), decisions(b, 20));
    EXPECT_NE(decisions(a, 20), decisions(PctPlan(43, 6, 4, 100), 20));
    // Epochs differ from each other too: each round is a fresh trial.
    const auto first = decisions(a, 1);
    const auto two = decisions(a, 2);
    EXPECT_NE(first, std::vector<std::uint64_t>(two.begin() + static_cast<std::ptrdiff_t>(first.size()), two.end()));
}

TEST(PctPlan, PrioritiesArePermutationsAboveEveryChangePoint) {
    const int threads = 5;
    const int depth = 4;
    const std::uint64_t horizon = 30;
    const PctPlan plan(7, threads, depth, horizon);
    std::set<std::vector<int>> orders;
    for (std::uint64_t e = 0; e < 50; ++e) {
        std::vector<int> p;
        for (int t = 0; t < threads; ++t) p.push_back(plan.priority(e, t));
        orders.insert(p);
        std::vector<int> sorted = p;
        std::sort(sorted.begin(), sorted.end());
        EXPECT_EQ(sorted, (std::vector<int>{4, 5, 6, 7, 8})) << "epoch " << e;

        const auto changes = plan.changes(e);
        ASSERT_EQ(changes.size(), static_cast<std::size_t>(depth - 1));
        std::set<std::pair<int, std::uint64_t>> slots;
        for (std::size_t i = 0; i < changes.size(); ++i) {
            EXPECT_EQ(changes[i].priority, static_cast<int>(i) + 1);  // below every starting priority
            EXPECT_GE(changes[i].thread, 0);
            EXPECT_LT(changes[i].thread, threads);
            EXPECT_GE(changes[i].point, 1u);
            EXPECT_LE(changes[i].point, horizon);
            slots.insert({changes[i].thread, changes[i].point});
        }
        EXPECT_EQ(slots.size(), changes.size()) << "change points are distinct";
    }
    EXPECT_GT(orders.size(), 10u) << "the order of the threads varies from epoch to epoch";
    // What a barrier's completion publishes for every thread is what each thread computes alone.
    std::vector<int> all;
    for (std::uint64_t e = 0; e < 20; ++e) {
        plan.priorities(e, all);
        ASSERT_EQ(all.size(), static_cast<std::size_t>(threads));
        for (int t = 0; t < threads; ++t) EXPECT_EQ(all[static_cast<std::size_t>(t)], plan.priority(e, t));
    }
}

TEST(PctPlan, DepthOneHasNoChangePointsAndATinyEpochHasAtMostItsSlots) {
    EXPECT_TRUE(PctPlan(1, 4, 1, 10).changes(0).empty());
    EXPECT_EQ(PctPlan(1, 1, 16, 2).changes(3).size(), 2u);  // one thread, two points: two slots
    EXPECT_EQ(PctPlan(1, 1, 3, 1).priority(0, 0), 3);
}

TEST(PctThread, APriorityDropsAtItsChangePointsOnly) {
    const PctPlan plan(99, 3, 6, 8);
    // Find an epoch in which thread 1 has a change point, and check it step by step.
    for (std::uint64_t e = 0; e < 100; ++e) {
        std::vector<PctPlan::Change> mine;
        for (const auto& c : plan.changes(e)) {
            if (c.thread == 1) mine.push_back(c);
        }
        if (mine.empty()) continue;
        std::sort(mine.begin(), mine.end(), [](const auto& a, const auto& b) { return a.point < b.point; });
        PctThread t;
        t.begin(plan, e, 1);
        EXPECT_EQ(t.priority(), plan.priority(e, 1));
        int expected = plan.priority(e, 1);
        std::size_t next = 0;
        for (std::uint64_t point = 1; point <= 12; ++point) {
            if (next < mine.size() && mine[next].point == point) expected = mine[next++].priority;
            EXPECT_EQ(t.step(), expected) << "epoch " << e << " point " << point;
        }
        EXPECT_EQ(t.points(), 12u);
        EXPECT_EQ(t.epoch(), e);
        return;
    }
    FAIL() << "no epoch gave thread 1 a change point";
}

// ---- Start spread ------------------------------------------------------------------------------

std::vector<Nanos> draws(std::uint64_t seed, int thread, Nanos spread, int n) {
    StartSpread s(seed, thread);
    std::vector<Nanos> out;
    for (int i = 0; i < n; ++i) out.push_back(s.next(spread));
    return out;
}

TEST(StartSpread, SeededWaitsWithinTheSpreadThatDifferByThread) {
    const auto a = draws(5, 0, 50us, 64);
    EXPECT_EQ(a, draws(5, 0, 50us, 64));
    EXPECT_NE(a, draws(5, 1, 50us, 64));
    EXPECT_NE(a, draws(6, 0, 50us, 64));
    for (const auto d : a) {
        EXPECT_GE(d, 0ns);
        EXPECT_LE(d, 50us);
    }
    // The threads of a job do not all leave a barrier at one instant: their first waits differ.
    std::set<Nanos> first;
    for (int t = 0; t < 8; ++t) first.insert(draws(5, t, 50us, 1)[0]);
    EXPECT_EQ(first.size(), 8u);
    EXPECT_EQ(draws(5, 0, 0ns, 3), (std::vector<Nanos>{0ns, 0ns, 0ns}));
}

// ---- Portfolio ---------------------------------------------------------------------------------

TEST(Portfolio, TheOrderIsASeededPermutationOfThePortfolioRows) {
    std::set<std::vector<Strategy>> orders;
    for (std::uint64_t seed = 1; seed <= 40; ++seed) {
        const Portfolio p(seed);
        const std::vector<Strategy> order(p.order().begin(), p.order().end());
        const Portfolio again(seed);
        EXPECT_TRUE(std::equal(order.begin(), order.end(), again.order().begin(), again.order().end()));
        std::set<Strategy> kinds(order.begin(), order.end());
        EXPECT_EQ(kinds, (std::set<Strategy>{Strategy::uniform, Strategy::pct, Strategy::spread, Strategy::none}));
        orders.insert(order);
    }
    EXPECT_GT(orders.size(), 5u);
}

TEST(Portfolio, SlicesCoverTheJobInOrder) {
    for (const std::uint64_t total : {1u, 2u, 3u, 4u, 5u, 7u, 64u, 1001u}) {
        SCOPED_TRACE(total);
        EXPECT_EQ(Portfolio::slice_start(0, total), 0u);
        EXPECT_EQ(Portfolio::slice_start(k_portfolio_slices, total), total);
        int previous = 0;
        for (std::uint64_t i = 0; i < total; ++i) {
            const int k = Portfolio::slice_at(i, total);
            EXPECT_GE(k, previous);
            if (total >= k_portfolio_slices) {
                EXPECT_LE(k, previous + 1);  // no slice is empty
            }
            EXPECT_GE(i, Portfolio::slice_start(k, total));
            EXPECT_LT(i, Portfolio::slice_start(k + 1, total));
            previous = k;
        }
        for (int k = 0; k < k_portfolio_slices; ++k) {
            const auto size = Portfolio::slice_start(k + 1, total) - Portfolio::slice_start(k, total);
            EXPECT_LE(size, total / k_portfolio_slices + 1);
            if (total >= k_portfolio_slices) {
                EXPECT_GE(size, total / k_portfolio_slices);
            }
        }
    }
    EXPECT_EQ(Portfolio::slice_at_time(0ns, 100ms), 0);
    EXPECT_EQ(Portfolio::slice_at_time(24ms, 100ms), 0);
    EXPECT_EQ(Portfolio::slice_at_time(25ms, 100ms), 1);
    EXPECT_EQ(Portfolio::slice_at_time(99ms, 100ms), 3);
    EXPECT_EQ(Portfolio::slice_at_time(2s, 100ms), 3);  // a late round stays in the last slice
}

// ---- Jobs --------------------------------------------------------------------------------------

/// Two locks always taken in the same order, with chaos points while holding them: PCT's waits
/// there must never deadlock with the component's own locking.
class LockedPair final : public TargetInstance {
public:
    explicit LockedPair(const TargetConfig&) {}
    void run(const Op& op, ThreadContext& ctx) override {
        std::lock_guard a(m_a);
        ctx.chaos_point();
        if (op.index == 1) {
            std::lock_guard b(m_b);
            ctx.chaos_point();
            ++m_both;
        }
        ++m_count;
        ctx.chaos_point();
    }
    void check(InvariantSink&, CheckPoint) override {}

private:
    std::mutex m_a;
    std::mutex m_b;
    std::uint64_t m_count = 0;
    std::uint64_t m_both = 0;
};

TargetSpec make_locked_pair() {
    TargetSpec s;
    s.info.name = "sched_locked_pair";
    s.info.description = "two locks in one order, chaos points held (schedule tests)";
    s.info.variants = {{"safe", "", ""}};
    s.info.ops = {{"a", "lock a"}, {"ab", "lock a then b"}};
    s.create = [](const TargetConfig& c) { return std::make_unique<LockedPair>(c); };
    return s;
}
TM_REGISTER_TARGET(make_locked_pair);

Measurement run(const std::string& body, std::uint64_t seed) {
    const Scenario sc = parse_scenario("name = 's'\ntarget = 'sched_locked_pair'\n" + body, "schedule-test.toml",
                                       Registry::instance().catalog());
    return run_job(sc, *Registry::instance().find("sched_locked_pair"), "safe", seed, RunnerOptions{});
}

const char* k_four_threads = R"(
[[group]]
name = "g"
threads = 4
mix = { a = 1, ab = 1 }
)";

std::vector<std::string> names(const Portfolio& p) {
    std::vector<std::string> out;
    for (const Strategy s : p.order()) out.emplace_back(info(s).name);
    return out;
}

void expect_in_order(const std::vector<StrategySlice>& schedule) {
    ASSERT_FALSE(schedule.empty());
    EXPECT_EQ(schedule[0].start_seconds, 0.0);
    EXPECT_EQ(schedule[0].start_ops, 0u);
    for (std::size_t i = 1; i < schedule.size(); ++i) {
        EXPECT_GE(schedule[i].start_seconds, schedule[i - 1].start_seconds);
        EXPECT_GE(schedule[i].start_ops, schedule[i - 1].start_ops);
    }
}

TEST(ScheduleJobs, PctCompletesWithChaosPointsInsideLocksInEverySyncMode) {
    for (const std::string sync : {"", "[sync]\nmode = 'rounds'\nops_per_round = 16\n"}) {
        const Measurement m = run("iterations = 200\n" + sync + "[chaos]\nstrategy = 'pct'\npct_depth = 4\n" +
                                      k_four_threads,
                                  11);
        EXPECT_EQ(m.total_ops, 800u);
        ASSERT_EQ(m.schedule.size(), 1u);
        EXPECT_EQ(m.schedule[0].strategy, "pct");
        EXPECT_EQ(m.schedule[0].start_ops, 0u);
    }
    // A duration and noise as well: threads stop at the deadline whatever their priority.
    const Measurement m = run(std::string("duration = '30ms'\n[chaos]\nstrategy = 'pct'\nyield = 0.5\n"
                                          "start_spread = '20us'\n") + k_four_threads, 12);
    EXPECT_GT(m.total_ops, 0u);
}

/// A counter behind a lock with a chaos point held; lockstep's arbiter reads it each round.
class LockedCounter final : public TargetInstance {
public:
    explicit LockedCounter(const TargetConfig&) {}
    void run(const Op&, ThreadContext& ctx) override {
        std::lock_guard lock(m_lock);
        ctx.chaos_point();
        ++m_count;
    }
    void check(InvariantSink&, CheckPoint) override {}
    void arbitrate(RoundOutcome& out) override { out.add(m_count); }
    void reset() override { m_count = 0; }

private:
    std::mutex m_lock;
    int m_count = 0;
};

TargetSpec make_locked_counter() {
    TargetSpec s;
    s.info.name = "sched_locked_counter";
    s.info.description = "a counter behind a lock, with an arbiter (schedule tests)";
    s.info.variants = {{"safe", "", ""}};
    s.info.ops = {{"bump", "adds one"}};
    s.info.has_arbiter = true;
    s.info.arbiter_help = "the count";
    s.create = [](const TargetConfig& c) { return std::make_unique<LockedCounter>(c); };
    return s;
}
TM_REGISTER_TARGET(make_locked_counter);

TEST(ScheduleJobs, PctAndAPortfolioRunLockstepRoundsToTheEnd) {
    for (const std::string strategy : {"pct", "portfolio"}) {
        const Scenario sc = parse_scenario("name = 's'\ntarget = 'sched_locked_counter'\niterations = 40\n"
                                           "[sync]\nmode = 'lockstep'\n[chaos]\nstrategy = '" + strategy +
                                               "'\n[[group]]\nname = 'g'\nthreads = 3\nmix = { bump = 1 }\n"
                                               "[[outcome]]\nmatch = '3'\ngrade = 'acceptable'\n",
                                           "lockstep-test.toml", Registry::instance().catalog());
        const Measurement m = run_job(sc, *Registry::instance().find("sched_locked_counter"), "safe", 5, RunnerOptions{});
        EXPECT_EQ(m.rounds, 40u);
        ASSERT_EQ(m.outcomes.size(), 1u);
        EXPECT_EQ(m.outcomes[0].result, "3");
        EXPECT_EQ(m.outcomes[0].count, 40u);
        EXPECT_EQ(m.schedule.size(), strategy == "pct" ? 1u : 4u);
        expect_in_order(m.schedule);
    }
}

TEST(ScheduleJobs, TheDefaultJobRecordsOneUniformSlice) {
    const Measurement m = run(std::string("iterations = 10\n") + k_four_threads, 3);
    ASSERT_EQ(m.schedule.size(), 1u);
    EXPECT_EQ(m.schedule[0].strategy, "uniform");
    const Measurement spread = run(std::string("iterations = 10\n[chaos]\nstart_spread = '10us'\n") + k_four_threads, 3);
    ASSERT_EQ(spread.schedule.size(), 1u);
    EXPECT_EQ(spread.schedule[0].strategy, "uniform");
    EXPECT_EQ(spread.total_ops, 40u);
}

TEST(ScheduleJobs, APortfolioOfRoundsSwitchesAtRoundBoundariesInTheSeededOrder) {
    // 4 threads x 8 ops per round, 10 rounds: slices begin at rounds 0, 3, 5, 8.
    const Measurement m = run(std::string("iterations = 80\n[sync]\nmode = 'rounds'\nops_per_round = 8\n"
                                          "[chaos]\nstrategy = 'portfolio'\nyield = 0.2\n") + k_four_threads,
                              21);
    ASSERT_EQ(m.schedule.size(), 4u);
    const auto expected = names(Portfolio(21));
    for (std::size_t k = 0; k < 4; ++k) {
        EXPECT_EQ(m.schedule[k].strategy, expected[k]);
        EXPECT_EQ(m.schedule[k].start_ops, Portfolio::slice_start(static_cast<int>(k), 10) * 8 * 4);
    }
    expect_in_order(m.schedule);
    EXPECT_EQ(m.total_ops, 320u);
}

TEST(ScheduleJobs, APortfolioOfIterationsSlicesEachThreadsOperations) {
    const Measurement m = run(std::string("iterations = 102\n[chaos]\nstrategy = 'portfolio'\n") + k_four_threads, 22);
    ASSERT_EQ(m.schedule.size(), 4u);
    const auto expected = names(Portfolio(22));
    for (std::size_t k = 0; k < 4; ++k) {
        EXPECT_EQ(m.schedule[k].strategy, expected[k]);
        EXPECT_EQ(m.schedule[k].start_ops, Portfolio::slice_start(static_cast<int>(k), 102) * 4);
    }
    expect_in_order(m.schedule);
    // Fewer iterations than slices: only the slices that hold an operation.
    const Measurement few = run(std::string("iterations = 2\n[chaos]\nstrategy = 'portfolio'\n") + k_four_threads, 22);
    EXPECT_EQ(few.schedule.size(), 2u);
    expect_in_order(few.schedule);
}

TEST(ScheduleJobs, APortfolioOfADurationRecordsEverySliceInOrder) {
    // The main thread moves the job on at each quarter, however far the threads got.
    const Measurement m = run(std::string("duration = '40ms'\n[chaos]\nstrategy = 'portfolio'\n") + k_four_threads, 23);
    ASSERT_EQ(m.schedule.size(), 4u);
    const auto expected = names(Portfolio(23));
    for (std::size_t k = 0; k < 4; ++k) EXPECT_EQ(m.schedule[k].strategy, expected[k]);
    expect_in_order(m.schedule);
    for (std::size_t k = 1; k < 4; ++k) EXPECT_GT(m.schedule[k].start_seconds, 0.0);
}

TEST(ScheduleJobs, SliceAtNamesTheStrategyRunningAtATime) {
    const std::vector<StrategySlice> schedule = {{"pct", 0, 0}, {"none", 0.5, 10}, {"uniform", 1.0, 20}};
    EXPECT_EQ(slice_at(schedule, 0.2)->strategy, "pct");
    EXPECT_EQ(slice_at(schedule, 0.5)->strategy, "none");
    EXPECT_EQ(slice_at(schedule, 3.0)->strategy, "uniform");
    EXPECT_EQ(slice_at({}, 1.0), nullptr);
}

}  // namespace
}  // namespace threadmill
