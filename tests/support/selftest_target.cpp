// The `selftest` target: variants that crash, abort, hang, throw, exit, run slowly or break an
// invariant on purpose, so that tests can check the supervisor turns each into a result.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "api/target.hpp"

namespace {

using namespace threadmill;

enum Variant : int { k_safe, k_crash, k_abort, k_hang, k_throw, k_exit, k_slow, k_broken };
enum Inv : int { k_ops_counted };

class Selftest final : public TargetInstance {
public:
    explicit Selftest(const TargetConfig& c) : m_variant(c.variant), m_trigger(static_cast<std::uint64_t>(c.params->integer("trigger_after"))) {}

    void run(const Op& op, ThreadContext&) override {
        const std::uint64_t n = m_ops.fetch_add(1, std::memory_order_relaxed) + 1;
        if (op.index != 0 || n < m_trigger) return;  // op 0 is `work`; op 1 `idle` never misbehaves
        switch (m_variant) {
            case k_crash: *static_cast<volatile int*>(nullptr) = 1; break;
            case k_abort: std::abort();
            case k_hang:
                for (;;) std::this_thread::sleep_for(std::chrono::milliseconds(10));
            case k_throw: throw std::runtime_error(fmt::format("thrown on purpose at op {}", n));
            case k_exit: std::_Exit(9);
            case k_slow: std::this_thread::sleep_for(std::chrono::microseconds(300)); break;
            default: break;
        }
    }

    void check(InvariantSink& sink, CheckPoint when) override {
        if (m_variant == k_broken && when == CheckPoint::final)
            sink.fail(k_ops_counted, fmt::format("reported broken on purpose after {} ops", m_ops.load()));
    }

private:
    int m_variant;
    std::uint64_t m_trigger;
    std::atomic<std::uint64_t> m_ops{0};
};

TargetSpec make_selftest() {
    TargetSpec s;
    s.info.name = "selftest";
    s.info.description = "misbehaves on purpose: the harness's own supervisor tests";
    s.info.variants = {{"safe", "does nothing wrong", ""},
                       {"crash", "writes through a null pointer (SIGSEGV)", "crash"},
                       {"abort", "calls std::abort (SIGABRT)", "crash"},
                       {"hang", "never returns from an operation", "timeout"},
                       {"throw", "throws from an operation", "exception"},
                       {"exit", "exits the process with status 9", "crash"},
                       {"slow", "sleeps 300us in every `work` op", "slo"},
                       {"broken", "reports its invariant broken at the end", "invariant:ops_counted"}};
    s.info.ops = {{"work", "misbehaves per the variant once trigger_after ops have run"}, {"idle", "does nothing"}};
    s.info.params = {integer_param("trigger_after", 100, 1, std::int64_t{1} << 40,
                                   "ops (over all threads) before the variant misbehaves")};
    s.info.invariants = {{"ops_counted", "always holds, except in the broken variant"}};
    s.create = [](const TargetConfig& c) { return std::make_unique<Selftest>(c); };
    return s;
}

TM_REGISTER_TARGET(make_selftest);

}  // namespace
