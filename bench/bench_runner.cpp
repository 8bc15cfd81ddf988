// Harness overhead: ops/s of a no-op target through the real runner, with latency recording
// on and off, on 1 and 2 threads, and per lockstep round (docs/performance.md).
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "worker/runner.hpp"
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

constexpr std::uint64_t k_ops_per_thread = 200000;

void run_noop(benchmark::State& state, bool record, const char* sync) {
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
    for (auto _ : state) {
        const Measurement m = run_job(sc, target, "safe", 1, options);
        benchmark::DoNotOptimize(m.total_ops);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(k_ops_per_thread) * threads);
}

void BM_RunnerNoopRecording(benchmark::State& s) { run_noop(s, true, "start"); }
void BM_RunnerNoopNotRecording(benchmark::State& s) { run_noop(s, false, "start"); }
void BM_RunnerNoopRoundsRecording(benchmark::State& s) { run_noop(s, true, "rounds"); }
/// One op per thread per round, the arbiter's "1, 2" counted at each round's barrier: items are
/// ops, so a round costs threads / (items per second).
void BM_RunnerNoopLockstep(benchmark::State& s) { run_noop(s, true, "lockstep"); }

BENCHMARK(BM_RunnerNoopRecording)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RunnerNoopNotRecording)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RunnerNoopRoundsRecording)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RunnerNoopLockstep)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
