// The loader's [chaos] (yields and delays), [check] (invariants) and [sanitizers] (runtime options).
#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "model/flavor.hpp"
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
    if (const auto* n = t->get("linearizability")) {
        if (auto v = read_boolean(*n, "check.linearizability"); v && *v) {
            error(*n, "linearizability checking is not available yet");
        }
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
    check_keys(*t, sanitizer_keys, "", " in [sanitizers]");
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

}  // namespace threadmill::loader_detail
