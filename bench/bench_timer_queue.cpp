// Microbenchmarks of the timer_queue target's safe queue: the caller-side cost of an enqueue, against a mutex pair.
#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <mutex>

#include "targets/timer_queue/broadcast_timer.hpp"
#include "targets/timer_queue/timer_queue.hpp"

namespace threadmill::timer_queue {
namespace {

using namespace std::chrono_literals;

/// The baseline: an uncontended std::mutex lock/unlock pair (each thread its own mutex).
void BM_TimerQueue_MutexPairBaseline(benchmark::State& state) {
    std::mutex m;
    for (auto _ : state) {
        m.lock();
        benchmark::ClobberMemory();
        m.unlock();
    }
}
BENCHMARK(BM_TimerQueue_MutexPairBaseline)->UseRealTime();
BENCHMARK(BM_TimerQueue_MutexPairBaseline)->Threads(2)->UseRealTime();

/// A safe TimerQueue with its owner thread running, shared by the benchmark's threads.
struct Rig {
    BroadcastTimer timer;
    SteadyClock clock;
    TimerQueue queue{timer, clock};
    Rig() { queue.start(); }
};
std::unique_ptr<Rig> g_rig;

template <typename Enqueue>
void enqueue_loop(benchmark::State& state, Enqueue enqueue) {
    if (state.thread_index() == 0) g_rig = std::make_unique<Rig>();
    for (auto _ : state) {
        // (The loop's start barrier makes g_rig visible to every thread.)
        benchmark::DoNotOptimize(enqueue(g_rig->queue));
    }
    if (state.thread_index() == 0) {
        const QueueStats s = g_rig->queue.stats();
        state.counters["dropped_pct"] =
            s.accepted == 0 ? 0.0 : 100.0 * static_cast<double>(s.dropped) / static_cast<double>(s.accepted);
        g_rig.reset();
    }
}

/// StopShow(): a push under the lock (and a pump request when the owner is idle).
void BM_TimerQueue_EnqueueStopShow(benchmark::State& state) {
    enqueue_loop(state, [](TimerQueue& q) { return q.stop_show(); });
}
BENCHMARK(BM_TimerQueue_EnqueueStopShow)->UseRealTime();
BENCHMARK(BM_TimerQueue_EnqueueStopShow)->Threads(2)->UseRealTime();

/// StartShow(duration): validation, then the same push.
void BM_TimerQueue_EnqueueStartShow(benchmark::State& state) {
    enqueue_loop(state, [](TimerQueue& q) { return q.start_show(600s); });
}
BENCHMARK(BM_TimerQueue_EnqueueStartShow)->UseRealTime();
BENCHMARK(BM_TimerQueue_EnqueueStartShow)->Threads(2)->UseRealTime();

/// IsTimerActive(event, callback): the record carries a std::function the owner will call.
void BM_TimerQueue_EnqueueQuery(benchmark::State& state) {
    enqueue_loop(state, [](TimerQueue& q) { return q.is_timer_active(TimingEvent::show_end, [](bool) {}); });
}
BENCHMARK(BM_TimerQueue_EnqueueQuery)->UseRealTime();
BENCHMARK(BM_TimerQueue_EnqueueQuery)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace threadmill::timer_queue
