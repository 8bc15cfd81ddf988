// The loader's [slo]: latency and throughput budgets, absolute ("20us", "1M/s") or "2x safe".
#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "model/text.hpp"
#include "model/units.hpp"
#include "scenario/loader_state.hpp"

namespace threadmill::loader_detail {
namespace {

/// "10x safe", "0.5x safe" → the factor.
std::optional<double> parse_relative(std::string_view s) {
    const auto x = s.find('x');
    if (x == std::string_view::npos) return std::nullopt;
    std::string_view rest = s.substr(x + 1);
    if (rest.empty() || rest.front() != ' ') return std::nullopt;
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest != "safe") return std::nullopt;
    return parse_plain_number(s.substr(0, x));
}

}  // namespace

void Loader::read_slo() {
    const auto* t = section("slo");
    if (t == nullptr) return;
    for (const auto& [k, v] : in_file_order(*t)) {
        const std::string first(k->str());
        if (const auto* inner = v->as_table(); inner != nullptr && first != "throughput") {
            // Written as a dotted key (get.p99 = "20us") rather than a quoted one ("get.p99").
            for (const auto& [k2, v2] : in_file_order(*inner)) {
                read_slo_budget(*k2, first + "." + std::string(k2->str()), *v2);
            }
        } else {
            read_slo_budget(*k, first, *v);
        }
    }
}

void Loader::read_slo_budget(const toml::key& k, const std::string& key, const toml::node& n) {
    SloBudget budget;
    budget.key = key;
    budget.where = loc(n);
    const auto dot = key.find('.');
    if (dot == std::string::npos) {
        if (key != "throughput") {
            error(k, fmt::format("[slo] key '{}' must be '<operation>.<statistic>' (such as \"get.p99\") or "
                                 "'throughput'{}",
                                 key, did_you_mean(key, {"throughput"})));
            return;
        }
        budget.statistic = "throughput";
    } else {
        budget.op = key.substr(0, dot);
        budget.statistic = key.substr(dot + 1);
        bool ok = true;
        if (!contains(k_slo_stats, budget.statistic)) {
            error(k, fmt::format("unknown statistic '{}' in [slo] key '{}'{}", budget.statistic, key,
                                 suggestion(budget.statistic, k_slo_stats)));
            ok = false;
        }
        if (m_target != nullptr && m_target->op_index(budget.op) < 0) {
            error(k, fmt::format("unknown operation '{}' in [slo] key '{}'{}", budget.op, key,
                                 suggestion(budget.op, names_of(m_target->ops))));
            ok = false;
        }
        if (!ok) return;
    }
    const std::string label = fmt::format("slo.{}", key);
    const std::string expected = budget.is_throughput()
                                     ? "a rate such as \"1M/s\" or a relative budget such as \"0.5x safe\""
                                     : "a duration such as \"20us\" or a relative budget such as \"2x safe\"";
    const auto* s = n.as_string();
    if (s == nullptr) {
        type_error(n, label, expected);
        return;
    }
    budget.text = s->get();
    if (auto factor = parse_relative(budget.text)) {
        if (*factor <= 0) {
            error(n, fmt::format("{} must have a factor greater than 0, got '{}'", label, budget.text));
            return;
        }
        budget.relative = *factor;
        // The factor multiplies a safe variant's figure: a scenario that runs none has nothing
        // to judge against (a target may declare only mutants).
        if (m_target != nullptr && !m_variants_broken &&
            std::none_of(m_scenario.variants.begin(), m_scenario.variants.end(), [&](const std::string& v) {
                const int i = m_target->variant_index(v);
                return i >= 0 && m_target->variants[static_cast<std::size_t>(i)].is_safe();
            })) {
            error(n, fmt::format("{} = \"{}\" is relative to the safe variant, but the scenario runs no safe variant of "
                                 "target '{}'; give an absolute budget, or add a safe variant to `variants`",
                                 label, budget.text, m_target->name));
            return;
        }
    } else if (budget.is_throughput()) {
        const auto rate = parse_rate(budget.text);
        if (!rate) {
            error(n, fmt::format("{} must be {}, got '{}'", label, expected, budget.text));
            return;
        }
        if (*rate <= 0) {
            error(n, fmt::format("{} must be greater than 0/s, got '{}'", label, budget.text));
            return;
        }
        budget.absolute = *rate;
    } else {
        std::int64_t ns = 0;
        const auto status = parse_duration_detail(budget.text, ns);
        if (status == DurationStatus::syntax) {
            error(n, fmt::format("{} must be {}, got '{}'", label, expected, budget.text));
            return;
        }
        if (status == DurationStatus::overflow || ns == 0 || ns > k_max_timeout.count()) {
            error(n, fmt::format("{} must be greater than 0 and at most {}, got {}", label,
                                 bound_duration(static_cast<double>(k_max_timeout.count())), budget.text));
            return;
        }
        budget.absolute = static_cast<double>(ns);
    }
    for (const auto& b : m_scenario.slo) {
        if (b.key == budget.key) {
            error(k, fmt::format("[slo] budget '{}' is set twice", key));
            return;
        }
    }
    m_scenario.slo.push_back(std::move(budget));
}

}  // namespace threadmill::loader_detail
