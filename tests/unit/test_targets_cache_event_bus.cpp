// Tests of the `cache` target's EventBus: delivery, back-pressure, isolation, lifecycle and its four faults.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <numeric>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "api/rng.hpp"
#include "targets/cache/event_bus.hpp"

namespace threadmill {
namespace {

using cache::Event;
using cache::EventBus;
using cache::EventBusFaults;
using cache::EventBusStats;
using namespace std::chrono_literals;

/// How long a test waits for background threads before it gives up (never reached when all is well).
constexpr std::chrono::nanoseconds k_patience = 10s;

/// Polls `pred` until it holds; false if it still does not after k_patience.
template <class Pred>
bool eventually(Pred pred) {
    const auto until = std::chrono::steady_clock::now() + k_patience;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > until) return pred();
        std::this_thread::sleep_for(100us);
    }
    return true;
}

/// A one-shot gate: wait() blocks until open() (or, so that a failing test cannot hang, twice
/// k_patience; false then).
class Gate {
public:
    void open() {
        {
            const std::lock_guard lock(m_mutex);
            m_open = true;
        }
        m_cv.notify_all();
    }
    bool wait() {
        std::unique_lock lock(m_mutex);
        return m_cv.wait_for(lock, 2 * k_patience, [&] { return m_open; });
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_open = false;
};

/// Runs a function when it goes out of scope (a test's cleanup that must happen even after a failed ASSERT).
class Finally {
public:
    explicit Finally(std::function<void()> f) : m_f(std::move(f)) {}
    ~Finally() { m_f(); }
    Finally(const Finally&) = delete;
    Finally& operator=(const Finally&) = delete;

private:
    std::function<void()> m_f;
};

/// The events one subscriber got, in the order its calls ran.
class Recorder {
public:
    EventBus::Handler handler() {
        return [this](const Event& e) {
            const std::lock_guard lock(m_mutex);
            m_events.push_back(e);
        };
    }
    std::vector<Event> events() const {
        const std::lock_guard lock(m_mutex);
        return m_events;
    }
    /// The sequence numbers it got, sorted.
    std::vector<std::uint64_t> seqs() const {
        std::vector<std::uint64_t> out;
        for (const Event& e : events()) out.push_back(e.seq);
        std::sort(out.begin(), out.end());
        return out;
    }

private:
    mutable std::mutex m_mutex;
    std::vector<Event> m_events;
};

// ---- delivery -------------------------------------------------------------------------------

TEST(EventBus, DeliversEachEventOnceToEveryMatchingSubscriber) {
    Recorder a, b, c, d;
    EventBus bus(3, 16, 3);
    bus.subscribe(0, a.handler());
    bus.subscribe(0, b.handler());
    bus.subscribe(0, c.handler());
    bus.subscribe(1, d.handler());  // nobody listens to topic 2
    bus.start();
    std::map<std::uint32_t, std::vector<std::uint64_t>> expected;
    for (std::uint64_t i = 0; i < 300; ++i) {
        const auto topic = static_cast<std::uint32_t>(i % 3);
        ASSERT_TRUE(bus.publish(topic, i * 7));
        expected[topic].push_back(i + 1);  // one publisher: seq follows publish order
    }
    ASSERT_TRUE(bus.flush(k_patience));

    EXPECT_EQ(a.seqs(), expected[0]);
    EXPECT_EQ(b.seqs(), expected[0]);
    EXPECT_EQ(c.seqs(), expected[0]);
    EXPECT_EQ(d.seqs(), expected[1]);
    for (const auto* r : {&a, &b, &c, &d}) {
        for (const Event& e : r->events()) {
            EXPECT_EQ(e.topic, r == &d ? 1u : 0u);
            EXPECT_EQ(e.payload, (e.seq - 1) * 7);
            EXPECT_EQ(e.epoch, 1u);
        }
    }
    const EventBusStats s = bus.stats();
    EXPECT_EQ(s.accepted, 300u);
    EXPECT_EQ(s.accepted_by_topic, (std::vector<std::uint64_t>{100, 100, 100}));
    EXPECT_EQ(s.submitted, 400u);
    EXPECT_EQ(s.dispatched, 400u);
    EXPECT_EQ(s.handled, 400u);
    EXPECT_EQ(s.handler_errors + s.rejected + s.discarded + s.dropped_calls, 0u);
    EXPECT_EQ(s.queued + s.pool_waiting + s.calls_running, 0u);
}

TEST(EventBus, OneHandlerThreadDeliversInPublishOrder) {
    Recorder r;
    EventBus bus(1, 4, 1);
    bus.subscribe(0, r.handler());
    bus.start();
    std::vector<std::uint64_t> expected;
    for (std::uint64_t i = 1; i <= 200; ++i) {
        ASSERT_TRUE(bus.publish(0, i));  // often blocks: the queue holds 4
        expected.push_back(i);
    }
    ASSERT_TRUE(bus.flush(k_patience));
    std::vector<std::uint64_t> order;
    for (const Event& e : r.events()) order.push_back(e.payload);
    EXPECT_EQ(order, expected);
}

TEST(EventBus, SubscribeAndUnsubscribeTakeEffectForLaterEvents) {
    Recorder a, b;
    EventBus bus(2, 8, 1);
    bus.start();
    const auto ida = bus.subscribe(0, a.handler());
    ASSERT_TRUE(bus.publish(0, 1));
    ASSERT_TRUE(bus.flush(k_patience));
    const auto idb = bus.subscribe(0, b.handler());
    EXPECT_GT(ida, 0u);
    EXPECT_NE(ida, idb);
    EXPECT_EQ(bus.subscriber_count(), 2u);
    ASSERT_TRUE(bus.publish(0, 2));
    ASSERT_TRUE(bus.flush(k_patience));
    EXPECT_TRUE(bus.unsubscribe(ida));
    EXPECT_FALSE(bus.unsubscribe(ida));
    EXPECT_FALSE(bus.unsubscribe(idb + 100));
    EXPECT_EQ(bus.subscriber_count(), 1u);
    ASSERT_TRUE(bus.publish(0, 3));
    ASSERT_TRUE(bus.flush(k_patience));
    EXPECT_EQ(a.seqs(), (std::vector<std::uint64_t>{1, 2}));
    EXPECT_EQ(b.seqs(), (std::vector<std::uint64_t>{2, 3}));
}

TEST(EventBus, HandlersRunOnThePoolNotOnThePublisher) {
    std::mutex m;
    std::set<std::thread::id> ids;
    EventBus bus(2, 8, 1);
    bus.subscribe(0, [&](const Event&) {
        const std::lock_guard lock(m);
        ids.insert(std::this_thread::get_id());
    });
    bus.start();
    for (std::uint64_t i = 0; i < 100; ++i) ASSERT_TRUE(bus.publish(0, i));
    ASSERT_TRUE(bus.flush(k_patience));
    const std::lock_guard lock(m);
    EXPECT_FALSE(ids.empty());
    EXPECT_LE(ids.size(), 2u) << "a fixed pool of two threads";
    EXPECT_FALSE(ids.contains(std::this_thread::get_id()));
}

TEST(EventBus, RejectsBadArguments) {
    EXPECT_THROW(EventBus(0, 1, 1), std::invalid_argument);
    EXPECT_THROW(EventBus(1, 0, 1), std::invalid_argument);
    EXPECT_THROW(EventBus(1, 1, 0), std::invalid_argument);
    EventBus bus(1, 1, 2);
    EXPECT_THROW(bus.subscribe(2, [](const Event&) {}), std::out_of_range);
    EXPECT_THROW(bus.subscribe(0, EventBus::Handler{}), std::invalid_argument);
    EXPECT_THROW(bus.publish(2, 0), std::out_of_range);
    EXPECT_EQ(bus.subscriber_count(), 0u);
}

// ---- handler exceptions ---------------------------------------------------------------------

/// Publishes one throwing event per pool thread (payload 1 throws a std::exception, 2 an int),
/// waits until all threw, then publishes one that does not (payload 0).
/// `handled` counts the calls that did not throw.
void throw_once_per_thread(EventBus& bus, std::atomic<int>& handled) {
    bus.subscribe(0, [&](const Event& e) {
        if (e.payload == 1) throw std::runtime_error("handler failed");
        if (e.payload == 2) throw 42;
        ++handled;
    });
    bus.start();
    for (std::size_t i = 0; i < bus.handler_threads(); ++i) ASSERT_TRUE(bus.publish(0, 1 + i % 2));
    ASSERT_TRUE(eventually([&] { return bus.stats().handler_errors == bus.handler_threads(); }));
    ASSERT_TRUE(bus.publish(0, 0));
}

TEST(EventBus, AHandlerExceptionIsCountedAndLaterEventsAreDelivered) {
    std::atomic<int> handled{0};
    EventBus bus(2, 8, 1);
    ASSERT_NO_FATAL_FAILURE(throw_once_per_thread(bus, handled));
    ASSERT_TRUE(bus.flush(k_patience));
    for (std::uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(bus.publish(0, 1 + i % 3));
    ASSERT_TRUE(bus.flush(k_patience));
    const EventBusStats s = bus.stats();
    EXPECT_EQ(handled.load(), 4) << "payload 0 once, then 3 of the 10";
    EXPECT_EQ(s.handler_errors, 2u + 7u);
    EXPECT_EQ(s.handled, 4u);
    EXPECT_EQ(s.pool_threads, 2u) << "every pool thread survived";
}

TEST(EventBusFaults, ExceptionKillsWorkerStallsThePool) {
    std::atomic<int> handled{0};
    EventBus bus(2, 8, 1, {.exception_kills_worker = true});
    ASSERT_NO_FATAL_FAILURE(throw_once_per_thread(bus, handled));
    // Each throw ended the pool thread that ran it: two throws, no pool left.
    ASSERT_TRUE(eventually([&] { return bus.stats().pool_threads == 0; }));
    // Nothing runs the last event, so nothing progresses: the stall is certain, its limit short.
    EXPECT_FALSE(bus.flush(50ms));
    EventBusStats s = bus.stats();
    EXPECT_EQ(handled.load(), 0);
    EXPECT_EQ(s.handled, 0u);
    EXPECT_EQ(s.queued + s.pool_waiting, 1u) << "the event waits for a pool that is gone";
    EXPECT_EQ(bus.stop(), 1u);
    s = bus.stats();
    EXPECT_EQ(s.discarded + s.dropped_calls, 1u);
    EXPECT_EQ(s.pool_waiting, 0u);
}

// ---- back-pressure and stop -----------------------------------------------------------------

/// A bus with one pool thread whose handler blocks on `release` while it handles seq 1.
/// fill() publishes seq 1 (running, blocked), seq 2 (handed to the pool, waiting: the pool is
/// full, so the dispatcher pops nothing more) and `queued` more events of `topics` (round robin).
struct BlockedBus {
    Gate entered;
    Gate release;
    Recorder recorder;
    EventBus bus;

    BlockedBus(std::size_t capacity, std::size_t topics, EventBusFaults faults = {}) : bus(1, capacity, topics, faults) {
        bus.subscribe(0, [this](const Event& e) {
            if (e.seq == 1) {
                entered.open();
                release.wait();
            }
            recorder.handler()(e);
        });
    }

    void fill(std::vector<std::uint32_t> queued_topics) {
        bus.start();
        ASSERT_TRUE(bus.publish(0, 1));
        ASSERT_TRUE(entered.wait());
        ASSERT_TRUE(bus.publish(0, 2));
        ASSERT_TRUE(eventually([&] {
            const auto s = bus.stats();
            return s.pool_waiting == 1 && s.queued == 0;
        }));
        for (const std::uint32_t t : queued_topics) ASSERT_TRUE(bus.publish(t, 3));
        ASSERT_EQ(bus.stats().queued, queued_topics.size()) << "the dispatcher waits for room in the pool";
    }
};

TEST(EventBus, PublishBlocksWhileTheQueueIsFullAndResumes) {
    BlockedBus b(2, 1);
    const Finally open([&] { b.release.open(); });
    ASSERT_NO_FATAL_FAILURE(b.fill({0, 0}));
    std::atomic<int> result{-1};
    std::jthread publisher([&] { result = b.bus.publish(0, 5) ? 1 : 0; });
    ASSERT_TRUE(eventually([&] { return b.bus.stats().waiting_publishers == 1; }));
    EXPECT_EQ(result.load(), -1) << "blocked: the queue is full";
    b.release.open();
    publisher.join();
    EXPECT_EQ(result.load(), 1);
    ASSERT_TRUE(b.bus.flush(k_patience));
    EXPECT_EQ(b.recorder.seqs(), (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
    EXPECT_EQ(b.bus.stats().accepted, 5u);
    EXPECT_EQ(b.bus.stats().rejected, 0u);
}

TEST(EventBus, PublishWhenStoppedIsRejected) {
    EventBus bus(1, 4, 1);
    EXPECT_FALSE(bus.running());
    EXPECT_FALSE(bus.publish(0, 1)) << "not started yet";
    EXPECT_EQ(bus.stop(), 0u) << "nothing to stop";
    bus.start();
    EXPECT_TRUE(bus.running());
    EXPECT_TRUE(bus.publish(0, 2));
    EXPECT_EQ(bus.stop(), 1u);
    EXPECT_EQ(bus.stop(), 0u) << "idempotent";
    EXPECT_FALSE(bus.running());
    EXPECT_FALSE(bus.publish(0, 3));
    const EventBusStats s = bus.stats();
    EXPECT_EQ(s.rejected, 2u);
    EXPECT_EQ(s.accepted, 1u);
    EXPECT_TRUE(bus.flush(k_patience)) << "a stopped bus is idle";
}

TEST(EventBus, StopDiscardsQueuedEventsAndCountsThemPerTopic) {
    BlockedBus b(8, 3);
    const Finally open([&] { b.release.open(); });
    ASSERT_NO_FATAL_FAILURE(b.fill({1, 2, 1}));
    std::atomic<std::uint64_t> stopped{0};
    std::jthread stopper([&] { stopped = b.bus.stop(); });
    ASSERT_TRUE(eventually([&] { return !b.bus.running(); }));
    EventBusStats s = b.bus.stats();  // stop() discarded in the step that ended accepting
    EXPECT_EQ(s.queued, 0u);
    EXPECT_EQ(s.discarded, 3u);
    EXPECT_EQ(s.discarded_by_topic, (std::vector<std::uint64_t>{0, 2, 1}));
    b.release.open();
    stopper.join();
    EXPECT_EQ(stopped.load(), 1u);
    s = b.bus.stats();
    EXPECT_EQ(b.recorder.seqs(), (std::vector<std::uint64_t>{1, 2})) << "the calls the pool had were run";
    EXPECT_EQ(s.accepted, 5u);
    EXPECT_EQ(s.handled, 2u);
    EXPECT_EQ(s.accepted_by_topic, (std::vector<std::uint64_t>{2, 2, 1}));
}

/// A handler blocked while stop() runs on another thread; what the handler saw when released.
struct StopDuringHandler {
    Gate entered;
    Gate release;
    std::atomic<bool> stop_returned{false};
    std::atomic<bool> handler_saw_stop_returned{false};
    std::atomic<std::uint64_t> stopped_epoch{0};
    EventBus bus;

    explicit StopDuringHandler(EventBusFaults faults) : bus(2, 4, 1, faults) {
        bus.subscribe(0, [this](const Event&) {
            entered.open();
            release.wait();
            handler_saw_stop_returned = stop_returned.load();
        });
        bus.start();
    }
    void stop() {
        stopped_epoch = bus.stop();
        stop_returned = true;
    }
};

TEST(EventBus, StopWaitsForARunningHandler) {
    StopDuringHandler t({});
    const Finally open([&] { t.release.open(); });
    ASSERT_TRUE(t.bus.publish(0, 1));
    ASSERT_TRUE(t.entered.wait());
    std::jthread stopper([&] { t.stop(); });
    ASSERT_TRUE(eventually([&] { return !t.bus.running(); }));  // stop() has begun
    t.release.open();
    stopper.join();
    EXPECT_FALSE(t.handler_saw_stop_returned.load()) << "the handler finished before stop() returned";
    EXPECT_EQ(t.stopped_epoch.load(), 1u);
    const EventBusStats s = t.bus.stats();
    EXPECT_EQ(s.handled, 1u);
    EXPECT_EQ(s.calls_running + s.pool_threads, 0u);
    EXPECT_EQ(t.bus.live_threads(), 0u) << "all joined";
}

TEST(EventBusFaults, StopWithoutWaitReturnsWhileAHandlerRuns) {
    StopDuringHandler t({.stop_without_wait = true});
    // Whatever happens, the detached threads are gone before the bus is destroyed.
    const Finally settle([&] {
        t.release.open();
        EXPECT_TRUE(t.bus.wait_threads_exited(k_patience));
    });
    ASSERT_TRUE(t.bus.publish(0, 1));
    ASSERT_TRUE(t.entered.wait());
    std::jthread stopper([&] { t.stop(); });
    ASSERT_TRUE(eventually([&] { return t.stop_returned.load(); })) << "stop() returned with the handler blocked";
    EXPECT_EQ(t.stopped_epoch.load(), 1u);
    EventBusStats s = t.bus.stats();
    EXPECT_FALSE(s.running);
    EXPECT_EQ(s.calls_running, 1u) << "a handler of the stopped epoch still runs";
    EXPECT_EQ(s.handled, 0u);
    EXPECT_GE(t.bus.live_threads(), 1u);
    t.release.open();
    ASSERT_TRUE(t.bus.wait_threads_exited(k_patience));
    EXPECT_TRUE(t.handler_saw_stop_returned.load()) << "it finished after stop() had returned";
    s = t.bus.stats();
    EXPECT_EQ(s.handled, 1u);
    EXPECT_EQ(s.pool_threads, 0u);
}

/// Fills a one-slot queue behind a blocked handler, blocks a publisher on it, and calls stop()
/// on another thread (which waits for the handler, still blocked).
struct StrandSetup {
    BlockedBus b;
    std::atomic<int> result{-1};  ///< the blocked publish(): -1 still blocked, 0 false, 1 true
    std::atomic<bool> stopped{false};
    std::jthread publisher;
    std::jthread stopper;

    explicit StrandSetup(EventBusFaults faults) : b(1, 1, faults) {}
    /// Ends the threads even after a failed assertion: a stranded publisher is woken as in
    /// the fault's test, by a pop in a new epoch.
    ~StrandSetup() {
        b.release.open();
        if (stopper.joinable()) stopper.join();
        if (publisher.joinable() && result.load() == -1) {
            b.bus.start();
            b.bus.publish(0, 0);
        }
    }

    void block_publisher_then_stop() {
        b.fill({0});
        publisher = std::jthread([this] { result = b.bus.publish(0, 4) ? 1 : 0; });
        ASSERT_TRUE(eventually([&] { return b.bus.stats().waiting_publishers == 1; }));
        stopper = std::jthread([this] {
            b.bus.stop();
            stopped = true;
        });
    }
};

TEST(EventBus, StopWakesPublishersBlockedOnAFullQueue) {
    StrandSetup t({});
    ASSERT_NO_FATAL_FAILURE(t.block_publisher_then_stop());
    ASSERT_TRUE(eventually([&] { return t.result.load() != -1; }));
    EXPECT_EQ(t.result.load(), 0) << "woken by stop(), refused";
    EXPECT_FALSE(t.stopped.load()) << "stop() still waits for the blocked handler";
    t.b.release.open();
    t.stopper.join();
    const EventBusStats s = t.b.bus.stats();
    EXPECT_EQ(s.rejected, 1u);
    EXPECT_EQ(s.discarded, 1u);
    EXPECT_EQ(s.accepted, 3u);
    EXPECT_EQ(s.handled, 2u);
    EXPECT_EQ(s.waiting_publishers, 0u);
}

TEST(EventBusFaults, StopStrandsPublishersOnAnEmptyQueue) {
    StrandSetup t({.stop_strands_publishers = true});
    ASSERT_NO_FATAL_FAILURE(t.block_publisher_then_stop());
    ASSERT_TRUE(eventually([&] { return !t.b.bus.running(); }));  // stop() has discarded the queue
    t.b.release.open();
    t.stopper.join();  // stop() returned
    // Nothing notifies the publisher's condition after this (no pop happens on a stopped bus):
    // only a spurious wakeup could end its wait, and glibc produces none.
    EventBusStats s = t.b.bus.stats();
    EXPECT_EQ(t.result.load(), -1) << "still blocked after stop() returned";
    EXPECT_EQ(s.waiting_publishers, 1u);
    EXPECT_EQ(s.queued, 0u) << "on an empty queue";
    // End it: a new epoch's pop notifies the condition; the publisher sees the stop it slept
    // through and refuses.
    t.b.bus.start();
    ASSERT_TRUE(t.b.bus.publish(0, 5));
    ASSERT_TRUE(eventually([&] { return t.result.load() != -1; }));
    EXPECT_EQ(t.result.load(), 0);
    ASSERT_TRUE(t.b.bus.flush(k_patience));
    s = t.b.bus.stats();
    EXPECT_EQ(s.rejected, 1u);
    EXPECT_EQ(s.waiting_publishers, 0u);
}

// ---- restart, flush -------------------------------------------------------------------------

TEST(EventBus, RestartStartsANewEpochAndDeliversAgain) {
    Recorder r;
    EventBus bus(2, 4, 1);
    bus.subscribe(0, r.handler());
    bus.start();
    ASSERT_TRUE(bus.publish(0, 10));
    ASSERT_TRUE(bus.flush(k_patience));
    EXPECT_EQ(bus.stop(), 1u);
    EXPECT_EQ(bus.live_threads(), 0u);
    bus.start();
    bus.start();  // idempotent: still epoch 2
    EXPECT_EQ(bus.stats().epoch, 2u);
    ASSERT_TRUE(bus.publish(0, 20));
    ASSERT_TRUE(bus.publish(0, 30));
    ASSERT_TRUE(bus.flush(k_patience));
    EXPECT_EQ(bus.stop(), 2u);
    std::map<std::uint64_t, std::uint64_t> epoch_of_payload;
    for (const Event& e : r.events()) epoch_of_payload[e.payload] = e.epoch;
    EXPECT_EQ(epoch_of_payload, (std::map<std::uint64_t, std::uint64_t>{{10, 1}, {20, 2}, {30, 2}}));
    EXPECT_EQ(r.seqs(), (std::vector<std::uint64_t>{1, 2, 3})) << "seq continues across restarts";
    EXPECT_EQ(bus.stats().pool_threads, 0u);
}

TEST(EventBus, FlushWaitsForASlowButProgressingBus) {
    // Twelve calls of 100ms each take longer than the 1s stall limit; each finishes well within
    // it, so flush() waits for all of them.
    constexpr int k_calls = 12;
    constexpr auto k_call = 100ms;
    constexpr auto k_stall_limit = 1s;
    std::atomic<int> done{0};
    EventBus bus(1, 16, 1);
    bus.subscribe(0, [&](const Event&) {
        std::this_thread::sleep_for(k_call);
        ++done;
    });
    bus.start();
    const auto began = std::chrono::steady_clock::now();
    for (int i = 0; i < k_calls; ++i) ASSERT_TRUE(bus.publish(0, 0));
    EXPECT_TRUE(bus.flush(k_stall_limit));
    EXPECT_EQ(done.load(), k_calls);
    EXPECT_GE(std::chrono::steady_clock::now() - began, k_stall_limit) << "longer than one stall limit in all";
}

// ---- unlocked_handlers ----------------------------------------------------------------------

TEST(EventBusFaults, UnlockedHandlersDeliversOnOneThread) {
    // Its defect needs subscribe/unsubscribe concurrent with dispatch, and is then memory
    // corruption (use-after-free on reallocation), so it is not run that way here. Subscribing
    // only while the bus is idle, it must deliver like the correct bus.
    Recorder a, b, c;
    EventBus bus(2, 8, 2, {.unlocked_handlers = true});
    const auto ida = bus.subscribe(0, a.handler());
    bus.subscribe(1, b.handler());
    bus.start();
    ASSERT_TRUE(bus.publish(0, 0));
    ASSERT_TRUE(bus.publish(1, 0));
    ASSERT_TRUE(bus.publish(0, 0));
    ASSERT_TRUE(bus.flush(k_patience));
    EXPECT_TRUE(bus.unsubscribe(ida));
    bus.subscribe(1, c.handler());
    ASSERT_TRUE(bus.publish(0, 0));
    ASSERT_TRUE(bus.publish(1, 0));
    ASSERT_TRUE(bus.flush(k_patience));
    EXPECT_EQ(a.seqs(), (std::vector<std::uint64_t>{1, 3}));
    EXPECT_EQ(b.seqs(), (std::vector<std::uint64_t>{2, 5}));
    EXPECT_EQ(c.seqs(), (std::vector<std::uint64_t>{5}));
}

// ---- stress ---------------------------------------------------------------------------------

TEST(EventBus, ConcurrentUseKeepsTheAccounting) {
    // Meaningful under ThreadSanitizer and AddressSanitizer: publishers, subscription churn and
    // stop/start cycles at once.
    constexpr std::uint32_t k_topics = 4;
    constexpr int k_publishers = 3;
    constexpr std::uint64_t k_accepts = 2000;  // per publisher
    constexpr int k_min_cycles = 5;

    // Declared before the bus, which may call handlers until it is destroyed.
    struct Seen {
        std::mutex m;
        std::vector<std::uint64_t> seqs;
    };
    std::array<Seen, k_topics> permanent;
    std::array<std::atomic<std::uint64_t>, k_topics> published{};
    std::atomic<std::uint64_t> refused{0};
    std::atomic<int> publishers_left{k_publishers};
    std::atomic<std::uint64_t> churn_calls{0};
    int cycles = 0;

    EventBus bus(3, 8, k_topics);
    for (std::uint32_t t = 0; t < k_topics; ++t) {
        bus.subscribe(t, [&permanent, t](const Event& e) {
            EXPECT_EQ(e.topic, t);
            const std::lock_guard lock(permanent[t].m);
            permanent[t].seqs.push_back(e.seq);
        });
    }
    bus.start();
    {
        std::vector<std::jthread> threads;
        for (int p = 0; p < k_publishers; ++p) {
            threads.emplace_back([&, p] {
                Rng rng(static_cast<std::uint64_t>(p) + 1);
                for (std::uint64_t accepted = 0; accepted < k_accepts;) {
                    const auto topic = static_cast<std::uint32_t>(rng.below(k_topics));
                    if (bus.publish(topic, rng.next())) {
                        ++published[topic];
                        ++accepted;
                    } else {
                        ++refused;
                        std::this_thread::sleep_for(50us);  // stopped: do not spin through the restart
                    }
                }
                --publishers_left;
            });
        }
        threads.emplace_back([&] {  // subscription churn, with handlers that sometimes throw
            Rng rng(100);
            std::vector<std::uint64_t> ids;
            while (publishers_left > 0) {
                if (ids.size() < 3 || (ids.size() < 8 && rng.chance(0.5))) {
                    ids.push_back(bus.subscribe(static_cast<std::uint32_t>(rng.below(k_topics)), [&](const Event& e) {
                        ++churn_calls;
                        if (e.payload % 5 == 0) throw std::runtime_error("churn");
                    }));
                } else {
                    const auto at = ids.begin() + static_cast<std::ptrdiff_t>(rng.below(ids.size()));
                    EXPECT_TRUE(bus.unsubscribe(*at));
                    ids.erase(at);
                }
                std::this_thread::yield();
            }
            for (const auto id : ids) EXPECT_TRUE(bus.unsubscribe(id));
        });
        threads.emplace_back([&] {  // stop/start cycles
            while (publishers_left > 0 || cycles < k_min_cycles) {
                std::this_thread::sleep_for(1ms);
                EXPECT_EQ(bus.stop(), static_cast<std::uint64_t>(cycles) + 1);
                std::this_thread::yield();
                bus.start();
                ++cycles;
            }
        });
        threads.emplace_back([&] {  // a reader of the counters
            while (publishers_left > 0) {
                const EventBusStats s = bus.stats();
                EXPECT_LE(s.queued, bus.queue_capacity());
                EXPECT_LE(s.calls_running, bus.handler_threads());
                EXPECT_LE(s.pool_threads, bus.handler_threads());
                std::this_thread::sleep_for(200us);
            }
        });
    }
    ASSERT_TRUE(bus.running());
    ASSERT_TRUE(bus.flush(k_patience));
    const EventBusStats s = bus.stats();
    EXPECT_EQ(s.epoch, static_cast<std::uint64_t>(cycles) + 1);
    EXPECT_EQ(s.accepted, k_publishers * k_accepts);
    EXPECT_EQ(s.rejected, refused.load());
    for (std::uint32_t t = 0; t < k_topics; ++t) {
        auto& seqs = permanent[t].seqs;  // no handler runs any more: flush() returned
        std::sort(seqs.begin(), seqs.end());
        EXPECT_EQ(std::adjacent_find(seqs.begin(), seqs.end()), seqs.end()) << "topic " << t << ": a seq twice";
        EXPECT_EQ(s.accepted_by_topic[t], published[t].load()) << t;
        EXPECT_EQ(seqs.size(), s.accepted_by_topic[t] - s.discarded_by_topic[t]) << "topic " << t;
    }
    EXPECT_EQ(s.accepted, std::accumulate(s.accepted_by_topic.begin(), s.accepted_by_topic.end(), std::uint64_t{0}));
    EXPECT_EQ(s.discarded,
              std::accumulate(s.discarded_by_topic.begin(), s.discarded_by_topic.end(), std::uint64_t{0}));
    EXPECT_EQ(s.submitted, s.dispatched);
    EXPECT_EQ(s.dispatched, s.handled + s.handler_errors);
    EXPECT_EQ(s.dropped_calls, 0u);
    EXPECT_EQ(s.queued + s.pool_waiting + s.calls_running + s.waiting_publishers, 0u);
    EXPECT_EQ(s.dispatched, s.accepted - s.discarded + churn_calls.load()) << "permanent calls + churn calls";
    EXPECT_EQ(bus.stop(), s.epoch);
    EXPECT_EQ(bus.live_threads(), 0u);
    RecordProperty("cycles", cycles);
    RecordProperty("accepted", static_cast<int>(s.accepted));
    RecordProperty("rejected", static_cast<int>(s.rejected));
    RecordProperty("discarded", static_cast<int>(s.discarded));
    RecordProperty("handler_errors", static_cast<int>(s.handler_errors));
}

}  // namespace
}  // namespace threadmill
