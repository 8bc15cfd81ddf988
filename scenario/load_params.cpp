// The loader's [params]: each key checked against the target's parameters, by type and bounds.
#include <limits>

#include <fmt/format.h>

#include "scenario/loader_state.hpp"

namespace threadmill::loader_detail {

void Loader::read_params() {
    if (m_target != nullptr) m_scenario.params = Params::defaults(*m_target);
    const auto* t = section("params");
    if (t == nullptr || m_target == nullptr) return;
    const Names names = names_of(m_target->params);
    for (auto&& [k, v] : *t) {
        const std::string_view name = k.str();
        const ParamSpec* spec = m_target->param(name);
        if (spec == nullptr) {
            error(k, fmt::format("target '{}' has no parameter '{}'{}", m_target->name, name,
                                 names.empty() ? std::string(" (it takes no parameters)") : suggestion(name, names)));
            continue;
        }
        if (auto value = read_param(*spec, v)) m_scenario.params.values[spec->name] = *value;
    }
}

std::optional<ParamValue> Loader::read_param(const ParamSpec& spec, const toml::node& n) {
    const std::string label = fmt::format("params.{}", spec.name);
    const bool has_lo = spec.min != std::numeric_limits<double>::lowest();
    const bool has_hi = spec.max != std::numeric_limits<double>::max();
    switch (spec.type) {
        case ParamType::integer: {
            const auto* i = n.as_integer();
            if (i == nullptr) {
                type_error(n, label, "an integer");
                return std::nullopt;
            }
            const auto v = static_cast<double>(i->get());
            if (v < spec.min || v > spec.max) {
                error(n, fmt::format("{} must be {}, got {}", label,
                                     range_text(bound_number(spec.min), has_lo, false, bound_number(spec.max), has_hi),
                                     i->get()));
                return std::nullopt;
            }
            return std::optional<ParamValue>(std::in_place, std::in_place_type<std::int64_t>, i->get());
        }
        case ParamType::number: {
            auto v = read_number(n, label, spec.min, false, spec.max);
            if (!v) return std::nullopt;
            return std::optional<ParamValue>(std::in_place, std::in_place_type<double>, *v);
        }
        case ParamType::boolean: {
            auto v = read_boolean(n, label);
            if (!v) return std::nullopt;
            return std::optional<ParamValue>(std::in_place, std::in_place_type<bool>, *v);
        }
        case ParamType::duration: {
            auto v = read_duration(
                n, label, spec.min, false, spec.max,
                range_text(bound_duration(spec.min), has_lo, false, bound_duration(spec.max), has_hi));
            if (!v) return std::nullopt;
            return std::optional<ParamValue>(std::in_place, std::in_place_type<Nanos>, *v);
        }
        case ParamType::string: {
            auto s = spec.choices.empty() ? read_string(n, label) : read_choice(n, label, spec.choices);
            if (!s) return std::nullopt;
            return std::optional<ParamValue>(std::in_place, std::in_place_type<std::string>, std::move(*s));
        }
    }
    return std::nullopt;
}

}  // namespace threadmill::loader_detail
