// Benchmarks of the linearizability checker on generated histories shaped like Porcupine's
// published figures (Athalye, "Porcupine: a fast linearizability checker", 2017): a kv history
// of about 1,700 ops from 50 clients over 10 keys (MIT 6.824's kv tests: distinct appended
// values), a non-linearizable kv history of about 2,000 ops, and Jepsen-etcd-like register
// histories of 73-90 ops (5 clients, values 0-4, timeouts left open, up to ~21 ops at once).
//
// Counters: ops and max_concurrency describe the history; steps and memo_entries the search;
// check_bytes is the most the checker held for one partition (its own accounting);
// maxrss_kb is the process's peak resident set (getrusage), which only grows: run one
// benchmark per process (--benchmark_filter) to read it per shape.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "check/history_gen.hpp"
#include "check/linearizability.hpp"
#include "check/models.hpp"

namespace threadmill {
namespace {

double max_rss_kb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss);  // kilobytes on Linux
}

GenOptions kv_shape(int ops, std::uint64_t seed, bool broken) {
    GenOptions o;
    o.model = "kv";
    o.ops = ops;
    o.processes = 50;
    o.keys = 10;
    o.unique_values = true;
    o.break_history = broken;
    o.seed = seed;
    return o;
}

/// Checks `histories` once per iteration and reports the search's figures for the last one.
/// `rule`: the read-only rule on (the default) or off (the baseline it is measured against).
void run_checks(benchmark::State& state, const std::vector<History>& histories, const Model& model,
                LinVerdict expected, bool diagnose, bool rule) {
    CheckOptions options;
    options.time_limit = std::chrono::seconds(60);
    options.read_only_rule = rule;
    if (!diagnose) options.diagnosis_time_limit = std::chrono::nanoseconds::zero();
    LinResult last;
    for (auto _ : state) {
        for (const History& h : histories) {
            last = check_linearizability(h, model, options);
            if (last.verdict != expected) {
                state.SkipWithError("unexpected verdict");
                return;
            }
        }
        benchmark::DoNotOptimize(last.steps);
    }
    std::size_t ops = 0;
    std::size_t concurrency = 0;
    for (const History& h : histories) {
        ops += h.size();
        concurrency = std::max(concurrency, max_concurrency(h));
    }
    state.counters["histories"] = static_cast<double>(histories.size());
    state.counters["ops"] = static_cast<double>(ops) / static_cast<double>(histories.size());
    state.counters["max_concurrency"] = static_cast<double>(concurrency);
    state.counters["steps"] = static_cast<double>(last.steps);
    state.counters["memo_entries"] = static_cast<double>(last.peak_memo_entries);
    state.counters["check_bytes"] = static_cast<double>(last.peak_memory_bytes);
    state.counters["maxrss_kb"] = max_rss_kb();
}

// ~1,700 linearizable kv ops, 50 clients, 10 keys: the seed, and the read-only rule off (0) or on (1).
void BM_KvLinearizable1700(benchmark::State& state) {
    const auto model = make_model("kv");
    const std::vector<History> h = {generate_history(kv_shape(1700, static_cast<std::uint64_t>(state.range(0)), false)).history};
    run_checks(state, h, *model, LinVerdict::linearizable, false, state.range(1) != 0);
}
BENCHMARK(BM_KvLinearizable1700)
    ->ArgsProduct({benchmark::CreateDenseRange(1, 10, 1), {0, 1}})
    ->ArgNames({"seed", "rule"})
    ->Unit(benchmark::kMillisecond);

// ~2,000 kv ops with one corrupted output (each of these seeds is not linearizable): the
// fast check alone (diagnose 0), then with the diagnosis of the failing partition (1); the
// read-only rule off (0) or on (1).
void BM_KvBroken2000(benchmark::State& state) {
    const auto model = make_model("kv");
    const std::vector<History> h = {generate_history(kv_shape(2000, static_cast<std::uint64_t>(state.range(0)), true)).history};
    run_checks(state, h, *model, LinVerdict::not_linearizable, state.range(1) != 0, state.range(2) != 0);
}
BENCHMARK(BM_KvBroken2000)
    ->ArgsProduct({benchmark::CreateDenseRange(1, 10, 1), {0, 1}, {0, 1}})
    ->ArgNames({"seed", "diagnose", "rule"})
    ->Unit(benchmark::kMillisecond);

// Jepsen etcd register histories: 73-90 ops each, 5 clients, 20% timeouts (open to the end).
std::vector<History> register_histories(bool broken) {
    std::vector<History> out;
    for (int i = 0; i < 10; ++i) {
        GenOptions o;
        o.model = "register";
        o.ops = 73 + 2 * i;
        o.processes = 5;
        o.info_rate = 0.2;
        o.values = 5;
        o.seed = static_cast<std::uint64_t>(100 + i);
        o.break_history = broken;
        GeneratedHistory g = generate_history(o);
        out.push_back(std::move(g.history));
    }
    return out;
}

void BM_RegisterEtcdShape(benchmark::State& state) {
    const auto model = make_model("register");
    const std::vector<History> all = register_histories(false);
    run_checks(state, all, *model, LinVerdict::linearizable, false, state.range(0) != 0);
}
BENCHMARK(BM_RegisterEtcdShape)->Arg(0)->Arg(1)->ArgName("rule")->Unit(benchmark::kMicrosecond);

void BM_RegisterEtcdShapeBroken(benchmark::State& state) {
    const auto model = make_model("register");
    std::vector<History> broken;
    for (History& h : register_histories(true)) {
        if (check_linearizability(h, *model).verdict == LinVerdict::not_linearizable) broken.push_back(std::move(h));
    }
    run_checks(state, broken, *model, LinVerdict::not_linearizable, false, state.range(0) != 0);
}
BENCHMARK(BM_RegisterEtcdShapeBroken)->Arg(0)->Arg(1)->ArgName("rule")->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace threadmill
