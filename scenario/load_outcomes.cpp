// The loader's [[outcome]] entries: how the results of lockstep rounds are graded.
#include <utility>

#include <fmt/format.h>

#include "model/outcome_grade.hpp"
#include "scenario/loader_state.hpp"

namespace threadmill::loader_detail {

namespace {

Names grade_names() {
    Names out;
    for (const auto& g : all_outcome_grades()) out.emplace_back(g.name);
    return out;
}

/// Where a match pattern writes a comma not followed by a space (or a `*`): the arbiter
/// separates values with ", ", so such a pattern never matches a result of several values.
bool has_bare_comma(std::string_view match) {
    for (std::size_t i = 0; i < match.size(); ++i) {
        if (match[i] == ',' && (i + 1 == match.size() || (match[i + 1] != ' ' && match[i + 1] != '*'))) return true;
    }
    return false;
}

}  // namespace

void Loader::read_outcomes() {
    const auto* n = m_root->get("outcome");
    const bool lockstep = m_scenario.sync.mode == SyncMode::lockstep;
    if (n == nullptr) {
        if (lockstep) {
            error(*m_root->get("sync")->as_table()->get("mode"),
                  "sync.mode = \"lockstep\" needs [[outcome]] entries to grade the arbiter's results, such as "
                  "[[outcome]] match = \"1, 1\" grade = \"acceptable\" (a result no entry matches is forbidden)");
        }
        return;
    }
    const auto* entries = n->as_array();
    if (entries == nullptr || !entries->is_array_of_tables() || entries->empty()) {
        type_error(*n, "outcome", "an array of tables, written [[outcome]]");
        return;
    }
    if (!lockstep) {
        if (!m_sync_broken) {
            error(*key_of(*m_root, "outcome"), "[[outcome]] grades the results of lockstep rounds; it needs [sync] "
                                               "mode = \"lockstep\"");
        }
        return;
    }
    int index = 0;
    for (const auto& element : *entries) {
        read_outcome(*element.as_table(), fmt::format("outcome #{}", ++index));
    }
}

void Loader::read_outcome(const toml::table& t, const std::string& label) {
    check_keys(t, k_outcome_keys, label + ": ", "");
    OutcomeRule rule;
    rule.where = loc(t);
    bool ok = true;
    const auto* match = t.get("match");
    if (match == nullptr) {
        error(t, fmt::format("{}: missing required key 'match' (a result as the arbiter prints it, such as \"1, 2\"; "
                             "'*' matches any run of characters)",
                             label));
        ok = false;
    } else if (auto s = read_string(*match, label + ": match")) {
        rule.match = *s;
        if (s->empty()) {
            error(*match, fmt::format("{}: match must not be empty; write \"*\" to match every result", label));
            ok = false;
        } else if (has_bare_comma(*s)) {
            error(*match, fmt::format("{}: match '{}' has a comma without a space after it; the arbiter separates "
                                      "values with \", \", so it would never match",
                                      label, *s));
            ok = false;
        }
    } else {
        ok = false;
    }
    if (const auto* grade = t.get("grade")) {
        if (auto g = read_choice(*grade, label + ": grade", grade_names())) rule.grade = *parse_outcome_grade(*g);
        else ok = false;
    } else {
        error(t, fmt::format("{}: missing required key 'grade' (acceptable, interesting or forbidden)", label));
        ok = false;
    }
    if (const auto* desc = t.get("desc")) {
        if (auto s = read_string(*desc, label + ": desc")) rule.desc = *s;
    }
    if (!ok) return;
    // The first entry that matches a result grades it: an entry an earlier one always wins over is a mistake.
    for (std::size_t i = 0; i < m_scenario.outcomes.size(); ++i) {
        const OutcomeRule& earlier = m_scenario.outcomes[i];
        const bool same = earlier.match == rule.match;
        const bool shadowed = rule.match.find('*') == std::string::npos && outcome_pattern_matches(earlier.match, rule.match);
        if (same || shadowed) {
            error(*match, fmt::format("{}: '{}' is never used: outcome #{} ('{}') matches it first (the first matching "
                                      "entry grades a result)",
                                      label, rule.match, i + 1, earlier.match));
            return;
        }
    }
    m_scenario.outcomes.push_back(std::move(rule));
}

}  // namespace threadmill::loader_detail
