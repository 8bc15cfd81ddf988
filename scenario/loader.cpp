// The scenario loader: TOML text to a validated Scenario, every problem reported as file:line:col.
#include "scenario/loader.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "model/text.hpp"
#include "scenario/loader_state.hpp"

namespace threadmill {
namespace loader_detail {

Scenario Loader::load(std::string_view text) {
    toml::table root;
    try {
        root = toml::parse(text, path());
    } catch (const toml::parse_error& e) {
        error(e.source().begin, toml_message(e.description()));
        throw ScenarioError(take_sorted_diagnostics());
    }
    try {
        apply_key_overrides(root, m_sets);
    } catch (const std::invalid_argument& e) {
        throw ScenarioError({Diagnostic{SourceLoc{path(), 0, 0}, e.what()}});
    }
    m_root = &root;
    m_scenario.path = path();
    check_root_keys();
    read_header();
    read_run_length();
    read_params();
    read_keys();
    read_sync();
    read_groups();
    read_outcomes();
    read_chaos();
    read_faults();
    read_check();
    read_sanitizers();
    read_slo();
    read_expect();
    check_expect_coverage();
    if (error_count() != 0) throw ScenarioError(take_sorted_diagnostics());
    return std::move(m_scenario);
}

/// A section table: nullptr when absent or not a table (reported).
const toml::table* Loader::section(std::string_view name) {
    const auto* n = m_root->get(name);
    if (n == nullptr) return nullptr;
    if (const auto* t = n->as_table()) return t;
    type_error(*n, name, fmt::format("a table, written [{}]", name));
    return nullptr;
}

void Loader::missing(std::string_view key, std::string_view what) {
    error(m_root->source().begin, fmt::format("missing required key '{}' ({})", key, what));
}

/// An unknown top-level key is often a section's key written above the sections, or a target
/// parameter outside [params]: the message says where it belongs.
void Loader::check_root_keys() {
    const std::vector<std::pair<const Names*, std::string_view>> homes = {
        {&k_keys_keys, "[keys]"},   {&k_sync_keys, "[sync]"},        {&k_chaos_keys, "[chaos]"},
        {&k_fault_keys, "[faults]"}, {&k_check_keys, "[check]"}, {&k_group_keys, "a [[group]]"},
        {&k_outcome_keys, "an [[outcome]]"}};
    for (auto&& [k, v] : *m_root) {
        const std::string_view name = k.str();
        if (contains(k_root_keys, name)) continue;
        // A section's own key written at the top is a surer guess than a similar top-level name.
        std::string hint;
        for (const auto& [keys, home] : homes) {
            if (hint.empty() && contains(*keys, name)) hint = fmt::format("; it belongs in {}", home);
        }
        if (hint.empty()) hint = did_you_mean(name, k_root_keys);
        if (hint.empty()) {
            for (const auto& t : m_catalog.targets) {
                if (t.param(name) != nullptr) hint = "; target parameters belong in [params]";
            }
        }
        if (hint.empty()) hint = suggestion(name, k_root_keys);
        error(k, fmt::format("unknown key '{}'{}", name, hint));
    }
}

}  // namespace loader_detail

Scenario load_scenario(const std::string& path, const Catalog& catalog, const std::vector<KeyOverride>& sets) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw ScenarioError({Diagnostic{SourceLoc{path, 0, 0}, "cannot open the scenario file"}});
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw ScenarioError({Diagnostic{SourceLoc{path, 0, 0}, "cannot read the scenario file"}});
    return parse_scenario(text.str(), path, catalog, sets);
}

Scenario parse_scenario(std::string_view toml_text, const std::string& path, const Catalog& catalog,
                        const std::vector<KeyOverride>& sets) {
    return loader_detail::Loader(path, catalog, sets).load(toml_text);
}

std::string resolve_scenario_worker(const std::string& scenario_path, const std::string& value) {
    namespace fs = std::filesystem;
    const fs::path folder = fs::path(scenario_path).parent_path();
    std::error_code ec;
    const fs::path absolute = fs::absolute(folder / value, ec);
    fs::path out = (ec ? folder / value : absolute).lexically_normal();
    if (!out.has_filename() && out.has_relative_path()) out = out.parent_path();  // "build/" names "build"
    return out.string();
}

std::optional<ScenarioWorker> scenario_worker(const std::string& path) {
    toml::table root;
    try {
        root = toml::parse_file(path);
    } catch (const std::exception&) {
        return std::nullopt;  // load_scenario reports it
    }
    const auto* n = root.get("worker");
    if (n == nullptr || !n->is_string() || n->as_string()->get().empty()) return std::nullopt;
    const auto& at = n->source().begin;
    return ScenarioWorker{resolve_scenario_worker(path, n->as_string()->get()),
                          SourceLoc{path, static_cast<int>(at.line), static_cast<int>(at.column)}};
}

}  // namespace threadmill
