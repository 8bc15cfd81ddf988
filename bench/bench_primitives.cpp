// Microbenchmarks of the harness's per-op primitives: histogram recording, clock reads
// (steady_clock against the TSC), and the rendezvous barrier against std::barrier (figures and
// command in docs/performance.md).
#include <benchmark/benchmark.h>
#include <pthread.h>
#include <sched.h>

#include <barrier>
#include <chrono>
#include <cstdint>
#include <vector>

#include "worker/barrier.hpp"
#include "worker/tsc_clock.hpp"
#include "model/histogram.hpp"
#include "api/rng.hpp"

namespace threadmill {
namespace {

using Clock = std::chrono::steady_clock;

// Latencies spread over 50 ns .. 50 us, so that record() does not always hit one bucket.
std::vector<std::uint64_t> sample_latencies() {
    std::vector<std::uint64_t> values(4096);
    Rng rng(1);
    for (auto& v : values) v = 50 + (rng.next() >> (50 + rng.below(14)));
    return values;
}

void BM_HistogramRecord(benchmark::State& state) {
    const std::vector<std::uint64_t> values = sample_latencies();
    Histogram h;
    std::size_t i = 0;
    for (auto _ : state) {
        h.record(values[i++ & (values.size() - 1)]);
        benchmark::ClobberMemory();
    }
    benchmark::DoNotOptimize(h.count());
}
BENCHMARK(BM_HistogramRecord);

void BM_TwoClockReads(benchmark::State& state) {
    for (auto _ : state) {
        const auto start = Clock::now();
        const auto end = Clock::now();
        benchmark::DoNotOptimize(end - start);
    }
}
BENCHMARK(BM_TwoClockReads);

// The TSC as the runner reads it when it trusts it (here whether trusted or not), with the
// conversion of the difference to nanoseconds; `fenced`: the reads that bracket a history record.
void tsc_reads(benchmark::State& state, bool fenced) {
    const TscClock* clock = TscClock::tsc_untrusted();
    if (clock == nullptr) {
        state.SkipWithError("no TSC on this CPU");
        return;
    }
    state.SetLabel(TscClock::process().source() == ClockSource::tsc ? "trusted" : "not trusted here");
    for (auto _ : state) {
        const std::uint64_t start = fenced ? clock->before_op() : clock->now();
        const std::uint64_t end = fenced ? clock->after_op() : clock->now();
        benchmark::DoNotOptimize(clock->elapsed_ns(start, end));
    }
}
void BM_TwoTscReads(benchmark::State& state) { tsc_reads(state, false); }
void BM_TwoTscReadsFenced(benchmark::State& state) { tsc_reads(state, true); }
BENCHMARK(BM_TwoTscReads);
BENCHMARK(BM_TwoTscReadsFenced);

// What the runner does per op, without the op.
void BM_ClockReadsAndRecord(benchmark::State& state) {
    Histogram h;
    for (auto _ : state) {
        const auto start = Clock::now();
        const auto end = Clock::now();
        h.record(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count()));
        benchmark::ClobberMemory();
    }
    benchmark::DoNotOptimize(h.count());
}
BENCHMARK(BM_ClockReadsAndRecord);

void BM_TscReadsAndRecord(benchmark::State& state) {
    const TscClock* clock = TscClock::tsc_untrusted();
    if (clock == nullptr) {
        state.SkipWithError("no TSC on this CPU");
        return;
    }
    Histogram h;
    for (auto _ : state) {
        const std::uint64_t start = clock->now();
        const std::uint64_t end = clock->now();
        h.record(clock->elapsed_ns(start, end));
        benchmark::ClobberMemory();
    }
    benchmark::DoNotOptimize(h.count());
}
BENCHMARK(BM_TscReadsAndRecord);

// ---- rendezvous ------------------------------------------------------------------------------

// The affinity the process started with; the unpinned runs restore it, since Google Benchmark
// runs thread 0 of a multi-threaded benchmark on the main thread.
const cpu_set_t k_initial_affinity = [] {
    cpu_set_t set;
    CPU_ZERO(&set);
    sched_getaffinity(0, sizeof set, &set);
    return set;
}();

// Pins benchmark thread i to the i-th allowed CPU (modulo their number), or unpins it.
void set_affinity(const benchmark::State& state, bool pinned) {
    cpu_set_t set = k_initial_affinity;
    if (pinned) {
        std::vector<int> cpus;
        for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
            if (CPU_ISSET(cpu, &k_initial_affinity)) cpus.push_back(cpu);
        }
        if (!cpus.empty()) {
            CPU_ZERO(&set);
            CPU_SET(cpus[static_cast<std::size_t>(state.thread_index()) % cpus.size()], &set);
        }
    }
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

// One barrier object per thread count, shared by the benchmark's threads; every run makes the
// same number of arrivals on every thread, so a barrier is back at a round start between runs.
template <typename B>
B& shared_barrier(int threads) {
    static B two(2), three(3), four(4), eight(8);
    switch (threads) {
        case 2: return two;
        case 3: return three;
        case 4: return four;
        default: return eight;
    }
}

template <typename B>
void BM_Rendezvous(benchmark::State& state, bool pinned) {
    set_affinity(state, pinned);
    B& barrier = shared_barrier<B>(state.threads());
    for (auto _ : state) barrier.arrive_and_wait();
}

void BM_Rendezvous_Ours(benchmark::State& state) { BM_Rendezvous<Barrier>(state, false); }
void BM_Rendezvous_Std(benchmark::State& state) { BM_Rendezvous<std::barrier<>>(state, false); }
void BM_Rendezvous_Ours_Pinned(benchmark::State& state) { BM_Rendezvous<Barrier>(state, true); }
void BM_Rendezvous_Std_Pinned(benchmark::State& state) { BM_Rendezvous<std::barrier<>>(state, true); }

BENCHMARK(BM_Rendezvous_Ours_Pinned)->Threads(2)->UseRealTime();
BENCHMARK(BM_Rendezvous_Std_Pinned)->Threads(2)->UseRealTime();
BENCHMARK(BM_Rendezvous_Ours)->Threads(2)->UseRealTime();
BENCHMARK(BM_Rendezvous_Std)->Threads(2)->UseRealTime();
// More threads than the 2 cores of the project's machines: most built-in scenarios run 3.
BENCHMARK(BM_Rendezvous_Ours)->Threads(3)->UseRealTime();
BENCHMARK(BM_Rendezvous_Std)->Threads(3)->UseRealTime();
BENCHMARK(BM_Rendezvous_Ours)->Threads(4)->UseRealTime();
BENCHMARK(BM_Rendezvous_Std)->Threads(4)->UseRealTime();
BENCHMARK(BM_Rendezvous_Ours)->Threads(8)->UseRealTime();
BENCHMARK(BM_Rendezvous_Std)->Threads(8)->UseRealTime();

}  // namespace
}  // namespace threadmill

BENCHMARK_MAIN();
