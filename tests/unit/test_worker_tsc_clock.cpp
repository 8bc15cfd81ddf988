// Unit tests of worker/tsc_clock: the steady fallback, the TSC's calibration against
// steady_clock, and readings that stay ordered across threads.
#include "worker/tsc_clock.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

namespace threadmill {
namespace {

std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

TEST(TscClock, SteadyFallbackCountsNanoseconds) {
    const TscClock& clock = TscClock::steady();
    EXPECT_EQ(clock.source(), ClockSource::steady);
    EXPECT_EQ(clock.ns_per_tick(), 1.0);
    EXPECT_EQ(clock.to_ns(123456789), 123456789);
    EXPECT_EQ(clock.to_ns(-5), -5);
    const std::int64_t before = steady_ns();
    const std::uint64_t reading = clock.now();
    const std::int64_t after = steady_ns();
    EXPECT_GE(static_cast<std::int64_t>(reading), before);
    EXPECT_LE(static_cast<std::int64_t>(reading), after);
}

TEST(TscClock, ElapsedIsNeverNegative) {
    const TscClock& clock = TscClock::steady();
    EXPECT_EQ(clock.elapsed_ns(1000, 400), 0u);
    EXPECT_EQ(clock.elapsed_ns(400, 1000), 600u);
}

TEST(TscClock, ProcessClockIsChosenOnce) {
    const TscClock& clock = TscClock::process();
    EXPECT_EQ(&clock, &TscClock::process());
    if (clock.source() == ClockSource::tsc) {
        EXPECT_EQ(&clock, TscClock::tsc_untrusted());
    } else {
        EXPECT_EQ(&clock, &TscClock::steady());
    }
}

// The calibrated TSC against steady_clock over the same sleep, bracketed so that preemption
// cannot fail it: the TSC interval read inside the steady one is no longer than it, and the one
// read outside it no shorter, each within 5% (the calibration is good to about 1e-5; the
// bound only catches a wrong scale).
void expect_agrees_with_steady(const TscClock& clock) {
    for (const auto sleep : {std::chrono::milliseconds(20), std::chrono::milliseconds(50)}) {
        const std::uint64_t outer0 = clock.before_op();
        const std::int64_t steady0 = steady_ns();
        const std::uint64_t inner0 = clock.before_op();
        std::this_thread::sleep_for(sleep);
        const std::uint64_t inner1 = clock.after_op();
        const std::int64_t steady1 = steady_ns();
        const std::uint64_t outer1 = clock.after_op();
        const auto steady = static_cast<double>(steady1 - steady0);
        EXPECT_LE(static_cast<double>(clock.elapsed_ns(inner0, inner1)), steady * 1.05) << sleep.count() << " ms";
        EXPECT_GE(static_cast<double>(clock.elapsed_ns(outer0, outer1)), steady * 0.95) << sleep.count() << " ms";
        EXPECT_GE(steady, static_cast<double>(std::chrono::nanoseconds(sleep).count()));
    }
}

TEST(TscClock, TscAgreesWithSteadyClock) {
    const TscClock* tsc = TscClock::tsc_untrusted();
    if (tsc == nullptr) GTEST_SKIP() << "no TSC on this CPU";
    EXPECT_EQ(tsc->source(), ClockSource::tsc);
    EXPECT_GT(tsc->ns_per_tick(), 0.05);
    EXPECT_LT(tsc->ns_per_tick(), 20.0);
    expect_agrees_with_steady(*tsc);
}

TEST(TscClock, SteadyAgreesWithSteadyClock) { expect_agrees_with_steady(TscClock::steady()); }

// What the history check relies on: a reading taken after another thread's reading (ordered by
// a release/acquire hand-off) is not smaller, with whichever clock the process chose. Two
// threads bounce a token, each reading the clock when it holds it.
TEST(TscClock, ProcessClockReadingsAreOrderedAcrossThreads) {
    const TscClock& clock = TscClock::process();
    constexpr int k_bounces = 20000;
    std::atomic<int> turn{0};
    std::atomic<std::uint64_t> last{0};
    std::atomic<int> backwards{0};
    auto player = [&](int me) {
        for (int i = me; i < k_bounces; i += 2) {
            while (turn.load(std::memory_order_acquire) != i) std::this_thread::yield();
            const std::uint64_t now = clock.after_op();
            if (now < last.load(std::memory_order_relaxed)) backwards.fetch_add(1, std::memory_order_relaxed);
            last.store(now, std::memory_order_relaxed);
            turn.store(i + 1, std::memory_order_release);
        }
    };
    std::thread other(player, 1);
    player(0);
    other.join();
    EXPECT_EQ(backwards.load(), 0) << "clock source " << clock_source_name(clock.source());
}

}  // namespace
}  // namespace threadmill
