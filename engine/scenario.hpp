// The scenario model: a validated TOML scenario with every default applied.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/target.hpp"

namespace threadmill {

/// Where a value came from, for `file:line:col: error: ...` messages.
struct SourceLoc {
    std::string file;
    int line = 0;
    int column = 0;
};

enum class KeyDistribution { uniform, zipf, sequential };

struct KeySpec {
    std::uint64_t count = 1024;
    KeyDistribution distribution = KeyDistribution::uniform;
    double zipf_theta = 0.99;  ///< used by zipf only; > 0
};

enum class SyncMode { start, rounds };

struct SyncSpec {
    SyncMode mode = SyncMode::start;
    std::uint32_t ops_per_round = 64;  ///< rounds mode: rendezvous after this many ops per thread
    /// Quiescent invariant checks in rounds mode: every Nth round boundary; 0 = only at the end.
    std::uint32_t checkpoint_every = 1;
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
    bool enabled() const { return yield_probability > 0 || delay_probability > 0; }
};

struct CheckSpec {
    std::vector<int> invariants;  ///< indices of the invariants to check; default: all
};

/// What a variant's jobs are expected to give in one flavor: `pass`, `any` (not gated), or
/// the mechanisms of which at least one must catch the job (see engine/verdict.hpp).
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
    std::vector<std::string> variants;  ///< default: every variant of the target
    std::vector<std::string> flavors;   ///< default: {"plain"}
    std::optional<std::uint64_t> seed;
    std::optional<Nanos> duration;            ///< exactly one of duration / iterations is set
    std::optional<std::uint64_t> iterations;  ///< per thread
    Nanos timeout{std::chrono::seconds(30)};
    Params params;
    KeySpec keys;
    SyncSpec sync;
    std::vector<GroupSpec> groups;
    ChaosSpec chaos;
    CheckSpec check;
    /// Per variant, per flavor ("" = every flavor not listed).
    std::map<std::string, std::map<std::string, Expectation>> expect;
    std::vector<SloBudget> slo;
    /// `[sanitizers]`: extra runtime options by sanitizer (tsan, asan, ubsan, lsan).
    std::map<std::string, std::string> sanitizer_options;

    int thread_count() const;
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

/// The flavors this build knows (a flavor's worker may still be missing; see the supervisor).
const std::vector<std::string>& known_flavors();

/// Loads and validates a scenario file against the targets of `catalog`. Throws ScenarioError.
Scenario load_scenario(const std::string& path, const Catalog& catalog);
/// The same from TOML text; `path` is used in messages only.
Scenario parse_scenario(std::string_view toml_text, const std::string& path, const Catalog& catalog);

/// Parses "250ns", "20us", "1.5ms", "2s", "1m", "1h" (no space, > 0 unless allow_zero).
std::optional<Nanos> parse_duration(std::string_view text, bool allow_zero = false);
/// Formats a duration with three significant digits and a unit: "812ns", "20.4us", "1.50s".
std::string format_duration(Nanos d);
std::string format_duration_ns(double ns);

}  // namespace threadmill
