// Tests of the `subscriptions` target: Subscription, Node (fan-out, flow controllers, stats, keys, workers), adapter.
#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/target_fixture.hpp"

#include "api/clock.hpp"
#include "api/rng.hpp"
#include "api/target.hpp"
#include "targets/subscriptions/node.hpp"
#include "targets/subscriptions/subscription.hpp"

#if defined(__SANITIZE_THREAD__)
#define TM_TEST_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TM_TEST_UNDER_TSAN 1
#endif
#endif

namespace threadmill {
namespace {

using subscriptions::Direction;
using subscriptions::Event;
using subscriptions::Node;
using subscriptions::NodeOptions;
using subscriptions::Offer;
using subscriptions::State;
using subscriptions::Subscription;
using subscriptions::SubscriptionFaults;
using namespace std::chrono_literals;

/// Waits (up to 10 s) until `condition` holds; returns whether it does.
template <typename Condition>
bool eventually(Condition condition) {
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > give_up) return false;
        std::this_thread::sleep_for(50us);
    }
    return true;
}

Event event(std::uint64_t seq, State state = State::connected, std::uint32_t publisher = 0) {
    Event e;
    e.seq = seq;
    e.publisher = publisher;
    e.state = state;
    e.peer = 7;
    return e;
}

// ---- Subscription ---------------------------------------------------------------------------

TEST(SubscriptionsSubscription, DeliversInOrderAndDropsWhenFull) {
    Subscription s(1, 4, subscriptions::k_all_states);
    for (std::uint64_t i = 1; i <= 6; ++i) {
        EXPECT_EQ(s.offer(event(i)), i <= 4 ? Offer::delivered : Offer::dropped) << i;
    }
    EXPECT_EQ(s.delivered(), 4u);
    EXPECT_EQ(s.dropped(), 2u);
    EXPECT_EQ(s.buffered(), 4u);
    for (std::uint64_t i = 1; i <= 4; ++i) {
        const auto e = s.try_next();
        ASSERT_TRUE(e.has_value());
        EXPECT_EQ(e->seq, i);
    }
    EXPECT_FALSE(s.try_next().has_value());
    EXPECT_EQ(s.offer(event(7)), Offer::delivered) << "room again once consumed";
    EXPECT_EQ(s.try_next()->seq, 7u);
}

TEST(SubscriptionsSubscription, FilterTakesOnlyItsStates) {
    Subscription s(1, 4, subscriptions::mask_of(State::connected) | subscriptions::mask_of(State::reconnecting));
    EXPECT_EQ(s.offer(event(1, State::disconnected)), Offer::filtered);
    EXPECT_EQ(s.offer(event(2, State::connected)), Offer::delivered);
    EXPECT_EQ(s.offer(event(3, State::connecting)), Offer::filtered);
    EXPECT_EQ(s.offer(event(4, State::reconnecting)), Offer::delivered);
    EXPECT_EQ(s.delivered(), 2u);
    EXPECT_EQ(s.dropped(), 0u) << "a filtered event is not a drop";
    EXPECT_EQ(s.try_next()->seq, 2u);
    EXPECT_EQ(s.try_next()->seq, 4u);
}

TEST(SubscriptionsSubscription, CloseOnceStopsDeliveryAndASecondCloseChangesNothing) {
    Subscription s(1, 4, subscriptions::k_all_states);
    s.offer(event(1));
    s.offer(event(2));
    s.offer(event(3));
    EXPECT_EQ(s.try_next()->seq, 1u);
    const auto first = s.close();
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(*first, 2u) << "the two events left in the buffer are discarded";
    EXPECT_FALSE(s.close().has_value());
    EXPECT_FALSE(s.close().has_value());
    EXPECT_TRUE(s.closed());
    EXPECT_EQ(s.offer(event(4)), Offer::closed);
    EXPECT_FALSE(s.try_next().has_value());
    EXPECT_EQ(s.delivered(), 3u);
    EXPECT_EQ(s.dropped(), 0u);
    EXPECT_EQ(s.buffered(), 0u);
}

TEST(SubscriptionsSubscription, ConcurrentClosesCloseOnce) {
    for (int round = 0; round < 200; ++round) {
        Subscription s(1, 8, subscriptions::k_all_states);
        s.offer(event(1));
        std::atomic<int> closers{0};
        std::barrier sync(3);
        std::vector<std::thread> threads;
        for (int t = 0; t < 3; ++t) {
            threads.emplace_back([&] {
                sync.arrive_and_wait();
                if (s.close()) closers.fetch_add(1);
            });
        }
        for (auto& t : threads) t.join();
        EXPECT_EQ(closers.load(), 1) << "round " << round;
    }
}

TEST(SubscriptionsSubscription, WaitNextWakesOnAnEventAndOnClose) {
    Subscription s(1, 4, subscriptions::k_all_states);
    std::optional<Event> got;
    std::thread consumer([&] { got = s.wait_next(60s); });
    s.offer(event(5));
    consumer.join();
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->seq, 5u);

    std::thread waiter([&] { got = s.wait_next(60s); });
    s.close();
    waiter.join();
    EXPECT_FALSE(got.has_value());
}

TEST(SubscriptionsSubscription, NextWaitsForEventsUntilTheCloseEndsIt) {
    Subscription s(1, 4, subscriptions::k_all_states);
    std::vector<std::uint64_t> got;
    std::thread consumer([&] {
        while (const auto e = s.next()) got.push_back(e->seq);  // a Go `range` over the channel
    });
    ASSERT_TRUE(eventually([&] { return s.consumer_waiting(); }));
    s.offer(event(1));
    s.offer(event(2));
    ASSERT_TRUE(eventually([&] { return s.consumer_waiting() && s.buffered() == 0; }));
    ASSERT_TRUE(s.close().has_value());
    consumer.join();  // only the close can end its wait: with nothing left, next() waits for no time limit
    EXPECT_EQ(got, (std::vector<std::uint64_t>{1, 2}));
    EXPECT_FALSE(s.next().has_value()) << "a closed subscription returns at once";
}

TEST(SubscriptionsSubscription, AFailedDeliveryIsCountedOnlyWhileOpenAndMatching) {
    Subscription s(1, 4, subscriptions::mask_of(State::connected));
    EXPECT_EQ(s.count_failed(event(1, State::connected)), Offer::failed);
    EXPECT_EQ(s.count_failed(event(2, State::disconnected)), Offer::filtered);
    EXPECT_EQ(s.offer(event(3, State::connected)), Offer::delivered);
    s.close();
    EXPECT_EQ(s.count_failed(event(4, State::connected)), Offer::closed);
    EXPECT_EQ(s.failed(), 1u);
    EXPECT_EQ(s.delivered(), 1u);
    EXPECT_EQ(s.dropped(), 0u);
}

TEST(SubscriptionsFaults, CloseStrandsWaiterLeavesTheConsumerWaitingUntilItsOwnTimeout) {
    // The safe close wakes a consumer in next(), which has no timeout (the test above); the mutant's
    // close does not, so a consumer in wait_next() goes on waiting for its whole timeout.
    SubscriptionFaults f;
    f.close_strands_waiter = true;
    Subscription s(1, 4, subscriptions::k_all_states, f);
    constexpr auto k_limit = 1s;
    std::optional<Event> got = event(99);
    std::chrono::steady_clock::duration waited{};
    std::thread consumer([&] {
        const auto began = std::chrono::steady_clock::now();
        got = s.wait_next(k_limit);
        waited = std::chrono::steady_clock::now() - began;
    });
    ASSERT_TRUE(eventually([&] { return s.consumer_waiting(); }));
    ASSERT_TRUE(s.close().has_value());
    EXPECT_TRUE(s.consumer_waiting()) << "the close left the consumer waiting";
    consumer.join();
    EXPECT_FALSE(got.has_value());
    EXPECT_GE(waited, k_limit) << "only the consumer's own timeout ended its wait";
}

/// A publisher offers to a full buffer of capacity 1 while the consumer takes one event.
Offer offer_to_a_full_buffer(bool blocking) {
    SubscriptionFaults f;
    f.blocking_send = blocking;
    Subscription s(1, 1, subscriptions::k_all_states, f);
    EXPECT_EQ(s.offer(event(1)), Offer::delivered);
    Offer result = Offer::closed;
    std::atomic<bool> returned{false};
    std::thread publisher([&] {
        result = s.offer(event(2));
        returned = true;
    });
    if (blocking) {
        while (s.waiting_publishers() == 0) std::this_thread::yield();  // it waits inside offer()
        EXPECT_FALSE(returned.load());
    } else {
        while (!returned.load()) std::this_thread::yield();  // it returned without anyone consuming
    }
    EXPECT_EQ(s.try_next()->seq, 1u);
    publisher.join();
    return result;
}

TEST(SubscriptionsSubscription, OfferToAFullBufferDropsWithoutWaiting) {
    EXPECT_EQ(offer_to_a_full_buffer(false), Offer::dropped);
}

TEST(SubscriptionsFaults, BlockingSendWaitsForTheConsumer) {
    EXPECT_EQ(offer_to_a_full_buffer(true), Offer::delivered) << "delivered only after the consumer made room";
}

TEST(SubscriptionsFaults, BlockingSendPublisherIsReleasedByClose) {
    SubscriptionFaults f;
    f.blocking_send = true;
    Subscription s(1, 1, subscriptions::k_all_states, f);
    s.offer(event(1));
    Offer result = Offer::delivered;
    std::thread publisher([&] { result = s.offer(event(2)); });
    while (s.waiting_publishers() == 0) std::this_thread::yield();
    s.close();
    publisher.join();
    EXPECT_EQ(result, Offer::closed);
}

TEST(SubscriptionsFaults, CloseWithoutOnceFreesTheBufferTwice) {
#if defined(TM_TEST_UNDER_TSAN)
    GTEST_SKIP() << "ThreadSanitizer does not stop at a double free";
#else
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    // The safe subscription survives it ...
    Subscription safe(1, 4, subscriptions::k_all_states);
    safe.close();
    EXPECT_FALSE(safe.close().has_value());
    // ... the mutant dies: glibc ("double free detected") or AddressSanitizer (double-free).
    EXPECT_DEATH(
        {
            SubscriptionFaults f;
            f.close_without_once = true;
            Subscription s(1, 4, subscriptions::k_all_states, f);
            s.close();
            s.close();
        },
        "");
#endif
}

// ---- Node: events -----------------------------------------------------------------------------

NodeOptions quick_options() {
    NodeOptions o;
    o.buffer_capacity = 4;
    o.maintenance_interval = 100us;
    return o;
}

TEST(SubscriptionsNode, StoppedNodeRefusesToPublish) {
    Node node(quick_options());
    auto sub = node.subscribe();
    EXPECT_FALSE(node.publish(event(1)).accepted);
    EXPECT_EQ(sub->delivered(), 0u);
    ASSERT_TRUE(node.start());
    EXPECT_TRUE(node.publish(event(2)).accepted);
    EXPECT_EQ(sub->delivered(), 1u);
}

TEST(SubscriptionsNode, PublishFansOutToEveryMatchingSubscription) {
    Node node(quick_options());
    node.start();
    auto all = node.subscribe();
    auto connected = node.subscribe(subscriptions::mask_of(State::connected));
    auto gone = node.subscribe(subscriptions::mask_of(State::disconnected));
    const auto r1 = node.publish(event(1, State::connected));
    EXPECT_TRUE(r1.accepted);
    EXPECT_EQ(r1.delivered, 2u);
    EXPECT_EQ(node.publish(event(2, State::disconnected)).delivered, 2u);
    EXPECT_EQ(all->delivered(), 2u);
    EXPECT_EQ(connected->delivered(), 1u);
    EXPECT_EQ(gone->delivered(), 1u);
    EXPECT_EQ(connected->try_next()->seq, 1u);
    EXPECT_EQ(gone->try_next()->seq, 2u);
}

TEST(SubscriptionsNode, AFullSubscriptionDropsWithoutHoldingUpTheOthers) {
    Node node(quick_options());  // 4 events per buffer
    node.start();
    auto slow = node.subscribe();
    auto fast = node.subscribe();
    for (std::uint64_t i = 1; i <= 10; ++i) {
        const auto r = node.publish(event(i));
        EXPECT_EQ(r.delivered + r.dropped, 2u);
        EXPECT_EQ(fast->try_next()->seq, i);  // the fast one keeps up
    }
    EXPECT_EQ(slow->delivered(), 4u);
    EXPECT_EQ(slow->dropped(), 6u);
    EXPECT_EQ(fast->delivered(), 10u);
    EXPECT_EQ(fast->dropped(), 0u);
}

TEST(SubscriptionsNode, UnsubscribeStopsDeliveryAndTheOwnersCloseIsHarmless) {
    Node node(quick_options());
    node.start();
    auto sub = node.subscribe();
    node.publish(event(1));
    EXPECT_EQ(node.subscription_count(), 1u);
    const auto discarded = node.unsubscribe(sub);
    ASSERT_TRUE(discarded.has_value());
    EXPECT_EQ(*discarded, 1u);
    EXPECT_FALSE(sub->close().has_value());
    EXPECT_FALSE(node.unsubscribe(sub).has_value());
    EXPECT_EQ(node.subscription_count(), 0u);
    EXPECT_EQ(node.publish(event(2)).delivered, 0u);
    EXPECT_EQ(sub->delivered(), 1u);
}

TEST(SubscriptionsNode, SubscribeForgetsSubscriptionsClosedByTheirOwner) {
    Node node(quick_options());
    node.start();
    auto a = node.subscribe();
    auto b = node.subscribe();
    a->close();
    EXPECT_EQ(node.publish(event(1)).delivered, 1u) << "a closed subscription takes nothing";
    EXPECT_EQ(node.subscription_count(), 2u);
    auto c = node.subscribe();
    EXPECT_EQ(node.subscription_count(), 2u) << "a is forgotten";
    EXPECT_EQ(a->delivered(), 0u);
    EXPECT_EQ(b->delivered(), 1u);
    EXPECT_NE(c->id(), b->id());
}

TEST(SubscriptionsNode, ConcurrentPublishersKeepTheirOrderAndEveryEventIsCounted) {
    NodeOptions o = quick_options();
    o.buffer_capacity = 64;
    Node node(o);
    node.start();
    auto sub = node.subscribe();
    constexpr std::uint64_t k_events = 5000;
    std::atomic<bool> done{false};
    std::vector<std::uint64_t> last(2, 0);
    std::uint64_t consumed = 0;
    int out_of_order = 0;
    std::thread consumer([&] {
        for (;;) {
            const bool finished = done.load();
            while (const auto e = sub->try_next()) {
                ++consumed;
                if (e->seq <= last[e->publisher]) ++out_of_order;
                last[e->publisher] = e->seq;
            }
            if (finished) return;
            std::this_thread::yield();
        }
    });
    std::vector<std::thread> publishers;
    for (std::uint32_t p = 0; p < 2; ++p) {
        publishers.emplace_back([&, p] {
            for (std::uint64_t i = 1; i <= k_events; ++i) node.publish(event(i, State::connected, p));
        });
    }
    for (auto& t : publishers) t.join();
    done = true;
    consumer.join();
    EXPECT_EQ(out_of_order, 0);
    EXPECT_EQ(sub->delivered() + sub->dropped(), 2 * k_events);
    EXPECT_EQ(consumed, sub->delivered());
}

/// A started node with three every-state subscriptions and one for disconnected events only (in
/// that order in its registry); the delivery to the second one throws.
struct FailingDelivery {
    explicit FailingDelivery(bool aborts_on_error) : node(options(aborts_on_error)) {
        node.start();
        first = node.subscribe();
        failing = node.subscribe();
        last = node.subscribe();
        other_state = node.subscribe(subscriptions::mask_of(State::disconnected));
        failing_id = failing->id();
    }

    NodeOptions options(bool aborts_on_error) {
        NodeOptions o = quick_options();
        o.faults.fanout_aborts_on_error = aborts_on_error;
        o.before_delivery = [this](const Subscription& sub, const Event&) {
            ++hook_calls;
            if (sub.id() == failing_id) throw std::runtime_error("injected delivery failure");
        };
        return o;
    }

    std::uint64_t failing_id = 0;
    int hook_calls = 0;
    Node node;
    std::shared_ptr<Subscription> first, failing, last, other_state;
};

TEST(SubscriptionsNode, AFailedDeliveryMissesOnlyItsSubscriptionAndIsCounted) {
    FailingDelivery d(false);
    const auto r = d.node.publish(event(1, State::connected));
    EXPECT_TRUE(r.accepted);
    EXPECT_EQ(r.delivered, 2u);
    EXPECT_EQ(r.failed, 1u);
    EXPECT_EQ(r.dropped, 0u);
    EXPECT_EQ(d.hook_calls, 3) << "never called for a subscription whose filter refuses the event";
    EXPECT_EQ(d.first->try_next()->seq, 1u);
    EXPECT_EQ(d.last->try_next()->seq, 1u) << "the subscription after the failed one still gets the event";
    EXPECT_EQ(d.failing->failed(), 1u);
    EXPECT_EQ(d.failing->delivered(), 0u);
    EXPECT_EQ(d.other_state->failed() + d.other_state->delivered(), 0u);
    // The registry's lock is free again: subscribe (its write lock) and another fan-out go through.
    auto later = d.node.subscribe();
    const auto r2 = d.node.publish(event(2, State::connected));
    EXPECT_EQ(r2.delivered, 3u);
    EXPECT_EQ(r2.failed, 1u);
    EXPECT_EQ(later->try_next()->seq, 2u);
    EXPECT_EQ(d.failing->failed(), 2u);
}

TEST(SubscriptionsFaults, FanoutAbortsOnErrorLeavesTheLaterSubscriptionsWithoutTheEvent) {
    FailingDelivery d(true);
    const auto r = d.node.publish(event(1, State::connected));
    EXPECT_TRUE(r.accepted);
    EXPECT_EQ(r.delivered, 1u);
    EXPECT_EQ(r.failed, 1u) << "the failure itself is counted";
    EXPECT_EQ(d.first->delivered(), 1u);
    EXPECT_EQ(d.failing->failed(), 1u);
    EXPECT_EQ(d.last->delivered() + d.last->dropped() + d.last->failed(), 0u)
        << "the subscription after the failed one was never offered the event, and nothing counts it";
}

// ---- Node: flow controllers -------------------------------------------------------------------

TEST(SubscriptionsNode, FlowControllerIsCreatedOncePerStream) {
    Node node(quick_options());
    const auto a = node.flow_controller("stream-a");
    EXPECT_EQ(node.flow_controller("stream-a"), a);
    const auto b = node.flow_controller("stream-b");
    EXPECT_NE(a, b);
    EXPECT_EQ(a->serial(), 1u);
    EXPECT_EQ(b->serial(), 2u);
    EXPECT_EQ(node.flow_controller_count(), 2u);
    EXPECT_TRUE(node.remove_flow_controller("stream-a"));
    EXPECT_FALSE(node.remove_flow_controller("stream-a"));
    EXPECT_EQ(node.flow_controller("stream-a")->serial(), 3u) << "a removed stream gets a new controller";
    EXPECT_EQ(node.flow_controllers_created(), 3u);
}

TEST(SubscriptionsNode, FlowControllerCreditsStopAtTheHighWater) {
    NodeOptions o = quick_options();
    o.flow_high_water = 2;
    Node node(o);
    const auto fc = node.flow_controller("s");
    EXPECT_TRUE(fc->try_acquire());
    EXPECT_TRUE(fc->try_acquire());
    EXPECT_FALSE(fc->try_acquire());
    fc->release();
    EXPECT_TRUE(fc->try_acquire());
    EXPECT_EQ(fc->pending(), 2);
}

/// Thread A misses in the fast path; in its pause, "thread B" (the same thread, re-entering)
/// creates the controller. What does A return, and how many were created?
std::pair<std::uint64_t, std::uint64_t> serials_when_creation_interleaves(bool broken) {
    NodeOptions o = quick_options();
    o.faults.broken_double_checked = broken;
    Node* node = nullptr;
    std::uint64_t b_serial = 0;
    bool nested = false;
    o.pause = [&] {
        if (nested) return;
        nested = true;
        b_serial = node->flow_controller("s")->serial();
    };
    Node n(o);
    node = &n;
    const std::uint64_t a_serial = n.flow_controller("s")->serial();
    EXPECT_EQ(b_serial, 1u);
    EXPECT_EQ(n.flow_controller_count(), 1u);
    EXPECT_EQ(n.flow_controller("s")->serial(), a_serial) << "the registered one is the one A got";
    return {a_serial, n.flow_controllers_created()};
}

TEST(SubscriptionsNode, DoubleCheckedCreationReturnsTheControllerCreatedMeanwhile) {
    const auto [a_serial, created] = serials_when_creation_interleaves(false);
    EXPECT_EQ(a_serial, 1u) << "A found B's controller at its second check";
    EXPECT_EQ(created, 1u);
}

TEST(SubscriptionsFaults, BrokenDoubleCheckedCreatesASecondController) {
    const auto [a_serial, created] = serials_when_creation_interleaves(true);
    EXPECT_EQ(a_serial, 2u) << "A created its own and replaced B's";
    EXPECT_EQ(created, 2u);
}

TEST(SubscriptionsNode, ConcurrentCreationMakesExactlyOne) {
    Node node(quick_options());
    constexpr int k_threads = 4;
    constexpr int k_rounds = 300;
    std::vector<std::shared_ptr<subscriptions::FlowController>> got(k_threads);
    int mismatched_rounds = 0;
    std::barrier sync(k_threads, [&]() noexcept {
        for (const auto& fc : got) {
            if (fc != got[0]) {
                ++mismatched_rounds;
                break;
            }
        }
        node.remove_flow_controller("storm");
    });
    std::vector<std::thread> threads;
    for (int t = 0; t < k_threads; ++t) {
        threads.emplace_back([&, t] {
            for (int r = 0; r < k_rounds; ++r) {
                got[static_cast<std::size_t>(t)] = node.flow_controller("storm");
                sync.arrive_and_wait();
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(mismatched_rounds, 0);
    EXPECT_EQ(node.flow_controllers_created(), static_cast<std::uint64_t>(k_rounds));
}

// ---- Node: peer statistics and keys -----------------------------------------------------------

TEST(SubscriptionsNode, PeerStatisticsAreCopiesAndStalePeersAreCleanedUp) {
    ManualClock clock(1'000'000);
    NodeOptions o = quick_options();
    o.clock = &clock;
    o.stale_after = 5ms;
    Node node(o);
    node.record_event(1, Direction::sent, 64);
    node.record_event(1, Direction::received, 32);
    node.record_event(1, Direction::sent, 64);
    auto s = node.peer_statistics(1);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->events_sent, 2u);
    EXPECT_EQ(s->bytes_sent, 128u);
    EXPECT_EQ(s->events_received, 1u);
    EXPECT_EQ(s->bytes_received, 32u);
    s->events_sent = 99;
    EXPECT_EQ(node.peer_statistics(1)->events_sent, 2u) << "a copy";
    EXPECT_FALSE(node.peer_statistics(2).has_value());

    node.start();
    clock.advance(4ms);
    node.record_event(2, Direction::sent, 64);  // fresh: stays
    clock.advance(2ms);                         // peer 1 is 6ms old now, peer 2 2ms
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (node.stale_peers_removed() == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    node.stop();
    EXPECT_EQ(node.stale_peers_removed(), 1u);
    EXPECT_FALSE(node.peer_statistics(1).has_value());
    EXPECT_TRUE(node.peer_statistics(2).has_value());
}

std::vector<std::uint8_t> key_of(std::uint8_t fill) { return std::vector<std::uint8_t>(32, fill); }

/// Reads a key, then overwrites it: what does the key read first show now?
std::vector<std::uint8_t> key_seen_after_a_rotation(bool without_copy) {
    NodeOptions o = quick_options();
    o.faults.return_without_copy = without_copy;
    Node node(o);
    node.set_peer_key(3, key_of(0xaa));
    const auto key = node.cached_key(3);
    EXPECT_TRUE(key.has_value());
    EXPECT_EQ(key->is_copy(), !without_copy);
    node.set_peer_key(3, key_of(0xbb));  // same size: the cache overwrites its bytes in place
    EXPECT_EQ(node.cached_key(3)->bytes()[0], 0xbb);
    const auto bytes = key->bytes();
    return {bytes.begin(), bytes.end()};
}

TEST(SubscriptionsNode, CachedKeyIsACopy) { EXPECT_EQ(key_seen_after_a_rotation(false), key_of(0xaa)); }

TEST(SubscriptionsFaults, ReturnWithoutCopyShowsTheLaterWrite) {
    EXPECT_EQ(key_seen_after_a_rotation(true), key_of(0xbb)) << "the caller's key changed under it";
}

TEST(SubscriptionsNode, KeysCanBeRemoved) {
    Node node(quick_options());
    EXPECT_FALSE(node.cached_key(1).has_value());
    node.set_peer_key(1, key_of(1));
    EXPECT_TRUE(node.remove_peer_key(1));
    EXPECT_FALSE(node.remove_peer_key(1));
    EXPECT_FALSE(node.cached_key(1).has_value());
}

// ---- Node: lifecycle --------------------------------------------------------------------------

TEST(SubscriptionsNode, StopCancelsAndJoinsEveryWorker) {
    Node node(quick_options());
    EXPECT_EQ(node.worker_threads(), 0u);
    EXPECT_FALSE(node.stop().stopped) << "stopping a stopped node does nothing";
    ASSERT_TRUE(node.start());
    EXPECT_FALSE(node.start()) << "already running";
    EXPECT_TRUE(node.running());
    EXPECT_EQ(node.worker_threads(), Node::k_workers);
    EXPECT_EQ(node.running_workers(), static_cast<int>(Node::k_workers));
    const auto first = node.stop();
    EXPECT_TRUE(first.stopped);
    EXPECT_EQ(first.joined, Node::k_workers);
    EXPECT_EQ(node.running_workers(first.generation), 0);
    EXPECT_EQ(node.running_workers(), 0);
    EXPECT_EQ(node.worker_threads(), 0u);
    EXPECT_FALSE(node.running());
    ASSERT_TRUE(node.start());
    const auto second = node.stop();
    EXPECT_EQ(second.generation, first.generation + 1);
    EXPECT_EQ(node.running_workers(), 0);
}

TEST(SubscriptionsNode, ConcurrentStartsAndStopsLeaveNoStrayWorker) {
    Node node(quick_options());
    std::vector<std::thread> threads;
    std::atomic<int> leftovers{0};
    for (int t = 0; t < 3; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 100; ++i) {
                if ((i + t) % 2 == 0) {
                    node.start();
                } else if (const auto r = node.stop(); r.stopped && node.running_workers(r.generation) != 0) {
                    leftovers.fetch_add(1);
                }
                node.publish(event(static_cast<std::uint64_t>(i) + 1));
            }
        });
    }
    for (auto& t : threads) t.join();
    node.stop();
    EXPECT_EQ(leftovers.load(), 0);
    EXPECT_EQ(node.running_workers(), 0);
    EXPECT_EQ(node.worker_threads(), 0u);
}

// ---- The adapter ----------------------------------------------------------------------------

const TargetSpec& spec() { return testing::registered_target("subscriptions"); }

/// One target instance with its parameters and one ThreadContext per thread.
struct Fixture : testing::TargetFixture {
    explicit Fixture(const std::string& variant, int threads = 1, std::map<std::string, ParamValue> overrides = {})
        : TargetFixture(spec(), variant, threads, overrides, 8) {}
};

TEST(SubscriptionsTarget, DeclaresItsCatalog) {
    const auto& info = spec().info;
    EXPECT_EQ(info.seed, "003_3b8ee4895b816985.txt");
    ASSERT_EQ(info.variants.size(), 10u);
    EXPECT_TRUE(info.variants[0].is_safe());
    for (const auto& v : info.variants) {
        if (v.is_safe()) continue;
        const auto colon = v.caught_by.find(':');
        if (v.caught_by.starts_with("invariant:")) {
            EXPECT_GE(info.invariant_index(v.caught_by.substr(colon + 1)), 0) << v.name;
        }
    }
    for (const char* op : {"publish", "subscribe", "consume", "unsubscribe", "close", "flow", "drop_stream",
                           "stats_update", "stats_read", "key_read", "key_rotate", "key_remove", "stop", "start",
                           "restart", "peer_flow", "peer_reset"}) {
        EXPECT_GE(info.op_index(op), 0) << op;
    }
    for (const auto& p : info.params) EXPECT_FALSE(p.help.empty()) << p.name;
}

TEST(SubscriptionsTarget, OneThreadEveryOpKeepsEveryInvariant) {
    Fixture f("safe");
    // subscribe: arg bit 8 clear = every state; set = a subset from bits 16+.
    f.run("subscribe", 0, 0);
    f.run("subscribe", 0, (1u << 8) | (3u << 16));
    for (std::uint64_t i = 0; i < 40; ++i) f.run("publish", i % 8, i);
    f.run("consume", 0, 0);
    f.run("consume", 0, 1);
    f.run("stop");
    f.run("publish", 1, 1);  // refused: not counted as accepted
    f.run("start");
    f.run("restart");
    f.run("flow", 3);
    f.run("drop_stream", 3);
    f.run("flow", 3);
    f.run("stats_update", 2, 1);
    f.run("stats_read", 2);
    f.run("key_rotate", 4);
    f.run("key_read", 4);
    f.run("key_remove", 4);
    f.run("key_read", 4);
    InvariantSink sink(f.info.invariants.size());
    f.check(sink);
    f.run("unsubscribe", 0, 0);
    f.run("close", 0, 0);
    f.run("subscribe", 0, 0);
    f.run("publish", 0, 0);
    f.check(sink);
    f.check(sink, CheckPoint::final);
    f.expect_all_held(sink);
}

TEST(SubscriptionsTarget, SafeHoldsEveryInvariantUnderContention) {
    Fixture f("safe", 4, {{"buffer_capacity", std::int64_t{8}}, {"slow_consumers", std::int64_t{1}}});
    InvariantSink sink(f.info.invariants.size());
    std::vector<std::string> ops = f.op_names();
    for (int i = 0; i < 6; ++i) ops.push_back("publish");  // mostly publishing
    f.stress(sink, 80, ops, 8, 0.02);
    f.expect_all_held(sink);
}

/// One thread with three every-state subscriptions publishes 60 events, one delivery in three
/// failing ([faults] rate 0.3), consuming now and then; the violations of delivery_accounting.
std::uint64_t accounting_violations_with_failing_deliveries(const char* variant, std::uint64_t& faults) {
    Fixture f(variant);
    f.contexts[0].m_fault_probability = 0.3;
    for (int i = 0; i < 3; ++i) f.run("subscribe", 0, 0);
    InvariantSink sink(f.info.invariants.size());
    for (std::uint64_t i = 0; i < 60; ++i) {
        f.run("publish", i % 8, i);
        if (i % 4 == 3) f.run("consume", 0, i);
        if (i % 20 == 19) f.check(sink);
    }
    f.run("unsubscribe", 0, 0);
    f.check(sink, CheckPoint::final);
    faults = f.contexts[0].m_faults;
    if (std::string(variant) == "safe") f.expect_all_held(sink);
    return f.violations(sink, "delivery_accounting");
}

TEST(SubscriptionsTarget, FailedDeliveriesKeepTheAccountingAndFanoutAbortsOnErrorBreaksIt) {
    std::uint64_t faults = 0;
    EXPECT_EQ(accounting_violations_with_failing_deliveries("safe", faults), 0u);
    EXPECT_GT(faults, 0u) << "deliveries did fail";
    EXPECT_GT(accounting_violations_with_failing_deliveries("fanout_aborts_on_error", faults), 0u);
    EXPECT_GT(faults, 0u);
}

TEST(SubscriptionsTarget, SafeCountsFailedDeliveriesUnderContention) {
    Fixture f("safe", 4, {{"buffer_capacity", std::int64_t{8}}, {"slow_consumers", std::int64_t{1}}});
    for (auto& ctx : f.contexts) ctx.m_fault_probability = 0.05;
    InvariantSink sink(f.info.invariants.size());
    f.stress(sink, 40, {"publish", "publish", "publish", "publish", "subscribe", "consume", "consume", "unsubscribe",
                        "close"},
             8, 0.02);
    f.expect_all_held(sink);
    std::uint64_t faults = 0;
    for (const auto& ctx : f.contexts) faults += ctx.m_faults;
    EXPECT_GT(faults, 0u);
}

TEST(SubscriptionsTarget, BrokenDoubleCheckedIsCaughtUnderContention) {
    for (const char* variant : {"safe", "broken_double_checked"}) {
        int attempts = 0;
        std::uint64_t caught = 0;
        while (caught == 0 && attempts < 10) {
            ++attempts;
            Fixture f(variant, 4);
            InvariantSink sink(f.info.invariants.size());
            f.stress(sink, 60, {"flow", "flow", "flow", "flow", "flow", "flow", "drop_stream"}, 8, 0.02);
            caught = f.violations(sink, "one_controller_per_stream");
            if (std::string(variant) == "safe") {
                f.expect_all_held(sink);
                break;
            }
        }
        if (std::string(variant) != "safe") {
            EXPECT_GT(caught, 0u) << "not caught in " << attempts << " attempts";
        }
    }
}

TEST(SubscriptionsTarget, ClosingTwiceThroughTheAdapterIsHarmless) {
    Fixture f("safe", 2);
    for (int i = 0; i < 5; ++i) {
        f.run("subscribe", 0, static_cast<std::uint64_t>(i) << 8);
        f.run("publish", 0, 1, 1);
        f.run("unsubscribe");
        f.run("subscribe", 0, 0);
        f.run("close");
    }
    InvariantSink sink(f.info.invariants.size());
    f.check(sink, CheckPoint::final);
    f.expect_all_held(sink);
}

}  // namespace
}  // namespace threadmill
