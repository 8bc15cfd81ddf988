// Inline SVG for the HTML report: HTML escaping and the latency distribution chart.
//
// What the chart plots, and why: for each operation, the fraction of its calls that took at
// least x (an exceedance curve, 1 - CDF), with both axes on a log scale. A density plot of the
// log-linear buckets is noisy (bucket widths differ, counts are small in the tail) and a linear
// CDF squeezes everything past p90 into the top pixel, while the tail is what concurrency bugs
// and lock contention change. On log-log exceedance axes every decade of the tail gets the
// same room, the horizontal gridlines at 10%, 1%, 0.1% read directly as p90, p99, p99.9 (so the
// chart and the percentile table agree), and lines of operations or flavors that differ by
// orders of magnitude stay apart instead of piling up.
#include "reports/html_chart.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include <fmt/format.h>

namespace threadmill {
namespace {

constexpr double k_width = 600, k_height = 252;
constexpr double k_left = 62, k_right = 538, k_top = 10, k_bottom = 206;
constexpr double k_headroom = 6;  ///< between the frame's top and the 100% level

std::uint64_t pow10(int d) {
    std::uint64_t v = 1;
    for (int i = 0; i < d; ++i) v *= 10;
    return v;
}

/// The latency at 10^d ns, as an axis label.
std::string decade_label(int d) {
    static constexpr std::array<const char*, 4> units = {"ns", "us", "ms", "s"};
    if (d >= 9) return fmt::format("{}s", pow10(d - 9));
    return fmt::format("{}{}", pow10(d % 3), units[static_cast<std::size_t>(d / 3)]);
}

std::string percent_label(int k) {  // 10^-k as a percentage
    if (k <= 2) return fmt::format("{}%", pow10(2 - k));
    return fmt::format("0.{}1%", std::string(static_cast<std::size_t>(k - 3), '0'));
}

std::string percentile_label(int k) {  // the percentile at exceedance 10^-k: p90, p99, p99.9
    if (k == 1) return "p90";
    return fmt::format("p99{}{}", k > 2 ? "." : "", std::string(static_cast<std::size_t>(std::max(0, k - 2)), '9'));
}

struct Point {
    double x, y;
};

struct Axes {
    int decade_lo = 0, decade_hi = 1;  ///< x from 10^lo to 10^hi ns
    int floor_decade = 2;              ///< y from 1 down to 10^-floor_decade

    double x(double ns) const {
        const double t = (std::log10(std::max(ns, 1.0)) - decade_lo) / (decade_hi - decade_lo);
        return k_left + std::clamp(t, 0.0, 1.0) * (k_right - k_left);
    }
    double y(double fraction) const {  // 100% sits a little below the frame, so a line there stays visible
        const double t = fraction > 0 ? -std::log10(fraction) / floor_decade : 1.0;
        return k_top + k_headroom + std::clamp(t, 0.0, 1.0) * (k_bottom - k_top - k_headroom);
    }
};

/// The exceedance curve of one histogram in pixels. Within a bucket the values are taken as
/// evenly spread (a straight descent from its low to its high edge); between non-empty buckets
/// the curve is flat, since no call took that long. Points closer than about a pixel to the
/// last one kept are dropped.
std::vector<Point> curve(const Histogram& h, const Axes& axes) {
    const auto buckets = h.sparse();
    const double n = static_cast<double>(h.count());
    const std::uint64_t lo = h.min(), hi = std::max(h.min(), h.max());
    std::vector<Point> raw;
    raw.reserve(buckets.size() * 2);
    std::uint64_t below = 0;
    for (std::size_t i = 0; i < buckets.size(); ++i) {
        const auto [bucket, count] = buckets[i];
        const auto low = std::clamp(Histogram::bucket_low(bucket), lo, hi);
        const auto high = std::clamp(Histogram::bucket_high(bucket), lo, hi);
        raw.push_back({axes.x(static_cast<double>(low)), axes.y(static_cast<double>(h.count() - below) / n)});
        below += count;
        // The last bucket ends at the slowest call, which is at least 1 of n.
        const double after = i + 1 == buckets.size() ? 1 / n : static_cast<double>(h.count() - below) / n;
        raw.push_back({axes.x(static_cast<double>(i + 1 == buckets.size() ? hi : high)), axes.y(after)});
    }
    std::vector<Point> kept;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (!kept.empty() && i + 1 < raw.size() &&
            std::abs(raw[i].x - kept.back().x) + std::abs(raw[i].y - kept.back().y) < 1.2)
            continue;
        kept.push_back(raw[i]);
    }
    return kept;
}

}  // namespace

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    for (const char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default:
                if ((static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == '\x7f') {
                    out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
                } else {
                    out += c;
                }
        }
    }
    return out;
}

std::string_view series_color(std::size_t i) {
    static constexpr std::array<std::string_view, 6> palette = {"#2563eb", "#c026d3", "#0891b2",
                                                                "#78350f", "#475569", "#7c3aed"};
    return palette[i % palette.size()];
}

std::string_view series_dash(std::size_t i) {
    static constexpr std::array<std::string_view, 3> dashes = {"", "7 3", "2 3"};
    return dashes[(i / 6) % dashes.size()];
}

std::string render_latency_chart(const std::vector<ChartLine>& lines, const std::vector<ChartMarker>& markers,
                                 std::string_view css_class, std::string_view aria_label) {
    std::uint64_t lo = UINT64_MAX, hi = 0, most = 0;
    for (const auto& l : lines) {
        if (!l.histogram || l.histogram->count() == 0) continue;
        lo = std::min(lo, std::max<std::uint64_t>(1, l.histogram->min()));
        hi = std::max(hi, l.histogram->max());
        most = std::max(most, l.histogram->count());
    }
    if (most == 0) return "";
    for (const auto& m : markers) {
        if (!(m.ns >= 1) || m.ns > 1e13) continue;
        lo = std::min(lo, static_cast<std::uint64_t>(m.ns));
        hi = std::max(hi, static_cast<std::uint64_t>(std::ceil(m.ns)));
    }

    // Whole decades around the data, found in integers so that 1000 ns is exactly 10^3.
    Axes axes;
    axes.decade_lo = 0;
    while (pow10(axes.decade_lo + 1) <= lo) ++axes.decade_lo;
    axes.decade_hi = axes.decade_lo + 1;
    while (pow10(axes.decade_hi) < hi && axes.decade_hi < 13) ++axes.decade_hi;
    // Enough decades of y to show one call in the largest count, within 1% .. 0.0001%.
    axes.floor_decade = 2;
    while (axes.floor_decade < 6 && pow10(axes.floor_decade) < most) ++axes.floor_decade;

    std::string svg = fmt::format(
        "<svg class=\"{}\" viewBox=\"0 0 {:.0f} {:.0f}\" width=\"{:.0f}\" height=\"{:.0f}\" role=\"img\" "
        "aria-label=\"{}\" font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\" "
        "font-size=\"11\">\n",
        css_class, k_width, k_height, k_width, k_height, html_escape(aria_label));
    svg += fmt::format("<title>{}</title>\n", html_escape(aria_label));

    // Grid: minor latency ticks, decades, percentage levels.
    const int decades = axes.decade_hi - axes.decade_lo;
    std::string grid;
    if (decades <= 6) {
        for (int d = axes.decade_lo; d < axes.decade_hi; ++d) {
            for (int m = 2; m <= 9; ++m) {
                const double x = axes.x(static_cast<double>(pow10(d) * static_cast<std::uint64_t>(m)));
                grid += fmt::format("M{:.1f} {:.0f}V{:.0f}", x, k_top, k_bottom);
            }
        }
        svg += fmt::format("<path d=\"{}\" stroke=\"#f1f5f9\" fill=\"none\"/>\n", grid);
    }
    grid.clear();
    std::string labels;
    const int label_step = decades > 8 ? 2 : 1;
    for (int d = axes.decade_lo; d <= axes.decade_hi; ++d) {
        const double x = axes.x(static_cast<double>(pow10(d)));
        grid += fmt::format("M{:.1f} {:.0f}V{:.0f}", x, k_top, k_bottom + 4);
        if ((d - axes.decade_lo) % label_step == 0)
            labels += fmt::format("<text x=\"{:.1f}\" y=\"{:.0f}\" text-anchor=\"middle\">{}</text>", x, k_bottom + 17,
                                  decade_label(d));
    }
    for (int k = 0; k <= axes.floor_decade; ++k) {
        const double y = axes.y(std::pow(10.0, -k));
        grid += fmt::format("M{:.0f} {:.1f}H{:.0f}", k_left - 4, y, k_right);
        labels += fmt::format("<text x=\"{:.0f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>", k_left - 7, y + 3.5,
                              percent_label(k));
        if (k > 0)
            labels += fmt::format("<text x=\"{:.0f}\" y=\"{:.1f}\" fill=\"#94a3b8\" font-size=\"10\">{}</text>", k_right + 5,
                                  y + 3.5, percentile_label(k));
    }
    svg += fmt::format("<path d=\"{}\" stroke=\"#e2e8f0\" fill=\"none\"/>\n", grid);
    const double median_y = axes.y(0.5);
    svg += fmt::format("<path d=\"M{:.0f} {:.1f}H{:.0f}\" stroke=\"#cbd5e1\" stroke-dasharray=\"4 3\" fill=\"none\"/>",
                       k_left, median_y, k_right);
    labels += fmt::format("<text x=\"{:.0f}\" y=\"{:.1f}\" fill=\"#94a3b8\" font-size=\"10\">p50</text>", k_right + 5,
                          median_y + 3.5);
    svg += fmt::format("<rect x=\"{:.0f}\" y=\"{:.0f}\" width=\"{:.0f}\" height=\"{:.0f}\" fill=\"none\" "
                       "stroke=\"#94a3b8\"/>\n",
                       k_left, k_top, k_right - k_left, k_bottom - k_top);
    svg += fmt::format("<g fill=\"#475569\">{}</g>\n", labels);
    svg += fmt::format("<text x=\"{:.0f}\" y=\"{:.0f}\" text-anchor=\"middle\" fill=\"#334155\">latency (log scale)</text>\n",
                       (k_left + k_right) / 2, k_height - 6);
    svg += fmt::format("<text transform=\"translate(12 {:.0f}) rotate(-90)\" text-anchor=\"middle\" fill=\"#334155\">"
                       "calls at least this slow</text>\n",
                       (k_top + k_bottom) / 2);

    for (std::size_t i = 0; i < markers.size(); ++i) {
        const ChartMarker& m = markers[i];
        if (!(m.ns >= 1) || m.ns > 1e13) continue;
        const double x = axes.x(m.ns);
        const char* color = m.met ? "#16a34a" : "#dc2626";
        const bool right = x > (k_left + k_right) / 2;
        svg += fmt::format("<g stroke=\"{0}\" fill=\"{0}\"><path d=\"M{1:.1f} {2:.0f}V{3:.0f}\" stroke-dasharray=\"5 3\" "
                           "stroke-width=\"1.2\"/>",
                           color, x, k_top, k_bottom);
        if (m.fraction > 0) {
            const double y = axes.y(m.fraction);
            svg += fmt::format("<path d=\"M{:.1f} {:.1f}l4 4-4 4-4-4z\"/>", x, y - 4);
        }
        svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.0f}\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\" "
                           "font-size=\"10\" text-anchor=\"{}\">{}</text>"
                           "<title>{}</title></g>\n",
                           right ? x - 4 : x + 4, k_top + 20 + 12 * static_cast<double>(i), right ? "end" : "start",
                           html_escape(m.label), html_escape(m.label));
    }
    for (const auto& l : lines) {
        if (!l.histogram || l.histogram->count() == 0) continue;
        const auto points = curve(*l.histogram, axes);
        std::string d = fmt::format("M{:.1f},{:.1f}L", points.front().x, points.front().y);
        for (std::size_t i = 1; i < points.size(); ++i)
            d += fmt::format("{}{:.1f},{:.1f}", i > 1 ? " " : "", points[i].x, points[i].y);
        if (points.size() == 1) d += fmt::format("{:.1f},{:.1f}", points.front().x + 0.5, points.front().y);
        svg += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\"{} stroke-linejoin=\"round\">"
                           "<title>{}</title></path>\n",
                           d, l.color, l.width,
                           l.dash.empty() ? std::string{} : fmt::format(" stroke-dasharray=\"{}\"", l.dash),
                           html_escape(l.label));
    }
    svg += "</svg>";
    return svg;
}

}  // namespace threadmill
