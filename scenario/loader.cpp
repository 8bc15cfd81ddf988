// The scenario loader: parses a TOML scenario, checks every key against the catalog, applies
// the defaults and reports every problem as `file:line:col: error: message`.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <set>
#include <sstream>
#include <utility>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "scenario/loader.hpp"
#include "model/text.hpp"
#include "model/units.hpp"
#include "model/flavor.hpp"
#include "model/mechanism.hpp"

namespace threadmill {
namespace {

// ---- Limits and key tables (docs/scenario-format.md documents each) ----------------------

constexpr int k_max_threads = 256;
constexpr std::int64_t k_max_iterations = 1'000'000'000;
constexpr std::int64_t k_max_ops_per_round = 1'000'000;
constexpr std::int64_t k_max_checkpoint = 1'000'000'000;
constexpr double k_max_zipf_theta = 10;
constexpr Nanos k_default_duration = std::chrono::seconds(1);
constexpr Nanos k_max_duration = std::chrono::hours(1);
constexpr Nanos k_default_timeout = std::chrono::seconds(30);
constexpr Nanos k_max_timeout = std::chrono::hours(24);
constexpr Nanos k_max_chaos_delay = std::chrono::milliseconds(10);
constexpr std::string_view k_duration_hint = "write a number and a unit with no space: 250ns, 20us, 1.5ms, 2s, 1m, 1h";

using Names = std::vector<std::string>;

const Names k_root_keys = {"name",   "description", "target", "variants", "flavors", "seed",
                           "duration", "iterations", "timeout", "params",  "keys",    "sync",
                           "group",  "chaos",       "check",  "expect",   "slo",    "sanitizers"};
const Names k_keys_keys = {"count", "distribution", "zipf_theta"};
const Names k_sync_keys = {"mode", "ops_per_round", "checkpoint"};
const Names k_group_keys = {"name", "threads", "mix"};
const Names k_chaos_keys = {"yield", "delay", "delay_probability"};
const Names k_check_keys = {"invariants", "linearizability"};
const Names k_distributions = {"uniform", "zipf", "sequential"};
const Names k_sync_modes = {"start", "rounds"};
const Names k_slo_stats = {"p50", "p90", "p99", "p999", "max", "mean", "throughput"};

// ---- Small text helpers --------------------------------------------------------------------

/// "; did you mean 'x'?" when a candidate is close, else " (one of: a, b, c)".
std::string suggestion(std::string_view word, const Names& candidates) {
    std::string dym = did_you_mean(word, candidates);
    if (!dym.empty() || candidates.empty()) return dym;
    return fmt::format(" (one of: {})", fmt::join(candidates, ", "));
}

std::string quoted_list(const Names& names) {
    std::string out;
    for (const auto& n : names) out += fmt::format("{}'{}'", out.empty() ? "" : ", ", n);
    return out;
}

bool is_identifier(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
               c == '_' || c == '-';
    });
}

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

/// A duration bound for messages, exact and in the largest unit that fits: "1us", "1.5ms".
std::string bound_duration(double ns) {
    struct Unit {
        double scale;
        std::string_view name;
    };
    static constexpr Unit units[] = {{3600e9, "h"}, {60e9, "m"}, {1e9, "s"}, {1e6, "ms"}, {1e3, "us"}};
    for (const auto& u : units) {
        if (ns >= u.scale) return fmt::format("{}{}", ns / u.scale, u.name);
    }
    return fmt::format("{}ns", ns);
}

/// A numeric bound for messages: integral values without a fraction.
std::string bound_number(double v) {
    if (v == std::floor(v) && std::abs(v) < 9.0e15) return fmt::format("{:.0f}", v);
    return fmt::format("{}", v);
}

/// "between 1 and 256", "at least 1", "greater than 0 and at most 10", ...
std::string range_text(const std::string& lo, bool has_lo, bool lo_exclusive, const std::string& hi, bool has_hi) {
    if (has_lo && has_hi && !lo_exclusive) return fmt::format("between {} and {}", lo, hi);
    if (has_lo && has_hi) return fmt::format("greater than {} and at most {}", lo, hi);
    if (has_lo) return fmt::format("{} {}", lo_exclusive ? "greater than" : "at least", lo);
    return fmt::format("at most {}", hi);
}

std::string_view a_type(const toml::node& n) {
    switch (n.type()) {
        case toml::node_type::none: return "nothing";
        case toml::node_type::table: return "a table";
        case toml::node_type::array: return "an array";
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a float";
        case toml::node_type::boolean: return "a boolean";
        case toml::node_type::date: return "a date";
        case toml::node_type::time: return "a time";
        case toml::node_type::date_time: return "a date-time";
    }
    return "a value";
}

/// toml++ says "Error while parsing key-value pair: expected value, saw '\n'"; we say
/// "invalid TOML: expected value, saw '\n' (while parsing key-value pair)".
std::string toml_message(std::string_view description) {
    constexpr std::string_view prefix = "Error while parsing ";
    if (description.starts_with(prefix)) {
        const auto rest = description.substr(prefix.size());
        const auto colon = rest.find(": ");
        if (colon != std::string_view::npos) {
            return fmt::format("invalid TOML: {} (while parsing {})", rest.substr(colon + 2), rest.substr(0, colon));
        }
    }
    return fmt::format("invalid TOML: {}", description);
}

/// The entries of a table in file order (toml++ keeps them sorted by key).
std::vector<std::pair<const toml::key*, const toml::node*>> in_file_order(const toml::table& t) {
    std::vector<std::pair<const toml::key*, const toml::node*>> out;
    for (auto&& [k, v] : t) out.emplace_back(&k, &v);
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        const auto& pa = a.first->source().begin;
        const auto& pb = b.first->source().begin;
        return std::pair(pa.line, pa.column) < std::pair(pb.line, pb.column);
    });
    return out;
}

// ---- The loader ----------------------------------------------------------------------------

class Loader {
public:
    Loader(const std::string& path, const Catalog& catalog) : m_path(path), m_catalog(catalog) {}

    Scenario load(std::string_view text) {
        toml::table root;
        try {
            root = toml::parse(text, m_path);
        } catch (const toml::parse_error& e) {
            error(e.source().begin, toml_message(e.description()));
            throw ScenarioError(std::move(m_diagnostics));
        }
        m_root = &root;
        m_scenario.path = m_path;
        check_root_keys();
        read_header();
        read_run_length();
        read_params();
        read_keys();
        read_sync();
        read_groups();
        read_chaos();
        read_check();
        read_sanitizers();
        read_slo();
        read_expect();
        check_expect_coverage();
        if (!m_diagnostics.empty()) {
            std::stable_sort(m_diagnostics.begin(), m_diagnostics.end(), [](const Diagnostic& a, const Diagnostic& b) {
                return std::pair(a.where.line, a.where.column) < std::pair(b.where.line, b.where.column);
            });
            throw ScenarioError(std::move(m_diagnostics));
        }
        return std::move(m_scenario);
    }

private:
    // -- diagnostics --

    void error(const toml::source_position& at, std::string message) {
        m_diagnostics.push_back({SourceLoc{m_path, static_cast<int>(at.line), static_cast<int>(at.column)},
                                 std::move(message)});
    }
    void error(const toml::node& at, std::string message) { error(at.source().begin, std::move(message)); }
    void error(const toml::key& at, std::string message) { error(at.source().begin, std::move(message)); }

    SourceLoc loc(const toml::node& n) const {
        return {m_path, static_cast<int>(n.source().begin.line), static_cast<int>(n.source().begin.column)};
    }
    SourceLoc loc(const toml::key& k) const {
        return {m_path, static_cast<int>(k.source().begin.line), static_cast<int>(k.source().begin.column)};
    }

    const toml::key* key_of(const toml::table& t, std::string_view name) const {
        const auto it = t.find(name);
        return it == t.end() ? nullptr : &it->first;
    }

    void type_error(const toml::node& n, std::string_view label, std::string_view expected) {
        error(n, fmt::format("{} must be {}, got {}", label, expected, a_type(n)));
    }

    /// Reports every key of `t` not in `known`: `<prefix>unknown key 'k'<suffix>; did you mean ...`.
    void check_keys(const toml::table& t, const Names& known, std::string_view prefix, std::string_view suffix) {
        for (auto&& [k, v] : t) {
            if (contains(known, k.str())) continue;
            error(k, fmt::format("{}unknown key '{}'{}{}", prefix, k.str(), suffix, suggestion(k.str(), known)));
        }
    }

    // -- typed readers: nullopt (after reporting) when the value is not acceptable --

    std::optional<std::string> read_string(const toml::node& n, std::string_view label) {
        if (const auto* s = n.as_string()) return s->get();
        type_error(n, label, "a string");
        return std::nullopt;
    }

    std::optional<bool> read_boolean(const toml::node& n, std::string_view label) {
        if (const auto* b = n.as_boolean()) return b->get();
        type_error(n, label, "a boolean (true or false)");
        return std::nullopt;
    }

    std::optional<std::int64_t> read_integer(const toml::node& n, std::string_view label, std::int64_t lo,
                                             std::int64_t hi) {
        const auto* i = n.as_integer();
        if (i == nullptr) {
            type_error(n, label, "an integer");
            return std::nullopt;
        }
        const std::int64_t v = i->get();
        if (v < lo || v > hi) {
            const bool has_lo = lo != std::numeric_limits<std::int64_t>::min();
            const bool has_hi = hi != std::numeric_limits<std::int64_t>::max();
            error(n, fmt::format("{} must be {}, got {}", label,
                                 range_text(fmt::to_string(lo), has_lo, false, fmt::to_string(hi), has_hi), v));
            return std::nullopt;
        }
        return v;
    }

    /// An integer or a float, finite, within [lo, hi] (or (lo, hi] when lo_exclusive).
    std::optional<double> read_number(const toml::node& n, std::string_view label, double lo, bool lo_exclusive,
                                      double hi) {
        double v = 0;
        if (const auto* i = n.as_integer()) v = static_cast<double>(i->get());
        else if (const auto* f = n.as_floating_point()) v = f->get();
        else {
            type_error(n, label, "a number");
            return std::nullopt;
        }
        const bool has_lo = lo != std::numeric_limits<double>::lowest();
        const bool has_hi = hi != std::numeric_limits<double>::max();
        if (!std::isfinite(v)) {
            error(n, fmt::format("{} must be a finite number, got {}", label, v));
            return std::nullopt;
        }
        if (v < lo || (lo_exclusive && v == lo) || v > hi) {
            error(n, fmt::format("{} must be {}, got {}", label,
                                 range_text(bound_number(lo), has_lo, lo_exclusive, bound_number(hi), has_hi), v));
            return std::nullopt;
        }
        return v;
    }

    /// A duration string within [lo, hi] (or (lo, hi] when lo_exclusive).
    std::optional<Nanos> read_duration(const toml::node& n, std::string_view label, Nanos lo, bool lo_exclusive,
                                       Nanos hi) {
        const auto* s = n.as_string();
        if (s == nullptr) {
            type_error(n, label, "a duration string such as \"2s\"");
            return std::nullopt;
        }
        std::int64_t ns = 0;
        const auto status = parse_duration_detail(s->get(), ns);
        if (status == DurationStatus::syntax) {
            error(n, fmt::format("{}: '{}' is not a duration; {}", label, s->get(), k_duration_hint));
            return std::nullopt;
        }
        if (status == DurationStatus::overflow || ns < lo.count() || (lo_exclusive && ns == lo.count()) ||
            ns > hi.count()) {
            const auto lo_text = lo.count() == 0 ? std::string("0") : bound_duration(static_cast<double>(lo.count()));
            error(n, fmt::format("{} must be {}, got {}", label,
                                 range_text(lo_text, lo_exclusive || lo.count() > 0, lo_exclusive,
                                            bound_duration(static_cast<double>(hi.count())), true),
                                 s->get()));
            return std::nullopt;
        }
        return Nanos(ns);
    }

    /// A string out of `choices`.
    std::optional<std::string> read_choice(const toml::node& n, std::string_view label, const Names& choices) {
        auto s = read_string(n, label);
        if (!s) return std::nullopt;
        if (contains(choices, *s)) return s;
        error(n, fmt::format("{} must be one of {}, got '{}'{}", label, quoted_list(choices), *s,
                             did_you_mean(*s, choices)));
        return std::nullopt;
    }

    /// A section table: nullptr when absent or not a table (reported).
    const toml::table* section(std::string_view name) {
        const auto* n = m_root->get(name);
        if (n == nullptr) return nullptr;
        if (const auto* t = n->as_table()) return t;
        type_error(*n, name, fmt::format("a table, written [{}]", name));
        return nullptr;
    }

    /// An array of strings, each reported and skipped when not a string, plus the node of each.
    std::optional<std::vector<std::pair<std::string, const toml::node*>>> read_string_array(const toml::node& n,
                                                                                           std::string_view label) {
        const auto* a = n.as_array();
        if (a == nullptr) {
            type_error(n, label, "an array of strings");
            return std::nullopt;
        }
        std::vector<std::pair<std::string, const toml::node*>> out;
        for (const auto& e : *a) {
            if (const auto* s = e.as_string()) out.emplace_back(s->get(), &e);
            else type_error(e, fmt::format("each entry of {}", label), "a string");
        }
        return out;
    }

    // -- the top level --

    void check_root_keys() {
        std::vector<std::pair<const Names*, std::string_view>> homes = {
            {&k_keys_keys, "[keys]"}, {&k_sync_keys, "[sync]"},     {&k_chaos_keys, "[chaos]"},
            {&k_check_keys, "[check]"}, {&k_group_keys, "a [[group]]"}};
        for (auto&& [k, v] : *m_root) {
            const std::string_view name = k.str();
            if (contains(k_root_keys, name)) continue;
            std::string hint = did_you_mean(name, k_root_keys);
            for (const auto& [keys, home] : homes) {
                if (hint.empty() && contains(*keys, name)) hint = fmt::format("; it belongs in {}", home);
            }
            if (hint.empty()) {
                for (const auto& t : m_catalog.targets) {
                    if (t.param(name) != nullptr) hint = "; target parameters belong in [params]";
                }
            }
            if (hint.empty()) hint = suggestion(name, k_root_keys);
            error(k, fmt::format("unknown key '{}'{}", name, hint));
        }
    }

    void missing(std::string_view key, std::string_view what) {
        error(m_root->source().begin, fmt::format("missing required key '{}' ({})", key, what));
    }

    void read_header() {
        if (const auto* n = m_root->get("name")) {
            if (auto s = read_string(*n, "name")) {
                if (is_identifier(*s)) m_scenario.name = *s;
                else error(*n, fmt::format("name must use only letters, digits, '.', '_' and '-', got '{}'", *s));
            }
        } else {
            missing("name", "the scenario's name, such as name = \"cache-hot-keys\"");
        }
        if (const auto* n = m_root->get("description")) {
            if (auto s = read_string(*n, "description")) m_scenario.description = *s;
        }
        if (const auto* n = m_root->get("target")) {
            if (auto s = read_string(*n, "target")) {
                m_target = m_catalog.find(*s);
                Names names;
                for (const auto& t : m_catalog.targets) names.push_back(t.name);
                if (m_target != nullptr) m_scenario.target = *s;
                else error(*n, fmt::format("unknown target '{}'{}", *s, suggestion(*s, names)));
            }
        } else {
            missing("target", "the component to run, such as target = \"cache\"");
        }
        read_variants();
        read_flavors();
        if (const auto* n = m_root->get("seed")) {
            if (auto v = read_integer(*n, "seed", 0, std::numeric_limits<std::int64_t>::max())) {
                m_scenario.seed = static_cast<std::uint64_t>(*v);
            }
        }
    }

    void read_variants() {
        const auto* n = m_root->get("variants");
        if (n == nullptr) {
            if (m_target != nullptr) {
                for (const auto& v : m_target->variants) m_scenario.variants.push_back(v.name);
            }
            return;
        }
        const std::size_t errors_before = m_diagnostics.size();
        if (auto list = read_string_array(*n, "variants")) {
            if (n->as_array()->empty()) {
                error(*n, "variants must not be empty; leave it out to run every variant of the target");
            }
            Names names;
            if (m_target != nullptr) {
                for (const auto& v : m_target->variants) names.push_back(v.name);
            }
            for (const auto& [name, node] : *list) {
                if (contains(m_scenario.variants, name)) {
                    error(*node, fmt::format("variant '{}' is listed twice", name));
                } else if (m_target != nullptr && m_target->variant_index(name) < 0) {
                    error(*node, fmt::format("target '{}' has no variant '{}'{}", m_target->name, name,
                                             suggestion(name, names)));
                } else {
                    m_scenario.variants.push_back(name);
                }
            }
        }
        m_variants_broken = m_diagnostics.size() != errors_before;
    }

    void read_flavors() {
        const auto* n = m_root->get("flavors");
        if (n == nullptr) {
            m_scenario.flavors = {std::string(all_flavors().front().name)};
            return;
        }
        const std::size_t errors_before = m_diagnostics.size();
        if (auto list = read_string_array(*n, "flavors")) {
            if (n->as_array()->empty()) {
                error(*n, "flavors must not be empty; leave it out to run the plain flavor");
            }
            for (const auto& [name, node] : *list) {
                if (contains(m_scenario.flavors, name)) {
                    error(*node, fmt::format("flavor '{}' is listed twice", name));
                } else if (!parse_flavor(name)) {
                    error(*node, fmt::format("unknown flavor '{}'{}", name, suggestion(name, flavor_names())));
                } else {
                    m_scenario.flavors.push_back(name);
                }
            }
        }
        m_flavors_broken = m_diagnostics.size() != errors_before;
    }

    void read_run_length() {
        const auto* duration = m_root->get("duration");
        const auto* iterations = m_root->get("iterations");
        if (duration != nullptr && iterations != nullptr) {
            const auto& a = duration->source().begin;
            const auto& b = iterations->source().begin;
            const bool duration_later = std::pair(a.line, a.column) > std::pair(b.line, b.column);
            error(*key_of(*m_root, duration_later ? "duration" : "iterations"),
                  "duration and iterations cannot both be set: a job runs for a time or for a number of "
                  "operations per thread");
        }
        if (duration != nullptr) {
            m_scenario.duration = read_duration(*duration, "duration", Nanos(0), true, k_max_duration);
        } else if (iterations == nullptr) {
            m_scenario.duration = k_default_duration;
        }
        if (iterations != nullptr) {
            if (auto v = read_integer(*iterations, "iterations", 1, k_max_iterations)) {
                m_scenario.iterations = static_cast<std::uint64_t>(*v);
            }
        }
        // The default timeout leaves a long run room: 30s, or twice the duration if that is longer.
        m_scenario.timeout = k_default_timeout;
        if (m_scenario.duration) m_scenario.timeout = std::max(k_default_timeout, *m_scenario.duration * 2);
        if (const auto* n = m_root->get("timeout")) {
            if (auto t = read_duration(*n, "timeout", Nanos(0), true, k_max_timeout)) {
                m_scenario.timeout = *t;
                if (m_scenario.duration && *t <= *m_scenario.duration) {
                    const std::string duration_text =
                        duration != nullptr
                            ? duration->as_string()->get()
                            : fmt::format("{}, the default", bound_duration(static_cast<double>(
                                                                 k_default_duration.count())));
                    error(*n, fmt::format("timeout ({}) must be longer than duration ({})", n->as_string()->get(),
                                          duration_text));
                }
            }
        }
    }

    // -- [params] --

    void read_params() {
        if (m_target != nullptr) m_scenario.params = Params::defaults(*m_target);
        const auto* t = section("params");
        if (t == nullptr || m_target == nullptr) return;
        Names names;
        for (const auto& p : m_target->params) names.push_back(p.name);
        for (auto&& [k, v] : *t) {
            const std::string_view name = k.str();
            const ParamSpec* spec = m_target->param(name);
            if (spec == nullptr) {
                error(k, fmt::format("target '{}' has no parameter '{}'{}", m_target->name, name,
                                     names.empty() ? std::string(" (it takes no parameters)")
                                                   : suggestion(name, names)));
                continue;
            }
            if (auto value = read_param(*spec, v)) m_scenario.params.values[spec->name] = *value;
        }
    }

    std::optional<ParamValue> read_param(const ParamSpec& spec, const toml::node& n) {
        const std::string label = fmt::format("params.{}", spec.name);
        const bool has_lo = spec.min != std::numeric_limits<double>::lowest();
        const bool has_hi = spec.max != std::numeric_limits<double>::max();
        const auto out_of_bounds = [&](double v) { return v < spec.min || v > spec.max; };
        switch (spec.type) {
            case ParamType::integer: {
                const auto* i = n.as_integer();
                if (i == nullptr) {
                    type_error(n, label, "an integer");
                    return std::nullopt;
                }
                if (out_of_bounds(static_cast<double>(i->get()))) {
                    error(n, fmt::format("{} must be {}, got {}", label,
                                         range_text(bound_number(spec.min), has_lo, false, bound_number(spec.max),
                                                    has_hi),
                                         i->get()));
                    return std::nullopt;
                }
                return ParamValue{i->get()};
            }
            case ParamType::number: {
                auto v = read_number(n, label, spec.min, false, spec.max);
                if (!v) return std::nullopt;
                return ParamValue{*v};
            }
            case ParamType::boolean: {
                auto v = read_boolean(n, label);
                if (!v) return std::nullopt;
                return ParamValue{*v};
            }
            case ParamType::duration: {
                const auto* s = n.as_string();
                if (s == nullptr) {
                    type_error(n, label, "a duration string such as \"2s\"");
                    return std::nullopt;
                }
                std::int64_t ns = 0;
                const auto status = parse_duration_detail(s->get(), ns);
                if (status == DurationStatus::syntax) {
                    error(n, fmt::format("{}: '{}' is not a duration; {}", label, s->get(), k_duration_hint));
                    return std::nullopt;
                }
                if (status == DurationStatus::overflow || out_of_bounds(static_cast<double>(ns))) {
                    error(n, fmt::format("{} must be {}, got {}", label,
                                         range_text(bound_duration(spec.min), has_lo, false,
                                                    bound_duration(spec.max), has_hi),
                                         s->get()));
                    return std::nullopt;
                }
                return ParamValue{Nanos(ns)};
            }
            case ParamType::string: {
                auto s = spec.choices.empty() ? read_string(n, label) : read_choice(n, label, spec.choices);
                if (!s) return std::nullopt;
                return ParamValue{*s};
            }
        }
        return std::nullopt;
    }

    // -- [keys] --

    void read_keys() {
        const auto* t = section("keys");
        if (t == nullptr) return;
        check_keys(*t, k_keys_keys, "", " in [keys]");
        auto& keys = m_scenario.keys;
        if (const auto* n = t->get("count")) {
            if (auto v = read_integer(*n, "keys.count", 1, static_cast<std::int64_t>(k_max_key_count))) {
                keys.count = static_cast<std::uint64_t>(*v);
            }
        }
        bool distribution_ok = true;
        if (const auto* n = t->get("distribution")) {
            const auto d = read_choice(*n, "keys.distribution", k_distributions);
            distribution_ok = d.has_value();
            if (d == "uniform") keys.distribution = KeyDistribution::uniform;
            else if (d == "zipf") keys.distribution = KeyDistribution::zipf;
            else if (d == "sequential") keys.distribution = KeyDistribution::sequential;
        }
        if (const auto* n = t->get("zipf_theta")) {
            if (auto v = read_number(*n, "keys.zipf_theta", 0, true, k_max_zipf_theta)) keys.zipf_theta = *v;
            if (distribution_ok && keys.distribution != KeyDistribution::zipf) {
                error(*key_of(*t, "zipf_theta"), "keys.zipf_theta is only used with distribution = \"zipf\"");
            }
        }
    }

    // -- [sync] --

    void read_sync() {
        const auto* t = section("sync");
        if (t == nullptr) return;
        check_keys(*t, k_sync_keys, "", " in [sync]");
        auto& sync = m_scenario.sync;
        bool mode_ok = true;
        if (const auto* n = t->get("mode")) {
            const auto* s = n->as_string();
            if (s != nullptr && s->get() == "lockstep") {
                error(*n, "sync.mode 'lockstep' is not supported yet; use 'start' or 'rounds'");
                mode_ok = false;
            } else {
                const auto mode = read_choice(*n, "sync.mode", k_sync_modes);
                mode_ok = mode.has_value();
                if (mode == "rounds") sync.mode = SyncMode::rounds;
            }
        }
        const auto rounds_only = [&](std::string_view key) {
            if (mode_ok && sync.mode != SyncMode::rounds) {
                error(*key_of(*t, key), fmt::format("sync.{} is only used with mode = \"rounds\"", key));
            }
        };
        if (const auto* n = t->get("ops_per_round")) {
            if (auto v = read_integer(*n, "sync.ops_per_round", 1, k_max_ops_per_round)) {
                sync.ops_per_round = static_cast<std::uint32_t>(*v);
            }
            rounds_only("ops_per_round");
        }
        if (const auto* n = t->get("checkpoint")) {
            const auto* s = n->as_string();
            const auto* i = n->as_integer();
            const std::string expected = "\"every\", \"end\" or a number of rounds";
            if (s != nullptr && s->get() == "every") {
                sync.checkpoint_every = 1;
            } else if (s != nullptr && s->get() == "end") {
                sync.checkpoint_every = 0;
            } else if (s != nullptr) {
                error(*n, fmt::format("sync.checkpoint must be {}, got '{}'{}", expected, s->get(),
                                      did_you_mean(s->get(), {"every", "end"})));
            } else if (i != nullptr) {
                if (i->get() < 1 || i->get() > k_max_checkpoint) {
                    error(*n, fmt::format("sync.checkpoint must be {} between 1 and {}, got {}", expected,
                                          k_max_checkpoint, i->get()));
                } else {
                    sync.checkpoint_every = static_cast<std::uint32_t>(i->get());
                }
            } else {
                type_error(*n, "sync.checkpoint", expected);
            }
            rounds_only("checkpoint");
        }
    }

    // -- [[group]] --

    void read_groups() {
        const auto* n = m_root->get("group");
        if (n == nullptr) {
            missing("group", "at least one [[group]] of threads");
            return;
        }
        const auto* groups = n->as_array();
        if (groups == nullptr || !groups->is_array_of_tables()) {
            type_error(*n, "group", "an array of tables, written [[group]]");
            return;
        }
        if (groups->empty()) {
            error(*n, "group must not be empty; a scenario needs at least one [[group]] of threads");
            return;
        }
        int total = 0;
        const toml::node* total_exceeded_at = nullptr;
        int index = 0;
        for (const auto& element : *groups) {
            ++index;
            const auto& t = *element.as_table();
            GroupSpec group;
            group.where = loc(t);
            std::string label = fmt::format("group #{}", index);
            if (const auto* name = t.get("name")) {
                if (auto s = read_string(*name, fmt::format("{}: name", label))) {
                    if (!is_identifier(*s)) {
                        error(*name, fmt::format("{}: name must use only letters, digits, '.', '_' and '-', got '{}'",
                                                 label, *s));
                    } else if (std::any_of(m_scenario.groups.begin(), m_scenario.groups.end(),
                                           [&](const GroupSpec& g) { return g.name == *s; })) {
                        error(*name, fmt::format("group '{}' is defined twice; group names must be unique", *s));
                    } else {
                        label = fmt::format("group '{}'", *s);
                    }
                    group.name = *s;
                }
            } else {
                error(t, fmt::format("{}: missing required key 'name'", label));
            }
            check_keys(t, k_group_keys, label + ": ", "");
            if (const auto* threads = t.get("threads")) {
                if (auto v = read_integer(*threads, label + ": threads", 1, k_max_threads)) {
                    group.threads = static_cast<int>(*v);
                }
            }
            total += group.threads;
            if (total > k_max_threads && total_exceeded_at == nullptr) {
                total_exceeded_at = t.get("threads") != nullptr ? t.get("threads") : &element;
            }
            if (const auto* mix = t.get("mix")) {
                read_mix(*mix, label, group);
            } else {
                error(t, fmt::format("{}: missing required key 'mix' (the operations and their weights, "
                                     "such as mix = {{ get = 3, set = 1 }})",
                                     label));
            }
            m_scenario.groups.push_back(std::move(group));
        }
        if (total_exceeded_at != nullptr) {
            error(*total_exceeded_at,
                  fmt::format("the groups have {} threads in total; at most {} are allowed", total, k_max_threads));
        }
    }

    void read_mix(const toml::node& n, const std::string& label, GroupSpec& group) {
        const auto* t = n.as_table();
        if (t == nullptr) {
            type_error(n, label + ": mix", "a table of operation weights, such as { get = 3, set = 1 }");
            return;
        }
        if (t->empty()) {
            error(n, fmt::format("{}: mix is empty; give at least one operation, such as {{ get = 1 }}", label));
            return;
        }
        Names ops;
        if (m_target != nullptr) {
            for (const auto& op : m_target->ops) ops.push_back(op.name);
        }
        for (const auto& [k, v] : in_file_order(*t)) {
            const std::string_view op = k->str();
            int index = -1;
            if (m_target != nullptr) {
                index = m_target->op_index(op);
                if (index < 0) {
                    error(*k, fmt::format("unknown operation '{}' in {} mix{}", op, label, suggestion(op, ops)));
                }
            }
            const auto weight = read_number(*v, fmt::format("{}: weight of '{}'", label, op), 0, true,
                                            std::numeric_limits<double>::max());
            if (index >= 0 && weight) group.mix.push_back({index, *weight});
        }
    }

    // -- [chaos] --

    void read_chaos() {
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
    void read_delay(const toml::node& n) {
        const auto* s = n.as_string();
        if (s == nullptr) {
            type_error(n, "chaos.delay", "a duration string such as \"5us\" or a range such as \"0-20us\"");
            return;
        }
        const std::string_view text = s->get();
        const auto dash = text.find('-');
        std::string lower(text.substr(0, dash));
        const std::string upper(dash == std::string_view::npos ? text : text.substr(dash + 1));
        if (parse_plain_number(lower)) {
            // "0-20us": the lower end takes the unit of the upper one.
            const auto unit_begin = upper.find_first_not_of("0123456789.");
            if (unit_begin != std::string::npos) lower += upper.substr(unit_begin);
        }
        std::int64_t lo = 0;
        std::int64_t hi = 0;
        const auto lo_status = parse_duration_detail(lower, lo);
        const auto hi_status = parse_duration_detail(upper, hi);
        if (lo_status == DurationStatus::syntax || hi_status == DurationStatus::syntax) {
            error(n, fmt::format("chaos.delay: '{}' is not a delay; write a duration such as \"5us\" or a range "
                                 "such as \"0-20us\"",
                                 text));
            return;
        }
        if (lo_status == DurationStatus::overflow || hi_status == DurationStatus::overflow ||
            hi > k_max_chaos_delay.count()) {
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

    // -- [sanitizers] --

    /// Extra runtime options per sanitizer, in the runtimes' own `key=value:key=value` form;
    /// they are appended after threadmill's defaults, so they win.
    void read_sanitizers() {
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

    // -- [check] --

    void read_check() {
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

    void read_check_invariants(const toml::node& n) {
        const std::string expected = "\"all\", \"none\" or an array of invariant names";
        const std::size_t errors_before = m_diagnostics.size();
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
            Names names;
            if (m_target != nullptr) {
                for (const auto& inv : m_target->invariants) names.push_back(inv.name);
            }
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
        m_check_broken = m_diagnostics.size() != errors_before;
    }

    // -- [slo] --

    void read_slo() {
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

    void read_slo_budget(const toml::key& k, const std::string& key, const toml::node& n) {
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
                Names ops;
                for (const auto& op : m_target->ops) ops.push_back(op.name);
                error(k, fmt::format("unknown operation '{}' in [slo] key '{}'{}", budget.op, key,
                                     suggestion(budget.op, ops)));
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

    // -- [expect] --

    void read_expect() {
        const auto* t = section("expect");
        if (t == nullptr || m_target == nullptr) return;
        Names names;
        for (const auto& v : m_target->variants) names.push_back(v.name);
        for (auto&& [k, v] : *t) {
            const std::string variant(k.str());
            const std::size_t errors_before = m_diagnostics.size();
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
            if (m_diagnostics.size() != errors_before) m_expect_broken.insert(variant);
        }
    }

    void read_expectation(const std::string& variant, const toml::node& n) {
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
                        error(*k, fmt::format("{}: flavor '{}' is not among the scenario's flavors ({})", label,
                                              flavor, fmt::join(m_scenario.flavors, ", ")));
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
    std::optional<std::vector<std::string>> read_mechanisms(const toml::node& n, const std::string& label,
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
    bool check_mechanism_is_observable(const std::string& word, const toml::node& n, const std::string& label) {
        if (word == "slo" && m_scenario.slo.empty()) {
            error(n, fmt::format("{}: 'slo' can never be detected: [slo] sets no budget", label));
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
                error(n, fmt::format("{}: '{}' can never be detected: [check] invariants leaves '{}' out", label,
                                     word, word.substr(10)));
                return false;
            }
        }
        return true;
    }

    /// Every mutant must say, for every flavor, what should catch it; safe variants default to pass.
    void check_expect_coverage() {
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
    }

    const std::string& m_path;
    const Catalog& m_catalog;
    const toml::table* m_root = nullptr;
    const TargetInfo* m_target = nullptr;
    Scenario m_scenario;
    std::vector<Diagnostic> m_diagnostics;
    bool m_variants_broken = false;
    bool m_flavors_broken = false;
    bool m_check_broken = false;
    std::set<std::string> m_expect_broken;  ///< variants whose [expect] entry was already reported
};

}  // namespace

Scenario load_scenario(const std::string& path, const Catalog& catalog) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw ScenarioError({Diagnostic{SourceLoc{path, 0, 0}, "cannot open the scenario file"}});
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw ScenarioError({Diagnostic{SourceLoc{path, 0, 0}, "cannot read the scenario file"}});
    return parse_scenario(text.str(), path, catalog);
}

Scenario parse_scenario(std::string_view toml_text, const std::string& path, const Catalog& catalog) {
    return Loader(path, catalog).load(toml_text);
}

}  // namespace threadmill
