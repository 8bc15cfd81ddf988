// The HTML report: a job's linearizability check, with the failing partition as a timeline.
#include <algorithm>
#include <map>
#include <vector>

#include "model/units.hpp"
#include "reports/console.hpp"
#include "reports/html_chart.hpp"
#include "reports/html_page.hpp"

namespace threadmill::html_report {
namespace {

constexpr double k_width = 920;     ///< the drawing's width in SVG units
constexpr double k_left = 90;       ///< room for the lane labels
constexpr double k_lane = 30;       ///< one thread's lane
constexpr double k_bar = 16;        ///< an operation's bar

/// A time after the first call shown: "20.4us".
std::string offset_text(std::int64_t ns) { return format_duration_ns(static_cast<double>(ns)); }

/// One bar per operation of the window, one lane per thread. The axis orders events, not
/// durations: every distinct call and return time gets the same width, so that a burst of short
/// operations reads as clearly as a long one (which overlaps which is all that matters to the
/// check); the hover text gives the times. An op that cannot be placed is red; one with an
/// unknown outcome is dashed and runs to the end; each op of the longest linearizable prefix
/// carries its position in it.
std::string timeline_svg(const LinearizabilityResult& r) {
    std::map<int, int> lanes;
    std::vector<std::int64_t> times;
    for (const auto& op : r.window) {
        lanes.emplace(op.process, 0);
        times.push_back(op.call);
        if (op.ret) times.push_back(*op.ret);
    }
    std::sort(times.begin(), times.end());
    times.erase(std::unique(times.begin(), times.end()), times.end());
    int next = 0;
    for (auto& [process, lane] : lanes) lane = next++;
    const double plot = k_width - k_left - 10;
    const double step = plot / static_cast<double>(std::max<std::size_t>(times.size(), 2) - 1);
    const auto x = [&](std::int64_t t) {
        const auto rank = std::lower_bound(times.begin(), times.end(), t) - times.begin();
        return k_left + step * static_cast<double>(rank);
    };
    const double height = 24 + k_lane * static_cast<double>(lanes.size());
    const std::int64_t lo = times.empty() ? 0 : times.front();

    std::string svg;
    add(svg,
        "<svg class=\"history\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"operations of the failing partition by "
        "thread, in the order of their calls and returns\" xmlns=\"http://www.w3.org/2000/svg\">\n",
        k_width, height);
    for (const auto& [process, lane] : lanes) {
        const double y = 8 + k_lane * lane;
        add(svg, "<text x=\"4\" y=\"{:.1f}\" class=\"lane\">thread {}</text>\n", y + k_bar - 4, process);
        add(svg, "<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" class=\"lane\"/>\n", k_left, k_width - 10,
            y + k_bar + 4);
    }
    std::map<int, double> label_end;  // per lane: where the last label drawn ends
    for (const auto& op : r.window) {
        const int lane = lanes[op.process];
        const double y = 8 + k_lane * lane;
        const double x0 = x(op.call);
        const double x1 = op.ret ? x(*op.ret) : k_width - 10;
        const double w = std::max(x1 - x0, 3.0);
        const char* cls = op.unplaced ? "op unplaced" : op.info ? "op info" : op.order >= 0 ? "op placed" : "op";
        std::string title = fmt::format("{} · thread {} · history line {} · call +{}", op.text, op.process, op.line,
                                        offset_text(op.call - lo));
        if (op.ret) title += fmt::format(", return +{}", offset_text(*op.ret - lo));
        if (op.info) title += " · outcome unknown";
        if (op.order >= 0) title += fmt::format(" · #{} of the prefix, state after: {}", op.order + 1, op.state);
        if (op.unplaced) title += " · cannot take effect after the prefix";
        add(svg, "<g class=\"{}\"><title>{}</title><rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\" rx=\"3\"/>",
            cls, html_escape(title), x0, y, w, k_bar);
        // A label where it fits: the whole text inside a wide bar, else the prefix number, never
        // over the previous label of the lane (about 6 units per character at this size).
        std::string label = op.order >= 0 ? fmt::format("{} {}", op.order + 1, op.text) : op.text;
        if (static_cast<double>(label.size()) * 6 + 4 > w) label = op.order >= 0 ? std::to_string(op.order + 1) : "";
        if (op.unplaced && label.empty()) label = "✗";
        const double label_width = static_cast<double>(label.size()) * 6;
        if (!label.empty() && x0 + 2 >= label_end[lane]) {
            add(svg, "<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>", x0 + 2, y + k_bar - 4, html_escape(label));
            label_end[lane] = x0 + 2 + label_width + 2;
        }
        svg += "</g>\n";
    }
    add(svg, "<text x=\"{}\" y=\"{:.1f}\" class=\"axis\">first call</text><text x=\"{}\" y=\"{:.1f}\" class=\"axis\" "
             "text-anchor=\"end\">+{}, calls and returns in order</text>\n",
        k_left, height - 2, k_width - 10, height - 2, html_escape(offset_text(times.empty() ? 0 : times.back() - lo)));
    svg += "</svg>\n";
    return svg;
}

}  // namespace

void Page::linearizability(const JobResult& j) {
    if (!j.linearizability) return;
    const LinearizabilityResult& r = *j.linearizability;
    add(m_html, "<section class=\"timeline\" id=\"{}-timeline\" data-job=\"{}\" aria-label=\"history timeline\">",
        job_anchor(j), j.index);
    const bool failed = r.verdict == "not linearizable";
    const char* badge = failed ? "broken" : r.verdict == "linearizable" ? "held" : "over";
    add(m_html, "<h3>Linearizability <span class=\"badge {}\">{}</span></h3>\n", badge, html_escape(r.verdict));
    std::string facts = fmt::format("{} operations against model <code>{}</code>, {} partition{} ({} decided), "
                                    "checked in {}",
                                    group_thousands(r.ops), html_escape(r.model), r.partitions,
                                    r.partitions == 1 ? "" : "s", r.partitions_decided, format_duration_ns(r.seconds * 1e9));
    if (j.measurement && j.measurement->history && j.measurement->history->cut) {
        const auto& h = *j.measurement->history;
        facts += fmt::format(". The history was cut at its limit (<code>[check] history_limit</code>), {:.3f}s into "
                             "the run: operations called later are not in it{}",
                             h.cut_at_seconds,
                             h.open_at_cut > 0 ? fmt::format(", and the {} in flight then count as outcome unknown", h.open_at_cut)
                                               : std::string());
    }
    add(m_html, "<p>{}.</p>\n", facts);
    if (!r.error.empty()) add(m_html, "<p>The history could not be checked: {}</p>\n", html_escape(r.error));
    if (r.verdict == "unknown") {
        add(m_html, "<p>The check stopped at its {} (<code>[check] time_limit</code>) before deciding partition {}: "
                    "neither a pass nor a catch.</p>\n",
            html_escape(r.unknown_reason), html_escape(r.key ? "\"" + *r.key + "\"" : std::string("without a key")));
    }
    if (failed) {
        add(m_html,
            "<p>Partition {} ({} operations) has no legal order consistent with real time. The longest linearizable "
            "prefix found has {} operations{} (starting from state <code>{}</code>); the red operations had to come "
            "next and none can. {} of its operations around the failure are drawn; hover for details.</p>\n",
            html_escape(r.key ? "\"" + *r.key + "\"" : std::string("without a key")), r.partition_ops, r.prefix_length,
            r.diagnosis_complete ? "" : " (the best found before the diagnosis's time ran out)",
            html_escape(r.initial_state), r.window.size());
        m_html += "<div class=\"history-box\">" + timeline_svg(r) + "</div>\n";
        m_html += "<details class=\"more\"><summary>The operations drawn</summary><div class=\"tbl\"><table><thead><tr>"
                  "<th class=\"num\">Line</th><th class=\"num\">Thread</th><th>Operation</th><th class=\"num\">Call</th>"
                  "<th class=\"num\">Return</th><th>Placed</th><th>State after</th></tr></thead><tbody>\n";
        const std::int64_t lo = r.window.empty() ? 0 : r.window.front().call;
        for (const auto& op : r.window) {
            const std::string placed = op.unplaced ? "<span class=\"badge broken\">cannot be placed</span>"
                                       : op.order >= 0 ? fmt::format("#{}", op.order + 1)
                                                       : std::string();
            add(m_html,
                "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td><code>{}</code>{}</td><td class=\"num\">+{}</td>"
                "<td class=\"num\">{}</td><td>{}</td><td><code>{}</code></td></tr>\n",
                op.line, op.process, html_escape(op.text), op.info ? " <span class=\"muted\">(outcome unknown)</span>" : "",
                html_escape(offset_text(op.call - lo)), op.ret ? "+" + html_escape(offset_text(*op.ret - lo)) : "—",
                placed, html_escape(op.state));
        }
        m_html += "</tbody></table></div></details>\n";
    }
    m_html += "</section>\n";
}

}  // namespace threadmill::html_report
