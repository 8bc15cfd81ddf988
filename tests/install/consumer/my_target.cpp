// The install test's own target: an adapter around my::Counter, built against the installed target API only.
#include <atomic>
#include <cstdint>
#include <string>

#include "api/threadmill.hpp"
#include "my_counter.hpp"

namespace {

using threadmill::Call;
using threadmill::Check;

class CounterAdapter {
public:
    explicit CounterAdapter(const threadmill::Setup& setup) : m_counter(mode_of(setup.variant())) {}

    void add(Call&) {
        m_counter.add();
        m_adds.fetch_add(1, std::memory_order_relaxed);
    }

    void read(Call&) { m_reads.fetch_add(m_counter.value() > 0 ? 1 : 0, std::memory_order_relaxed); }

    void total(Check& check) {
        const std::uint64_t adds = m_adds.load(std::memory_order_relaxed);
        if (m_counter.value() != adds) {
            check.fail("value " + std::to_string(m_counter.value()) + " after " + std::to_string(adds) + " adds");
        }
    }

private:
    static my::Mode mode_of(const std::string& variant) {
        if (variant == "forgetful") return my::Mode::forgetful;
        if (variant == "unlocked") return my::Mode::unlocked;
        return my::Mode::correct;
    }

    my::Counter m_counter;
    std::atomic<std::uint64_t> m_adds{0};
    std::atomic<std::uint64_t> m_reads{0};  // keeps the reads from being optimized away
};

THREADMILL_TARGET(threadmill::target<CounterAdapter>("install_counter")
                      .describe("a counter behind a mutex (threadmill's install test)")
                      .variant("safe", "counts every add")
                      .mutant("forgetful", "invariant:total", "never counts an add")
                      .mutant("unlocked", "race", "adds without the lock")
                      .op("add", &CounterAdapter::add, "adds one")
                      .op("read", &CounterAdapter::read, "reads the value")
                      .invariant("total", &CounterAdapter::total, "the value equals the number of adds"));

}  // namespace
