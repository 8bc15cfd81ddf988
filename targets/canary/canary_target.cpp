// The `canary` target: a known data race and a known heap-use-after-free. If a sanitizer flavor
// does not catch these, it cannot be trusted to catch anything on this build and machine.
#include <atomic>
#include <cstdint>
#include <memory>

#include "api/threadmill.hpp"

namespace {

using threadmill::Call;

class Canary {
public:
    explicit Canary(const threadmill::Setup& setup)
        : m_race(setup.variant() == "race"), m_use_after_free(setup.variant() == "use_after_free") {}

    void bump(Call&) {
        if (m_race) {
            m_plain_counter = m_plain_counter + 1;  // the race: a plain read-modify-write
        } else {
            m_counter.fetch_add(1, std::memory_order_relaxed);
        }
    }

    void touch(Call& call) {
        auto cell = std::make_unique<std::uint64_t>(call.bits());
        std::uint64_t* raw = cell.get();
        if (m_use_after_free) {
            cell.reset();  // the use-after-free: freed, then read below
        }
// The use-after-free is the point of this variant: g++ sees it too, so silence that one warning.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuse-after-free"
#endif
        m_sink.store(*static_cast<volatile std::uint64_t*>(raw), std::memory_order_relaxed);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
    }

private:
    const bool m_race;
    const bool m_use_after_free;
    std::atomic<std::uint64_t> m_counter{0};
    std::uint64_t m_plain_counter = 0;
    std::atomic<std::uint64_t> m_sink{0};
};

THREADMILL_TARGET(
    threadmill::target<Canary>("canary")
        .describe("a known data race and a known use-after-free: proves the sanitizer flavors detect at all")
        .variant("safe", "an atomic counter and a heap cell read while it is alive")
        .mutant("race", "race", "every thread increments one plain integer")
        .mutant("use_after_free", "memory:heap-use-after-free", "`touch` reads a heap cell after freeing it")
        .op("bump", &Canary::bump, "increment the shared counter")
        .op("touch", &Canary::touch, "allocate a heap cell, read it, free it"));

}  // namespace
