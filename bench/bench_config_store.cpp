// Microbenchmarks of the config_store target's safe variant: get and set, on one and two threads.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <shared_mutex>
#include <string>

#include "targets/config_store/config_store.hpp"

namespace threadmill {
namespace {

using config_store::Config;
using config_store::ConfigStore;
using config_store::ConfigStoreOptions;

Config bench_config() {
    Config c;
    for (const char* name : {"a", "b", "c", "counter", "volume"}) c.values.emplace(name, 1);
    for (int i = 0; i < 8; ++i) c.values.emplace("f" + std::to_string(i), i);
    return c;
}

/// One store per configuration, shared by the threads of a benchmark (memory only, no file).
ConfigStore& store(bool thread_cache) {
    static ConfigStore cached([] { return ConfigStoreOptions{}; }(), bench_config());
    static ConfigStore uncached(
        [] {
            ConfigStoreOptions o;
            o.thread_cache_ttl = std::chrono::nanoseconds(0);
            return o;
        }(),
        bench_config());
    return thread_cache ? cached : uncached;
}

/// The baseline: an uncontended (per thread) std::shared_mutex lock_shared/unlock_shared pair.
void BM_ConfigBaselineSharedMutex(benchmark::State& state) {
    std::shared_mutex m;
    for (auto _ : state) {
        m.lock_shared();
        benchmark::ClobberMemory();
        m.unlock_shared();
    }
}
BENCHMARK(BM_ConfigBaselineSharedMutex)->Threads(1)->Threads(2);

/// get_value served by the per-thread cache (the common case: no lock at all).
void BM_ConfigGetCached(benchmark::State& state) {
    ConfigStore& s = store(true);
    for (auto _ : state) benchmark::DoNotOptimize(s.get_value("volume", 0));
}
BENCHMARK(BM_ConfigGetCached)->Threads(1)->Threads(2);

/// get_value through the read lock and the global cache (no per-thread cache).
void BM_ConfigGetLocked(benchmark::State& state) {
    ConfigStore& s = store(false);
    for (auto _ : state) benchmark::DoNotOptimize(s.get_value("volume", 0));
}
BENCHMARK(BM_ConfigGetLocked)->Threads(1)->Threads(2);

/// set_value: a one-value transaction (snapshot copy, validation, commit, listeners), no file.
void BM_ConfigSet(benchmark::State& state) {
    ConfigStore& s = store(true);
    std::int64_t v = 0;
    for (auto _ : state) benchmark::DoNotOptimize(s.set_value("volume", ++v & 1023));
}
BENCHMARK(BM_ConfigSet)->Threads(1)->Threads(2);

}  // namespace
}  // namespace threadmill
