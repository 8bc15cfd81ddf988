// Tests of worker/runner: reproducible op sequences, rounds, checkpoints, exceptions, lockstep.
#include "worker/runner.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <stdexcept>

#include "api/threadmill.hpp"
#include "model/scenario.hpp"
#include "scenario/loader.hpp"

namespace threadmill {
namespace {

/// Records every op each thread runs; throws on `boom`; counts quiescent checks.
struct RecorderLog {
    std::vector<std::vector<Op>> per_thread;
    int quiescent_checks = 0;
    int final_checks = 0;
};
RecorderLog* g_log = nullptr;

class Recorder final : public TargetInstance {
public:
    explicit Recorder(const TargetConfig& c) { g_log->per_thread.assign(static_cast<std::size_t>(c.thread_count), {}); }
    void run(const Op& op, ThreadContext& ctx) override {
        if (op.index == 2) throw std::runtime_error("boom on purpose");
        g_log->per_thread[static_cast<std::size_t>(ctx.thread_index)].push_back(op);
    }
    void check(InvariantSink&, CheckPoint when) override {
        (when == CheckPoint::final ? g_log->final_checks : g_log->quiescent_checks)++;
    }
};

TargetSpec make_recorder() {
    TargetSpec s;
    s.info.name = "recorder";
    s.info.description = "records the ops it is given (runner tests)";
    s.info.variants = {{"safe", "", ""}};
    s.info.ops = {{"a", ""}, {"b", ""}, {"boom", "throws"}};
    s.info.invariants = {{"nothing", ""}};
    s.create = [](const TargetConfig& c) { return std::make_unique<Recorder>(c); };
    return s;
}
TM_REGISTER_TARGET(make_recorder);

Scenario scenario(const std::string& body) {
    const std::string text = "name = \"r\"\ntarget = \"recorder\"\n" + body;
    return parse_scenario(text, "runner-test.toml", Registry::instance().catalog());
}

RecorderLog run(const Scenario& sc, std::uint64_t seed, Measurement* m = nullptr) {
    RecorderLog log;
    g_log = &log;
    const Measurement result = run_job(sc, *Registry::instance().find("recorder"), "safe", seed, RunnerOptions{});
    if (m) *m = result;
    g_log = nullptr;
    return log;
}

bool same_ops(const RecorderLog& x, const RecorderLog& y) {
    if (x.per_thread.size() != y.per_thread.size()) return false;
    for (std::size_t t = 0; t < x.per_thread.size(); ++t) {
        const auto& a = x.per_thread[t];
        const auto& b = y.per_thread[t];
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (a[i].index != b[i].index || a[i].key != b[i].key || a[i].arg != b[i].arg) return false;
        }
    }
    return true;
}

const char* k_two_groups = R"(
iterations = 500
[keys]
count = 100
distribution = "zipf"
[[group]]
name = "g1"
threads = 2
mix = { a = 3, b = 1 }
[[group]]
name = "g2"
threads = 1
mix = { b = 1 }
)";

TEST(Runner, SameSeedGivesEveryThreadTheSameOpsKeysAndArgs) {
    const Scenario sc = scenario(k_two_groups);
    const RecorderLog first = run(sc, 42);
    const RecorderLog second = run(sc, 42);
    ASSERT_EQ(first.per_thread.size(), 3u);
    EXPECT_EQ(first.per_thread[0].size(), 500u);
    EXPECT_TRUE(same_ops(first, second));
    // Threads of one group differ from each other, and another seed differs.
    EXPECT_FALSE(first.per_thread[0][0].arg == first.per_thread[1][0].arg &&
                 first.per_thread[0][1].arg == first.per_thread[1][1].arg);
    EXPECT_FALSE(same_ops(first, run(sc, 43)));
}

TEST(Runner, MixWeightsAndGroupsAreRespected) {
    const RecorderLog log = run(scenario(k_two_groups), 7);
    int a = 0;
    for (const auto& op : log.per_thread[0]) a += op.index == 0;
    EXPECT_GT(a, 300);  // weight 3 of 4: expected 375 of 500
    EXPECT_LT(a, 450);
    for (const auto& op : log.per_thread[2]) EXPECT_EQ(op.index, 1);  // g2 only runs b
    for (const auto& ops : log.per_thread)
        for (const auto& op : ops) EXPECT_LT(op.key, 100u);
}

TEST(Runner, RoundsRunTheRequestedOpsAndCheckpoints) {
    Measurement m;
    const RecorderLog log = run(scenario(R"(
iterations = 100
[sync]
mode = "rounds"
ops_per_round = 30
checkpoint = 2
[[group]]
name = "g"
threads = 2
mix = { a = 1 }
)"),
                                5, &m);
    EXPECT_EQ(log.per_thread[0].size(), 100u);
    EXPECT_EQ(log.per_thread[1].size(), 100u);
    EXPECT_EQ(m.rounds, 4u);  // 30 + 30 + 30 + 10
    EXPECT_EQ(log.quiescent_checks, 1);  // after round 2; round 4 is the end
    EXPECT_EQ(log.final_checks, 1);
    EXPECT_EQ(m.total_ops, 200u);
    ASSERT_EQ(m.invariants.size(), 1u);
    EXPECT_EQ(m.invariants[0].checks, 2u);
}

TEST(Runner, DurationModeStopsAndRecordsLatency) {
    Measurement m;
    run(scenario(R"(
duration = "50ms"
[[group]]
name = "g"
threads = 2
mix = { a = 1, b = 1 }
)"),
        9, &m);
    EXPECT_GT(m.total_ops, 0u);
    EXPECT_GT(m.wall_seconds, 0.0);
    ASSERT_EQ(m.ops.size(), 2u);
    std::uint64_t sum = 0;
    for (const auto& op : m.ops) {
        sum += op.count;
        EXPECT_LE(op.p50, op.p99);
        EXPECT_LE(op.p99, op.max);
    }
    EXPECT_EQ(sum, m.total_ops);
}

TEST(Runner, ExceptionsFromOperationsAreRecordedNotPropagated) {
    Measurement m;
    run(scenario(R"(
iterations = 50
[[group]]
name = "g"
threads = 1
mix = { a = 1, boom = 1 }
)"),
        3, &m);
    std::uint64_t thrown = 0;
    for (const auto& op : m.ops) {
        if (op.name == "boom") {
            thrown = op.exceptions;
            EXPECT_EQ(op.first_exception, "boom on purpose");
        }
    }
    EXPECT_GT(thrown, 0u);
}

// ---- Lockstep ----------------------------------------------------------------------------------

/// A counter every `bump` adds one to; the arbiter reports it, the reset puts it back to 0 and
/// counts itself. Without the reset the arbiter would see 2, 4, 6, ...
struct TallyLog {
    std::atomic<int> resets{0};
    std::atomic<int> arbiters{0};
};
TallyLog g_tally;

struct Tally {
    explicit Tally(const Setup& setup) : arbiter_throws(setup.variant() == "arbiter_throws") {}
    const bool arbiter_throws;
    std::atomic<int> count{0};
    void bump(Call&) { count.fetch_add(1, std::memory_order_relaxed); }
    void noop(Call&) {}
    void observe(RoundOutcome& out) {
        g_tally.arbiters.fetch_add(1);
        out.add(count.load(std::memory_order_relaxed));
        if (arbiter_throws) throw std::runtime_error("cannot read the count");
    }
    void reset() {
        g_tally.resets.fetch_add(1);
        count.store(0, std::memory_order_relaxed);
    }
};

THREADMILL_TARGET(target<Tally>("tally")
                      .describe("a counter, an arbiter and a reset (runner tests)")
                      .variant("safe", "counts")
                      .variant("arbiter_throws", "its arbiter throws after appending the count")
                      .op("bump", &Tally::bump, "count += 1")
                      .op("noop", &Tally::noop, "nothing")
                      .arbiter(&Tally::observe, "the count")
                      .reset(&Tally::reset));

Measurement run_tally(const std::string& body, std::uint64_t seed = 1, const std::string& variant = "safe") {
    g_tally.resets = 0;
    g_tally.arbiters = 0;
    const std::string text = "name = \"t\"\ntarget = \"tally\"\n" + body +
                             "[sync]\nmode = \"lockstep\"\n[[outcome]]\nmatch = \"*\"\ngrade = \"acceptable\"\n";
    const Scenario sc = parse_scenario(text, "tally.toml", Registry::instance().catalog());
    return run_job(sc, *Registry::instance().find("tally"), variant, seed, RunnerOptions{});
}

std::uint64_t counted(const Measurement& m) {
    std::uint64_t n = m.outcomes_uncounted;
    for (const auto& r : m.outcomes) n += r.count;
    return n;
}

TEST(RunnerLockstep, EveryThreadRunsOneOpPerRoundOnFreshState) {
    const Measurement m = run_tally(R"(
iterations = 300
[[group]]
name = "g"
threads = 2
mix = { bump = 1 }
)");
    EXPECT_EQ(m.rounds, 300u);  // iterations are rounds
    EXPECT_EQ(m.total_ops, 600u);
    ASSERT_EQ(m.outcomes.size(), 1u);
    EXPECT_EQ(m.outcomes[0].result, "2");  // both bumps, and never what an earlier round left
    EXPECT_EQ(m.outcomes[0].count, 300u);
    EXPECT_EQ(m.outcomes_uncounted, 0u);
    EXPECT_EQ(g_tally.arbiters.load(), 300);
    EXPECT_EQ(g_tally.resets.load(), 299);  // between rounds: none after the last
}

TEST(RunnerLockstep, EachGroupDrawsItsOpFromItsMixAndCountsSumToRounds) {
    const Measurement m = run_tally(R"(
iterations = 400
[[group]]
name = "actor"
mix = { bump = 1 }
[[group]]
name = "mixed"
threads = 2
mix = { bump = 1, noop = 1 }
)",
                                    7);
    EXPECT_EQ(m.rounds, 400u);
    EXPECT_EQ(counted(m), 400u);
    EXPECT_EQ(m.total_ops, 1200u);
    // The actor always bumps; the two others bump or not: 1, 2 or 3, each seen in 400 rounds.
    ASSERT_EQ(m.outcomes.size(), 3u);
    for (const auto& r : m.outcomes) EXPECT_TRUE(r.result == "1" || r.result == "2" || r.result == "3") << r.result;
    EXPECT_EQ(g_tally.resets.load(), 399);
}

TEST(RunnerLockstep, DurationDecidesTheRoundsAndEveryRoundIsCounted) {
    const Measurement m = run_tally(R"(
duration = "30ms"
[[group]]
name = "g"
threads = 2
mix = { bump = 1 }
)");
    EXPECT_GT(m.rounds, 0u);
    EXPECT_EQ(counted(m), m.rounds);
    EXPECT_EQ(m.total_ops, 2 * m.rounds);
    EXPECT_EQ(static_cast<std::uint64_t>(g_tally.resets.load()) + 1, m.rounds);
}

TEST(RunnerLockstep, AnArbiterThatThrowsMakesItsMessageTheResult) {
    const Measurement m = run_tally("iterations = 20\n[[group]]\nname = \"g\"\nmix = { bump = 1 }\n", 1, "arbiter_throws");
    ASSERT_EQ(m.outcomes.size(), 1u);
    EXPECT_EQ(m.outcomes[0].result, "arbiter threw: cannot read the count");  // what it appended is dropped
    EXPECT_EQ(m.outcomes[0].count, 20u);
    EXPECT_EQ(g_tally.resets.load(), 19);  // the rounds go on
}

TEST(RunnerLockstep, AnotherModeNeverCallsTheArbiter) {
    g_tally.arbiters = 0;
    const std::string text = "name = \"t\"\ntarget = \"tally\"\niterations = 50\n"
                             "[[group]]\nname = \"g\"\nthreads = 2\nmix = { bump = 1 }\n";
    const Scenario sc = parse_scenario(text, "tally.toml", Registry::instance().catalog());
    const Measurement m = run_job(sc, *Registry::instance().find("tally"), "safe", 1, RunnerOptions{});
    EXPECT_EQ(g_tally.arbiters.load(), 0);
    EXPECT_TRUE(m.outcomes.empty());
}

}  // namespace
}  // namespace threadmill
