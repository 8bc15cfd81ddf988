// Tests of the target API (api/threadmill.hpp): operations and invariants bound by name, argument
// generators, PerThread, the lifecycle hooks driven by the runner, and declaration mistakes.
#include "api/threadmill.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/catalog_json.hpp"
#include "model/scenario.hpp"
#include "scenario/loader.hpp"
#include "tests/support/target_fixture.hpp"
#include "worker/runner.hpp"

namespace threadmill {
namespace {

/// What the adapters below saw, for the assertions (one job at a time).
struct Journal {
    std::vector<std::string> events;
    std::vector<std::int64_t> args;
    std::set<int> threads;
};
Journal g_journal;
std::mutex g_journal_args;

class Counter {
public:
    explicit Counter(const Setup& setup) : m_lost(setup.variant() == "lost"), m_per_thread(setup) {
        g_journal.events.push_back("setup " + setup.variant());
    }
    ~Counter() { g_journal.events.push_back("destroyed"); }

    void add(Call& call) {
        {
            const std::lock_guard lock(g_journal_args);  // several worker threads add at once
            g_journal.args.push_back(call.arg());
        }
        m_per_thread[call].adds += 1;
        if (!m_lost) m_total.fetch_add(1, std::memory_order_relaxed);
    }
    void peek(Call& call) {
        if (call.key() == 7) call.violate("never_seven", "peek saw key 7");
    }
    void sums(Check& check) {
        std::uint64_t adds = 0;
        m_per_thread.for_each([&](const Slot& s) { adds += s.adds; });
        const std::uint64_t total = m_total.load(std::memory_order_relaxed);
        if (adds != total) check.fail("threads added " + std::to_string(adds) + ", total is " + std::to_string(total));
        g_journal.events.push_back(check.is_final() ? "final check" : "check");
    }
    void reset() { g_journal.events.push_back("reset"); }
    void teardown() { g_journal.events.push_back("teardown"); }

private:
    struct Slot {
        std::uint64_t adds = 0;
    };
    const bool m_lost;
    PerThread<Slot> m_per_thread;
    std::atomic<std::uint64_t> m_total{0};  ///< every thread adds: atomic in the correct variant
};

TargetSpec counter_spec() {
    return target<Counter>("builder-counter")
        .describe("a counter, for the target API's tests")
        .variant("safe", "counts every add")
        .mutant("lost", "invariant:sums", "forgets every add")
        .op("add", &Counter::add, "adds one").args(uniform(-3, 3))
        .op("peek", &Counter::peek, "looks at a key")
        .invariant("sums", &Counter::sums, "the per-thread adds sum to the total")
        .invariant("never_seven", "peek never sees key 7")
        .reset(&Counter::reset)
        .teardown(&Counter::teardown);
}
THREADMILL_TARGET(counter_spec());

struct Plain {
    void noop(Call&) {}
};
THREADMILL_TARGET(target<Plain>("builder-plain").op("noop", &Plain::noop, "nothing"));

/// Counts, per thread, how often Call::fault() said yes (for the [faults] tests).
class FaultCounter {
public:
    explicit FaultCounter(const Setup& setup) : m_yes(setup) {}
    ~FaultCounter() {
        g_fault_yeses = 0;
        m_yes.for_each([](std::uint64_t n) { g_fault_yeses += n; });
    }
    void ask(Call& call) { m_yes[call] += call.fault() ? 1 : 0; }
    static inline std::uint64_t g_fault_yeses = 0;  ///< written by the destructor, read after the job

private:
    PerThread<std::uint64_t> m_yes;
};
THREADMILL_TARGET(target<FaultCounter>("builder-faults").op("ask", &FaultCounter::ask, "asks call.fault()"));

/// Its first invariant throws (as a check that cannot take a lock would); the second counts runs.
struct Throwing {
    void noop(Call&) {}
    void cannot_lock(Check&) { throw std::runtime_error("no read lock within 50ms"); }
    void throws_anything(Check&) { throw 7; }
    void runs(Check&) { ++g_runs; }
    static inline int g_runs = 0;
};
TargetSpec throwing_spec() {
    return target<Throwing>("builder-throwing-check")
        .op("noop", &Throwing::noop, "nothing")
        .invariant("cannot_lock", &Throwing::cannot_lock, "throws std::runtime_error")
        .invariant("throws_anything", &Throwing::throws_anything, "throws an int")
        .invariant("runs", &Throwing::runs, "counts its runs");
}

TEST(TargetApi, AnInvariantThatThrowsIsAViolationOfThatInvariantAndTheOthersStillRun) {
    const TargetSpec spec = throwing_spec();
    testing::TargetFixture fx(spec, "default", 1, {}, 1);
    Throwing::g_runs = 0;
    InvariantSink sink(spec.info.invariants.size());
    fx.check(sink);
    EXPECT_EQ(fx.violations(sink, "cannot_lock"), 1u);
    EXPECT_EQ(fx.violations(sink, "throws_anything"), 1u);
    EXPECT_EQ(fx.violations(sink, "runs"), 0u);
    EXPECT_EQ(Throwing::g_runs, 1);
    EXPECT_NE(fx.details(sink).find("the check threw: no read lock within 50ms"), std::string::npos) << fx.details(sink);
    EXPECT_NE(fx.details(sink).find("not derived from std::exception"), std::string::npos) << fx.details(sink);
}

TEST(TargetApi, OperationsAndInvariantsAreBoundByName) {
    const TargetSpec spec = counter_spec();
    ASSERT_EQ(spec.info.ops.size(), 2u);
    EXPECT_EQ(spec.info.ops[0].name, "add");
    EXPECT_EQ(spec.info.ops[0].args, "uniform in [-3, 3]");
    EXPECT_EQ(spec.info.ops[1].args, "");
    EXPECT_EQ(spec.info.invariant_index("never_seven"), 1);
    EXPECT_EQ(spec.info.variants[1].caught_by, "invariant:sums");

    g_journal = {};
    testing::TargetFixture fx(spec, "lost", 2, {}, 10);
    fx.run("add", 0, 0x1234, 0);
    fx.run("add", 0, 0x99, 1);
    fx.run("peek", 7, 0, 1);
    InvariantSink sink(spec.info.invariants.size());
    fx.check(sink);
    EXPECT_EQ(fx.violations(sink, "sums"), 1u) << fx.details(sink);
    EXPECT_EQ(fx.violations(sink, "never_seven"), 1u);
    EXPECT_NE(fx.details(sink).find("peek saw key 7"), std::string::npos);
}

TEST(TargetApi, ArgumentsComeFromTheGeneratorAndTheOperationsBits) {
    const TargetSpec spec = counter_spec();
    g_journal = {};
    testing::TargetFixture fx(spec, "safe", 1, {}, 10);
    for (std::uint64_t bits = 0; bits < 2000; ++bits) fx.run("add", 0, bits * 0x9E3779B97F4A7C15ull);
    ASSERT_EQ(g_journal.args.size(), 2000u);
    std::set<std::int64_t> seen(g_journal.args.begin(), g_journal.args.end());
    EXPECT_EQ(seen, (std::set<std::int64_t>{-3, -2, -1, 0, 1, 2, 3}));
    // The same bits give the same argument.
    const std::int64_t first = g_journal.args[5];
    fx.run("add", 0, 5 * 0x9E3779B97F4A7C15ull);
    EXPECT_EQ(g_journal.args.back(), first);
}

TEST(TargetApi, GeneratorsDrawWhatTheySay) {
    Rng rng(3);
    const ArgGenerator pick = one_of({10, 20, 30});
    EXPECT_EQ(pick.describe, "one of {10, 20, 30}");
    std::set<std::int64_t> seen;
    for (int i = 0; i < 300; ++i) seen.insert(pick.draw(rng));
    EXPECT_EQ(seen, (std::set<std::int64_t>{10, 20, 30}));
    const ArgGenerator everything = uniform(INT64_MIN, INT64_MAX);
    bool negative = false;
    bool positive = false;
    for (int i = 0; i < 64; ++i) {
        const std::int64_t v = everything.draw(rng);
        negative |= v < 0;
        positive |= v > 0;
    }
    EXPECT_TRUE(negative && positive);
    const ArgGenerator mine = generator([](Rng& r) { return static_cast<std::int64_t>(r.below(2)) * 100; }, "0 or 100");
    EXPECT_EQ(mine.describe, "0 or 100");
    const std::int64_t v = mine.draw(rng);
    EXPECT_TRUE(v == 0 || v == 100) << v;
}

TEST(TargetApi, WithoutAGeneratorTheArgumentIsNonNegative) {
    struct Probe {
        void op(Call& call) { g_journal.args.push_back(call.arg()); }
    };
    const TargetSpec spec = target<Probe>("builder-probe").op("op", &Probe::op, "");
    g_journal = {};
    testing::TargetFixture fx(spec, "default", 1, {}, 1);
    fx.run("op", 0, ~std::uint64_t{0});
    fx.run("op", 0, 1);
    EXPECT_EQ(g_journal.args, (std::vector<std::int64_t>{INT64_MAX, 0}));
}

TEST(TargetApi, CurrentCallIsTheRunningOperationsCallAndNullOutsideOne) {
    static bool saw_own_call = false;
    struct Probe {
        void op(Call& call) { saw_own_call = threadmill::current_call() == &call; }
    };
    const TargetSpec spec = target<Probe>("builder-current").op("op", &Probe::op, "");
    testing::TargetFixture fx(spec, "default", 1, {}, 1);
    EXPECT_EQ(current_call(), nullptr);
    fx.run("op");
    EXPECT_TRUE(saw_own_call);
    EXPECT_EQ(current_call(), nullptr);
}

TEST(TargetApi, ATargetWithoutVariantsHasADefaultSafeOne) {
    const TargetSpec* spec = Registry::instance().find("builder-plain");
    ASSERT_NE(spec, nullptr);
    ASSERT_EQ(spec->info.variants.size(), 1u);
    EXPECT_EQ(spec->info.variants[0].name, "default");
    EXPECT_TRUE(spec->info.variants[0].is_safe());
}

TEST(TargetApi, ARoundOutcomeIsItsValuesSeparatedByCommaAndSpace) {
    RoundOutcome out;
    EXPECT_EQ(out.text(), "");
    out.add(1).add(-2).add(std::uint64_t{18446744073709551615u}).add(true).add(false).add("seen").add('x');
    EXPECT_EQ(out.text(), "1, -2, 18446744073709551615, true, false, seen, x");
    EXPECT_EQ(out.size(), 7u);
    out.clear();
    out.add("").add(std::string("b"));  // an empty value still takes its place
    EXPECT_EQ(out.text(), ", b");
    out.clear();
    out.add(static_cast<short>(-7));
    EXPECT_EQ(out.text(), "-7");
}

struct Litmus {
    int x = 0;
    void write(Call&) { x = 1; }
    void observe(RoundOutcome& out) { out.add(x).add(x == 1); }
};

TEST(TargetApi, AnArbiterIsDeclaredInTheCatalogAndObservesTheAdapter) {
    const TargetSpec with = target<Litmus>("builder-litmus")
                                .op("write", &Litmus::write, "x = 1")
                                .arbiter(&Litmus::observe, "x, and whether it is 1");
    EXPECT_TRUE(with.info.has_arbiter);
    EXPECT_EQ(with.info.arbiter_help, "x, and whether it is 1");
    const Catalog back = catalog_from_json(catalog_to_json(Catalog{{with.info}}));
    ASSERT_EQ(back.targets.size(), 1u);
    EXPECT_TRUE(back.targets[0].has_arbiter);
    EXPECT_EQ(back.targets[0].arbiter_help, "x, and whether it is 1");

    testing::TargetFixture fx(with, "default", 1, {}, 1);
    RoundOutcome out;
    fx.instance->arbitrate(out);
    EXPECT_EQ(out.text(), "0, false");
    fx.run("write");
    out.clear();
    fx.instance->arbitrate(out);
    EXPECT_EQ(out.text(), "1, true");

    const TargetSpec without = target<Litmus>("builder-no-arbiter").op("write", &Litmus::write, "x = 1");
    EXPECT_FALSE(without.info.has_arbiter);
    EXPECT_FALSE(catalog_from_json(catalog_to_json(Catalog{{without.info}})).targets[0].has_arbiter);
}

TEST(TargetApi, PerThreadSlotsAreOnTheirOwnCacheLines) {
    PerThread<std::uint64_t> counts(3);
    EXPECT_EQ(counts.size(), 3);
    counts.at(0) = 1;
    counts.at(2) = 5;
    const auto distance = reinterpret_cast<const char*>(&counts.at(1)) - reinterpret_cast<const char*>(&counts.at(0));
    EXPECT_GE(distance, 64);
    std::uint64_t sum = 0;
    counts.for_each([&](std::uint64_t v) { sum += v; });
    EXPECT_EQ(sum, 6u);
}

TEST(TargetApi, TheRunnerCallsResetBetweenRoundsAndTeardownBeforeTheFinalCheck) {
    const Scenario sc = parse_scenario(R"(
name = "lifecycle"
target = "builder-counter"
variants = ["safe"]
iterations = 30
[sync]
mode = "rounds"
ops_per_round = 10
checkpoint = 1
[check]
invariants = ["sums"]
[[group]]
name = "g"
threads = 2
mix = { add = 1 }
)",
                                       "lifecycle.toml", Registry::instance().catalog());
    g_journal = {};
    const Measurement m =
        run_job(sc, *Registry::instance().find("builder-counter"), "safe", 11, RunnerOptions{});
    EXPECT_EQ(m.rounds, 3u);
    // Rounds 1 and 2 end with a check and a reset; round 3 is the last: teardown, final check.
    const std::vector<std::string> expected = {"setup safe", "check", "reset", "check", "reset",
                                               "teardown", "final check", "destroyed"};
    EXPECT_EQ(g_journal.events, expected);
    ASSERT_EQ(m.invariants.size(), 1u);
    EXPECT_EQ(m.invariants[0].violations, 0u);
}

/// A job of `builder-faults` with `[faults] rate = <rate>`: 2 threads, 500 operations each.
Measurement run_fault_job(const std::string& rate, std::uint64_t seed) {
    const Scenario sc = parse_scenario(fmt::format(R"(
name = "faults"
target = "builder-faults"
iterations = 500
[[group]]
name = "g"
threads = 2
mix = {{ ask = 1 }}
{}
)",
                                                   rate.empty() ? "" : "[faults]\nrate = " + rate),
                                       "faults.toml", Registry::instance().catalog());
    return run_job(sc, *Registry::instance().find("builder-faults"), "default", seed, RunnerOptions{});
}

TEST(TargetApi, FaultsComeAtTheScenariosRateAndASeedReplaysThem) {
    const Measurement never = run_fault_job("", 3);
    EXPECT_EQ(never.faults_injected, 0u);
    EXPECT_EQ(FaultCounter::g_fault_yeses, 0u);
    const Measurement always = run_fault_job("1", 3);
    EXPECT_EQ(always.faults_injected, 1000u);
    EXPECT_EQ(FaultCounter::g_fault_yeses, 1000u);
    const Measurement some = run_fault_job("0.25", 3);
    EXPECT_EQ(some.faults_injected, FaultCounter::g_fault_yeses);
    // 1000 draws at 0.25: 250 expected, standard deviation about 14; 150 and 350 are 7 of them away.
    EXPECT_GT(some.faults_injected, 150u);
    EXPECT_LT(some.faults_injected, 350u);
    EXPECT_EQ(run_fault_job("0.25", 3).faults_injected, some.faults_injected);  // the same seed, the same faults
    std::set<std::uint64_t> counts;
    for (std::uint64_t seed = 4; seed < 12; ++seed) counts.insert(run_fault_job("0.25", seed).faults_injected);
    EXPECT_GT(counts.size(), 1u) << "every seed drew the same number of faults";
}

TEST(TargetApi, TheCatalogCarriesHowAnArgumentIsDrawn) {
    Catalog c;
    c.targets.push_back(counter_spec().info);
    const Catalog back = catalog_from_json(catalog_to_json(c));
    EXPECT_EQ(back.targets.at(0).ops.at(0).args, "uniform in [-3, 3]");
    EXPECT_EQ(back.targets.at(0).ops.at(1).args, "");
}

struct Nothing {
    void op(Call&) {}
    void check(Check&) {}
};

TEST(TargetApiDeathTest, DeclarationMistakesStopWithTheTargetsName) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_DEATH((void)static_cast<TargetSpec>(target<Nothing>("t1").op("x", &Nothing::op, "").op("x", &Nothing::op, "")),
                 "target 't1': operation 'x' declared twice");
    EXPECT_DEATH((void)target<Nothing>("t2").args(uniform(0, 1)), "target 't2': .args\\(\\) before any .op\\(\\)");
    EXPECT_DEATH((void)target<Nothing>("t3").op("has space", &Nothing::op, ""), "operation name 'has space'");
    EXPECT_DEATH((void)static_cast<TargetSpec>(target<Nothing>("t4").invariant("i", &Nothing::check, "")),
                 "target 't4': no operation declared");
    EXPECT_DEATH((void)target<Nothing>("t5").mutant("m", "", "no mechanism"), "mutant 'm' names no mechanism");
    EXPECT_DEATH((void)uniform(5, 1), "uniform\\(5, 1\\)");
}

TEST(TargetApiDeathTest, ViolatingAnUndeclaredInvariantStops) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    struct Bad {
        void op(Call& call) { call.violate("nope", "x"); }
    };
    const TargetSpec spec = target<Bad>("builder-bad").op("op", &Bad::op, "");
    testing::TargetFixture fx(spec, "default", 1, {}, 1);
    EXPECT_DEATH(fx.run("op"), "no invariant of that name");
}

}  // namespace
}  // namespace threadmill
