// Units: the duration and rate grammar of scenarios, and how durations and rates are printed.
#include "model/units.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace threadmill {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// The length of the number a duration starts with, digits [ "." digits ]; 0 when it has none.
std::size_t duration_number_length(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size() && is_digit(text[i])) ++i;
    if (i == 0) return 0;
    if (i < text.size() && text[i] == '.') {
        const std::size_t fraction_begin = ++i;
        while (i < text.size() && is_digit(text[i])) ++i;
        if (i == fraction_begin) return 0;
    }
    return i;
}

/// Nanoseconds per `unit`, or 0 when it is not a unit.
std::uint64_t unit_scale(std::string_view unit) {
    if (unit == "ns") return 1;
    if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") return 1'000;
    if (unit == "ms") return 1'000'000;
    if (unit == "s") return 1'000'000'000;
    if (unit == "m") return 60'000'000'000;
    if (unit == "h") return 3'600'000'000'000;
    return 0;
}

}  // namespace

std::optional<double> parse_plain_number(std::string_view s) {
    if (s.empty() || !is_digit(s.front()) || !is_digit(s.back())) return std::nullopt;
    if (std::count(s.begin(), s.end(), '.') > 1) return std::nullopt;
    if (!std::all_of(s.begin(), s.end(), [](char c) { return is_digit(c) || c == '.'; })) return std::nullopt;
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::fixed);
    if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

std::optional<double> parse_rate(std::string_view s) {
    if (!s.ends_with("/s")) return std::nullopt;
    s.remove_suffix(2);
    double scale = 1;
    if (!s.empty()) {
        switch (s.back()) {
            case 'k': scale = 1e3; break;
            case 'M': scale = 1e6; break;
            case 'G': scale = 1e9; break;
            default: scale = 0; break;
        }
        if (scale != 0) s.remove_suffix(1);
        else scale = 1;
    }
    const auto v = parse_plain_number(s);
    if (!v) return std::nullopt;
    return *v * scale;
}

DurationStatus parse_duration_detail(std::string_view text, std::int64_t& out) {
    __extension__ using U128 = unsigned __int128;
    const std::size_t length = duration_number_length(text);
    const std::uint64_t scale = length == 0 ? 0 : unit_scale(text.substr(length));
    if (scale == 0) return DurationStatus::syntax;
    const std::string_view number = text.substr(0, length);
    const auto dot = number.find('.');
    std::uint64_t whole = 0;
    for (const char c : number.substr(0, dot)) {
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (whole > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return DurationStatus::overflow;
        whole = whole * 10 + d;
    }
    // Digits past the 18th are below any unit's nanosecond and are dropped.
    std::uint64_t fraction = 0;
    int fraction_digits = 0;
    if (dot != std::string_view::npos) {
        for (const char c : number.substr(dot + 1)) {
            if (fraction_digits == 18) break;
            fraction = fraction * 10 + static_cast<std::uint64_t>(c - '0');
            ++fraction_digits;
        }
    }
    U128 pow10 = 1;
    for (int k = 0; k < fraction_digits; ++k) pow10 *= 10;
    const U128 total = U128{whole} * scale + (U128{fraction} * scale * 2 + pow10) / (pow10 * 2);
    if (total > static_cast<U128>(std::numeric_limits<std::int64_t>::max())) return DurationStatus::overflow;
    out = static_cast<std::int64_t>(total);
    return DurationStatus::ok;
}

DurationStatus parse_duration_range_detail(std::string_view text, std::int64_t& lo, std::int64_t& hi) {
    const auto dash = text.find('-');
    const std::string_view upper = dash == std::string_view::npos ? text : text.substr(dash + 1);
    std::string lower(text.substr(0, dash));
    const std::size_t upper_number = duration_number_length(upper);
    if (upper_number > 0 && parse_plain_number(lower)) lower += upper.substr(upper_number);
    std::int64_t lo_ns = 0;
    std::int64_t hi_ns = 0;
    const auto lo_status = parse_duration_detail(lower, lo_ns);
    const auto hi_status = parse_duration_detail(upper, hi_ns);
    if (lo_status == DurationStatus::syntax || hi_status == DurationStatus::syntax) return DurationStatus::syntax;
    if (lo_status == DurationStatus::overflow || hi_status == DurationStatus::overflow) return DurationStatus::overflow;
    lo = lo_ns;
    hi = hi_ns;
    return DurationStatus::ok;
}

namespace {

/// `v` in k, M (and G when `giga`) with three significant digits, then `suffix`.
std::string format_scaled(double v, bool giga, std::string_view suffix) {
    if (giga && v >= 1e9) return fmt::format("{:.3g}G{}", v / 1e9, suffix);
    if (v >= 1e6) return fmt::format("{:.3g}M{}", v / 1e6, suffix);
    if (v >= 1e3) return fmt::format("{:.3g}k{}", v / 1e3, suffix);
    return fmt::format("{:.3g}{}", v, suffix);
}

}  // namespace

std::string format_rate(double per_second) { return format_scaled(per_second, false, "/s"); }

std::string format_count_rate(double per_second) { return format_scaled(per_second, true, ""); }

std::optional<Nanos> parse_duration(std::string_view text, bool allow_zero) {
    std::int64_t ns = 0;
    if (parse_duration_detail(text, ns) != DurationStatus::ok) return std::nullopt;
    if (ns == 0 && !allow_zero) return std::nullopt;
    return Nanos(ns);
}

std::string format_duration(Nanos d) { return format_duration_ns(static_cast<double>(d.count())); }

std::string format_duration_ns(double ns) {
    if (std::isnan(ns)) return "nan";
    if (std::isinf(ns)) return ns > 0 ? "inf" : "-inf";
    if (ns < 0) return "-" + format_duration_ns(-ns);
    struct Unit {
        double scale;
        std::string_view name;
        double below;  ///< the first value (in ns) that rounds to the next unit
    };
    static constexpr Unit units[] = {
        {1, "ns", 999.5},         {1e3, "us", 999.5e3},           {1e6, "ms", 999.5e6},
        {1e9, "s", 59.95e9},      {60e9, "m", 59.95 * 60e9},      {3600e9, "h", std::numeric_limits<double>::infinity()},
    };
    for (const auto& u : units) {
        if (!(ns < u.below)) continue;
        const double v = ns / u.scale;
        if (u.scale == 1 && v == std::floor(v)) return fmt::format("{:.0f}ns", v);
        const int decimals = v < 9.995 ? 2 : v < 99.95 ? 1 : 0;
        return fmt::format("{:.{}f}{}", v, decimals, u.name);
    }
    return fmt::format("{}ns", ns);
}

std::string format_percent(double fraction) {
    const double p = fraction * 100;
    if (p <= 0) return "0%";
    if (p >= 10) return fmt::format("{:.1f}%", p);
    if (p >= 1) return fmt::format("{:.2f}%", p);
    if (p >= 0.01) return fmt::format("{:.3f}%", p);
    return "<0.01%";
}

}  // namespace threadmill
