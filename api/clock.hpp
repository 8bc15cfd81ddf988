// An injectable source of time for targets whose logic depends on "now" (expiry, cooldowns,
// frame time), so that unit tests can move time without sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace threadmill {

/// Nanoseconds on a monotonic clock. Implementations must be safe to call from any thread.
struct Clock {
    virtual ~Clock() = default;
    virtual std::int64_t now_ns() const = 0;
};

/// std::chrono::steady_clock: the clock of real runs.
class SteadyClock final : public Clock {
public:
    std::int64_t now_ns() const override {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }
};

/// A clock that moves only when told to.
class ManualClock final : public Clock {
public:
    explicit ManualClock(std::int64_t start_ns = 0) : m_now(start_ns) {}
    std::int64_t now_ns() const override { return m_now.load(std::memory_order_acquire); }
    /// Moves the clock forward by `by`; a negative step is ignored (the clock is monotonic).
    void advance(std::chrono::nanoseconds by) {
        if (by.count() > 0) m_now.fetch_add(by.count(), std::memory_order_acq_rel);
    }

private:
    std::atomic<std::int64_t> m_now;
};

/// The process-wide SteadyClock.
inline const Clock& steady_clock() {
    static const SteadyClock clock;
    return clock;
}

/// Busy-works (spins on the steady clock) for `d`; nothing when `d` is not positive. For a
/// component's simulated work that must keep its thread on its core: a sleep would give the core
/// away and round short waits up to the scheduler's tick.
inline void busy_for(std::chrono::nanoseconds d) {
    if (d.count() <= 0) return;
    const auto until = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < until) {
    }
}

}  // namespace threadmill
