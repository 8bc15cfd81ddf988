// The `selftest` target: variants that crash, abort, hang, throw, exit, run slowly or break an
// invariant on purpose, so that tests can check the supervisor turns each into a result.
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "api/threadmill.hpp"

namespace {

using threadmill::Call;
using threadmill::Check;

class Selftest {
public:
    explicit Selftest(const threadmill::Setup& setup)
        : m_variant(setup.variant()),
          m_trigger(static_cast<std::uint64_t>(setup.params().integer("trigger_after"))),
          m_flaky_failing(m_variant == "alternating" && odd_run()) {}

    void work(Call&) {
        const std::uint64_t n = count();
        if (n < m_trigger) return;
        if (m_variant == "crash") {
            *static_cast<volatile int*>(nullptr) = 1;
        } else if (m_variant == "abort") {
            std::abort();
        } else if (m_variant == "hang") {
            for (;;) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        } else if (m_variant == "throw") {
            throw std::runtime_error(fmt::format("thrown on purpose at op {}", n));
        } else if (m_variant == "exit") {
            std::_Exit(9);
        } else if (m_flaky_failing) {
            throw std::runtime_error(fmt::format("thrown on purpose at op {} of an odd-numbered run", n));
        } else if (m_variant == "slow") {
            std::this_thread::sleep_for(std::chrono::microseconds(300));
        }
    }

    void idle(Call&) {
        count();
        m_round_ops.fetch_add(1, std::memory_order_relaxed);
    }

    /// Lockstep: how many `idle` ops this round ran; the reset starts the next round from 0.
    void round_ops(threadmill::RoundOutcome& out) { out.add(m_round_ops.load(std::memory_order_relaxed)); }
    void next_round() {
        m_round_ops.store(0, std::memory_order_relaxed);
        const std::uint64_t n = m_ops.load();
        if (m_variant == "reset_throws" && n >= m_trigger)
            throw std::runtime_error(fmt::format("reset thrown on purpose after {} ops", n));
    }

    void ops_counted(Check& check) {
        if (m_variant == "broken" && check.is_final()) {
            check.fail(fmt::format("reported broken on purpose after {} ops", m_ops.load()));
        }
    }

    void teardown() {
        if (m_variant == "teardown_throws") throw std::logic_error("teardown thrown on purpose");
    }

private:
    /// `alternating`: counts this run in the file $TM_SELFTEST_RUN_COUNTER and says whether its
    /// number is odd, so that the runs of one job fail and pass in turn whatever the seed (a
    /// deterministic stand-in for a flaky failure). Without the variable, no run fails.
    static bool odd_run() {
        const char* path = std::getenv("TM_SELFTEST_RUN_COUNTER");
        if (path == nullptr || *path == '\0') return false;
        std::uint64_t runs = 0;
        if (std::FILE* f = std::fopen(path, "r")) {
            if (std::fscanf(f, "%" SCNu64, &runs) != 1) runs = 0;
            std::fclose(f);
        }
        ++runs;
        if (std::FILE* f = std::fopen(path, "w")) {
            std::fprintf(f, "%" PRIu64 "\n", runs);
            std::fclose(f);
        }
        return runs % 2 == 1;
    }

    /// Counts an operation of any kind; returns how many ran so far, this one included.
    std::uint64_t count() { return m_ops.fetch_add(1, std::memory_order_relaxed) + 1; }

    const std::string m_variant;
    const std::uint64_t m_trigger;
    const bool m_flaky_failing;
    std::atomic<std::uint64_t> m_ops{0};
    std::atomic<std::uint64_t> m_round_ops{0};
};

THREADMILL_TARGET(
    threadmill::target<Selftest>("selftest")
        .describe("misbehaves on purpose: the harness's own supervisor tests")
        .variant("safe", "does nothing wrong")
        .mutant("crash", "crash", "writes through a null pointer (SIGSEGV)")
        .mutant("abort", "crash", "calls std::abort (SIGABRT)")
        .mutant("hang", "timeout", "never returns from an operation")
        .mutant("throw", "exception", "throws from an operation")
        .mutant("exit", "crash", "exits the process with status 9")
        .mutant("slow", "slo", "sleeps 300us in every `work` op")
        .mutant("broken", "invariant:ops_counted", "reports its invariant broken at the end")
        .mutant("reset_throws", "exception", "throws from the reset between rounds once trigger_after ops have run")
        .mutant("teardown_throws", "exception", "throws from its teardown, before the final check")
        .mutant("alternating", "exception",
                "throws from an operation in odd-numbered runs, counted in the file $TM_SELFTEST_RUN_COUNTER (never "
                "without it): a flaky failure that --confirm can count")
        .param(threadmill::integer_param("trigger_after", 100, 1, std::int64_t{1} << 40,
                                         "ops (over all threads) before the variant misbehaves"))
        .op("work", &Selftest::work, "misbehaves per the variant once trigger_after ops have run")
        .op("idle", &Selftest::idle, "does nothing (counted per lockstep round)")
        .invariant("ops_counted", &Selftest::ops_counted, "always holds, except in the broken variant")
        .arbiter(&Selftest::round_ops, "the idle ops of the round")
        .reset(&Selftest::next_round)
        .teardown(&Selftest::teardown));

}  // namespace
