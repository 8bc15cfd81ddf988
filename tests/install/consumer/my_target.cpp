// The install test's own target: an adapter around my::Counter, built against the installed target API only.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "api/target.hpp"
#include "my_counter.hpp"

namespace {

using namespace threadmill;

enum Variant : int { k_safe, k_forgetful, k_unlocked };
enum OpIndex : int { k_add, k_read };
enum Inv : int { k_total };

class CounterTarget final : public TargetInstance {
public:
    explicit CounterTarget(const TargetConfig& c) : m_counter(mode_of(c.variant)) {}

    void run(const Op& op, ThreadContext&) override {
        if (op.index == k_add) {
            m_counter.add();
            m_adds.fetch_add(1, std::memory_order_relaxed);
        } else {
            m_reads.fetch_add(m_counter.value() > 0 ? 1 : 0, std::memory_order_relaxed);
        }
    }

    void check(InvariantSink& sink, CheckPoint) override {
        const std::uint64_t adds = m_adds.load(std::memory_order_relaxed);
        if (m_counter.value() != adds)
            sink.fail(k_total, "value " + std::to_string(m_counter.value()) + " after " + std::to_string(adds) + " adds");
    }

private:
    static my::Mode mode_of(int variant) {
        switch (variant) {
            case k_forgetful: return my::Mode::forgetful;
            case k_unlocked: return my::Mode::unlocked;
            default: return my::Mode::correct;
        }
    }

    my::Counter m_counter;
    std::atomic<std::uint64_t> m_adds{0};
    std::atomic<std::uint64_t> m_reads{0};  // keeps the reads from being optimized away
};

TargetSpec make_counter() {
    TargetSpec s;
    s.info.name = "install_counter";
    s.info.description = "a counter behind a mutex (threadmill's install test)";
    s.info.variants = {{"safe", "counts every add", ""},
                       {"forgetful", "never counts an add", "invariant:total"},
                       {"unlocked", "adds without the lock", "race"}};
    s.info.ops = {{"add", "adds one"}, {"read", "reads the value"}};
    s.info.invariants = {{"total", "the value equals the number of adds"}};
    s.create = [](const TargetConfig& c) { return std::make_unique<CounterTarget>(c); };
    return s;
}

TM_REGISTER_TARGET(make_counter);

}  // namespace
