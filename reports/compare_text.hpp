// The text form of a comparison of two runs (`threadmill compare`, `run --baseline`).
#pragma once

#include <cstdio>
#include <string>

#include "model/comparison.hpp"

namespace threadmill {

/// How many regressions (and improvements) are listed before the rest is folded.
inline constexpr std::size_t k_compare_list_limit = 10;

/// The regressions, largest first, then the improvements (each list folded after
/// k_compare_list_limit lines unless `all`), a note on the figures with too few samples to be
/// judged, and one summary line whose counts (of figures) add up. With `all`, a table per
/// scenario, variant and flavor comes first with every figure: base and new medians, the
/// change in words, the p-value, the samples a side and the judgement. `color` adds ANSI colours.
std::string format_comparison(const Comparison& comparison, const CompareOptions& options, bool color,
                              bool all = false);

/// A change in words that read the right way: "12.3% slower", "2.5× faster" (latency),
/// "40.0% lower", "3.1× higher" (throughput); "no change" when equal.
std::string change_text(const MetricChange& change);

}  // namespace threadmill
