// The text form of a comparison of two runs (`threadmill compare`, `run --baseline`).
#pragma once

#include <cstdio>
#include <string>

#include "model/comparison.hpp"

namespace threadmill {

/// A table per scenario, variant and flavor: each operation's p50, p99, p99.9 and throughput,
/// base against new, how much worse, the noise seen, and REGRESSION where one is flagged.
/// Ends with one verdict line. `color` adds ANSI colours.
std::string format_comparison(const Comparison& comparison, const CompareOptions& options, bool color);

}  // namespace threadmill
