// Harness overhead: ops/s of a no-op target through the real runner, with latency recording
// on (timed by the TSC where trusted, and by steady_clock) and off, on 1 and 2 threads, per lockstep round, and with history recording ([check]
// linearizability) on and off for a no-op target that records every operation
// (docs/performance.md).
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "worker/runner.hpp"
#include "worker/tsc_clock.hpp"
#include "model/scenario.hpp"
#include "scenario/loader.hpp"

namespace {

using namespace threadmill;

class Noop final : public TargetInstance {
public:
    void run(const Op& op, ThreadContext&) override { benchmark::DoNotOptimize(op.key); }
    void check(InvariantSink&, CheckPoint) override {}
    void arbitrate(RoundOutcome& out) override { out.add(1).add(2); }
};

TargetSpec make_noop() {
    TargetSpec s;
    s.info.name = "bench_noop";
    s.info.description = "does nothing: measures the harness's own cost per op";
    s.info.variants = {{"safe", "", ""}};
    s.info.ops = {{"op", ""}};
    s.info.has_arbiter = true;
    s.create = [](const TargetConfig&) { return std::make_unique<Noop>(); };
    return s;
}
TM_REGISTER_TARGET(make_noop);

/// A no-op whose every operation records itself as a register write of its key (what a target
/// does for the linearizability check); with the check off, the records cost one test each.
class NoopHistory final : public TargetInstance {
public:
    void run(const Op& op, ThreadContext& ctx) override {
        ctx.history_invoke({.op = "write", .key = std::nullopt, .input = static_cast<std::int64_t>(op.key)});
        ctx.history_return(nullptr, true);
    }
    void check(InvariantSink&, CheckPoint) override {}
};

TargetSpec make_noop_history() {
    TargetSpec s = make_noop();
    s.info.name = "bench_noop_history";
    s.info.description = "does nothing but record a register write per op";
    s.info.model = "register";
    s.create = [](const TargetConfig&) { return std::make_unique<NoopHistory>(); };
    return s;
}
TM_REGISTER_TARGET(make_noop_history);

constexpr std::uint64_t k_ops_per_thread = 200000;

void run_noop(benchmark::State& state, bool record, const char* sync, bool tsc_clock = true) {
    const int threads = static_cast<int>(state.range(0));
    const std::string text = fmt::format(
        "name = \"bench\"\ntarget = \"bench_noop\"\niterations = {}\n[sync]\nmode = \"{}\"\n{}"
        "[[group]]\nname = \"g\"\nthreads = {}\nmix = {{ op = 1 }}\n",
        k_ops_per_thread, sync,
        std::string(sync) == "rounds"     ? "ops_per_round = 64\ncheckpoint = \"end\"\n"
        : std::string(sync) == "lockstep" ? "[[outcome]]\nmatch = \"1, 2\"\ngrade = \"acceptable\"\n"
                                          : "",
        threads);
    const Scenario sc = parse_scenario(text, "bench.toml", Registry::instance().catalog());
    const TargetSpec& target = *Registry::instance().find("bench_noop");
    RunnerOptions options;
    options.record_latency = record;
    options.tsc_clock = tsc_clock;
    if (record) state.SetLabel(std::string(clock_source_name(tsc_clock ? TscClock::process().source() : ClockSource::steady)));
    for (auto _ : state) {
        const Measurement m = run_job(sc, target, "safe", 1, options);
        benchmark::DoNotOptimize(m.total_ops);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(k_ops_per_thread) * threads);
}

/// The history-recording no-op, with `[check] linearizability` on (history written to a
/// temporary file, every op kept) or off, latency recorded in both.
void run_noop_history(benchmark::State& state, bool history, bool file = true) {
    const int threads = static_cast<int>(state.range(0));
    const std::string text = fmt::format(
        "name = \"bench\"\ntarget = \"bench_noop_history\"\niterations = {}\n[[group]]\nname = \"g\"\nthreads = {}\n"
        "mix = {{ op = 1 }}\n{}",
        k_ops_per_thread, threads,
        history ? fmt::format("[check]\nlinearizability = true\nhistory_limit = {}\n", k_ops_per_thread * 2) : "");
    const Scenario sc = parse_scenario(text, "bench.toml", Registry::instance().catalog());
    const TargetSpec& target = *Registry::instance().find("bench_noop_history");
    RunnerOptions options;
    const std::string path = (std::filesystem::temp_directory_path() / fmt::format("tm-bench-history-{}.jsonl", ::getpid())).string();
    if (history && file) options.history_path = path;
    for (auto _ : state) {
        const Measurement m = run_job(sc, target, "safe", 1, options);
        benchmark::DoNotOptimize(m.total_ops);
    }
    std::filesystem::remove(path);
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(k_ops_per_thread) * threads);
}

void BM_RunnerNoopRecording(benchmark::State& s) { run_noop(s, true, "start"); }
/// As before the TSC clock: every op timed by two steady_clock reads.
void BM_RunnerNoopRecordingSteady(benchmark::State& s) { run_noop(s, true, "start", false); }
void BM_RunnerHistoryOff(benchmark::State& s) { run_noop_history(s, false); }
void BM_RunnerHistoryOn(benchmark::State& s) { run_noop_history(s, true); }
/// Recording only: no file is written after the run.
void BM_RunnerHistoryOnNoFile(benchmark::State& s) { run_noop_history(s, true, false); }
void BM_RunnerNoopNotRecording(benchmark::State& s) { run_noop(s, false, "start"); }
void BM_RunnerNoopRoundsRecording(benchmark::State& s) { run_noop(s, true, "rounds"); }
/// One op per thread per round, the arbiter's "1, 2" counted at each round's barrier: items are
/// ops, so a round costs threads / (items per second).
void BM_RunnerNoopLockstep(benchmark::State& s) { run_noop(s, true, "lockstep"); }

BENCHMARK(BM_RunnerNoopRecording)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RunnerNoopRecordingSteady)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RunnerNoopNotRecording)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RunnerNoopRoundsRecording)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RunnerHistoryOff)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RunnerHistoryOn)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RunnerHistoryOnNoFile)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RunnerNoopLockstep)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
