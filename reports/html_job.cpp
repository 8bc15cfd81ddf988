// The HTML report's job details: facts, replay, latency and flavor charts, invariants, lockstep
// outcomes, budgets, the timeout.
#include "reports/html_page.hpp"

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "model/bugs.hpp"
#include "model/flavor.hpp"
#include "model/units.hpp"
#include "reports/console.hpp"
#include "reports/html_chart.hpp"
#include "reports/markdown.hpp"
#include "reports/report_text.hpp"

namespace threadmill::html_report {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t k_max_details_shown = 20;   ///< invariant details listed per invariant

/// A budget's figure as the tables print it: "20.4us", "2.71M ops/s".
std::string scaled_budget_figure(double value, const std::string& unit) {
    return unit == "ns" ? format_duration_ns(value) : format_count_rate(value) + " ops/s";
}

/// A flavor's line in the flavor chart; a flavor this build does not know (a results file of
/// another version) takes a series colour.
std::string flavor_color(const std::string& flavor, std::size_t i) {
    const auto f = parse_flavor(flavor);
    if (!f) return std::string(series_color(i));
    switch (*f) {
        case Flavor::plain: return "#0f172a";
        case Flavor::tsan: return "#2563eb";
        case Flavor::asan: return "#c026d3";
    }
    return std::string(series_color(i));
}

std::string flavor_dash(const std::string& flavor) {
    const auto f = parse_flavor(flavor);
    if (!f) return "";
    switch (*f) {
        case Flavor::plain: return "";
        case Flavor::tsan: return "7 3";
        case Flavor::asan: return "2 3";
    }
    return "";
}

/// A legend key: a short line drawn like the chart's line.
std::string swatch(std::string_view color, std::string_view dash) {
    const char* style = dash.empty() ? "solid" : dash.starts_with("2") ? "dotted" : "dashed";
    return fmt::format("<span class=\"sw\" style=\"border-top:3px {} {}\"></span>", style, color);
}

}  // namespace

void Page::job_details() {
    m_html += "<section id=\"details\">\n<h2>Job details <span class=\"sub\">latency, invariants, outcomes, budgets, "
              "findings, replay</span><span style=\"margin-left:auto\"><button id=\"expand-all\" type=\"button\">Expand all</button> "
              "<button id=\"collapse-all\" type=\"button\">Collapse all</button></span></h2>\n";
    for (const auto& j : m_in.jobs) job(j);
    m_html += "</section>\n";
}

void Page::job(const JobResult& j) {
    add(m_html, "<details class=\"job {}\" id=\"{}\">\n", outcome_class(j), job_anchor(j));
    add(m_html,
        "<summary>{}<span class=\"muted\">#{}</span><span class=\"title\">{}</span>"
        "<span class=\"why\">{}</span></summary>\n",
        outcome_badge(j), j.index, html_escape(job_title(j)), html_escape(j.expectation_detail));
    m_html += "<div class=\"job-body\">\n";
    facts(j);
    add(m_html, "<h3>Replay</h3>\n<pre class=\"replay\"><code>{}</code></pre>\n", html_escape(j.replay));
    detections(j);
    if (j.measurement) {
        latency(j, *j.measurement);
        flavors(j);
        invariants(*j.measurement);
    }
    outcomes(j);
    budgets(j);
    findings(j);
    timeout(j);
    if (!j.worker_log.empty()) {
        add(m_html, "<details class=\"more\"><summary>Worker output (tail)</summary><pre>{}</pre></details>\n",
            html_escape(j.worker_log));
    }
    linearizability(j);
    m_html += "</div>\n</details>\n";
}

void Page::facts(const JobResult& j) {
    m_html += "<dl class=\"facts\">\n";
    add(m_html, "<dt>Target</dt><dd><code>{}</code> · scenario file <code>{}</code></dd>\n", html_escape(j.target),
        html_escape(j.scenario_path));
    add(m_html, "<dt>Expected</dt><dd>{} — {}</dd>\n", html_escape(fmt::format("{}", fmt::join(j.expected, ", "))),
        html_escape(j.expectation_detail));
    std::string process;
    if (j.timed_out) {
        process = "timed out, killed";
    } else if (j.signal != 0) {
        process = fmt::format("killed by signal {}", j.signal);
    } else {
        process = fmt::format("exit status {}", j.exit_code);
    }
    add(m_html, "<dt>Worker</dt><dd>{} after {:.2f}s</dd>\n", process, j.elapsed_seconds);
    if (!j.detections.empty()) {
        std::string timing = j.first_detection ? first_detection_text(j) : "not timed";
        if (j.ops_run) timing += fmt::format(" · {} ops run", j.ops_run.value());
        if (const auto rate = j.detections_per_million_ops())
            timing += fmt::format(" · {} detection events ({:.3g} per million ops)", j.detection_events, *rate);
        add(m_html, "<dt>First detection</dt><dd>{}</dd>\n", html_escape(timing));
    }
    if (const auto confirmed = confirmation_text(j); !confirmed.empty()) {
        add(m_html, "<dt>Confirmation</dt><dd>{}", html_escape(confirmed));
        if (!j.confirmation->outcomes.empty()) {
            m_html += "<ul>";
            for (const auto& o : j.confirmation->outcomes) add(m_html, "<li>{}</li>", html_escape(o));
            m_html += "</ul>";
        }
        m_html += "</dd>\n";
    }
    if (!j.job_dir.empty() && !m_in.settings.results_dir.empty()) {
        const std::string dir = relative_link((fs::path(m_in.settings.results_dir) / j.job_dir).string(), m_out_path);
        add(m_html, "<dt>Logs</dt><dd><a href=\"{0}/\">{0}/</a></dd>\n", html_escape(dir));
    }
    m_html += "</dl>\n";
}

void Page::detections(const JobResult& j) {
    if (j.detections.empty()) return;
    m_html += "<h3>Caught by</h3>\n<ul>\n";
    for (const auto& d : j.detections) {
        add(m_html, "<li><span class=\"mech\">{}</span> {}</li>\n", html_escape(d.mechanism),
            html_escape(strip_root(d.detail, m_in.settings.source_root)));
    }
    m_html += "</ul>\n";
}

void Page::latency(const JobResult& j, const Measurement& m) {
    if (m.ops.empty()) return;
    std::vector<ChartLine> lines;
    for (std::size_t i = 0; i < m.ops.size(); ++i) {
        lines.push_back({m.ops[i].name, &m.ops[i].histogram, std::string(series_color(i)), std::string(series_dash(i)), 1.8});
    }
    // Latency budgets on an operation's percentile, maximum or mean, drawn at their limits.
    std::vector<ChartMarker> markers;
    for (const auto& b : j.budgets) {
        const auto dot = b.key.rfind('.');
        if (b.unit != "ns" || dot == std::string::npos) continue;
        const std::string op = b.key.substr(0, dot), stat = b.key.substr(dot + 1);
        const auto it = std::find_if(m.ops.begin(), m.ops.end(), [&](const OpStats& o) { return o.name == op; });
        if (it == m.ops.end()) continue;
        double fraction = 0;
        if (stat == "p50") fraction = 0.5;
        if (stat == "p90") fraction = 0.1;
        if (stat == "p99") fraction = 0.01;
        if (stat == "p999") fraction = 0.001;
        if (stat == "max" && it->count > 0) fraction = 1.0 / static_cast<double>(it->count);
        markers.push_back({b.limit, fraction,
                           fmt::format("budget {} ≤ {}{}", b.key, format_duration_ns(b.limit),
                                       b.budget.ends_with("safe") ? fmt::format(" ({})", b.budget) : std::string{}),
                           b.met});
    }
    const std::string chart = render_latency_chart(lines, markers, "chart chart-ops",
                                                   fmt::format("latency distribution of {}", job_title(j)));
    m_html += "<h3>Latency and throughput</h3>\n";
    m_html += "<div class=\"tbl\"><table><thead><tr><th>Operation</th><th class=\"num\">Calls</th><th class=\"num\">p50</th>"
              "<th class=\"num\">p90</th><th class=\"num\">p99</th><th class=\"num\">p99.9</th><th class=\"num\">max</th>"
              "<th class=\"num\">mean</th><th class=\"num\">ops/s</th></tr></thead><tbody>\n";
    for (std::size_t i = 0; i < m.ops.size(); ++i) {
        const OpStats& op = m.ops[i];
        add(m_html,
            "<tr><td class=\"nowrap\">{}<code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
            "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
            "<td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            chart.empty() ? "" : swatch(series_color(i), series_dash(i)), html_escape(op.name), group_thousands(op.count),
            format_duration(Nanos(op.p50)), format_duration(Nanos(op.p90)), format_duration(Nanos(op.p99)),
            format_duration(Nanos(op.p999)), format_duration(Nanos(op.max)), format_duration_ns(op.mean),
            format_count_rate(op.throughput));
    }
    add(m_html,
        "<tr><td><b>all operations</b></td><td class=\"num\"><b>{}</b></td><td colspan=\"6\" class=\"muted\">{} "
        "thread{}, {:.3f}s wall{}{}</td><td class=\"num\"><b>{}</b></td></tr>\n",
        group_thousands(m.total_ops), m.threads, m.threads == 1 ? "" : "s", m.wall_seconds,
        m.rounds > 0 ? fmt::format(", {} rounds", m.rounds) : "",
        m.faults_injected > 0 ? fmt::format(", {} faults injected", group_thousands(m.faults_injected)) : "",
        format_count_rate(m.throughput));
    m_html += "</tbody></table></div>\n";
    for (const auto& op : m.ops) {
        if (op.exceptions == 0) continue;
        add(m_html, "<p class=\"note\"><code>{}</code> threw {} time{}; the first: {}</p>\n", html_escape(op.name),
            group_thousands(op.exceptions), op.exceptions == 1 ? "" : "s", html_escape(op.first_exception));
    }
    if (chart.empty()) return;
    add(m_html,
        "<div class=\"chart-row\"><div>{}</div><p class=\"note\">For each operation (colours as in the table), the "
        "share of calls that took at least the latency on the x axis. Both axes are logarithmic, so the tail gets as "
        "much room as the median: the lower and further left a line, the faster; where a line crosses 1% is its p99, "
        "0.1% its p99.9. Hover a line for its name.{}</p></div>\n",
        chart,
        markers.empty() ? ""
                        : " A dashed vertical line is a latency budget: the operation's line must cross the diamond's "
                          "level to its left (green: met, red: over).");
}

void Page::flavors(const JobResult& j) {
    const auto it = m_by_flavor.find(FlavorKey{j.scenario, j.variant, j.seed, j.repeat});
    if (it == m_by_flavor.end() || it->second.size() < 2) return;
    const auto& group = it->second;
    std::vector<Histogram> merged(group.size());
    const JobResult* plain = nullptr;
    for (std::size_t i = 0; i < group.size(); ++i) {
        for (const auto& op : group[i]->measurement->ops) merged[i].merge(op.histogram);
        if (parse_flavor(group[i]->flavor) == Flavor::plain) plain = group[i];
    }
    std::vector<ChartLine> lines;
    for (std::size_t i = 0; i < group.size(); ++i) {
        lines.push_back({group[i]->flavor, &merged[i], flavor_color(group[i]->flavor, i), flavor_dash(group[i]->flavor),
                         group[i] == &j ? 2.6 : 1.6});
    }
    m_html += "<h3>Flavor comparison <span class=\"muted\" style=\"font-weight:400\">the same scenario, variant and "
              "seed in each flavor; all operations together</span></h3>\n";
    m_html += "<div class=\"tbl\"><table><thead><tr><th>Flavor</th><th class=\"num\">Calls</th><th class=\"num\">p50</th>"
              "<th class=\"num\">p99</th><th class=\"num\">p99.9</th><th class=\"num\">ops/s</th>"
              "<th class=\"num\">vs plain</th></tr></thead><tbody>\n";
    for (std::size_t i = 0; i < group.size(); ++i) {
        const JobResult& g = *group[i];
        const Histogram& h = merged[i];
        std::string versus = "—";
        if (plain && plain != &g && g.measurement->throughput > 0 && plain->measurement->throughput > 0) {
            const double ratio = plain->measurement->throughput / g.measurement->throughput;
            versus = ratio >= 1 ? fmt::format("{:.1f}× slower", ratio) : fmt::format("{:.1f}× faster", 1 / ratio);
        }
        const std::string name = &g == &j ? fmt::format("<b>{}</b> (this job)", html_escape(g.flavor))
                                          : fmt::format("<a href=\"#{}\">{}</a>", job_anchor(g), html_escape(g.flavor));
        add(m_html,
            "<tr><td class=\"nowrap\">{}{} <span class=\"badge {}\">{}</span></td><td class=\"num\">{}</td>"
            "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
            "<td class=\"num\">{}</td></tr>\n",
            swatch(lines[i].color, lines[i].dash), name, outcome_class(g), info(outcome_of(g)).label,
            group_thousands(h.count()), format_duration(Nanos(h.percentile(0.5))),
            format_duration(Nanos(h.percentile(0.99))), format_duration(Nanos(h.percentile(0.999))),
            format_count_rate(g.measurement->throughput), versus);
    }
    m_html += "</tbody></table></div>\n";
    add(m_html,
        "<div class=\"chart-row\"><div>{}</div><p class=\"note\">The latency of all calls of this job in each flavor "
        "(the thick line is this job). The sanitizer flavors instrument every memory access, so they are slower; a "
        "line far from the others in one flavor only is worth a look.</p></div>\n",
        render_latency_chart(lines, {}, "chart chart-flavors", fmt::format("latency by flavor of {}", job_title(j))));
}

void Page::invariants(const Measurement& m) {
    if (m.invariants.empty()) return;
    m_html += "<h3>Invariants</h3>\n<div class=\"tbl\"><table><thead><tr><th>Invariant</th><th>Result</th>"
              "<th class=\"num\">Checks</th><th class=\"num\">Violations</th><th>Details</th></tr></thead><tbody>\n";
    for (const auto& inv : m.invariants) {
        std::string details;
        for (std::size_t i = 0; i < std::min(inv.details.size(), k_max_details_shown); ++i)
            add(details, "{}{}", i > 0 ? "<br>" : "", html_escape(inv.details[i]));
        if (inv.details.size() > k_max_details_shown)
            add(details, "<br><span class=\"muted\">+{} more in results.jsonl</span>",
                inv.details.size() - k_max_details_shown);
        add(m_html,
            "<tr><td><code>{}</code></td><td><span class=\"badge {}\">{}</span></td><td class=\"num\">{}</td>"
            "<td class=\"num\">{}</td><td>{}</td></tr>\n",
            html_escape(inv.name), inv.held ? "held" : "broken", inv.held ? "held" : "BROKEN", group_thousands(inv.checks),
            group_thousands(inv.violations), details);
    }
    m_html += "</tbody></table></div>\n";
}

void Page::outcomes(const JobResult& j) {
    if (j.outcomes.empty()) return;
    add(m_html, "<h3>Outcomes <span class=\"muted\" style=\"font-weight:400\">{} lockstep rounds, graded by the "
                "scenario's [[outcome]] entries</span></h3>\n",
        j.measurement ? group_thousands(j.measurement->rounds) : std::string("?"));
    m_html += "<div class=\"tbl\"><table class=\"outcomes\"><thead><tr><th>Result</th><th class=\"num\">Count</th>"
              "<th class=\"num\">Frequency</th><th>Grade</th><th>Description</th></tr></thead><tbody>\n";
    for (const auto& o : j.outcomes) {
        const bool seen_forbidden = o.grade == OutcomeGrade::forbidden && o.count > 0;
        add(m_html,
            "<tr{}><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
            "<td><span class=\"badge {}{}\">{}</span></td><td>{}</td></tr>\n",
            seen_forbidden ? " class=\"forbidden-seen\"" : "", html_escape(o.result), group_thousands(o.count),
            format_percent(o.frequency), to_string(o.grade), seen_forbidden ? " seen" : "",
            seen_forbidden ? std::string("FORBIDDEN") : std::string(to_string(o.grade)), html_escape(o.desc));
    }
    m_html += "</tbody></table></div>\n";
}

void Page::budgets(const JobResult& j) {
    if (j.budgets.empty()) return;
    m_html += "<h3>Latency budgets</h3>\n<div class=\"tbl\"><table><thead><tr><th>Budget</th><th class=\"num\">Measured</th>"
              "<th class=\"num\">Limit</th><th>Use</th><th>Result</th></tr></thead><tbody>\n";
    for (const auto& b : j.budgets) {
        const double use = budget_use(b);
        add(m_html,
            "<tr><td><code>{} = {}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"nowrap\">"
            "<span class=\"meter\"><span class=\"{}\" style=\"width:{:.0f}%\"></span></span>{:.0f}%</td>"
            "<td><span class=\"badge {}\">{}</span></td></tr>\n",
            html_escape(b.key), html_escape(b.budget), scaled_budget_figure(b.value, b.unit),
            scaled_budget_figure(b.limit, b.unit), b.met ? "" : "over", std::min(100.0, 100 * use), 100 * use,
            b.met ? "met" : "over", b.met ? "met" : "over");
    }
    m_html += "</tbody></table></div>\n";
}

void Page::timeout(const JobResult& j) {
    if (!j.last_activity.empty()) {
        m_html += "<h3>Threads at the timeout</h3>\n<div class=\"tbl narrow\"><table><thead><tr><th class=\"num\">Thread</th>"
                  "<th>Group</th><th>Operation</th><th class=\"num\">Ops done</th></tr></thead><tbody>\n";
        for (const auto& a : j.last_activity) {
            add(m_html, "<tr><td class=\"num\">{}</td><td>{}</td><td>{} <code>{}</code></td><td class=\"num\">{}</td></tr>\n",
                a.thread, html_escape(a.group), a.in_op ? "in" : "after", html_escape(a.op), group_thousands(a.ops_done));
        }
        m_html += "</tbody></table></div>\n";
    }
    // Each thread that was in the code under test, its user frames shown; threads only in the harness or the
    // standard library are counted (every frame stays in the raw backtraces below).
    std::size_t without_user = 0;
    bool header = false;
    for (const auto& t : j.hang_stacks) {
        if (first_user_frame(t) == nullptr) {
            ++without_user;
            continue;
        }
        if (!header) m_html += "<h3>Where the threads were blocked (gdb)</h3>\n";
        header = true;
        stack(StackBlock{hang_thread_title(t), t.frames});
    }
    if (header && without_user > 0) {
        add(m_html, "<p class=\"muted\">and {} thread{} in the harness, the standard library or the runtime only</p>\n",
            without_user, without_user == 1 ? "" : "s");
    }
    if (!j.backtraces.empty()) {
        add(m_html, "<details class=\"more\"><summary>Backtraces of every thread at the timeout (gdb)</summary><pre>{}</pre>"
                    "</details>\n",
            html_escape(j.backtraces));
    }
}

}  // namespace threadmill::html_report
