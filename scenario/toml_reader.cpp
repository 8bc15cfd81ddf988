// Internal to the loader: typed TOML reads with file:line:col diagnostics, and their wording.
#include "scenario/toml_reader.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include <fmt/format.h>

#include "model/text.hpp"
#include "model/units.hpp"

namespace threadmill::loader_detail {
namespace {

constexpr std::string_view k_duration_hint = "write a number and a unit with no space: 250ns, 20us, 1.5ms, 2s, 1m, 1h";

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

}  // namespace

// ---- Wording -------------------------------------------------------------------------------

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

std::string bound_number(double v) {
    if (v == std::floor(v) && std::abs(v) < 9.0e15) return fmt::format("{:.0f}", v);
    return fmt::format("{}", v);
}

std::string range_text(const std::string& lo, bool has_lo, bool lo_exclusive, const std::string& hi, bool has_hi) {
    if (has_lo && has_hi && !lo_exclusive) return fmt::format("between {} and {}", lo, hi);
    if (has_lo && has_hi) return fmt::format("greater than {} and at most {}", lo, hi);
    if (has_lo) return fmt::format("{} {}", lo_exclusive ? "greater than" : "at least", lo);
    return fmt::format("at most {}", hi);
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

std::vector<Entry> in_file_order(const toml::table& t) {
    std::vector<Entry> out;
    for (auto&& [k, v] : t) out.emplace_back(&k, &v);
    std::stable_sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) {
        const auto& pa = a.first->source().begin;
        const auto& pb = b.first->source().begin;
        return std::pair(pa.line, pa.column) < std::pair(pb.line, pb.column);
    });
    return out;
}

// ---- Diagnostics ---------------------------------------------------------------------------

std::vector<Diagnostic> TomlReader::take_sorted_diagnostics() {
    // The scenario file's own first, then those of the files it names, each file in line order.
    std::stable_sort(m_diagnostics.begin(), m_diagnostics.end(), [&](const Diagnostic& a, const Diagnostic& b) {
        return std::tuple(a.where.file != m_path, a.where.file, a.where.line, a.where.column) <
               std::tuple(b.where.file != m_path, b.where.file, b.where.line, b.where.column);
    });
    return std::move(m_diagnostics);
}

void TomlReader::error(const toml::source_position& at, std::string message) {
    m_diagnostics.push_back(
        {SourceLoc{m_path, static_cast<int>(at.line), static_cast<int>(at.column)}, std::move(message)});
}

void TomlReader::error(SourceLoc at, std::string message) { m_diagnostics.push_back({std::move(at), std::move(message)}); }

void TomlReader::error(const toml::node& at, std::string message) { error(at.source().begin, std::move(message)); }

void TomlReader::error(const toml::key& at, std::string message) { error(at.source().begin, std::move(message)); }

SourceLoc TomlReader::loc(const toml::node& n) const {
    return {m_path, static_cast<int>(n.source().begin.line), static_cast<int>(n.source().begin.column)};
}

SourceLoc TomlReader::loc(const toml::key& k) const {
    return {m_path, static_cast<int>(k.source().begin.line), static_cast<int>(k.source().begin.column)};
}

const toml::key* TomlReader::key_of(const toml::table& t, std::string_view name) {
    const auto it = t.find(name);
    return it == t.end() ? nullptr : &it->first;
}

void TomlReader::type_error(const toml::node& n, std::string_view label, std::string_view expected) {
    error(n, fmt::format("{} must be {}, got {}", label, expected, a_type(n)));
}

void TomlReader::check_keys(const toml::table& t, const Names& known, std::string_view prefix,
                            std::string_view suffix) {
    for (auto&& [k, v] : t) {
        if (contains(known, k.str())) continue;
        error(k, fmt::format("{}unknown key '{}'{}{}", prefix, k.str(), suffix, suggestion(k.str(), known)));
    }
}

// ---- Typed reads ---------------------------------------------------------------------------

std::optional<std::string> TomlReader::read_string(const toml::node& n, std::string_view label) {
    if (const auto* s = n.as_string()) return s->get();
    type_error(n, label, "a string");
    return std::nullopt;
}

std::optional<bool> TomlReader::read_boolean(const toml::node& n, std::string_view label) {
    if (const auto* b = n.as_boolean()) return b->get();
    type_error(n, label, "a boolean (true or false)");
    return std::nullopt;
}

std::optional<std::int64_t> TomlReader::read_integer(const toml::node& n, std::string_view label, std::int64_t lo,
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

std::optional<double> TomlReader::read_number(const toml::node& n, std::string_view label, double lo,
                                              bool lo_exclusive, double hi) {
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

std::optional<Nanos> TomlReader::read_duration(const toml::node& n, std::string_view label, double lo,
                                               bool lo_exclusive, double hi, const std::string& range) {
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
    const auto v = static_cast<double>(ns);
    if (status == DurationStatus::overflow || v < lo || (lo_exclusive && v == lo) || v > hi) {
        error(n, fmt::format("{} must be {}, got {}", label, range, s->get()));
        return std::nullopt;
    }
    return Nanos(ns);
}

std::optional<Nanos> TomlReader::read_duration(const toml::node& n, std::string_view label, Nanos lo,
                                               bool lo_exclusive, Nanos hi) {
    const auto lo_ns = static_cast<double>(lo.count());
    const auto hi_ns = static_cast<double>(hi.count());
    const auto lo_text = lo.count() == 0 ? std::string("0") : bound_duration(lo_ns);
    return read_duration(n, label, lo_ns, lo_exclusive, hi_ns,
                         range_text(lo_text, lo_exclusive || lo.count() > 0, lo_exclusive, bound_duration(hi_ns), true));
}

std::optional<std::string> TomlReader::read_choice(const toml::node& n, std::string_view label,
                                                   const Names& choices) {
    auto s = read_string(n, label);
    if (!s) return std::nullopt;
    if (contains(choices, *s)) return s;
    error(n, fmt::format("{} must be one of {}, got '{}'{}", label, quoted_list(choices), *s,
                         did_you_mean(*s, choices)));
    return std::nullopt;
}

std::optional<std::vector<std::pair<std::string, const toml::node*>>> TomlReader::read_string_array(
    const toml::node& n, std::string_view label) {
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

}  // namespace threadmill::loader_detail
