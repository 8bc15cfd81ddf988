// Microbenchmarks of the subscriptions target's safe node: publish, subscribe churn, controllers, stats, keys.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "targets/subscriptions/node.hpp"
#include "targets/subscriptions/subscription.hpp"

namespace threadmill {
namespace {

using subscriptions::Direction;
using subscriptions::Event;
using subscriptions::Node;
using subscriptions::NodeOptions;
using subscriptions::State;
using subscriptions::Subscription;

/// A started node with `subs` every-state subscriptions of 16 events, shared by a benchmark's threads.
struct BenchNode {
    explicit BenchNode(int subs) : node(NodeOptions{}) {
        node.start();
        for (int i = 0; i < subs; ++i) this->subs.push_back(node.subscribe());
        std::vector<std::uint8_t> key(32, 7);
        node.set_peer_key(1, key);
        node.flow_controller("stream-1");
    }
    Node node;
    std::vector<std::shared_ptr<Subscription>> subs;
};

BenchNode& bench_node(int subs) {
    static BenchNode n0(0), n1(1), n4(4), n16(16);
    switch (subs) {
        case 0: return n0;
        case 1: return n1;
        case 4: return n4;
        default: return n16;
    }
}

Event bench_event(std::uint64_t seq) {
    Event e;
    e.seq = seq;
    e.peer = 1;
    e.state = State::connected;
    return e;
}

/// Baseline: an uncontended (per thread) std::mutex lock/unlock pair.
void BM_SubscriptionsBaselineMutex(benchmark::State& state) {
    std::mutex m;
    for (auto _ : state) {
        m.lock();
        benchmark::ClobberMemory();
        m.unlock();
    }
}
BENCHMARK(BM_SubscriptionsBaselineMutex)->Threads(1)->Threads(2);

/// Baseline: an uncontended (per thread) std::shared_mutex lock_shared/unlock_shared pair.
void BM_SubscriptionsBaselineSharedMutex(benchmark::State& state) {
    std::shared_mutex m;
    for (auto _ : state) {
        m.lock_shared();
        benchmark::ClobberMemory();
        m.unlock_shared();
    }
}
BENCHMARK(BM_SubscriptionsBaselineSharedMutex)->Threads(1)->Threads(2);

/// Baseline: a lookup in a plain std::unordered_map of 64 entries.
void BM_SubscriptionsBaselineMapFind(benchmark::State& state) {
    std::unordered_map<std::uint64_t, std::uint64_t> m;
    for (std::uint64_t i = 0; i < 64; ++i) m.emplace(i, i);
    std::uint64_t k = 0;
    for (auto _ : state) benchmark::DoNotOptimize(m.find(++k & 63));
}
BENCHMARK(BM_SubscriptionsBaselineMapFind);

/// publish() to N every-state subscriptions nobody consumes: after 16 events every offer drops
/// (the publisher's worst steady state: a full buffer must cost it nothing more than a drop).
void BM_SubscriptionsPublishToFullBuffers(benchmark::State& state) {
    BenchNode& n = bench_node(static_cast<int>(state.range(0)));
    std::uint64_t seq = 0;
    for (auto _ : state) benchmark::DoNotOptimize(n.node.publish(bench_event(++seq)));
}
BENCHMARK(BM_SubscriptionsPublishToFullBuffers)->Arg(0)->Arg(1)->Arg(4)->Arg(16)->Threads(1);
BENCHMARK(BM_SubscriptionsPublishToFullBuffers)->Arg(4)->Threads(2);

/// publish() to 4 subscriptions of this benchmark's own, each event then consumed from all 4.
void BM_SubscriptionsPublishAndConsume4(benchmark::State& state) {
    NodeOptions o;
    Node node(o);
    node.start();
    std::vector<std::shared_ptr<Subscription>> subs;
    for (int i = 0; i < 4; ++i) subs.push_back(node.subscribe());
    std::uint64_t seq = 0;
    for (auto _ : state) {
        node.publish(bench_event(++seq));
        for (const auto& s : subs) benchmark::DoNotOptimize(s->try_next());
    }
}
BENCHMARK(BM_SubscriptionsPublishAndConsume4);

/// subscribe() then unsubscribe() (and the owner's second close) on a node with 4 other subscriptions.
void BM_SubscriptionsSubscribeUnsubscribe(benchmark::State& state) {
    NodeOptions o;
    Node node(o);
    std::vector<std::shared_ptr<Subscription>> others;
    for (int i = 0; i < 4; ++i) others.push_back(node.subscribe());
    for (auto _ : state) {
        auto s = node.subscribe();
        node.unsubscribe(s);
        s->close();
    }
}
BENCHMARK(BM_SubscriptionsSubscribeUnsubscribe);

/// getOrCreateFlowController on an existing stream: the read-locked fast path.
void BM_SubscriptionsFlowControllerFastPath(benchmark::State& state) {
    BenchNode& n = bench_node(0);
    for (auto _ : state) benchmark::DoNotOptimize(n.node.flow_controller("stream-1"));
}
BENCHMARK(BM_SubscriptionsFlowControllerFastPath)->Threads(1)->Threads(2);

/// getCachedKey: a 32-byte copy made under the read lock.
void BM_SubscriptionsCachedKey(benchmark::State& state) {
    BenchNode& n = bench_node(0);
    for (auto _ : state) benchmark::DoNotOptimize(n.node.cached_key(1));
}
BENCHMARK(BM_SubscriptionsCachedKey)->Threads(1)->Threads(2);

/// A peer statistics update (write lock) and a read (read lock, a copy).
void BM_SubscriptionsPeerStatsUpdateRead(benchmark::State& state) {
    BenchNode& n = bench_node(0);
    const auto peer = static_cast<std::uint64_t>(state.thread_index()) + 100;
    for (auto _ : state) {
        n.node.record_event(peer, Direction::sent, 64);
        benchmark::DoNotOptimize(n.node.peer_statistics(peer));
    }
}
BENCHMARK(BM_SubscriptionsPeerStatsUpdateRead)->Threads(1)->Threads(2);

}  // namespace
}  // namespace threadmill
