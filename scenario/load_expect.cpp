// The loader's [expect]: what should catch each variant per flavor, checked against what can be seen.
#include <algorithm>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "model/flavor.hpp"
#include "model/mechanism.hpp"
#include "model/text.hpp"
#include "scenario/loader_state.hpp"

namespace threadmill::loader_detail {

void Loader::read_expect() {
    const auto* t = section("expect");
    if (t == nullptr || m_target == nullptr) return;
    const Names names = names_of(m_target->variants);
    for (auto&& [k, v] : *t) {
        const std::string variant(k.str());
        const std::size_t errors_before = error_count();
        if (m_target->variant_index(variant) < 0) {
            error(k, fmt::format("[expect] names variant '{}', but target '{}' has no such variant{}", variant,
                                 m_target->name, suggestion(variant, names)));
        } else if (!contains(m_scenario.variants, variant)) {
            if (!m_variants_broken) {
                error(k, fmt::format("[expect] names variant '{}', which the scenario does not run "
                                     "(variants: {}){}",
                                     variant, fmt::join(m_scenario.variants, ", "),
                                     did_you_mean(variant, m_scenario.variants)));
            }
        } else {
            read_expectation(variant, v);
        }
        if (error_count() != errors_before) m_expect_broken.insert(variant);
    }
}

void Loader::read_expectation(const std::string& variant, const toml::node& n) {
    const std::string label = fmt::format("expect.{}", variant);
    auto& by_flavor = m_scenario.expect[variant];
    if (const auto* t = n.as_table()) {
        if (t->empty()) {
            error(n, fmt::format("{} is empty; say what should catch variant '{}'", label, variant));
            return;
        }
        Names keys = m_scenario.flavors;
        keys.push_back("default");
        for (const auto& [k, v] : in_file_order(*t)) {
            const std::string flavor(k->str());
            if (flavor != "default" && !contains(m_scenario.flavors, flavor)) {
                if (parse_flavor(flavor)) {
                    error(*k, fmt::format("{}: flavor '{}' is not among the scenario's flavors ({})", label, flavor,
                                          fmt::join(m_scenario.flavors, ", ")));
                } else if (!m_flavors_broken) {
                    error(*k, fmt::format("{}: unknown flavor '{}'{}", label, flavor, suggestion(flavor, keys)));
                }
                continue;
            }
            auto words = read_mechanisms(*v, fmt::format("{}.{}", label, flavor), false);
            if (words) by_flavor[flavor == "default" ? "" : flavor] = Expectation{*words, loc(*v)};
        }
        return;
    }
    if (auto words = read_mechanisms(n, label, true)) by_flavor[""] = Expectation{*words, loc(n)};
}

/// A mechanism string or a non-empty array of them, each checked against the target.
std::optional<std::vector<std::string>> Loader::read_mechanisms(const toml::node& n, const std::string& label,
                                                                bool table_allowed) {
    std::vector<std::pair<std::string, const toml::node*>> words;
    if (const auto* s = n.as_string()) {
        words.emplace_back(s->get(), &n);
    } else if (n.as_array() != nullptr) {
        auto list = read_string_array(n, label);
        if (!list) return std::nullopt;
        if (n.as_array()->empty()) {
            error(n, fmt::format("{} is an empty list; write \"pass\" or the mechanisms that should catch it",
                                 label));
            return std::nullopt;
        }
        words = std::move(*list);
    } else {
        type_error(n, label,
                   table_allowed ? "a mechanism such as \"invariant\", an array of them, or a table by flavor"
                                 : "a mechanism such as \"invariant\" or an array of them");
        return std::nullopt;
    }
    std::vector<std::string> out;
    bool ok = true;
    for (const auto& [word, node] : words) {
        if (auto problem = check_mechanism(word, *m_target)) {
            error(*node, fmt::format("{}: {}", label, *problem));
            ok = false;
        } else if (!check_mechanism_is_observable(word, *node, label)) {
            ok = false;
        } else {
            out.push_back(word);
        }
    }
    if (!ok || out.size() != words.size()) return std::nullopt;
    return out;
}

/// An expected mechanism that the scenario's own settings rule out is an error: an
/// invariant left out of [check], or "slo" with no [slo] budget.
bool Loader::check_mechanism_is_observable(const std::string& word, const toml::node& n, const std::string& label) {
    if (word == "slo" && m_scenario.slo.empty()) {
        error(n, fmt::format("{}: 'slo' can never be detected: [slo] sets no budget", label));
        return false;
    }
    if (word == "outcome" && m_scenario.sync.mode != SyncMode::lockstep && !m_sync_broken) {
        error(n, fmt::format("{}: 'outcome' can never be detected: only lockstep rounds (sync.mode = \"lockstep\") "
                             "have graded outcomes",
                             label));
        return false;
    }
    if (m_check_broken) return true;
    const auto& checked = m_scenario.check.invariants;
    if (word == "invariant" && checked.empty()) {
        error(n, fmt::format("{}: 'invariant' can never be detected: [check] checks no invariant", label));
        return false;
    }
    if (word.starts_with("invariant:")) {
        const int index = m_target->invariant_index(std::string_view(word).substr(10));
        if (std::find(checked.begin(), checked.end(), index) == checked.end()) {
            error(n, fmt::format("{}: '{}' can never be detected: [check] invariants leaves '{}' out", label, word,
                                 word.substr(10)));
            return false;
        }
    }
    return true;
}

/// Every mutant must say, for every flavor, what should catch it; safe variants default to pass.
void Loader::check_expect_coverage() {
    if (m_target == nullptr) return;
    const toml::key* anchor = key_of(*m_root, "variants");
    if (anchor == nullptr) anchor = key_of(*m_root, "target");
    for (const auto& name : m_scenario.variants) {
        const VariantSpec& spec = m_target->variants[static_cast<std::size_t>(m_target->variant_index(name))];
        auto found = m_scenario.expect.find(name);
        if (spec.is_safe()) {
            auto& by_flavor = m_scenario.expect[name];
            if (by_flavor.find("") == by_flavor.end()) by_flavor[""] = Expectation{{"pass"}, loc(*anchor)};
            continue;
        }
        if (m_expect_broken.count(name) != 0) continue;
        if (found == m_scenario.expect.end()) {
            error(*anchor, fmt::format("variant '{}' has no [expect] entry (what should catch it? the target "
                                       "says: {})",
                                       name, spec.caught_by));
            continue;
        }
        if (m_flavors_broken || found->second.count("") != 0) continue;
        for (const auto& flavor : m_scenario.flavors) {
            if (found->second.count(flavor) == 0) {
                error(*key_of(*m_root->get("expect")->as_table(), name),
                      fmt::format("expect.{} says nothing for flavor '{}'; add {} = ... or default = ... "
                                  "(the target says: {})",
                                  name, flavor, flavor, spec.caught_by));
            }
        }
    }
    check_expect_reachable();
}

/// Whatever validate accepts, run can run: an expectation that no job of one of the scenario's
/// flavors can ever meet (`race` in plain, `slo` in tsan) is an error where it is written.
void Loader::check_expect_reachable() {
    if (m_flavors_broken) return;
    for (const auto& [variant, by_flavor] : m_scenario.expect) {
        if (m_expect_broken.count(variant) != 0) continue;
        // The flavors each entry ("" = default) applies to and cannot be met in, and why.
        std::map<std::string, std::pair<std::vector<std::string>, std::string>> unmet;
        for (const auto& flavor : m_scenario.flavors) {
            const std::string entry = by_flavor.count(flavor) != 0 ? flavor : "";
            const Expectation* e = m_scenario.expectation(variant, flavor);
            if (e == nullptr) continue;
            if (auto why = never_met_in(e->mechanisms, flavor_of(flavor))) {
                unmet[entry].first.push_back(flavor);
                unmet[entry].second = std::move(*why);
            }
        }
        for (const auto& [entry, problem] : unmet) {
            const auto& [flavors, why] = problem;
            const Expectation& e = by_flavor.at(entry);
            const toml::source_position at{static_cast<toml::source_index>(e.where.line),
                                           static_cast<toml::source_index>(e.where.column)};
            const std::string words = fmt::format("{}", fmt::join(e.mechanisms, " or "));
            if (!entry.empty()) {
                error(at, fmt::format("expect.{}.{}: {} can never be met in flavor '{}' ({})", variant, entry, words,
                                      entry, why));
                continue;
            }
            const bool one = flavors.size() == 1;
            std::string entries;
            for (const auto& f : flavors) entries += fmt::format("{} = \"...\", ", f);
            error(at, fmt::format("expect.{}: {} can never be met in flavor{} '{}' ({}); give {} (expect.{} = {{ {}"
                                  "default = ... }}) or drop {} from flavors",
                                  variant, words, one ? "" : "s", fmt::join(flavors, "', '"), why,
                                  one ? "it its own entry" : "them their own entries", variant, entries,
                                  one ? "it" : "them"));
        }
    }
}

}  // namespace threadmill::loader_detail
