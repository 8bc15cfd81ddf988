// The scenario model's own behaviour: thread counts, expectations, diagnostics.
#include "model/scenario.hpp"

#include <fmt/format.h>

namespace threadmill {
namespace {

std::string join_diagnostics(const std::vector<Diagnostic>& diagnostics) {
    std::string out;
    for (const auto& d : diagnostics) {
        if (!out.empty()) out += '\n';
        out += d.format();
    }
    return out;
}

}  // namespace

int Scenario::thread_count() const {
    int total = 0;
    for (const auto& g : groups) total += g.threads;
    return total;
}

const OutcomeRule* Scenario::outcome_rule(std::string_view result) const {
    for (const auto& rule : outcomes) {
        if (outcome_pattern_matches(rule.match, result)) return &rule;
    }
    return nullptr;
}

const Expectation* Scenario::expectation(const std::string& variant, const std::string& flavor) const {
    const auto v = expect.find(variant);
    if (v == expect.end()) return nullptr;
    if (const auto f = v->second.find(flavor); f != v->second.end()) return &f->second;
    if (const auto d = v->second.find(""); d != v->second.end()) return &d->second;
    return nullptr;
}

std::string Diagnostic::format() const {
    if (where.line <= 0) return fmt::format("{}: error: {}", where.file, message);
    if (where.column <= 0) return fmt::format("{}:{}: error: {}", where.file, where.line, message);
    return fmt::format("{}:{}:{}: error: {}", where.file, where.line, where.column, message);
}

ScenarioError::ScenarioError(std::vector<Diagnostic> d)
    : std::runtime_error(join_diagnostics(d)), diagnostics(std::move(d)) {}
}  // namespace threadmill
