// Unit tests of worker/barrier: one completion per round, no overtaking, visibility of writes.
#include "worker/barrier.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

namespace threadmill {
namespace {

// Runs `threads` threads through `rounds` rounds. Shared state that the barrier alone must
// order is plain (non-atomic), so a missing happens-before shows under ThreadSanitizer and a
// broken barrier shows as a wrong value. A failed check is counted rather than asserted in
// the thread, and reported once at the end.
void run_rounds(std::uint32_t threads, int rounds, std::chrono::microseconds stall = {}) {
    Barrier barrier(threads);
    ASSERT_EQ(barrier.participants(), threads);
    // Double-buffered: in round r a thread writes slot r % 2 and reads it after the barrier;
    // nobody can write that slot again (round r + 2) before everyone arrived at round r + 1.
    std::vector<std::uint64_t> data[2] = {std::vector<std::uint64_t>(threads), std::vector<std::uint64_t>(threads)};
    std::uint64_t completions = 0;           // plain: written only inside the completion
    std::atomic<std::uint64_t> arrivals{0};  // counted just before arriving
    std::atomic<std::uint64_t> passed{0};    // counted just after leaving
    std::atomic<int> failures{0};

    auto body = [&](std::uint32_t me) {
        for (int r = 0; r < rounds; ++r) {
            const auto round = static_cast<std::uint64_t>(r);
            data[r % 2][me] = round * 1000 + me;
            if (stall.count() > 0 && me == 0 && r % 4 == 0) std::this_thread::sleep_for(stall);
            arrivals.fetch_add(1, std::memory_order_relaxed);
            barrier.arrive_and_wait([&] {
                // Runs on the last arriver: every thread has arrived at this round, and none
                // has left it.
                if (arrivals.load(std::memory_order_relaxed) != (round + 1) * threads) ++failures;
                if (passed.load(std::memory_order_relaxed) != round * threads) ++failures;
                if (completions != round) ++failures;
                ++completions;
            });
            passed.fetch_add(1, std::memory_order_relaxed);
            // The completion ran once, before anyone left.
            if (completions != round + 1) ++failures;
            // Every thread's write of this round is visible.
            for (std::uint32_t other = 0; other < threads; ++other) {
                if (data[r % 2][other] != round * 1000 + other) ++failures;
            }
            // Nobody is past this round's barrier's successor: at most everyone but me arrived
            // at the next round.
            const std::uint64_t now = arrivals.load(std::memory_order_relaxed);
            if (now < (round + 1) * threads || now > (round + 2) * threads - 1) ++failures;
        }
    };

    std::vector<std::thread> pool;
    for (std::uint32_t t = 1; t < threads; ++t) pool.emplace_back(body, t);
    body(0);
    for (auto& t : pool) t.join();

    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(completions, static_cast<std::uint64_t>(rounds));
    EXPECT_EQ(passed.load(), static_cast<std::uint64_t>(rounds) * threads);
}

TEST(Barrier, OneThread) { run_rounds(1, 100); }
TEST(Barrier, TwoThreads) { run_rounds(2, 3000); }
TEST(Barrier, ThreeThreads) { run_rounds(3, 1000); }
TEST(Barrier, EightThreads) { run_rounds(8, 300); }

// One thread sleeps now and then before arriving, so the others run out of spinning and park
// on the futex: the wake path must not lose them. (The sleep shapes the schedule; nothing here
// asserts on time.)
TEST(Barrier, ParkedWaitersAreWoken) { run_rounds(2, 40, std::chrono::microseconds(500)); }
TEST(Barrier, ParkedWaitersAreWokenEightThreads) { run_rounds(8, 20, std::chrono::microseconds(500)); }

// More threads than cores, as most built-in scenarios run on 2 cores: the waiters take the
// yielding path, and every round's writes must still be visible after its barrier.
std::uint32_t more_than_cores(std::uint32_t extra) {
    return std::max(3u, std::thread::hardware_concurrency() + extra);
}

TEST(Barrier, MoreThreadsThanCoresYield) {
    EXPECT_TRUE(Barrier(more_than_cores(1)).oversubscribed());
    run_rounds(more_than_cores(1), 3000);
}
TEST(Barrier, MoreThreadsThanCoresManyRounds) { run_rounds(more_than_cores(6), 500); }

// Oversubscribed waiters out of yielding time park on the futex and must be woken, with the
// sleepers bit set by several of them; the rounds without the stall take the yield path.
TEST(Barrier, ParkedWaitersAreWokenMoreThreadsThanCores) {
    run_rounds(more_than_cores(1), 40, std::chrono::microseconds(500));
}

TEST(Barrier, AsManyThreadsAsCoresSpin) {
    const unsigned cores = std::thread::hardware_concurrency();
    if (cores == 0) GTEST_SKIP() << "unknown core count";
    EXPECT_FALSE(Barrier(cores).oversubscribed());
}

TEST(Barrier, ArriveWithoutCompletion) {
    Barrier barrier(2);
    std::uint64_t value = 0;
    std::uint64_t seen = 0;
    std::thread writer([&] {
        value = 42;
        barrier.arrive_and_wait();
    });
    barrier.arrive_and_wait();
    seen = value;
    writer.join();
    EXPECT_EQ(seen, 42u);
}

}  // namespace
}  // namespace threadmill
