// Units: the duration and rate grammar of scenarios, and how durations and rates are printed.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace threadmill {

using Nanos = std::chrono::nanoseconds;

enum class DurationStatus { ok, syntax, overflow };

/// The whole duration grammar: digits [ "." digits ] unit (ns, us/µs, ms, s, m, h), with no
/// space, rounded to the nearest nanosecond. `out` is set only when the result is `ok`.
DurationStatus parse_duration_detail(std::string_view text, std::int64_t& out);

/// A duration or a range of them: "5us" (lo = hi), "1us-20us", or "0-20us" (a bare number as
/// the lower end takes the upper end's unit); each end follows parse_duration_detail. The
/// result is `syntax` when either end is not a duration, else `overflow` when either end
/// overflows; `lo` and `hi` are set only when it is `ok` (`lo > hi` is left to the caller).
DurationStatus parse_duration_range_detail(std::string_view text, std::int64_t& lo, std::int64_t& hi);

/// Parses "250ns", "20us", "1.5ms", "2s", "1m", "1h" (> 0 unless allow_zero).
std::optional<Nanos> parse_duration(std::string_view text, bool allow_zero = false);

/// Formats a duration with three significant digits and a unit: "812ns", "20.4us", "1.50s".
std::string format_duration(Nanos d);
std::string format_duration_ns(double ns);

/// A plain decimal number: digits, optionally a dot and more digits (no sign, no exponent).
std::optional<double> parse_plain_number(std::string_view s);

/// "1M/s", "250k/s", "1500/s" → operations per second.
std::optional<double> parse_rate(std::string_view s);

/// Operations per second with three significant digits: "1.25M/s", "980k/s", "12/s".
std::string format_rate(double per_second);

/// A rate as a bare figure for a table cell, three significant digits and up to giga:
/// "2.71M", "980k", "3.5G", "12".
std::string format_count_rate(double per_second);

/// A fraction (0 to 1) as a percentage with about three significant digits: "99.6%", "4.35%",
/// "0.123%", "<0.01%" (above 0 but below 0.01%), "0%".
std::string format_percent(double fraction);

}  // namespace threadmill
