// The `canary` target: a known data race and a known heap-use-after-free. If a sanitizer flavor
// does not catch these, it cannot be trusted to catch anything on this build and machine.
#include <atomic>
#include <memory>

#include "api/target.hpp"

namespace {

using namespace threadmill;

enum Variant : int { k_safe, k_race, k_use_after_free };
enum OpIndex : int { k_bump, k_touch };

class Canary final : public TargetInstance {
public:
    explicit Canary(const TargetConfig& c) : m_variant(c.variant) {}

    void run(const Op& op, ThreadContext&) override {
        if (op.index == k_bump) {
            if (m_variant == k_race) {
                m_plain_counter = m_plain_counter + 1;  // the race: a plain read-modify-write
            } else {
                m_counter.fetch_add(1, std::memory_order_relaxed);
            }
            return;
        }
        auto cell = std::make_unique<std::uint64_t>(op.arg);
        std::uint64_t* raw = cell.get();
        if (m_variant == k_use_after_free) {
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

    void check(InvariantSink&, CheckPoint) override {}

private:
    const int m_variant;
    std::atomic<std::uint64_t> m_counter{0};
    std::uint64_t m_plain_counter = 0;
    std::atomic<std::uint64_t> m_sink{0};
};

TargetSpec make_canary() {
    TargetSpec s;
    s.info.name = "canary";
    s.info.description = "a known data race and a known use-after-free: proves the sanitizer flavors detect at all";
    s.info.variants = {
        {"safe", "an atomic counter and a heap cell read while it is alive", ""},
        {"race", "every thread increments one plain integer", "race"},
        {"use_after_free", "`touch` reads a heap cell after freeing it", "memory:heap-use-after-free"},
    };
    s.info.ops = {{"bump", "increment the shared counter"}, {"touch", "allocate a heap cell, read it, free it"}};
    s.create = [](const TargetConfig& c) { return std::make_unique<Canary>(c); };
    return s;
}

TM_REGISTER_TARGET(make_canary);

}  // namespace
