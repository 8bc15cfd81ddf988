// The scenario model: a validated TOML scenario with every default applied.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "api/target.hpp"
#include "model/outcome_grade.hpp"
#include "model/schedule.hpp"
#include "model/suppressions.hpp"
#include "model/units.hpp"

namespace threadmill {

/// Where a value came from, for `file:line:col: error: ...` messages.
struct SourceLoc {
    std::string file;
    int line = 0;
    int column = 0;
};

enum class KeyDistribution { uniform, zipf, sequential };

/// Largest keys.count accepted (the zipf table costs 16 bytes per key).
inline constexpr std::uint64_t k_max_key_count = std::uint64_t{1} << 24;

struct KeySpec {
    std::uint64_t count = 1024;
    KeyDistribution distribution = KeyDistribution::uniform;
    double zipf_theta = 0.99;  ///< used by zipf only; > 0
};

/// How the threads of a job meet: `start` (once), `rounds` (every ops_per_round ops), `lockstep`
/// (one op per thread per round, then the target's arbiter observes the result and `[[outcome]]`
/// grades it).
enum class SyncMode { start, rounds, lockstep };

struct SyncSpec {
    SyncMode mode = SyncMode::start;
    std::uint32_t ops_per_round = 64;  ///< rounds mode: rendezvous after this many ops per thread
    /// Quiescent invariant checks in rounds mode: every Nth round boundary; 0 = only at the end.
    std::uint32_t checkpoint_every = 1;
    /// `start_barrier = false` (start mode only): each thread starts as soon as it is created,
    /// the way a hand-written stress loop does; the baseline a barrier is measured against.
    bool start_barrier = true;
};

struct MixEntry {
    int op = 0;  ///< into TargetInfo::ops
    double weight = 1;
};

struct GroupSpec {
    std::string name;
    int threads = 1;
    std::vector<MixEntry> mix;  ///< never empty; weights > 0
    SourceLoc where;
};

struct ChaosSpec {
    double yield_probability = 0;
    double delay_probability = 0;
    Nanos delay_min{0};
    Nanos delay_max{0};
    Strategy strategy = Strategy::uniform;  ///< a selectable row of model/schedule.hpp
    int pct_depth = k_default_pct_depth;    ///< pct and portfolio: PCT's bug depth d (d - 1 change points)
    /// Each thread waits a seeded 0..start_spread before its first op of the job and of each round
    /// (0: all leave the barrier together). In a portfolio: the uniform+spread slice's spread, 0 for its default.
    Nanos start_spread{0};
    bool enabled() const { return yield_probability > 0 || delay_probability > 0; }
};

/// `[faults]`: how often an operation injects its fault (Call::fault()): a callback, handler or
/// transaction body that the adapter hands the component throws, and the component must survive it.
struct FaultSpec {
    double rate = 0;  ///< probability per Call::fault() question, 0 to 1; 0: never
};

struct CheckSpec {
    std::vector<int> invariants;  ///< indices of the invariants to check; default: all
    /// `linearizability = true`: the worker records every operation's history records
    /// (Call::invoke) and the driver checks them against `model` after the job.
    bool linearizability = false;
    std::string model;  ///< `[check] model`, else the target's declared model; "" when off
    /// Records kept over all threads (taken from one budget as they record); past it the history is cut
    /// consistently and the check covers the part before the cut.
    std::uint64_t history_limit = 100'000;
    Nanos time_limit = std::chrono::seconds(10);  ///< for the check of one job's history; past it: unknown
};

/// One `[[outcome]]` entry: the lockstep results its pattern matches get its grade. The first entry
/// that matches a result grades it; a result no entry matches is forbidden.
struct OutcomeRule {
    std::string match;  ///< the result as the arbiter prints it ("1, 2"), `*` matching any run of characters
    OutcomeGrade grade = OutcomeGrade::acceptable;
    std::string desc;
    SourceLoc where;
};

/// What a variant's jobs are expected to give in one flavor: `pass`, `any` (not gated), or
/// the mechanisms of which at least one must catch the job (see model/mechanism.hpp).
struct Expectation {
    std::vector<std::string> mechanisms;
    SourceLoc where;
};

/// One `[slo]` budget, e.g. `"get.p99" = "20us"`, `"set.p999" = "10x safe"`,
/// `throughput = "1M/s"`, `"get.throughput" = "0.5x safe"`.
struct SloBudget {
    std::string key;         ///< as written
    std::string op;          ///< empty: the job's total throughput
    std::string statistic;   ///< p50 p90 p99 p999 max mean, or throughput
    double absolute = 0;     ///< nanoseconds for latencies, ops/s for throughput
    double relative = 0;     ///< > 0: a factor of the safe variant's figure instead
    std::string text;        ///< the budget as written, for messages
    SourceLoc where;
    bool is_throughput() const { return statistic == "throughput"; }
};

struct Scenario {
    std::string path;
    std::string name;
    std::string description;
    std::string target;
    /// `worker = "folder"`: the folder of the worker executables that hold `target`, resolved against the
    /// scenario's folder and made absolute; "" runs on the run's workers (--worker-dir).
    std::string worker_dir;
    std::vector<std::string> variants;  ///< default: every variant of the target
    std::vector<std::string> flavors;   ///< default: the first flavor of model/flavors.def, plain
    std::optional<std::uint64_t> seed;
    std::optional<Nanos> duration;            ///< exactly one of duration / iterations is set
    std::optional<std::uint64_t> iterations;  ///< per thread
    Nanos timeout{std::chrono::seconds(30)};
    Params params;
    KeySpec keys;
    SyncSpec sync;
    std::vector<GroupSpec> groups;
    std::vector<OutcomeRule> outcomes;  ///< `[[outcome]]`, in file order; lockstep only (then never empty)
    ChaosSpec chaos;
    FaultSpec faults;
    CheckSpec check;
    /// Per variant, per flavor ("" = every flavor not listed).
    std::map<std::string, std::map<std::string, Expectation>> expect;
    std::vector<SloBudget> slo;
    /// `[sanitizers]`: extra runtime options by sanitizer (tsan, asan, ubsan, lsan).
    std::map<std::string, std::string> sanitizer_options;
    /// `[sanitizers] suppressions`: the files named, each read and checked (origin "scenario"), then the
    /// project file of `worker_dir` when it has one (origin "project").
    std::vector<SuppressionSource> suppressions;

    int thread_count() const;
    /// The first `[[outcome]]` entry whose pattern matches `result`, or nullptr (forbidden).
    const OutcomeRule* outcome_rule(std::string_view result) const;
    /// The expectation of (variant, flavor), with the default `pass` for safe variants.
    /// Returns nullptr when the scenario says nothing (only possible for mutants, which the
    /// loader rejects, so callers may treat it as an internal error).
    const Expectation* expectation(const std::string& variant, const std::string& flavor) const;
};

struct Diagnostic {
    SourceLoc where;
    std::string message;
    std::string format() const;  ///< `file:line:col: error: message`
};

/// A scenario that cannot be loaded; carries every diagnostic found, in file order.
class ScenarioError : public std::runtime_error {
public:
    explicit ScenarioError(std::vector<Diagnostic> diagnostics);
    std::vector<Diagnostic> diagnostics;
};

}  // namespace threadmill
