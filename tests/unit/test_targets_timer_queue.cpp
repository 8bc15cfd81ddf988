// Tests of the `timer_queue` target: BroadcastTimer, TimerQueue, the owner thread, and the adapter's invariants.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/target_fixture.hpp"

#include "api/rng.hpp"
#include "api/target.hpp"
#include "targets/timer_queue/broadcast_timer.hpp"
#include "targets/timer_queue/timer_queue.hpp"

namespace threadmill {
namespace timer_queue {
/// Failure messages name the status.
void PrintTo(WaitStatus s, std::ostream* os) { *os << to_string(s); }
}  // namespace timer_queue

namespace {

using timer_queue::BroadcastTimer;
using threadmill::ManualClock;
using timer_queue::OperationKind;
using timer_queue::OwnerObserver;
using timer_queue::TimerOperation;
using timer_queue::TimerQueue;
using timer_queue::TimerQueueOptions;
using timer_queue::TimingEvent;
using namespace std::chrono_literals;

constexpr Nanos k_wait = 5s;

// ---- BroadcastTimer -------------------------------------------------------------------------

TEST(BroadcastTimer, CountsDownPerFrameAndFires) {
    BroadcastTimer t;
    t.start_show(10ms);
    t.schedule_break_warnings(3ms);
    EXPECT_TRUE(t.is_timer_active(TimingEvent::show_end));
    EXPECT_EQ(t.time_until(TimingEvent::show_end), 10ms);
    EXPECT_FALSE(t.is_timer_active(TimingEvent::ad_break_end));
    EXPECT_EQ(t.time_until(TimingEvent::ad_break_end), 0ns);

    t.process(3ms);
    EXPECT_EQ(t.time_until(TimingEvent::show_end), 7ms);
    EXPECT_FALSE(t.is_timer_active(TimingEvent::break_warning)) << "reaching zero stops it";
    EXPECT_EQ(t.fired()[1], 1u);
    t.process(7ms);
    EXPECT_FALSE(t.is_show_active_unchecked());
    EXPECT_EQ(t.fired()[0], 1u);
    EXPECT_EQ(t.owner_violations(), 0u);
}

TEST(BroadcastTimer, StopShowStopsEveryCountdown) {
    BroadcastTimer t;
    t.start_show(10ms);
    t.start_ad_break(1ms);
    t.schedule_break_warnings(2ms);
    t.stop_show();
    for (auto e : {TimingEvent::show_end, TimingEvent::break_warning, TimingEvent::ad_break_end}) {
        EXPECT_FALSE(t.is_timer_active(e)) << timer_queue::to_string(e);
    }
}

TEST(BroadcastTimer, CountsCallsFromAnotherThread) {
    BroadcastTimer t;  // owned by this thread
    std::thread([&t] {
        t.start_show(1ms);
        (void)t.is_timer_active(TimingEvent::show_end);
    }).join();
    EXPECT_EQ(t.owner_violations(), 2u);
    t.set_owner(std::thread::id{});
    t.stop_show();
    EXPECT_EQ(t.owner_violations(), 3u);
}

// ---- TimerQueue without an owner thread: validation and the bound ---------------------------

TEST(TimerQueue, RejectsInvalidArgumentsBeforeQueuing) {
    BroadcastTimer timer;
    ManualClock clock(100);
    TimerQueue q(timer, clock);
    EXPECT_FALSE(q.start_show(0ns));
    EXPECT_FALSE(q.start_show(-10ms));
    EXPECT_FALSE(q.start_ad_break(0ns));
    EXPECT_FALSE(q.schedule_break_warnings(-1ns));
    EXPECT_FALSE(q.get_time_until(TimingEvent::show_end, {}));
    EXPECT_FALSE(q.is_timer_active(TimingEvent::ad_break_end, {}));
    EXPECT_TRUE(q.start_show(1ms));
    const auto s = q.stats();
    EXPECT_EQ(s.rejected, 6u);
    EXPECT_EQ(s.accepted, 1u);
    EXPECT_EQ(q.queue_size(), 1u);
    EXPECT_FALSE(q.debug_info().initialized);
}

TEST(TimerQueue, DropsTheOldestOnOverflowAndCountsIt) {
    BroadcastTimer timer;
    ManualClock clock;
    TimerQueueOptions o;
    o.max_queue = 3;
    TimerQueue q(timer, clock, o);
    for (std::uint64_t i = 1; i <= 5; ++i) ASSERT_TRUE(q.start_show(1ms, i));
    ASSERT_TRUE(q.get_time_until(TimingEvent::show_end, [](Nanos) {}, 6));
    ASSERT_TRUE(q.stop_show(7));
    const auto s = q.stats();
    EXPECT_EQ(s.accepted, 7u);
    EXPECT_EQ(s.dropped, 4u);
    EXPECT_EQ(s.dropped_queries, 0u);
    EXPECT_EQ(s.queued, 3u);
    EXPECT_EQ(s.high_water, 3u);
    ASSERT_TRUE(q.stop_show(8));
    EXPECT_EQ(q.stats().dropped_queries, 0u);
    ASSERT_TRUE(q.stop_show(9));  // drops the query
    EXPECT_EQ(q.stats().dropped_queries, 1u);
    const auto view = q.pause_and_inspect(0ns);
    ASSERT_TRUE(view.has_value()) << "no pump is requested before the first start()";
    EXPECT_FALSE(view->running);
    EXPECT_EQ(view->stats.queued, 3u) << "kept for the first start()";
    EXPECT_EQ(view->stats.unpumped, 0u) << "no owner runs: nothing is owed a pump yet";
}

TEST(TimerQueue, UnboundedMutantGrowsPastTheBound) {
    BroadcastTimer timer;
    ManualClock clock;
    TimerQueueOptions o;
    o.max_queue = 3;
    o.faults.unbounded = true;
    TimerQueue q(timer, clock, o);
    for (int i = 0; i < 10; ++i) q.stop_show();
    EXPECT_EQ(q.stats().high_water, 10u);
    EXPECT_EQ(q.stats().dropped, 0u);
}

TEST(TimerQueue, OperationsAreImmutableRecordsWithCreationTimeAndId) {
    BroadcastTimer timer;
    ManualClock clock(1234);
    struct Recorder : OwnerObserver {
        std::vector<std::pair<std::int64_t, std::optional<std::uint64_t>>> seen;
        void applied(const TimerOperation& op) override { seen.emplace_back(op.created_at_ns(), op.id()); }
    } rec;
    TimerQueue q(timer, clock, {}, &rec);
    q.start_show(5ms, 42);
    clock.advance(10ns);
    q.stop_show();
    q.start();
    ASSERT_TRUE(q.pause_and_inspect(k_wait).has_value());
    ASSERT_EQ(rec.seen.size(), 2u);
    EXPECT_EQ(rec.seen[0].first, 1234);
    EXPECT_EQ(rec.seen[0].second, std::optional<std::uint64_t>(42));
    EXPECT_EQ(rec.seen[1].first, 1244);
    EXPECT_FALSE(rec.seen[1].second.has_value());
}

// ---- The owner thread -----------------------------------------------------------------------

TEST(TimerQueue, OwnerAppliesInOrderAndAnswersOnItsThread) {
    BroadcastTimer timer;
    ManualClock clock;
    TimerQueueOptions o;
    o.batch_size = 4;
    TimerQueue q(timer, clock, o);
    q.start();
    const auto owner = q.owner_id();
    ASSERT_NE(owner, std::this_thread::get_id());

    std::vector<std::thread::id> threads;
    std::vector<std::int64_t> answers;
    std::mutex m;
    for (int i = 1; i <= 50; ++i) {
        ASSERT_TRUE(q.start_show(Nanos(i * 1000)));
        ASSERT_TRUE(q.get_time_until(TimingEvent::show_end, [&, i](Nanos left) {
            std::lock_guard lk(m);
            threads.push_back(std::this_thread::get_id());
            answers.push_back(left.count() - i * 1000);
        }));
    }
    const auto view = q.pause_and_inspect(k_wait);
    ASSERT_TRUE(view.has_value());
    EXPECT_EQ(view->stats.queued, 0u);
    EXPECT_EQ(view->stats.processed, 100u);
    std::lock_guard lk(m);
    ASSERT_EQ(answers.size(), 50u) << "every callback once";
    for (std::size_t i = 0; i < answers.size(); ++i) {
        EXPECT_EQ(threads[i], owner);
        EXPECT_EQ(answers[i], 0) << "each query sees the start_show queued just before it (clock unchanged)";
    }
    EXPECT_EQ(timer.owner_violations(), 0u);
    EXPECT_TRUE(q.debug_info().initialized);
    EXPECT_EQ(q.debug_info().operations_processed, 100u);
    EXPECT_TRUE(q.is_show_active());
    q.stop();
    EXPECT_FALSE(q.debug_info().initialized);
}

/// Queues `queries` queries whose callbacks throw after answering, then a last one that does not.
void throwing_callbacks(TimerQueue& q, int queries, std::atomic<int>& answered) {
    for (int i = 0; i < queries; ++i) {
        ASSERT_TRUE(q.get_time_until(TimingEvent::show_end, [&answered](Nanos) {
            answered.fetch_add(1);
            throw std::runtime_error("a caller's callback fails");
        }));
    }
    ASSERT_TRUE(q.get_time_until(TimingEvent::show_end, [&answered](Nanos) { answered.fetch_add(1); }));
}

TEST(TimerQueue, AThrowingCallbackIsCountedAndTheOwnerGoesOn) {
    BroadcastTimer timer;
    ManualClock clock;
    TimerQueue q(timer, clock, TimerQueueOptions{});
    q.start();
    std::atomic<int> answered{0};
    throwing_callbacks(q, 5, answered);
    const auto view = q.pause_and_inspect(k_wait);
    ASSERT_TRUE(view.has_value());
    EXPECT_EQ(view->stats.processed, 6u);
    EXPECT_EQ(view->stats.callback_errors, 5u);
    EXPECT_EQ(answered.load(), 6);
    q.stop();
}

TEST(TimerQueueDeathTest, WithoutItsTryCatchTheOwnerEndsTheProcess) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_DEATH(
        {
            BroadcastTimer timer;
            ManualClock clock;
            TimerQueueOptions o;
            o.faults.unguarded_apply = true;
            TimerQueue q(timer, clock, o);
            q.start();
            std::atomic<int> answered{0};
            throwing_callbacks(q, 1, answered);
            (void)q.pause_and_inspect(k_wait);
        },
        "a caller's callback fails");  // libstdc++'s terminate handler prints the exception's what()
}

TEST(TimerQueue, ManyProducersNothingLostNothingStranded) {
    BroadcastTimer timer;
    ManualClock clock;
    TimerQueue q(timer, clock);
    q.start();
    std::atomic<int> answered{0};
    constexpr int k_threads = 3;
    constexpr int k_each = 2000;
    std::vector<std::thread> producers;
    for (int t = 0; t < k_threads; ++t) {
        producers.emplace_back([&] {
            for (int i = 0; i < k_each; ++i) {
                if (i % 2 == 0) {
                    q.start_ad_break(1ms);
                } else {
                    q.is_timer_active(TimingEvent::ad_break_end, [&](bool) { answered.fetch_add(1); });
                }
            }
        });
    }
    for (auto& p : producers) p.join();
    const auto view = q.pause_and_inspect(k_wait);
    ASSERT_TRUE(view.has_value());
    const auto& s = view->stats;
    EXPECT_EQ(s.queued, 0u);
    EXPECT_EQ(s.accepted, static_cast<std::uint64_t>(k_threads * k_each));
    EXPECT_EQ(s.accepted, s.processed + s.dropped);
    EXPECT_LE(s.high_water, 1000u);
    EXPECT_EQ(static_cast<std::uint64_t>(answered.load()) + s.dropped_queries,
              static_cast<std::uint64_t>(k_threads * k_each / 2));
    EXPECT_EQ(timer.owner_violations(), 0u);
}

TEST(TimerQueue, LostWakeupMutantStrandsAnOperation) {
    // The gap of lost_wakeup (between its test of the drain state and its push) lets the owner
    // finish the drain it was seen running: the push then comes with no pump requested.
    for (const bool mutant : {false, true}) {
        BroadcastTimer timer;
        ManualClock clock;
        std::promise<void> release;
        std::shared_future<void> released = release.get_future().share();
        std::promise<void> in_callback;
        TimerQueue* queue = nullptr;
        bool armed = false;  // only stop_show(7) goes through the gap
        TimerQueueOptions o;
        o.faults.pump_test_outside = mutant;
        o.gap = [&] {
            if (!armed) return;
            release.set_value();  // let the drain finish...
            ASSERT_TRUE(queue->pause_and_inspect(k_wait).has_value());  // ...and go idle
        };
        TimerQueue q(timer, clock, o);
        queue = &q;
        q.start();
        q.is_timer_active(TimingEvent::show_end, [&](bool) {
            in_callback.set_value();
            released.wait();
        });
        in_callback.get_future().wait();  // the owner is draining
        armed = true;
        q.stop_show(7);
        if (!mutant) release.set_value();
        const auto view = q.pause_and_inspect(k_wait);
        ASSERT_TRUE(view.has_value());
        EXPECT_EQ(view->stats.unpumped, mutant ? 1u : 0u);
        if (mutant) {
            EXPECT_EQ(view->stats.queued, 1u);
            EXPECT_EQ(view->queued_ids, std::vector<std::uint64_t>{7});
        } else {
            EXPECT_EQ(view->stats.queued, 0u);
        }
    }
}

TEST(TimerQueue, DirectCallMutantTouchesTheTimerFromTheCaller) {
    BroadcastTimer timer;
    ManualClock clock;
    TimerQueueOptions o;
    o.faults.direct_call = true;
    TimerQueue q(timer, clock, o);
    q.start();
    std::thread::id answered_on;
    q.start_show(1ms);
    q.get_time_until(TimingEvent::show_end, [&](Nanos) { answered_on = std::this_thread::get_id(); });
    EXPECT_EQ(timer.owner_violations(), 2u);
    EXPECT_EQ(answered_on, std::this_thread::get_id());
}

// ---- Lifecycle: stop racing calls, waiters, restart ------------------------------------------

using timer_queue::WaitResult;
using timer_queue::WaitStatus;

/// Polls `done` every millisecond for at most k_wait; whether it became true.
template <typename Pred>
bool eventually(Pred done) {
    const auto until = std::chrono::steady_clock::now() + k_wait;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= until) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

/// Holds the owner thread inside a query's callback until open() (or the latch's destruction:
/// declare it after the queue, so that it opens before the queue joins its owner).
class OwnerLatch {
public:
    /// Queues the query that blocks the owner, and waits until the owner is inside it.
    void hold(TimerQueue& q) {
        ASSERT_TRUE(q.is_timer_active(TimingEvent::show_end, [this, released = m_released](bool) {
            m_entered.set_value();
            released.wait();  // its own copy: the latch may be gone once it is open
        }));
        ASSERT_EQ(m_entered.get_future().wait_for(k_wait), std::future_status::ready);
    }
    void open() {
        if (m_open) return;
        m_open = true;
        m_release.set_value();
    }
    ~OwnerLatch() { open(); }

private:
    std::promise<void> m_entered;
    std::promise<void> m_release;
    std::shared_future<void> m_released = m_release.get_future().share();
    bool m_open = false;
};

TEST(TimerQueueLifecycle, ARaceWithStopIsAppliedCancelledOrRefused) {
    BroadcastTimer timer;
    ManualClock clock;
    TimerQueue q(timer, clock);
    OwnerLatch latch;
    q.start();
    latch.hold(q);  // the owner holds a batch of one: the latch's query
    ASSERT_TRUE(q.stop_show(1));
    ASSERT_TRUE(q.start_show(5ms, 2));
    bool answered = false;
    ASSERT_TRUE(q.get_time_until(TimingEvent::show_end, [&](Nanos) { answered = true; }, 3));
    auto stopper = std::async(std::launch::async, [&] { q.stop(); });
    ASSERT_TRUE(eventually([&] { return !q.accepting(); })) << "stop() closes the queue before it joins";
    EXPECT_EQ(q.queue_size(), 0u) << "in the same critical section it cancels what was queued";
    EXPECT_FALSE(q.stop_show(4)) << "a call after the close is refused";
    EXPECT_FALSE(q.start_show(-1ms)) << "an invalid one is still rejected";
    EXPECT_EQ(stopper.wait_for(0s), std::future_status::timeout) << "the owner still holds its batch";
    latch.open();
    ASSERT_EQ(stopper.wait_for(k_wait), std::future_status::ready);
    const auto s = q.stats();
    EXPECT_EQ(s.accepted, 4u);
    EXPECT_EQ(s.processed, 1u) << "the batch in hand is applied";
    EXPECT_EQ(s.cancelled, 3u);
    EXPECT_EQ(s.cancelled_queries, 1u);
    EXPECT_EQ(s.refused, 1u);
    EXPECT_EQ(s.rejected, 1u);
    EXPECT_EQ(s.queued, 0u);
    EXPECT_EQ(s.accepted, s.processed + s.dropped + s.cancelled + s.queued);
    EXPECT_FALSE(answered) << "a cancelled query's callback never runs";
    EXPECT_FALSE(q.debug_info().initialized);
}

TEST(TimerQueueLifecycle, AWaiterGetsTheOwnersAnswerAndIsRefusedOnceStopped) {
    BroadcastTimer timer;
    ManualClock clock;
    TimerQueue q(timer, clock);
    q.start();
    ASSERT_TRUE(q.start_show(5ms));
    const WaitResult r = q.wait_time_until(TimingEvent::show_end, k_wait, 9);
    EXPECT_EQ(r.status, WaitStatus::answered);
    EXPECT_EQ(r.left, 5ms) << "the clock has not moved";
    q.stop();
    EXPECT_EQ(q.wait_time_until(TimingEvent::show_end, k_wait).status, WaitStatus::refused);
    const auto s = q.stats();
    EXPECT_EQ(s.refused, 1u);
    EXPECT_EQ(s.processed, 2u);
}

TEST(TimerQueueLifecycle, StopReleasesABlockedWaiterBeforeItJoins) {
    // A waiter's query queued behind a batch the owner holds: stop() cancels it and releases the
    // waiter with `stopped` while it still waits for the owner. The mutant drops the query and
    // leaves the waiter blocked until its own timeout.
    for (const bool mutant : {false, true}) {
        SCOPED_TRACE(mutant ? "stop_strands_waiters" : "safe");
        BroadcastTimer timer;
        ManualClock clock;
        TimerQueueOptions o;
        o.faults.stop_strands_waiters = mutant;
        TimerQueue q(timer, clock, o);
        OwnerLatch latch;
        q.start();
        latch.hold(q);
        const Nanos timeout = mutant ? Nanos(300ms) : k_wait;
        auto waiter = std::async(std::launch::async, [&] { return q.wait_time_until(TimingEvent::show_end, timeout); });
        ASSERT_TRUE(eventually([&] { return q.queue_size() == 1; })) << "the waiter's query is queued";
        auto stopper = std::async(std::launch::async, [&] { q.stop(); });
        ASSERT_TRUE(eventually([&] { return !q.accepting(); })) << "stop() has closed the queue";
        if (!mutant) {
            ASSERT_EQ(waiter.wait_for(k_wait), std::future_status::ready);
            EXPECT_EQ(waiter.get().status, WaitStatus::stopped);
            EXPECT_EQ(stopper.wait_for(0s), std::future_status::timeout) << "released before stop() joined";
        }
        latch.open();
        ASSERT_EQ(stopper.wait_for(k_wait), std::future_status::ready);
        EXPECT_EQ(q.stats().cancelled_queries, 1u);
        if (mutant) {
            EXPECT_EQ(waiter.get().status, WaitStatus::timed_out) << "nothing released it";
        }
    }
}

TEST(TimerQueueLifecycle, AWaiterWhoseQueryIsDroppedIsReleased) {
    BroadcastTimer timer;
    ManualClock clock;
    TimerQueueOptions o;
    o.max_queue = 1;
    TimerQueue q(timer, clock, o);  // not started: calls are kept
    auto waiter = std::async(std::launch::async, [&] { return q.wait_time_until(TimingEvent::ad_break_end, k_wait); });
    ASSERT_TRUE(eventually([&] { return q.queue_size() == 1; }));
    ASSERT_TRUE(q.stop_show());  // overflow: the waiter's query is the oldest
    ASSERT_EQ(waiter.wait_for(k_wait), std::future_status::ready);
    EXPECT_EQ(waiter.get().status, WaitStatus::dropped);
    EXPECT_EQ(q.stats().dropped_queries, 1u);
}

TEST(TimerQueueLifecycle, StopBeforeTheFirstStartCancelsWhatWasKept) {
    BroadcastTimer timer;
    ManualClock clock;
    TimerQueue q(timer, clock);
    ASSERT_TRUE(q.start_show(1ms));
    ASSERT_TRUE(q.stop_show());
    EXPECT_TRUE(q.accepting());
    q.stop();
    EXPECT_FALSE(q.accepting());
    EXPECT_FALSE(q.stop_show());
    auto s = q.stats();
    EXPECT_EQ(s.cancelled, 2u);
    EXPECT_EQ(s.refused, 1u);
    EXPECT_EQ(s.queued, 0u);
    q.start();
    ASSERT_TRUE(q.stop_show());
    const auto view = q.pause_and_inspect(k_wait);
    ASSERT_TRUE(view.has_value());
    EXPECT_EQ(view->stats.processed, 1u) << "only the call made after start(); nothing refused is kept";
    EXPECT_TRUE(view->running);
}

TEST(TimerQueueLifecycle, RestartRunsANewOwnerThatAppliesNewCalls) {
    BroadcastTimer timer;
    ManualClock clock;
    TimerQueue q(timer, clock);
    q.start();
    ASSERT_TRUE(q.start_show(10ms));
    ASSERT_TRUE(q.pause_and_inspect(k_wait).has_value());
    q.stop();
    q.stop();  // idempotent
    EXPECT_FALSE(q.debug_info().initialized);
    q.start();
    q.start();  // running: nothing
    const auto second = q.owner_id();  // a new thread (its id may equal the joined first's)
    std::promise<std::pair<std::thread::id, Nanos>> got;
    ASSERT_TRUE(q.get_time_until(TimingEvent::show_end,
                                 [&](Nanos left) { got.set_value({std::this_thread::get_id(), left}); }));
    auto answer = got.get_future();
    ASSERT_EQ(answer.wait_for(k_wait), std::future_status::ready);
    const auto [thread, left] = answer.get();
    EXPECT_EQ(thread, second);
    EXPECT_NE(thread, std::this_thread::get_id());
    EXPECT_EQ(left, 10ms) << "the timer keeps its countdowns across a restart";
    const auto view = q.pause_and_inspect(k_wait);
    ASSERT_TRUE(view.has_value());
    EXPECT_EQ(view->stats.starts, 2u);
    EXPECT_EQ(view->stats.unpumped, 0u);
    EXPECT_TRUE(q.debug_info().initialized);
    EXPECT_EQ(timer.owner_violations(), 0u);
}

TEST(TimerQueueLifecycle, StartAndStopFromManyThreadsKeepEveryCount) {
    BroadcastTimer timer;
    ManualClock clock;
    TimerQueueOptions o;
    o.max_queue = 32;
    TimerQueue q(timer, clock, o);
    std::atomic<bool> done{false};
    std::atomic<std::uint64_t> accepted{0};
    std::atomic<std::uint64_t> answered{0};
    std::atomic<std::uint64_t> waits_answered{0};
    std::vector<std::thread> callers;
    for (int t = 0; t < 2; ++t) {
        callers.emplace_back([&] {
            while (!done.load()) {
                if (q.start_ad_break(1ms)) accepted.fetch_add(1);
                if (q.is_timer_active(TimingEvent::ad_break_end, [&](bool) { answered.fetch_add(1); })) {
                    accepted.fetch_add(1);
                }
                const WaitResult r = q.wait_time_until(TimingEvent::ad_break_end, k_wait);
                ASSERT_NE(r.status, WaitStatus::timed_out);
                if (r.status != WaitStatus::refused) accepted.fetch_add(1);
                if (r.status == WaitStatus::answered) waits_answered.fetch_add(1);
            }
        });
    }
    std::vector<std::thread> lifecycle;
    for (int t = 0; t < 3; ++t) {
        lifecycle.emplace_back([&, t] {
            for (int i = 0; i < 200; ++i) {
                if ((i + t) % 2 == 0) {
                    q.start();
                } else {
                    q.stop();
                }
            }
        });
    }
    for (auto& th : lifecycle) th.join();
    q.start();
    done.store(true);
    for (auto& th : callers) th.join();
    q.stop();
    const auto s = q.stats();
    EXPECT_EQ(s.accepted, accepted.load());
    EXPECT_EQ(s.accepted, s.processed + s.dropped + s.cancelled);
    EXPECT_EQ(s.queued, 0u) << "stop() leaves nothing queued";
    EXPECT_EQ(s.pushed_while_closed, 0u);
    EXPECT_EQ(s.unpumped, 0u);
    EXPECT_LE(answered.load() + waits_answered.load(), s.processed);
    EXPECT_EQ(timer.owner_violations(), 0u);
}

TEST(TimerQueueLifecycle, EnqueueRacesStopMutantQueuesIntoAClosedQueue) {
    // The mutant's window (between its test "is the queue open" and its push) holds a whole
    // stop(): the push then lands in the closed, cancelled queue, where nothing applies it. The
    // correct call has no window: its test and its push share one critical section.
    for (const bool mutant : {false, true}) {
        SCOPED_TRACE(mutant ? "enqueue_races_stop" : "safe");
        BroadcastTimer timer;
        ManualClock clock;
        TimerQueue* queue = nullptr;
        int gaps = 0;
        TimerQueueOptions o;
        o.faults.open_test_outside = mutant;
        o.gap = [&] {
            ++gaps;
            std::thread([&] { queue->stop(); }).join();
        };
        TimerQueue q(timer, clock, o);
        queue = &q;
        q.start();
        EXPECT_TRUE(q.stop_show(7)) << "the queue was open when the call began";
        const auto view = q.pause_and_inspect(k_wait);
        ASSERT_TRUE(view.has_value());
        if (mutant) {
            EXPECT_EQ(gaps, 1);
            EXPECT_FALSE(view->running);
            EXPECT_EQ(view->stats.pushed_while_closed, 1u);
            EXPECT_EQ(view->stats.queued, 1u) << "stranded in a stopped queue";
            EXPECT_EQ(view->queued_ids, std::vector<std::uint64_t>{7});
            q.start();  // and applied after the restart, against the contract (it should have been refused)
            const auto later = q.pause_and_inspect(k_wait);
            ASSERT_TRUE(later.has_value());
            EXPECT_EQ(later->stats.processed, 1u);
        } else {
            EXPECT_EQ(gaps, 0);
            EXPECT_TRUE(view->running);
            EXPECT_EQ(view->stats.pushed_while_closed, 0u);
            EXPECT_EQ(view->stats.processed, 1u);
        }
    }
}

TEST(TimerQueueLifecycle, ReadyOnceMutantRequestsNoPumpAfterARestart) {
    for (const bool mutant : {false, true}) {
        SCOPED_TRACE(mutant ? "ready_once" : "safe");
        BroadcastTimer timer;
        ManualClock clock;
        TimerQueueOptions o;
        o.faults.ready_once = mutant;
        TimerQueue q(timer, clock, o);
        q.start();
        q.stop();
        q.start();
        EXPECT_EQ(q.debug_info().initialized, !mutant);
        ASSERT_TRUE(q.stop_show(3));
        const auto view = q.pause_and_inspect(k_wait);
        ASSERT_TRUE(view.has_value());
        EXPECT_TRUE(view->running);
        EXPECT_EQ(view->stats.unpumped, mutant ? 1u : 0u);
        EXPECT_EQ(view->stats.queued, mutant ? 1u : 0u) << "the owner runs, idle, with nothing asked of it";
        EXPECT_EQ(view->stats.processed, mutant ? 0u : 1u);
    }
}

// ---- The adapter ----------------------------------------------------------------------------

const TargetSpec& timer_queue_spec() { return testing::registered_target("timer_queue"); }

/// One target instance with its parameters and one ThreadContext per thread.
struct Fixture : testing::TargetFixture {
    explicit Fixture(const std::string& variant, int threads = 1, std::map<std::string, ParamValue> overrides = {})
        : TargetFixture(timer_queue_spec(), variant, threads, overrides, 1) {}
    /// The timer ops take no key: only an argument.
    void run(std::string_view name, std::uint64_t arg, int thread = 0) { TargetFixture::run(name, 0, arg, thread); }
};

/// Every operation but the lifecycle ones (start, stop, restart).
const char* const k_all_ops[] = {"start_show",      "stop_show",       "schedule_break_warnings",
                                 "start_ad_break",  "time_until",      "is_timer_active",
                                 "wait_time_until", "queue_size",      "is_show_active",
                                 "debug_info"};

void run_mix(Fixture& f, int thread, int count, std::uint64_t seed) {
    Rng rng(seed);
    for (int i = 0; i < count; ++i) {
        f.run(k_all_ops[rng.below(std::size(k_all_ops))], rng.next(), thread);
    }
}

TEST(TimerQueueTarget, DeclaresItsCatalog) {
    const auto& info = timer_queue_spec().info;
    EXPECT_EQ(info.seed, "000_a55ad4930e1f86da.txt");
    ASSERT_EQ(info.variants.size(), 11u);
    EXPECT_TRUE(info.variants[0].is_safe());
    for (std::size_t i = 1; i < info.variants.size(); ++i) EXPECT_FALSE(info.variants[i].is_safe());
    EXPECT_EQ(info.ops.size(), 13u);
    EXPECT_EQ(info.invariants.size(), 8u);
    EXPECT_EQ(std::get<std::int64_t>(info.param("max_queue")->default_value), 1000);
}

TEST(TimerQueueTarget, SafeHoldsEveryInvariantOnOneThread) {
    Fixture f("safe");
    InvariantSink sink(f.info.invariants.size());
    for (int round = 0; round < 20; ++round) {
        run_mix(f, 0, 200, 1 + static_cast<std::uint64_t>(round));
        f.check(sink, CheckPoint::quiescent);
    }
    f.check(sink, CheckPoint::final);
    for (const auto& inv : f.info.invariants) {
        EXPECT_EQ(f.violations(sink, inv.name), 0u) << inv.name << "\n" << f.details(sink);
    }
}

TEST(TimerQueueTarget, SafeHoldsEveryInvariantOnThreeThreadsWithOverflow) {
    Fixture f("safe", 3, {{"max_queue", std::int64_t{16}}, {"apply_cost", Nanos(2us)}});
    InvariantSink sink(f.info.invariants.size());
    for (int round = 0; round < 10; ++round) {
        std::vector<std::thread> threads;
        for (int t = 0; t < 3; ++t) {
            threads.emplace_back([&, t] { run_mix(f, t, 300, 100 * static_cast<std::uint64_t>(round) + 7 * t); });
        }
        for (auto& th : threads) th.join();
        f.check(sink, CheckPoint::quiescent);
    }
    f.check(sink, CheckPoint::final);
    for (const auto& inv : f.info.invariants) {
        EXPECT_EQ(f.violations(sink, inv.name), 0u) << inv.name << "\n" << f.details(sink);
    }
}

TEST(TimerQueueTarget, DirectCallBreaksOwnerThreadOnly) {
    Fixture f("direct_call");
    InvariantSink sink(f.info.invariants.size());
    f.run("start_show", 1 << 8 | 1);
    f.run("time_until", 1);
    f.check(sink, CheckPoint::final);
    EXPECT_EQ(f.violations(sink, "owner_thread_only"), 1u) << f.details(sink);
    EXPECT_EQ(f.violations(sink, "query_exactly_once"), 1u) << "the callback ran on the caller";
}

TEST(TimerQueueTarget, UnboundedBreaksQueueBounded) {
    // A slow owner (1ms per operation) and 20 operations at once: the queue passes its bound of 4.
    Fixture f("unbounded", 1, {{"max_queue", std::int64_t{4}}, {"apply_cost", Nanos(1ms)}});
    InvariantSink sink(f.info.invariants.size());
    for (std::uint64_t i = 1; i <= 20; ++i) f.run("stop_show", i);
    f.check(sink, CheckPoint::final);
    EXPECT_GE(f.violations(sink, "queue_bounded"), 1u) << f.details(sink);
    EXPECT_EQ(f.violations(sink, "accounting"), 0u) << f.details(sink);
}

TEST(TimerQueueTarget, SafeHoldsEveryInvariantWithLifecycleCallsRacing) {
    // Two callers (blocking queries too) against a small queue, while a third thread stops,
    // starts and restarts it; the rounds may end with the queue stopped.
    Fixture f("safe", 3, {{"max_queue", std::int64_t{16}}, {"apply_cost", Nanos(2us)}});
    InvariantSink sink(f.info.invariants.size());
    const char* const lifecycle_ops[] = {"restart", "stop", "start", "restart"};
    for (int round = 0; round < 10; ++round) {
        std::vector<std::thread> threads;
        for (int t = 0; t < 2; ++t) {
            threads.emplace_back([&, t] { run_mix(f, t, 300, 1000 * static_cast<std::uint64_t>(round) + 7 * t); });
        }
        threads.emplace_back([&] {
            Rng rng(50 + static_cast<std::uint64_t>(round));
            for (int i = 0; i < 30; ++i) {
                f.run(lifecycle_ops[rng.below(std::size(lifecycle_ops))], 0, 2);
                f.run("queue_size", 0, 2);
            }
        });
        for (auto& th : threads) th.join();
        f.check(sink, CheckPoint::quiescent);
    }
    f.check(sink, CheckPoint::final);
    for (const auto& inv : f.info.invariants) {
        EXPECT_EQ(f.violations(sink, inv.name), 0u) << inv.name << "\n" << f.details(sink);
    }
}

TEST(TimerQueueTarget, CallsRefusedWhileStoppedAreCounted) {
    Fixture f("safe");
    InvariantSink sink(f.info.invariants.size());
    f.run("stop", 0);
    f.run("stop_show", 1);
    f.run("start_show", 1 << 8 | 1);
    f.run("wait_time_until", 1);
    f.check(sink, CheckPoint::quiescent);
    f.run("start", 0);
    f.run("stop_show", 2);
    f.run("wait_time_until", 2);
    f.check(sink, CheckPoint::final);
    for (const auto& inv : f.info.invariants) {
        EXPECT_EQ(f.violations(sink, inv.name), 0u) << inv.name << "\n" << f.details(sink);
    }
}

TEST(TimerQueueTarget, ReadyOnceBreaksNothingStrandedAndWaitersReleased) {
    // After a restart nothing requests a pump: the blocking query waits out its 10ms timeout and
    // stays queued, with the owner running and idle.
    Fixture f("ready_once", 1, {{"wait_timeout", Nanos(10ms)}});
    InvariantSink sink(f.info.invariants.size());
    f.run("restart", 0);
    f.run("wait_time_until", 1);
    EXPECT_EQ(f.violations(sink, "waiters_released"), 1u) << "online, when the wait timed out";
    f.check(sink, CheckPoint::final);
    EXPECT_GE(f.violations(sink, "nothing_stranded"), 1u) << f.details(sink);
    EXPECT_EQ(f.violations(sink, "accounting"), 0u) << f.details(sink);
}

}  // namespace
}  // namespace threadmill
