// The HTML report: one self-contained page for a whole run.
//
// Layout: a header with the run's outcome, summary cards, missed expectations, distinct bugs,
// a filterable table of jobs, then one folded <details> per job (closed, so a run of a thousand
// jobs opens at once; charts only live in there). No network: CSS, SVG and JavaScript are
// inline and a Content-Security-Policy forbids loading anything, so a report that tried would
// show (and fail the browser test) at once. The stylesheet and the script are
// reports/assets/report.css and report.js, compiled in (the embedded/ headers, made by the build).
#include "reports/html.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iterator>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "embedded/report_css.hpp"
#include "embedded/report_js.hpp"
#include "model/scenario.hpp"
#include "model/bugs.hpp"
#include "model/text.hpp"
#include "model/flavor.hpp"
#include "reports/console.hpp"
#include "reports/html_chart.hpp"
#include "reports/markdown.hpp"

namespace threadmill {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t k_max_details_shown = 20;   ///< invariant details listed per invariant
constexpr std::size_t k_max_findings_shown = 10;  ///< distinct findings with stacks per job
constexpr std::size_t k_max_raw_chars = 16000;    ///< of a finding's raw report text

template <typename... Args>
void add(std::string& out, fmt::format_string<Args...> format, Args&&... args) {
    fmt::format_to(std::back_inserter(out), format, std::forward<Args>(args)...);
}

std::string esc(std::string_view text) { return html_escape(text); }

const char* verdict_class(Verdict v) {
    switch (v) {
        case Verdict::pass: return "pass";
        case Verdict::fail: return "fail";
        case Verdict::error: return "error";
    }
    return "error";
}

std::string ns(double v) { return format_duration_ns(v); }

/// Every occurrence of "<root>/" removed, so that paths in free text read like the frames.
std::string strip_root(std::string text, const std::string& source_root) {
    if (source_root.empty()) return text;
    std::string root = source_root;
    if (root.back() != '/') root += '/';
    for (auto at = text.find(root); at != std::string::npos; at = text.find(root, at)) text.erase(at, root.size());
    return text;
}

/// How much of a budget is used: above 1 is over. For throughput, less is worse.
double budget_use(const BudgetResult& b) {
    if (b.unit == "ops/s") return b.value > 0 ? b.limit / b.value : 1e9;
    return b.limit > 0 ? b.value / b.limit : 0;
}

std::string budget_figure(double value, const std::string& unit) {
    return unit == "ns" ? ns(value) : format_count_rate(value) + " ops/s";
}

std::string job_anchor(const JobResult& j) { return fmt::format("job-{}", j.index); }

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

/// The same scenario, variant, seed and repeat under another flavor.
using FlavorKey = std::tuple<std::string, std::string, std::uint64_t, int>;

class Page {
public:
    explicit Page(const ReportInput& in)
        : m_in(in), m_out_path(in.output_path == "-" ? std::string("index.html") : in.output_path) {
        for (const auto& j : in.jobs) {
            if (j.measurement && j.measurement->total_ops > 0)
                m_by_flavor[FlavorKey{j.scenario, j.variant, j.seed, j.repeat}].push_back(&j);
        }
    }

    std::string render() {
        const RunSummary& s = m_in.summary;
        const bool ok = s.missed == 0 && !s.interrupted;
        m_html.reserve(256 * 1024);
        m_html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
        m_html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
        m_html += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
                  "script-src 'unsafe-inline'; img-src data:\">\n";
        add(m_html, "<title>threadmill: {} — {} of {} expectations met</title>\n", ok ? "passed" : "FAILED", s.met, s.ran);
        // The assets are files that start at their first rule or statement; the page puts each on a
    // line of its own.
    add(m_html, "<style>\n{}</style>\n</head>\n<body>\n", embedded::k_report_css);
        header(ok);
        m_html += "<main class=\"wrap\">\n";
        summary();
        missed();
        bugs();
        suppressions();
        jobs_table();
        job_details();
        footer();
        m_html += "</main>\n";
        add(m_html, "<script>\n{}</script>\n</body>\n</html>\n", embedded::k_report_js);
        return std::move(m_html);
    }

private:
    void header(bool ok) {
        const RunSummary& s = m_in.summary;
        const RunContext& c = m_in.context;
        m_html += "<header class=\"top\"><div class=\"wrap\">\n";
        add(m_html, "<h1>threadmill report <span class=\"status {}\">{}</span></h1>\n", ok ? "ok" : "bad",
            s.interrupted ? "INTERRUPTED" : ok ? "PASSED" : "FAILED");
        add(m_html, "<p class=\"context\">threadmill {} · {} ({}) · {} · {} CPUs · started {} · jobs took {:.1f}s",
            esc(c.tool_version), esc(c.compiler), esc(c.build_type), esc(c.host), c.cpu_count, esc(c.start_time),
            s.elapsed_seconds);
        if (!c.merged_from.empty()) add(m_html, " · merged from {} runs", c.merged_from.size());
        std::vector<std::string> links;
        for (const auto& [format, path] : m_in.settings.artifacts) {
            if (path == "-" || path == m_in.output_path) continue;
            links.push_back(fmt::format("<a href=\"{}\">{}</a>", esc(relative_link(path, m_out_path)), esc(format)));
        }
        if (!s.results_path.empty())
            links.push_back(fmt::format("<a href=\"{}\">results.jsonl</a>", esc(relative_link(s.results_path, m_out_path))));
        if (!links.empty()) add(m_html, "<br>Other reports: {}", fmt::join(links, " · "));
        m_html += "</p>\n</div></header>\n";
    }

    void card(std::string cls, int n, std::string_view label, std::string_view title) {
        if (n == 0) cls = "zero";  // nothing to see: grey, whatever it would be
        add(m_html, "<div class=\"card{}{}\" title=\"{}\"><div class=\"n\">{}</div><div class=\"l\">{}</div></div>\n",
            cls.empty() ? "" : " ", cls, title, n, label);
    }

    void summary() {
        const RunSummary& s = m_in.summary;
        m_html += "<section id=\"summary\">\n";
        add(m_html, "<h2>Summary <span class=\"sub\">{} of {} expectations met{}</span></h2>\n", s.met, s.ran,
            s.interrupted ? fmt::format(" · interrupted after {} of {} jobs", s.ran, s.planned) : "");
        m_html += "<div class=\"cards\">\n";
        card("", s.ran, "jobs", "jobs that ran");
        card("pass", s.pass, "pass", "no mechanism caught the job");
        card("fail", s.fail, "fail", "caught by a mechanism (expected for a mutant)");
        card("error", s.error, "error", "the harness could not run or judge the job");
        card("pass", s.met, "expectations met", "the verdict matched the scenario's [expect]");
        card("missed", s.missed, "missed", "the verdict did not match the scenario's [expect]");
        card("", s.findings, "sanitizer reports", "reports over all jobs");
        card(s.distinct_bugs > 0 ? "fail" : "", s.distinct_bugs, "distinct bugs",
             "distinct fingerprints over all jobs, seeds and flavors");
        m_html += "</div>\n";
        if (s.ran > 0) {
            m_html += "<div class=\"bar\" role=\"img\" aria-label=\"jobs by verdict\">";
            const std::pair<const char*, int> parts[] = {{"pass", s.pass}, {"fail", s.fail}, {"error", s.error}};
            for (const auto& [cls, n] : parts) {
                if (n > 0) add(m_html, "<span class=\"{}\" style=\"width:{:.2f}%\"></span>", cls, 100.0 * n / s.ran);
            }
            m_html += "</div>\n";
            add(m_html,
                "<div class=\"legend\"><span><i class=\"dot pass\"></i>pass {}</span><span><i class=\"dot fail\"></i>fail {}"
                "</span><span><i class=\"dot error\"></i>error {}</span></div>\n",
                s.pass, s.fail, s.error);
        }
        m_html += "</section>\n";
    }

    void missed() {
        std::vector<const JobResult*> jobs;
        for (const auto& j : m_in.jobs) {
            if (!j.expectation_met) jobs.push_back(&j);
        }
        if (jobs.empty()) return;
        m_html += "<section id=\"missed\">\n";
        add(m_html, "<h2>Expectations missed <span class=\"sub\">{}</span></h2>\n<div class=\"tbl\"><table>\n", jobs.size());
        m_html += "<thead><tr><th>Job</th><th>Verdict</th><th>Why</th><th>Replay</th></tr></thead><tbody>\n";
        for (const JobResult* j : jobs) {
            add(m_html,
                "<tr><td><a href=\"#{}\">{}</a></td><td><span class=\"badge {}\">{}</span></td><td>{}</td>"
                "<td><code>{}</code></td></tr>\n",
                job_anchor(*j), esc(job_title(*j)), verdict_class(j->verdict), to_string(j->verdict),
                esc(j->expectation_detail), esc(j->replay));
        }
        m_html += "</tbody></table></div>\n</section>\n";
    }

    void bugs() {
        const auto list = distinct_bugs(m_in.jobs);
        if (list.empty()) return;
        m_html += "<section id=\"bugs\">\n";
        add(m_html,
            "<h2>Distinct bugs <span class=\"sub\">{} — the same fingerprint counts once over jobs, seeds and flavors"
            "</span></h2>\n<div class=\"tbl\"><table>\n",
            list.size());
        m_html += "<thead><tr><th>Kind</th><th>Where, and the first jobs that saw it</th><th class=\"num\">Reports</th></tr></thead>"
                  "<tbody>\n";
        for (const auto& b : list) {
            const Finding& f = *b.first;
            std::string where = f.user_frame ? fmt::format("<code>{}:{}</code> in <code>{}</code>",
                                                           esc(source_relative(f.user_frame->file, m_in.settings.source_root)),
                                                           f.user_frame->line, esc(f.user_frame->function))
                                             : esc(!f.summary.empty() ? f.summary : f.headline);
            // The first few jobs by name; a bug seen in many jobs would otherwise make its row
            // taller than a screen (the jobs table lists them all).
            constexpr std::size_t k_seen_shown = 3;
            std::vector<std::string> seen;
            for (std::size_t i = 0; i < b.jobs.size() && i < k_seen_shown; ++i)
                seen.push_back(fmt::format("<a href=\"#{}\">{}</a>", job_anchor(*b.jobs[i]), esc(job_title(*b.jobs[i]))));
            if (b.jobs.size() > k_seen_shown)
                seen.push_back(fmt::format("<span class=\"muted\">and {} more job{}</span>", b.jobs.size() - k_seen_shown,
                                           b.jobs.size() - k_seen_shown == 1 ? "" : "s"));
            add(m_html, "<tr><td><span class=\"badge kind\">{}</span> <span class=\"muted\">{}</span></td><td>{}"
                        "<div class=\"muted\">seen in {}</div></td><td class=\"num\">{}</td></tr>\n",
                esc(f.kind_name), esc(f.tool), where, fmt::join(seen, " · "), b.reports);
        }
        m_html += "</tbody></table></div>\n</section>\n";
    }

    void suppressions() {
        const auto& list = m_in.summary.suppressions;
        if (list.empty()) return;
        m_html += "<section id=\"suppressions\">\n<h2>Sanitizer suppressions</h2>\n<div class=\"tbl\"><table>\n";
        m_html += "<thead><tr><th>Tool</th><th>Pattern</th><th class=\"num\">Matched</th></tr></thead><tbody>\n";
        for (const auto& u : list) {
            add(m_html, "<tr><td>{}</td><td><code>{}</code></td><td class=\"num\">{}{}</td></tr>\n", esc(u.tool),
                esc(u.pattern), u.count, u.count == 0 ? " <span class=\"badge fail\">stale?</span>" : "");
        }
        m_html += "</tbody></table></div>\n</section>\n";
    }

    /// What caught the job, in a line: the first detection (and how many more).
    std::string reason_html(const JobResult& j) const {
        std::string out;
        if (!j.expectation_met) add(out, "<span class=\"badge missed\">{}</span> ", esc(j.expectation_detail));
        if (j.detections.empty()) {
            out += j.verdict == Verdict::pass ? "<span class=\"muted\">no detection</span>" : "";
            return out;
        }
        const Detection& d = j.detections.front();
        add(out, "<span class=\"mech\">{}</span> {}", esc(d.mechanism), esc(strip_root(d.detail, m_in.settings.source_root)));
        if (j.detections.size() > 1) add(out, " <span class=\"muted\">(+{} more)</span>", j.detections.size() - 1);
        return out;
    }

    std::string reason_text(const JobResult& j) const {
        if (j.detections.empty()) return j.verdict == Verdict::pass ? "no detection" : j.expectation_detail;
        return j.detections.front().mechanism + " " + strip_root(j.detections.front().detail, m_in.settings.source_root);
    }

    void jobs_table() {
        std::vector<std::string> flavors;
        for (const auto& j : m_in.jobs) {
            if (std::find(flavors.begin(), flavors.end(), j.flavor) == flavors.end()) flavors.push_back(j.flavor);
        }
        m_html += "<section id=\"jobs\">\n";
        add(m_html, "<h2>Jobs <span class=\"sub\">click a row for its details</span></h2>\n");
        m_html += "<div class=\"filters\">\n";
        m_html += "<input type=\"search\" id=\"f-text\" placeholder=\"Filter: scenario, variant, reason…\" "
                  "aria-label=\"filter jobs by text\">\n";
        m_html += "<select id=\"f-verdict\" aria-label=\"verdict\"><option value=\"\">any verdict</option>"
                  "<option value=\"pass\">pass</option><option value=\"fail\">fail</option>"
                  "<option value=\"error\">error</option></select>\n";
        m_html += "<select id=\"f-flavor\" aria-label=\"flavor\"><option value=\"\">any flavor</option>";
        for (const auto& f : flavors) add(m_html, "<option value=\"{0}\">{0}</option>", esc(f));
        m_html += "</select>\n";
        m_html += "<label><input type=\"checkbox\" id=\"f-missed\"> missed expectations only</label>\n";
        add(m_html, "<span class=\"count\" id=\"f-count\">{} jobs</span>\n</div>\n", m_in.jobs.size());
        m_html += "<div class=\"tbl\"><table id=\"jobs-table\">\n<thead><tr><th class=\"num\">#</th><th>Scenario</th>"
                  "<th>Variant</th><th>Flavor</th><th class=\"num\">Seed</th><th>Verdict</th><th>Expectation</th>"
                  "<th>Reason</th><th class=\"num\">Time</th></tr></thead>\n<tbody>\n";
        for (const auto& j : m_in.jobs) {
            const std::string search = to_lower(fmt::format("{} {} {} {} {} {} {} {}", j.scenario, j.variant, j.flavor, j.seed,
                                                         to_string(j.verdict), j.target, j.expectation_detail,
                                                         reason_text(j)));
            add(m_html,
                "<tr class=\"{}{}\" data-index=\"{}\" data-verdict=\"{}\" data-flavor=\"{}\" data-met=\"{}\" "
                "data-search=\"{}\">",
                verdict_class(j.verdict), j.expectation_met ? "" : " missed", j.index, verdict_class(j.verdict),
                esc(j.flavor), j.expectation_met ? "yes" : "no", esc(search));
            add(m_html,
                "<td class=\"num muted\">{}</td><td><a href=\"#{}\">{}</a>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td>"
                "<td><span class=\"badge {}\">{}</span></td><td><span class=\"badge {}\" title=\"{}\">{}</span></td>"
                "<td class=\"reason\"><div class=\"clamp\" title=\"{}\">{}</div></td><td class=\"num\">{:.2f}s</td></tr>\n",
                j.index, job_anchor(j), esc(j.scenario), j.repeat > 0 ? fmt::format(" <span class=\"muted\">#{}</span>", j.repeat + 1) : "",
                esc(j.variant), esc(j.flavor), j.seed, verdict_class(j.verdict), to_string(j.verdict),
                j.expectation_met ? "met" : "missed", esc(j.expectation_detail), j.expectation_met ? "met" : "missed",
                esc(j.expectation_met ? reason_text(j) : j.expectation_detail + " — " + reason_text(j)), reason_html(j),
                j.elapsed_seconds);
        }
        m_html += "</tbody></table></div>\n</section>\n";
    }

    void job_details() {
        m_html += "<section id=\"details\">\n<h2>Job details <span class=\"sub\">latency, invariants, budgets, findings, "
                  "replay</span><span style=\"margin-left:auto\"><button id=\"expand-all\" type=\"button\">Expand all</button> "
                  "<button id=\"collapse-all\" type=\"button\">Collapse all</button></span></h2>\n";
        for (const auto& j : m_in.jobs) job(j);
        m_html += "</section>\n";
    }

    void job(const JobResult& j) {
        add(m_html, "<details class=\"job {}{}\" id=\"{}\">\n", verdict_class(j.verdict), j.expectation_met ? "" : " missed",
            job_anchor(j));
        add(m_html,
            "<summary><span class=\"badge {}\">{}</span><span class=\"muted\">#{}</span><span class=\"title\">{}</span>"
            "<span class=\"badge {}\">{}</span><span class=\"why\">{}</span></summary>\n",
            verdict_class(j.verdict), to_string(j.verdict), j.index, esc(job_title(j)), j.expectation_met ? "met" : "missed",
            j.expectation_met ? "expectation met" : "expectation missed", esc(j.expectation_detail));
        m_html += "<div class=\"job-body\">\n";
        facts(j);
        add(m_html, "<h3>Replay</h3>\n<pre class=\"replay\"><code>{}</code></pre>\n", esc(j.replay));
        detections(j);
        if (j.measurement) {
            latency(j, *j.measurement);
            flavors(j);
            invariants(*j.measurement);
        }
        budgets(j);
        findings(j);
        timeout(j);
        if (!j.worker_log.empty()) {
            add(m_html, "<details class=\"more\"><summary>Worker output (tail)</summary><pre>{}</pre></details>\n",
                esc(j.worker_log));
        }
        add(m_html,
            "<section class=\"timeline\" id=\"{}-timeline\" data-job=\"{}\" aria-label=\"history timeline\"><h3>History "
            "timeline</h3>Operations as bars per thread: not recorded yet (a later version of threadmill fills this "
            "in).</section>\n",
            job_anchor(j), j.index);
        m_html += "</div>\n</details>\n";
    }

    void facts(const JobResult& j) {
        m_html += "<dl class=\"facts\">\n";
        add(m_html, "<dt>Target</dt><dd><code>{}</code> · scenario file <code>{}</code></dd>\n", esc(j.target),
            esc(j.scenario_path));
        add(m_html, "<dt>Expected</dt><dd>{} — {}</dd>\n", esc(fmt::format("{}", fmt::join(j.expected, ", "))),
            esc(j.expectation_detail));
        std::string process;
        if (j.timed_out) {
            process = "timed out, killed";
        } else if (j.signal != 0) {
            process = fmt::format("killed by signal {}", j.signal);
        } else {
            process = fmt::format("exit status {}", j.exit_code);
        }
        add(m_html, "<dt>Worker</dt><dd>{} after {:.2f}s</dd>\n", process, j.elapsed_seconds);
        if (!j.job_dir.empty() && !m_in.settings.results_dir.empty()) {
            const std::string dir = relative_link((fs::path(m_in.settings.results_dir) / j.job_dir).string(), m_out_path);
            add(m_html, "<dt>Logs</dt><dd><a href=\"{0}/\">{0}/</a></dd>\n", esc(dir));
        }
        m_html += "</dl>\n";
    }

    void detections(const JobResult& j) {
        if (j.detections.empty()) return;
        m_html += "<h3>Caught by</h3>\n<ul>\n";
        for (const auto& d : j.detections) {
            add(m_html, "<li><span class=\"mech\">{}</span> {}</li>\n", esc(d.mechanism),
                esc(strip_root(d.detail, m_in.settings.source_root)));
        }
        m_html += "</ul>\n";
    }

    void latency(const JobResult& j, const Measurement& m) {
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
                               fmt::format("budget {} ≤ {}{}", b.key, ns(b.limit),
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
                chart.empty() ? "" : swatch(series_color(i), series_dash(i)), esc(op.name), group_thousands(op.count),
                ns(static_cast<double>(op.p50)), ns(static_cast<double>(op.p90)), ns(static_cast<double>(op.p99)),
                ns(static_cast<double>(op.p999)), ns(static_cast<double>(op.max)), ns(op.mean), format_count_rate(op.throughput));
        }
        add(m_html,
            "<tr><td><b>all operations</b></td><td class=\"num\"><b>{}</b></td><td colspan=\"6\" class=\"muted\">{} "
            "thread{}, {:.3f}s wall{}</td><td class=\"num\"><b>{}</b></td></tr>\n",
            group_thousands(m.total_ops), m.threads, m.threads == 1 ? "" : "s", m.wall_seconds,
            m.rounds > 0 ? fmt::format(", {} rounds", m.rounds) : "", format_count_rate(m.throughput));
        m_html += "</tbody></table></div>\n";
        for (const auto& op : m.ops) {
            if (op.exceptions == 0) continue;
            add(m_html, "<p class=\"note\"><code>{}</code> threw {} time{}; the first: {}</p>\n", esc(op.name),
                group_thousands(op.exceptions), op.exceptions == 1 ? "" : "s", esc(op.first_exception));
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

    /// The same scenario, variant and seed under the other flavors: all operations together.
    void flavors(const JobResult& j) {
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
            const std::string name = &g == &j ? fmt::format("<b>{}</b> (this job)", esc(g.flavor))
                                              : fmt::format("<a href=\"#{}\">{}</a>", job_anchor(g), esc(g.flavor));
            add(m_html,
                "<tr><td class=\"nowrap\">{}{} <span class=\"badge {}\">{}</span></td><td class=\"num\">{}</td>"
                "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
                "<td class=\"num\">{}</td></tr>\n",
                swatch(lines[i].color, lines[i].dash), name, verdict_class(g.verdict), to_string(g.verdict),
                group_thousands(h.count()), ns(static_cast<double>(h.percentile(0.5))),
                ns(static_cast<double>(h.percentile(0.99))), ns(static_cast<double>(h.percentile(0.999))),
                format_count_rate(g.measurement->throughput), versus);
        }
        m_html += "</tbody></table></div>\n";
        add(m_html,
            "<div class=\"chart-row\"><div>{}</div><p class=\"note\">The latency of all calls of this job in each flavor "
            "(the thick line is this job). The sanitizer flavors instrument every memory access, so they are slower; a "
            "line far from the others in one flavor only is worth a look.</p></div>\n",
            render_latency_chart(lines, {}, "chart chart-flavors", fmt::format("latency by flavor of {}", job_title(j))));
    }

    void invariants(const Measurement& m) {
        if (m.invariants.empty()) return;
        m_html += "<h3>Invariants</h3>\n<div class=\"tbl\"><table><thead><tr><th>Invariant</th><th>Result</th>"
                  "<th class=\"num\">Checks</th><th class=\"num\">Violations</th><th>Details</th></tr></thead><tbody>\n";
        for (const auto& inv : m.invariants) {
            std::string details;
            for (std::size_t i = 0; i < std::min(inv.details.size(), k_max_details_shown); ++i)
                add(details, "{}{}", i > 0 ? "<br>" : "", esc(inv.details[i]));
            if (inv.details.size() > k_max_details_shown)
                add(details, "<br><span class=\"muted\">+{} more in results.jsonl</span>",
                    inv.details.size() - k_max_details_shown);
            add(m_html,
                "<tr><td><code>{}</code></td><td><span class=\"badge {}\">{}</span></td><td class=\"num\">{}</td>"
                "<td class=\"num\">{}</td><td>{}</td></tr>\n",
                esc(inv.name), inv.held ? "held" : "broken", inv.held ? "held" : "BROKEN", group_thousands(inv.checks),
                group_thousands(inv.violations), details);
        }
        m_html += "</tbody></table></div>\n";
    }

    void budgets(const JobResult& j) {
        if (j.budgets.empty()) return;
        m_html += "<h3>Latency budgets</h3>\n<div class=\"tbl\"><table><thead><tr><th>Budget</th><th class=\"num\">Measured</th>"
                  "<th class=\"num\">Limit</th><th>Use</th><th>Result</th></tr></thead><tbody>\n";
        for (const auto& b : j.budgets) {
            const double use = budget_use(b);
            add(m_html,
                "<tr><td><code>{} = {}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"nowrap\">"
                "<span class=\"meter\"><span class=\"{}\" style=\"width:{:.0f}%\"></span></span>{:.0f}%</td>"
                "<td><span class=\"badge {}\">{}</span></td></tr>\n",
                esc(b.key), esc(b.budget), budget_figure(b.value, b.unit), budget_figure(b.limit, b.unit),
                b.met ? "" : "over", std::min(100.0, 100 * use), 100 * use, b.met ? "met" : "over", b.met ? "met" : "over");
        }
        m_html += "</tbody></table></div>\n";
    }

    std::string frame_html(const Frame& f) const {
        const std::string where =
            f.file.empty() ? f.module
                           : fmt::format("{}:{}{}", source_relative(f.file, m_in.settings.source_root), f.line,
                                         f.column > 0 ? fmt::format(":{}", f.column) : "");
        return fmt::format("<div class=\"fr{}\">#{} {} <span class=\"loc\">{}</span></div>", f.user ? " user" : "", f.index,
                           esc(f.function.empty() ? "??" : f.function), esc(where));
    }

    /// User frames shown and highlighted; each run of other frames (harness, standard library,
    /// runtime) folded into a <details> at its place. A stack without user frames is folded whole.
    void stack(const StackBlock& b) {
        m_html += "<div class=\"stack\">";
        add(m_html, "<div class=\"st\">{}</div><div class=\"frames\">", esc(b.title));
        const bool any_user = std::any_of(b.frames.begin(), b.frames.end(), [](const Frame& f) { return f.user; });
        std::size_t i = 0;
        while (i < b.frames.size()) {
            if (b.frames[i].user) {
                m_html += frame_html(b.frames[i++]);
                continue;
            }
            std::size_t end = i;
            while (end < b.frames.size() && !b.frames[end].user) ++end;
            add(m_html, "<details><summary>{} frame{} in the harness, the standard library or the runtime{}</summary>",
                end - i, end - i == 1 ? "" : "s", any_user ? "" : " (none in the code under test)");
            for (; i < end; ++i) m_html += frame_html(b.frames[i]);
            m_html += "</details>";
        }
        m_html += "</div></div>\n";
    }

    void findings(const JobResult& j) {
        if (j.findings.empty()) return;
        // Distinct findings of the job, in order, with how often each was reported.
        std::vector<std::pair<const Finding*, int>> distinct;
        for (const auto& f : j.findings) {
            auto it = std::find_if(distinct.begin(), distinct.end(),
                                   [&](const auto& d) { return d.first->fingerprint == f.fingerprint; });
            if (it == distinct.end()) {
                distinct.emplace_back(&f, 1);
            } else {
                ++it->second;
            }
        }
        add(m_html, "<h3>Sanitizer findings <span class=\"muted\" style=\"font-weight:400\">{} report{}, {} distinct"
                    "</span></h3>\n",
            j.findings.size() + j.findings_dropped, j.findings.size() + j.findings_dropped == 1 ? "" : "s", distinct.size());
        for (std::size_t n = 0; n < std::min(distinct.size(), k_max_findings_shown); ++n) {
            const auto& [f, times] = distinct[n];
            m_html += "<div class=\"finding\">\n<div class=\"head\">";
            add(m_html, "<span class=\"badge error\">{}</span> <span class=\"muted\">{}</span>", esc(f->kind_name), esc(f->tool));
            if (f->user_frame) {
                add(m_html, " at <code>{}:{}</code> in <code>{}</code>",
                    esc(source_relative(f->user_frame->file, m_in.settings.source_root)), f->user_frame->line,
                    esc(f->user_frame->function));
            }
            if (times > 1) add(m_html, " <span class=\"muted\">· reported {} times</span>", times);
            if (f->truncated) m_html += " <span class=\"badge fail\">report cut short</span>";
            m_html += "</div>\n";
            if (!f->headline.empty()) add(m_html, "<div class=\"headline\">{}</div>\n", esc(f->headline));
            for (const auto& a : f->accesses) stack(a.stack);
            for (const auto& b : f->blocks) stack(b);
            const std::string& root = m_in.settings.source_root;
            // TSan gives the location a stack of its own; ASan's ("0x... is located 8 bytes inside ...") is a line.
            const std::string& location = f->location;  // (clang 14 cannot capture a structured binding)
            const bool location_shown = std::any_of(f->blocks.begin(), f->blocks.end(),
                                                    [&](const StackBlock& b) { return b.title == location; });
            if (!f->location.empty() && !location_shown)
                add(m_html, "<p class=\"note\">{}</p>\n", esc(strip_root(f->location, root)));
            if (!f->summary.empty()) add(m_html, "<p class=\"note\">SUMMARY: {}</p>\n", esc(strip_root(f->summary, root)));
            if (!f->raw.empty()) {
                const bool cut = f->raw.size() > k_max_raw_chars;
                add(m_html, "<details class=\"more\"{}><summary>Full report text, as printed</summary><pre>{}{}</pre></details>\n",
                    f->kind == FindingKind::unrecognized ? " open" : "",
                    esc(std::string_view(f->raw).substr(0, k_max_raw_chars)), cut ? "\n[… cut; the whole text is in results.jsonl]" : "");
            }
            m_html += "</div>\n";
        }
        if (distinct.size() > k_max_findings_shown)
            add(m_html, "<p class=\"note\">+{} more distinct findings with stacks in results.jsonl</p>\n",
                distinct.size() - k_max_findings_shown);
        if (j.findings_dropped > 0)
            add(m_html, "<p class=\"note\">{} more sanitizer reports were not kept</p>\n", j.findings_dropped);
    }

    void timeout(const JobResult& j) {
        if (!j.last_activity.empty()) {
            m_html += "<h3>Threads at the timeout</h3>\n<div class=\"tbl narrow\"><table><thead><tr><th class=\"num\">Thread</th>"
                      "<th>Group</th><th>Operation</th><th class=\"num\">Ops done</th></tr></thead><tbody>\n";
            for (const auto& a : j.last_activity) {
                add(m_html, "<tr><td class=\"num\">{}</td><td>{}</td><td>{} <code>{}</code></td><td class=\"num\">{}</td></tr>\n",
                    a.thread, esc(a.group), a.in_op ? "in" : "after", esc(a.op), group_thousands(a.ops_done));
            }
            m_html += "</tbody></table></div>\n";
        }
        if (!j.backtraces.empty()) {
            add(m_html, "<details class=\"more\"><summary>Backtraces of every thread at the timeout (gdb)</summary><pre>{}</pre>"
                        "</details>\n",
                esc(j.backtraces));
        }
    }

    void footer() {
        const RunContext& c = m_in.context;
        m_html += "<footer>\n<details class=\"more\"><summary>Run context</summary>\n<dl class=\"facts\">\n";
        add(m_html, "<dt>Command</dt><dd><code>{}</code></dd>\n", esc(c.command_line));
        add(m_html, "<dt>Compiler</dt><dd>{} · {} · <code>{}</code></dd>\n", esc(c.compiler), esc(c.build_type),
            esc(c.compiler_flags));
        for (const auto& [name, flags] : c.flavors)
            add(m_html, "<dt>Flavor {}</dt><dd><code>{}</code></dd>\n", esc(name), flags.empty() ? "(the plain build)" : esc(flags));
        add(m_html, "<dt>Seeds</dt><dd>{}{}</dd>\n", fmt::join(c.seeds, ", "),
            c.repeat > 1 ? fmt::format(" · each job {} times", c.repeat) : "");
        add(m_html, "<dt>Host</dt><dd>{} · {} CPUs · started {}</dd>\n", esc(c.host), c.cpu_count, esc(c.start_time));
        for (const auto& m : c.merged_from) add(m_html, "<dt>Merged from</dt><dd><code>{}</code></dd>\n", esc(m));
        add(m_html, "<dt>Results</dt><dd>schema {} · {}</dd>\n", c.schema_version, esc(m_in.summary.results_path));
        m_html += "</dl>\n</details>\n";
        add(m_html, "<p>Generated by threadmill {} from the saved results; the same results give the same page.</p>\n",
            esc(c.tool_version));
        m_html += "</footer>\n";
    }

    const ReportInput& m_in;
    std::string m_out_path;  ///< links are relative to this file's folder
    std::map<FlavorKey, std::vector<const JobResult*>> m_by_flavor;
    std::string m_html;
};

}  // namespace

std::string render_html(const ReportInput& input) { return Page(input).render(); }

}  // namespace threadmill
