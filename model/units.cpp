// Units: the duration and rate grammar of scenarios, and how durations and rates are printed.
#include "model/units.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace threadmill {

/// A plain decimal number: digits, optionally a dot and more digits (no sign, no exponent).
std::optional<double> parse_plain_number(std::string_view s) {
    const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
    if (s.empty() || !is_digit(s.front()) || !is_digit(s.back())) return std::nullopt;
    if (std::count(s.begin(), s.end(), '.') > 1) return std::nullopt;
    if (!std::all_of(s.begin(), s.end(), [&](char c) { return is_digit(c) || c == '.'; })) return std::nullopt;
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::fixed);
    if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

/// "1M/s", "250k/s", "1500/s" → operations per second.
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

/// The whole duration grammar: digits [ "." digits ] unit, rounded to the nearest nanosecond.
DurationStatus parse_duration_detail(std::string_view text, std::int64_t& out) {
    __extension__ using U128 = unsigned __int128;
    const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
    std::size_t i = 0;
    bool overflow = false;
    std::uint64_t whole = 0;
    const std::size_t whole_begin = i;
    for (; i < text.size() && is_digit(text[i]); ++i) {
        const auto d = static_cast<std::uint64_t>(text[i] - '0');
        if (whole > (std::numeric_limits<std::uint64_t>::max() - d) / 10) overflow = true;
        else whole = whole * 10 + d;
    }
    if (i == whole_begin) return DurationStatus::syntax;
    std::uint64_t fraction = 0;
    int fraction_digits = 0;
    if (i < text.size() && text[i] == '.') {
        const std::size_t fraction_begin = ++i;
        for (; i < text.size() && is_digit(text[i]); ++i) {
            if (fraction_digits < 18) {
                fraction = fraction * 10 + static_cast<std::uint64_t>(text[i] - '0');
                ++fraction_digits;
            }
        }
        if (i == fraction_begin) return DurationStatus::syntax;
    }
    const std::string_view unit = text.substr(i);
    std::uint64_t scale = 0;
    if (unit == "ns") scale = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") scale = 1'000;
    else if (unit == "ms") scale = 1'000'000;
    else if (unit == "s") scale = 1'000'000'000;
    else if (unit == "m") scale = 60'000'000'000;
    else if (unit == "h") scale = 3'600'000'000'000;
    else return DurationStatus::syntax;
    if (overflow) return DurationStatus::overflow;
    U128 pow10 = 1;
    for (int k = 0; k < fraction_digits; ++k) pow10 *= 10;
    const U128 total = U128{whole} * scale + (U128{fraction} * scale * 2 + pow10) / (pow10 * 2);
    if (total > static_cast<U128>(std::numeric_limits<std::int64_t>::max())) return DurationStatus::overflow;
    out = static_cast<std::int64_t>(total);
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

}  // namespace threadmill
