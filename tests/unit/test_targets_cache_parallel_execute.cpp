// Tests of parallel_execute and its WorkerPool: results in key order, partial failure, timeouts, reuse and bounds.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "api/rng.hpp"
#include "targets/cache/parallel_execute.hpp"

namespace threadmill {
namespace {

using cache::KeyResult;
using cache::KeyStatus;
using cache::parallel_execute;
using cache::WorkerPool;
using namespace std::chrono_literals;

/// The bound on every wait for background threads; reaching it is a failure, not a timing check.
constexpr auto k_patience = 10s;

/// A one-shot gate a test opens; waiting gives up after k_patience (and says so).
class Gate {
public:
    void open() {
        {
            const std::lock_guard guard(m_mutex);
            m_open = true;
        }
        m_cv.notify_all();
    }
    /// True once open; false if it stayed closed for k_patience.
    bool wait() {
        std::unique_lock guard(m_mutex);
        return m_cv.wait_for(guard, k_patience, [&] { return m_open; });
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_open = false;
};

/// Waits (up to k_patience) until `done` holds, yielding meanwhile.
template <class Pred>
bool eventually(Pred done) {
    const auto until = std::chrono::steady_clock::now() + k_patience;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= until) return false;
        std::this_thread::yield();
    }
    return true;
}

std::uint64_t square_plus_one(std::uint64_t key) { return key * key + 1; }

std::vector<std::uint64_t> iota_keys(std::uint64_t n, std::uint64_t first = 0) {
    std::vector<std::uint64_t> keys(n);
    std::iota(keys.begin(), keys.end(), first);
    return keys;
}

/// Every result is `ok` with square_plus_one of the key at its position.
void expect_all_squares(const std::vector<std::uint64_t>& keys, const std::vector<KeyResult>& results) {
    ASSERT_EQ(results.size(), keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
        EXPECT_EQ(results[i].key, keys[i]) << i;
        EXPECT_EQ(results[i].status, KeyStatus::ok) << i << ": " << results[i].error;
        EXPECT_EQ(results[i].value, square_plus_one(keys[i])) << i;
        EXPECT_TRUE(results[i].error.empty()) << i;
    }
}

// ---- WorkerPool ---------------------------------------------------------------------------------

TEST(WorkerPool, RejectsZeroThreads) { EXPECT_THROW(WorkerPool(0), std::invalid_argument); }

TEST(WorkerPool, HasDistinctThreadsOtherThanTheCaller) {
    WorkerPool pool(3);
    EXPECT_EQ(pool.size(), 3u);
    const std::set<std::thread::id> ids(pool.thread_ids().begin(), pool.thread_ids().end());
    EXPECT_EQ(ids.size(), 3u);
    EXPECT_FALSE(ids.contains(std::this_thread::get_id()));
}

TEST(WorkerPool, RunsEverySubmittedTaskBeforeJoining) {
    std::atomic<int> ran{0};
    Gate gate;  // outlives the pool, whose tasks use it
    {
        WorkerPool pool(2);
        pool.submit([&] { gate.wait(); });  // holds a thread, so that tasks are likely still queued below
        for (int i = 0; i < 1000; ++i) pool.submit([&] { ran.fetch_add(1, std::memory_order_relaxed); });
        // A task queued by a task during destruction runs too.
        pool.submit([&] { pool.submit([&] { ran.fetch_add(1000, std::memory_order_relaxed); }); });
        gate.open();
    }
    EXPECT_EQ(ran.load(), 2000);
}

// ---- parallel_execute: results --------------------------------------------------------------------

TEST(ParallelExecute, EveryKeyGetsItsValueInKeyOrder) {
    WorkerPool pool(4);
    std::vector<std::uint64_t> keys = iota_keys(200);
    Rng rng(11);
    for (std::size_t i = keys.size(); i > 1; --i) std::swap(keys[i - 1], keys[rng.below(i)]);
    for (const std::size_t max_parallel : {0u, 1u, 3u, 50u}) {
        expect_all_squares(keys, parallel_execute(pool, keys, square_plus_one, {.max_parallel = max_parallel}));
    }
}

TEST(ParallelExecute, NoKeysGiveNoResultsAndRunNothing) {
    WorkerPool pool(2);
    std::atomic<int> calls{0};
    const auto results = parallel_execute(pool, {}, [&](std::uint64_t k) {
        ++calls;
        return k;
    });
    EXPECT_TRUE(results.empty());
    EXPECT_EQ(calls.load(), 0);
}

TEST(ParallelExecute, ARepeatedKeyRunsOncePerPosition) {
    WorkerPool pool(2);
    std::atomic<int> calls{0};
    const std::vector<std::uint64_t> keys = {5, 7, 5, 5};
    const auto results = parallel_execute(pool, keys, [&](std::uint64_t k) {
        ++calls;
        return square_plus_one(k);
    });
    expect_all_squares(keys, results);
    EXPECT_EQ(calls.load(), 4);
}

/// Throws for key 4 (a std::exception) and key 7 (not one); squares the rest.
std::uint64_t fails_on_4_and_7(std::uint64_t key) {
    if (key == 4) throw std::runtime_error("no product 4");
    if (key == 7) throw 7;
    return square_plus_one(key);
}

TEST(ParallelExecute, AFailingOperationFailsOnlyItsOwnKey) {
    WorkerPool pool(3);
    const auto keys = iota_keys(10);
    const auto results = parallel_execute(pool, keys, fails_on_4_and_7);
    ASSERT_EQ(results.size(), keys.size()) << "partial failure keeps every result";
    for (std::size_t i = 0; i < keys.size(); ++i) {
        EXPECT_EQ(results[i].key, keys[i]);
        if (keys[i] == 4) {
            EXPECT_EQ(results[i].status, KeyStatus::failed);
            EXPECT_EQ(results[i].error, "no product 4");
        } else if (keys[i] == 7) {
            EXPECT_EQ(results[i].status, KeyStatus::failed);
            EXPECT_EQ(results[i].error, "unknown exception");
        } else {
            EXPECT_EQ(results[i].status, KeyStatus::ok) << i;
            EXPECT_EQ(results[i].value, square_plus_one(keys[i]));
        }
    }
    EXPECT_EQ(fmt::format("{}", results[4].status), "failed");
}

// ---- parallel_execute: timeouts -----------------------------------------------------------------

TEST(ParallelExecute, ASlowOperationTimesOutAndItsLateResultIsDropped) {
    // Declared before the pool: the late task still refers to them while the pool drains.
    Gate release;
    std::atomic<bool> slow_returned{false};
    std::vector<KeyResult> results;
    std::vector<KeyResult> seen;
    {
        WorkerPool pool(2);
        const std::vector<std::uint64_t> keys = {1, 2, 3};
        results = parallel_execute(
            pool, keys,
            [&](std::uint64_t k) {
                if (k == 2) {
                    release.wait();  // opened only after the call has returned
                    slow_returned = true;
                }
                return square_plus_one(k);
            },
            {.timeout = 50ms});
        seen = results;
        ASSERT_EQ(results.size(), 3u);
        EXPECT_EQ(results[1].key, 2u);
        EXPECT_EQ(results[1].status, KeyStatus::timed_out) << "it cannot finish before the call returns";
        EXPECT_EQ(results[1].value, 0u);
        EXPECT_FALSE(slow_returned.load()) << "the call did not wait for it";
        // The quick keys are ok unless the machine was too slow to run them within the timeout.
        for (const std::size_t i : {0u, 2u}) {
            EXPECT_EQ(results[i].key, keys[i]);
            if (results[i].status != KeyStatus::timed_out) {
                EXPECT_EQ(results[i].status, KeyStatus::ok);
                EXPECT_EQ(results[i].value, square_plus_one(keys[i]));
            }
        }
        release.open();
        // Later calls on the same pool are unaffected by the late task.
        expect_all_squares(keys, parallel_execute(pool, keys, square_plus_one));
    }  // joins the pool: the late task has stored (or dropped) its result by now
    EXPECT_TRUE(slow_returned.load());
    ASSERT_EQ(results.size(), seen.size());
    for (std::size_t i = 0; i < results.size(); ++i) {
        EXPECT_EQ(results[i].status, seen[i].status) << i;
        EXPECT_EQ(results[i].value, seen[i].value) << i;
    }
}

TEST(ParallelExecute, KeysNotStartedByTheDeadlineTimeOutAndNeverRun) {
    Gate release;
    std::mutex mutex;
    std::vector<std::uint64_t> ran;
    std::vector<KeyResult> results;
    {
        WorkerPool pool(1);  // one thread, so key 1 blocks every other key of the call
        const std::vector<std::uint64_t> keys = {1, 2, 3};
        results = parallel_execute(
            pool, keys,
            [&](std::uint64_t k) {
                {
                    const std::lock_guard guard(mutex);
                    ran.push_back(k);
                }
                if (k == 1) release.wait();
                return k;
            },
            {.timeout = 20ms});
        release.open();
    }
    ASSERT_EQ(results.size(), 3u);
    for (const auto& r : results) EXPECT_EQ(r.status, KeyStatus::timed_out) << r.key;
    EXPECT_EQ(ran, std::vector<std::uint64_t>{1}) << "a closed call's queued keys are skipped, not run";
}

TEST(ParallelExecute, KeysQueuedBehindAnotherCallTimeOutAndNeverRun) {
    Gate release;
    std::atomic<bool> blocker_started{false};
    std::atomic<int> second_calls{0};
    std::vector<KeyResult> first;
    {
        WorkerPool pool(1);
        std::thread other([&] {
            const std::vector<std::uint64_t> keys = {9};
            first = parallel_execute(pool, keys, [&](std::uint64_t k) {
                blocker_started = true;
                release.wait();
                return k;
            });
        });
        const bool blocked = eventually([&] { return blocker_started.load(); });
        EXPECT_TRUE(blocked) << "the first call's key never started";
        if (blocked) {
            const std::vector<std::uint64_t> keys = {1, 2};
            const auto second = parallel_execute(
                pool, keys,
                [&](std::uint64_t k) {
                    ++second_calls;
                    return k;
                },
                {.timeout = 10ms});
            EXPECT_EQ(second.size(), 2u);
            for (const auto& r : second) EXPECT_EQ(r.status, KeyStatus::timed_out) << r.key;
        }
        release.open();
        other.join();
    }
    EXPECT_EQ(second_calls.load(), 0);
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(first[0].status, KeyStatus::ok) << "the call without a timeout waited for its key";
    EXPECT_EQ(first[0].value, 9u);
}

TEST(ParallelExecute, AZeroTimeoutReturnsAtOnceWithWhateverFinished) {
    WorkerPool pool(2);
    const auto keys = iota_keys(50);
    for (int round = 0; round < 20; ++round) {
        const auto results = parallel_execute(pool, keys, square_plus_one, {.timeout = 0ns});
        ASSERT_EQ(results.size(), keys.size());
        for (std::size_t i = 0; i < keys.size(); ++i) {
            EXPECT_EQ(results[i].key, keys[i]);
            if (results[i].status == KeyStatus::ok) EXPECT_EQ(results[i].value, square_plus_one(keys[i]));
            else EXPECT_EQ(results[i].status, KeyStatus::timed_out);
        }
    }
}

// ---- parallel_execute: the pool -----------------------------------------------------------------

TEST(ParallelExecute, ReusesThePoolsThreadsAcrossCalls) {
    std::mutex mutex;
    std::set<std::thread::id> seen;
    WorkerPool pool(3);
    const std::set<std::thread::id> pool_ids(pool.thread_ids().begin(), pool.thread_ids().end());
    const auto keys = iota_keys(20);
    for (int call = 0; call < 50; ++call) {
        const auto results = parallel_execute(pool, keys, [&](std::uint64_t k) {
            const std::lock_guard guard(mutex);
            seen.insert(std::this_thread::get_id());
            return square_plus_one(k);
        });
        expect_all_squares(keys, results);
    }
    EXPECT_LE(seen.size(), pool.size());
    for (const auto& id : seen) EXPECT_TRUE(pool_ids.contains(id)) << "an operation ran outside the pool";
    EXPECT_FALSE(seen.contains(std::this_thread::get_id()));
}

/// Records the most operations seen running at once.
struct ConcurrencyMeter {
    std::atomic<int> running{0};
    std::atomic<int> most{0};

    std::uint64_t operator()(std::uint64_t key) {
        const int now = running.fetch_add(1) + 1;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        for (int i = 0; i < 20; ++i) std::this_thread::yield();  // let others overlap
        running.fetch_sub(1);
        return square_plus_one(key);
    }
};

TEST(ParallelExecute, MaxParallelBoundsTheOperationsRunningAtOnce) {
    WorkerPool pool(4);
    const auto keys = iota_keys(60);
    for (const std::size_t max_parallel : {1u, 2u, 3u, 0u, 9u}) {
        ConcurrencyMeter meter;
        expect_all_squares(
            keys, parallel_execute(pool, keys, std::ref(meter), {.max_parallel = max_parallel}));
        const int bound = static_cast<int>(max_parallel == 0 ? pool.size() : std::min(max_parallel, pool.size()));
        EXPECT_GE(meter.most.load(), 1);
        EXPECT_LE(meter.most.load(), bound) << "max_parallel " << max_parallel;
    }
}

TEST(ParallelExecute, RunsUpToMaxParallelOperationsTogether) {
    // Each operation waits until `width` operations have started: it finishes only if the call
    // really runs that many at once (the default width is the pool's size).
    WorkerPool pool(3);
    for (const std::size_t max_parallel : {0u, 2u}) {
        const std::size_t width = max_parallel == 0 ? pool.size() : max_parallel;
        std::atomic<std::size_t> started{0};
        const auto keys = iota_keys(width);
        const auto results = parallel_execute(pool, keys,
                                              [&](std::uint64_t k) {
                                                  ++started;
                                                  if (!eventually([&] { return started.load() >= width; })) {
                                                      throw std::runtime_error("the others never started");
                                                  }
                                                  return square_plus_one(k);
                                              },
                                              {.max_parallel = max_parallel});
        expect_all_squares(keys, results);
    }
}

TEST(ParallelExecute, ManyCallersShareOnePool) {
    // Meaningful under ThreadSanitizer and AddressSanitizer. Some calls have tiny timeouts, so
    // late tasks keep running (and are dropped) while other calls gather.
    WorkerPool pool(3);
    constexpr int k_callers = 4;
    constexpr int k_calls = 300;
    std::atomic<std::uint64_t> checked{0};
    std::atomic<std::uint64_t> timed_out{0};
    std::vector<std::thread> callers;
    for (int t = 0; t < k_callers; ++t) {
        callers.emplace_back([&, t] {
            Rng rng(100 + static_cast<std::uint64_t>(t));
            for (int call = 0; call < k_calls; ++call) {
                std::vector<std::uint64_t> keys(rng.below(25));
                for (auto& k : keys) k = rng.below(1000);
                const bool with_timeout = rng.chance(0.25);
                cache::ParallelOptions options{.max_parallel = rng.below(5)};
                if (with_timeout) options.timeout = std::chrono::nanoseconds(rng.below(50'000));
                // Captures nothing: a late copy may run after this thread has moved on.
                const auto results = parallel_execute(
                    pool, keys,
                    [](std::uint64_t k) -> std::uint64_t {
                        if (k % 13 == 0) throw std::runtime_error(fmt::format("bad key {}", k));
                        return k * 7 + 1;
                    },
                    options);
                ASSERT_EQ(results.size(), keys.size());
                for (std::size_t i = 0; i < keys.size(); ++i) {
                    const auto& r = results[i];
                    ASSERT_EQ(r.key, keys[i]);
                    if (with_timeout && r.status == KeyStatus::timed_out) {
                        ++timed_out;
                        continue;
                    }
                    if (keys[i] % 13 == 0) {
                        ASSERT_EQ(r.status, KeyStatus::failed);
                        ASSERT_EQ(r.error, fmt::format("bad key {}", keys[i]));
                    } else {
                        ASSERT_EQ(r.status, KeyStatus::ok);
                        ASSERT_EQ(r.value, keys[i] * 7 + 1);
                    }
                }
                checked += results.size();
            }
        });
    }
    for (auto& c : callers) c.join();
    EXPECT_GT(checked.load(), 0u);
    RecordProperty("timed_out", std::to_string(timed_out.load()));  // how often the late-task path ran
}

// ---- faults -------------------------------------------------------------------------------------
// Not run here: unlocked_results with several operations at once (concurrent unlocked inserts
// corrupt the std::map: memory corruption, its only effect) and late_write_after_timeout with
// an operation outliving a timeout (a heap-use-after-free). Both are left to the target's
// sanitizer flavors; below, each shows it behaves like the correct code where it is harmless.

TEST(ExecutorFaults, UnlockedResultsIsCorrectWithOneOperationAtATime) {
    const auto keys = iota_keys(40);
    {
        WorkerPool pool(1);
        expect_all_squares(keys, parallel_execute(pool, keys, square_plus_one, {.faults = {.unlocked_results = true}}));
    }
    {
        WorkerPool pool(3);  // several threads, but max_parallel 1: each insert happens-after the one before
        expect_all_squares(keys, parallel_execute(pool, keys, square_plus_one,
                                                  {.max_parallel = 1, .faults = {.unlocked_results = true}}));
    }
}

TEST(ExecutorFaults, ResultsLostOnFailureStopsAtTheFirstFailure) {
    WorkerPool pool(3);
    const auto keys = iota_keys(10);
    const cache::ParallelOptions lossy{.faults = {.results_lost_on_failure = true}};
    const auto results = parallel_execute(pool, keys, fails_on_4_and_7, lossy);
    ASSERT_EQ(results.size(), 5u) << "keys 0..3 and the failure of key 4; 5..9 are lost";
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(results[i].key, keys[i]);
        EXPECT_EQ(results[i].status, KeyStatus::ok);
        EXPECT_EQ(results[i].value, square_plus_one(keys[i]));
    }
    EXPECT_EQ(results[4].key, 4u);
    EXPECT_EQ(results[4].status, KeyStatus::failed);
    EXPECT_EQ(results[4].error, "no product 4");

    EXPECT_EQ(parallel_execute(pool, keys, fails_on_4_and_7).size(), keys.size()) << "the correct code keeps all";
    expect_all_squares(keys, parallel_execute(pool, keys, square_plus_one, lossy));  // no failure: nothing lost
}

TEST(ExecutorFaults, LateWriteAfterTimeoutReturnsEveryResultWithoutATimeout) {
    // Without a timeout the call outlives every task, so the state it alone owns is never
    // touched after it is freed (clean under ASan and TSan).
    WorkerPool pool(3);
    const auto keys = iota_keys(100);
    const cache::ParallelOptions late{.faults = {.late_write_after_timeout = true}};
    for (int round = 0; round < 20; ++round) {
        expect_all_squares(keys, parallel_execute(pool, keys, square_plus_one, late));
        const auto failing = parallel_execute(pool, keys, fails_on_4_and_7, late);
        ASSERT_EQ(failing.size(), keys.size());
        EXPECT_EQ(failing[4].status, KeyStatus::failed);
        EXPECT_EQ(failing[7].status, KeyStatus::failed);
        EXPECT_EQ(failing[99].value, square_plus_one(99));
    }
}

}  // namespace
}  // namespace threadmill
