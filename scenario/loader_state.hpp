// Internal to the loader: its limits, key tables and the Loader that the load_*.cpp files fill in.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "api/target.hpp"
#include "model/scenario.hpp"
#include "scenario/overrides.hpp"
#include "scenario/toml_reader.hpp"

namespace threadmill::loader_detail {

// ---- Limits and key tables (docs/scenario-format.md documents each) ----------------------

inline constexpr int k_max_threads = 256;
inline constexpr std::int64_t k_max_iterations = 1'000'000'000;
inline constexpr std::int64_t k_max_ops_per_round = 1'000'000;
inline constexpr std::int64_t k_max_checkpoint = 1'000'000'000;
inline constexpr double k_max_zipf_theta = 10;
inline constexpr Nanos k_default_duration = std::chrono::seconds(1);
inline constexpr Nanos k_max_duration = std::chrono::hours(1);
inline constexpr Nanos k_default_timeout = std::chrono::seconds(30);
inline constexpr Nanos k_max_timeout = std::chrono::hours(24);
inline constexpr Nanos k_max_chaos_delay = std::chrono::milliseconds(10);

inline const Names k_root_keys = {"name",     "description", "target",  "worker", "variants", "flavors",
                                  "seed",     "duration",    "iterations", "timeout", "params", "keys",
                                  "sync",     "group",       "outcome", "chaos",  "faults",   "check",
                                  "expect",   "slo",         "sanitizers"};
inline const Names k_keys_keys = {"count", "distribution", "zipf_theta"};
inline const Names k_sync_keys = {"mode", "ops_per_round", "checkpoint", "start_barrier"};
inline const Names k_group_keys = {"name", "threads", "mix"};
inline const Names k_outcome_keys = {"match", "grade", "desc"};
inline const Names k_chaos_keys = {"yield", "delay", "delay_probability", "strategy", "pct_depth", "start_spread"};
inline const Names k_fault_keys = {"rate"};
inline const Names k_check_keys = {"invariants", "linearizability", "model", "history_limit", "time_limit"};
inline const Names k_distributions = {"uniform", "zipf", "sequential"};
inline const Names k_sync_modes = {"start", "rounds", "lockstep"};
inline const Names k_slo_stats = {"p50", "p90", "p99", "p999", "max", "mean", "throughput"};

/// The `name` of each of `specs`, in order (variants, operations, invariants, parameters, targets).
template <class Spec>
Names names_of(const std::vector<Spec>& specs) {
    Names out;
    for (const auto& s : specs) out.push_back(s.name);
    return out;
}

/// Reads one scenario file section by section. Every problem is reported, not just the first:
/// a section that cannot be read leaves its defaults and the others are still checked.
class Loader : private TomlReader {
public:
    Loader(const std::string& path, const Catalog& catalog, const std::vector<KeyOverride>& sets)
        : TomlReader(path), m_catalog(catalog), m_sets(sets) {}

    /// The validated scenario with every default applied. Throws ScenarioError holding every
    /// diagnostic, in file order.
    Scenario load(std::string_view text);

private:
    // loader.cpp: the top level.
    const toml::table* section(std::string_view name);
    void missing(std::string_view key, std::string_view what);
    void check_root_keys();

    // load_run.cpp: what runs, and for how long.
    void read_header();
    void read_worker();
    void read_variants();
    void read_flavors();
    void read_run_length();

    // load_params.cpp: [params].
    void read_params();
    std::optional<ParamValue> read_param(const ParamSpec& spec, const toml::node& n);

    // load_workload.cpp: [keys], [sync] and [[group]].
    void read_keys();
    void read_sync();
    void read_groups();
    void read_mix(const toml::node& n, const std::string& label, GroupSpec& group);

    // load_outcomes.cpp: [[outcome]] (lockstep).
    void read_outcomes();
    void read_outcome(const toml::table& t, const std::string& label);

    // load_checks.cpp: [chaos], [check] and [sanitizers].
    void read_chaos();
    void read_delay(const toml::node& n);
    void read_strategy(const toml::table& t);
    void read_faults();
    void read_check();
    void read_check_invariants(const toml::node& n);
    void read_check_linearizability(const toml::table& t);
    void read_sanitizers();
    void read_suppressions(const toml::node& n);

    // load_slo.cpp: [slo].
    void read_slo();
    void read_slo_budget(const toml::key& k, const std::string& key, const toml::node& n);

    // load_expect.cpp: [expect], read last since it refers to every other section.
    void read_expect();
    void read_expectation(const std::string& variant, const toml::node& n);
    std::optional<std::vector<std::string>> read_mechanisms(const toml::node& n, const std::string& label,
                                                            bool table_allowed);
    bool check_mechanism_is_observable(const std::string& word, const toml::node& n, const std::string& label);
    void check_expect_coverage();
    void check_expect_reachable();

    const Catalog& m_catalog;
    const std::vector<KeyOverride>& m_sets;  ///< `--set`, applied to the TOML before anything is read
    const toml::table* m_root = nullptr;
    const TargetInfo* m_target = nullptr;
    Scenario m_scenario;
    bool m_variants_broken = false;
    bool m_flavors_broken = false;
    bool m_check_broken = false;
    bool m_sync_broken = false;  ///< sync.mode could not be read: lockstep or not is unknown
    std::set<std::string> m_expect_broken;  ///< variants whose [expect] entry was already reported
};

}  // namespace threadmill::loader_detail
