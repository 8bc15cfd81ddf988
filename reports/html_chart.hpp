// Inline SVG for the HTML report: HTML escaping and the latency distribution chart.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/histogram.hpp"

namespace threadmill {

/// `text` with & < > " ' replaced by entities, safe in element content and in quoted
/// attributes. Control characters other than tab, newline and carriage return (an ANSI colour
/// in a worker's log, say) become visible `\xNN` text.
std::string html_escape(std::string_view text);

/// One line of a latency chart.
struct ChartLine {
    std::string label;                   ///< for the line's tooltip (escaped by the chart)
    const Histogram* histogram = nullptr;
    std::string color;                   ///< a CSS colour
    std::string dash;                    ///< SVG stroke-dasharray, "" for a solid line
    double width = 1.8;                  ///< stroke width in px
};

/// A latency budget drawn on a chart: a dashed vertical line at its limit, with a diamond where
/// a line must pass to its left (the budget's percentile level), green when met, red when over.
struct ChartMarker {
    double ns = 0;        ///< the limit
    double fraction = 0;  ///< the level the limit applies at (0.01 for a p99); 0 when none (a mean)
    std::string label;    ///< shown at the top of the line (escaped by the chart)
    bool met = true;
};

/// An inline `<svg>` plotting, for every line, the fraction of operations at least as slow as
/// each latency: x is the latency (log scale, decades labelled), y that fraction (log scale,
/// 100% at the top), with the p50/p90/p99/p99.9 levels marked. Built from the histogram's
/// buckets; at most a few points per pixel are kept, so a chart stays a few KB whatever the
/// op count. Deterministic. "" when no line has a recorded operation.
std::string render_latency_chart(const std::vector<ChartLine>& lines, const std::vector<ChartMarker>& markers,
                                 std::string_view css_class, std::string_view aria_label);

/// The colour of the i-th operation of a job (a fixed palette that avoids the verdict colours).
std::string_view series_color(std::size_t i);
/// The dash pattern for the i-th operation ("" for the first palette round).
std::string_view series_dash(std::size_t i);

}  // namespace threadmill
