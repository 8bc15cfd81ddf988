// The loader's [chaos] (yields, delays and the schedule strategy), [faults] (injected failures), [check] (invariants) and
// [sanitizers] (runtime options and suppression files).
#include <algorithm>
#include <filesystem>
#include <utility>

#include <fmt/format.h>

#include "model/flavor.hpp"
#include "model/schedule.hpp"
#include "model/suppressions.hpp"
#include "model/units.hpp"
#include "scenario/loader_state.hpp"

namespace threadmill::loader_detail {

void Loader::read_chaos() {
    const auto* t = section("chaos");
    if (t == nullptr) return;
    check_keys(*t, k_chaos_keys, "", " in [chaos]");
    auto& chaos = m_scenario.chaos;
    if (const auto* n = t->get("yield")) {
        if (auto v = read_number(*n, "chaos.yield", 0, false, 1)) chaos.yield_probability = *v;
    }
    const auto* delay = t->get("delay");
    const auto* probability = t->get("delay_probability");
    if (delay != nullptr) read_delay(*delay);
    if (probability != nullptr) {
        if (auto v = read_number(*probability, "chaos.delay_probability", 0, false, 1)) {
            chaos.delay_probability = *v;
        }
    }
    if (delay != nullptr && probability == nullptr) {
        error(*key_of(*t, "delay"), "chaos.delay needs chaos.delay_probability (how often to delay, 0 to 1)");
    }
    if (delay == nullptr && probability != nullptr) {
        error(*key_of(*t, "delay_probability"),
              "chaos.delay_probability needs chaos.delay (such as \"5us\" or \"0-20us\")");
    }
    read_strategy(*t);
}

/// `strategy` (model/schedule.hpp's selectable rows), `pct_depth` (pct and portfolio only) and
/// `start_spread` (any strategy).
void Loader::read_strategy(const toml::table& t) {
    auto& chaos = m_scenario.chaos;
    bool strategy_ok = true;
    if (const auto* n = t.get("strategy")) {
        const auto name = read_choice(*n, "chaos.strategy", selectable_strategy_names());
        strategy_ok = name.has_value();
        if (name) chaos.strategy = *parse_strategy(*name);
    }
    if (const auto* n = t.get("pct_depth")) {
        if (auto v = read_integer(*n, "chaos.pct_depth", 1, k_max_pct_depth)) chaos.pct_depth = static_cast<int>(*v);
        if (strategy_ok && chaos.strategy != Strategy::pct && chaos.strategy != Strategy::portfolio) {
            error(*key_of(t, "pct_depth"), fmt::format("chaos.pct_depth is only used with strategy = \"pct\" or "
                                                       "\"portfolio\" (the strategy here is \"{}\")",
                                                       info(chaos.strategy).name));
        }
    }
    if (const auto* n = t.get("start_spread")) {
        if (auto v = read_duration(*n, "chaos.start_spread", Nanos(0), true, k_max_chaos_delay)) chaos.start_spread = *v;
    }
}

/// `[faults] rate = 0.01`: how often Call::fault() says yes.
void Loader::read_faults() {
    const auto* t = section("faults");
    if (t == nullptr) return;
    check_keys(*t, k_fault_keys, "", " in [faults]");
    if (const auto* n = t->get("rate")) {
        if (auto v = read_number(*n, "faults.rate", 0, false, 1)) m_scenario.faults.rate = *v;
    }
}

/// "5us" (a fixed delay) or "0-20us" / "1us-20us" (uniform in the range).
void Loader::read_delay(const toml::node& n) {
    const auto* s = n.as_string();
    if (s == nullptr) {
        type_error(n, "chaos.delay", "a duration string such as \"5us\" or a range such as \"0-20us\"");
        return;
    }
    const std::string_view text = s->get();
    std::int64_t lo = 0;
    std::int64_t hi = 0;
    const auto status = parse_duration_range_detail(text, lo, hi);
    if (status == DurationStatus::syntax) {
        error(n, fmt::format("chaos.delay: '{}' is not a delay; write a duration such as \"5us\" or a range "
                             "such as \"0-20us\"",
                             text));
        return;
    }
    if (status == DurationStatus::overflow || hi > k_max_chaos_delay.count()) {
        error(n, fmt::format("chaos.delay must be at most {}, got {}",
                             bound_duration(static_cast<double>(k_max_chaos_delay.count())), text));
        return;
    }
    if (lo > hi) {
        error(n, fmt::format("chaos.delay range '{}' is reversed: its lower end is above its upper end", text));
        return;
    }
    if (hi == 0) {
        error(n, fmt::format("chaos.delay must be greater than 0, got {}", text));
        return;
    }
    m_scenario.chaos.delay_min = Nanos(lo);
    m_scenario.chaos.delay_max = Nanos(hi);
}

void Loader::read_check() {
    if (m_target != nullptr) {
        for (std::size_t i = 0; i < m_target->invariants.size(); ++i) {
            m_scenario.check.invariants.push_back(static_cast<int>(i));
        }
    }
    const auto* t = section("check");
    if (t == nullptr) return;
    check_keys(*t, k_check_keys, "", " in [check]");
    if (const auto* n = t->get("invariants")) read_check_invariants(*n);
    read_check_linearizability(*t);
}

void Loader::read_check_linearizability(const toml::table& t) {
    const auto* on = t.get("linearizability");
    if (on != nullptr) {
        if (auto v = read_boolean(*on, "check.linearizability")) m_scenario.check.linearizability = *v;
    }
    auto& check = m_scenario.check;
    const auto* model = t.get("model");
    if (model != nullptr) {
        if (auto s = read_string(*model, "check.model")) check.model = *s;
    } else if (m_target != nullptr) {
        check.model = m_target->model;
    }
    if (const auto* n = t.get("history_limit")) {
        if (auto v = read_integer(*n, "check.history_limit", 1, 100'000'000)) {
            check.history_limit = static_cast<std::uint64_t>(*v);
        }
    }
    if (const auto* n = t.get("time_limit")) {
        if (auto v = read_duration(*n, "check.time_limit", Nanos(1'000'000), false, std::chrono::hours(1))) {
            check.time_limit = *v;
        }
    }
    if (!check.linearizability) {
        for (const auto* key : {"model", "history_limit", "time_limit"}) {
            if (const auto* n = t.get(key)) {
                error(*n, fmt::format("check.{} applies only with check.linearizability = true", key));
            }
        }
        check.model.clear();
        return;
    }
    if (check.model.empty() && m_target != nullptr) {
        error(*on,
              fmt::format("target '{}' declares no history model (.model in its adapter): name one with "
                          "check.model (register, kv, queue, set or counter) and make its operations "
                          "record history (Call::invoke)",
                          m_target->name));
    }
}

void Loader::read_check_invariants(const toml::node& n) {
    const std::string expected = "\"all\", \"none\" or an array of invariant names";
    const std::size_t errors_before = error_count();
    if (const auto* s = n.as_string()) {
        if (s->get() == "none") m_scenario.check.invariants.clear();
        else if (s->get() != "all") {
            const bool is_name = m_target != nullptr && m_target->invariant_index(s->get()) >= 0;
            error(n, fmt::format("check.invariants must be {}, got '{}'{}", expected, s->get(),
                                 is_name ? fmt::format("; write [\"{}\"] to check only that one", s->get())
                                         : std::string{}));
        }
    } else if (n.as_array() != nullptr) {
        std::vector<int> chosen;
        const Names names = m_target != nullptr ? names_of(m_target->invariants) : Names{};
        const auto list = read_string_array(n, "check.invariants");
        for (const auto& [name, node] : *list) {
            if (m_target == nullptr) continue;
            const int index = m_target->invariant_index(name);
            if (index < 0) {
                error(*node, fmt::format("target '{}' has no invariant '{}'{}", m_target->name, name,
                                         suggestion(name, names)));
            } else if (std::find(chosen.begin(), chosen.end(), index) != chosen.end()) {
                error(*node, fmt::format("invariant '{}' is listed twice", name));
            } else {
                chosen.push_back(index);
            }
        }
        m_scenario.check.invariants = std::move(chosen);
    } else {
        type_error(n, "check.invariants", expected);
    }
    m_check_broken = error_count() != errors_before;
}

/// Extra runtime options per sanitizer, in the runtimes' own `key=value:key=value` form;
/// they are appended after threadmill's defaults, so they win.
void Loader::read_sanitizers() {
    const auto* t = section("sanitizers");
    if (t == nullptr) return;
    Names sanitizer_keys;
    for (const auto& r : all_runtimes()) sanitizer_keys.emplace_back(r.name);
    Names known = sanitizer_keys;
    known.emplace_back("suppressions");
    check_keys(*t, known, "", " in [sanitizers]");
    if (const auto* n = t->get("suppressions")) read_suppressions(*n);
    for (const auto& name : sanitizer_keys) {
        const auto* n = t->get(name);
        if (n == nullptr) continue;
        const auto label = fmt::format("sanitizers.{}", name);
        auto text = read_string(*n, label);
        if (!text) continue;
        bool ok = !text->empty();
        std::size_t start = 0;
        while (ok && start <= text->size()) {
            const auto end = std::min(text->find(':', start), text->size());
            const std::string_view part = std::string_view(*text).substr(start, end - start);
            const auto eq = part.find('=');
            ok = eq != std::string_view::npos && eq > 0 &&
                 std::all_of(part.begin(), part.begin() + static_cast<std::ptrdiff_t>(eq),
                             [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
            start = end + 1;
        }
        if (!ok) {
            error(*n, fmt::format("{} must be runtime options like \"history_size=7:report_thread_leaks=0\", got '{}'",
                                  label, *text));
            continue;
        }
        m_scenario.sanitizer_options[name] = *text;
    }
}

/// `suppressions = "file"` or `["a", "b"]`: suppression files in the runtimes' own syntax, paths
/// relative to the scenario's folder; each is read and every line checked here, so a bad file is
/// a scenario error at its line rather than a runtime that refuses to start.
void Loader::read_suppressions(const toml::node& n) {
    std::vector<std::pair<std::string, const toml::node*>> files;
    if (n.is_string()) {
        if (auto text = read_string(n, "sanitizers.suppressions")) files.emplace_back(*text, &n);
    } else if (n.is_array()) {
        if (auto list = read_string_array(n, "sanitizers.suppressions")) files = std::move(*list);
    } else {
        type_error(n, "sanitizers.suppressions", "a file name or an array of file names");
        return;
    }
    const std::filesystem::path folder = std::filesystem::path(path()).parent_path();
    std::vector<std::string> seen;
    for (const auto& [name, node] : files) {
        if (name.empty()) {
            error(*node, "sanitizers.suppressions: the file name is empty");
            continue;
        }
        const std::string file = (folder / name).lexically_normal().string();
        if (std::find(seen.begin(), seen.end(), file) != seen.end()) {
            error(*node, fmt::format("sanitizers.suppressions: '{}' is listed twice", name));
            continue;
        }
        seen.push_back(file);
        std::string why;
        const auto text = read_suppression_file(file, why);
        if (!text) {
            error(*node, fmt::format("sanitizers.suppressions: cannot read '{}' ({}): {}; the path is relative to "
                                     "the scenario's folder",
                                     name, file, why));
            continue;
        }
        auto parsed = parse_suppression_text(*text);
        for (auto& e : parsed.errors) error(SourceLoc{file, e.line, 1}, std::move(e.message));
        if (parsed.errors.empty())
            m_scenario.suppressions.push_back({std::string(k_origin_scenario), file, std::move(parsed.patterns)});
    }
}

}  // namespace threadmill::loader_detail
