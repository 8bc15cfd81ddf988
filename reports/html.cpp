// The HTML report: one self-contained page for a whole run.
//
// Layout: a header with the run's outcome, summary cards, missed expectations, distinct bugs,
// a filterable table of jobs, then one folded <details> per job (closed, so a run of a thousand
// jobs opens at once; charts only live in there). No network: CSS, SVG and JavaScript are
// inline and a Content-Security-Policy forbids loading anything, so a report that tried would
// show (and fail the browser test) at once. The stylesheet and the script are
// reports/assets/report.css and report.js, compiled in (the embedded/ headers, made by the build).
// This file writes the page's frame; the sections are in html_summary.cpp, html_jobs.cpp,
// html_job.cpp and html_findings.cpp, around the Page of reports/html_page.hpp.
#include "reports/html.hpp"

#include <string>
#include <vector>

#include <fmt/format.h>

#include "embedded/report_css.hpp"
#include "embedded/report_js.hpp"
#include "model/text.hpp"
#include "reports/html_chart.hpp"
#include "reports/html_page.hpp"
#include "reports/markdown.hpp"

namespace threadmill {
namespace html_report {

std::string outcome_class(const JobResult& j) { return std::string(info(outcome_of(j)).name); }

std::string outcome_badge(const JobResult& j) {
    const OutcomeInfo& o = info(outcome_of(j));
    return fmt::format("<span class=\"badge {}\" title=\"{}\">{}</span>", o.name, html_escape(o.help), o.label);
}

std::string job_anchor(const JobResult& j) { return fmt::format("job-{}", j.index); }

std::string strip_root(std::string text, const std::string& source_root) {
    if (source_root.empty()) return text;
    std::string root = source_root;
    if (root.back() != '/') root += '/';
    for (auto at = text.find(root); at != std::string::npos; at = text.find(root, at)) text.erase(at, root.size());
    return text;
}

std::string Page::user_frame_html(const Frame& f) const {
    if (!has_line_info(f))
        return fmt::format("<code>{}</code> <span class=\"muted\">({})</span>",
                           html_escape(f.function.empty() ? "??" : f.function), html_escape(k_no_line_info));
    return fmt::format("<code>{}:{}</code> in <code>{}</code>",
                       html_escape(source_relative(f.file, m_in.settings.source_root)), f.line, html_escape(f.function));
}

Page::Page(const ReportInput& in)
    : m_in(in), m_out_path(in.output_path == "-" ? std::string("index.html") : in.output_path) {
    for (const auto& j : in.jobs) {
        if (j.measurement && j.measurement->total_ops > 0)
            m_by_flavor[FlavorKey{j.scenario, j.variant, j.seed, j.repeat}].push_back(&j);
    }
}

std::string Page::render() {
    const RunSummary& s = m_in.summary;
    const bool ok = s.count(Outcome::missed) + s.count(Outcome::unexpected) + s.count(Outcome::error) == 0 && !s.interrupted && !s.incomplete;
    m_html.reserve(256 * 1024);
    m_html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    m_html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    m_html += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
              "script-src 'unsafe-inline'; img-src data:\">\n";
    add(m_html, "<title>threadmill: {} — {} of {} jobs as expected</title>\n", ok ? "passed" : "FAILED",
        s.count(Outcome::ok) + s.count(Outcome::caught), s.ran);
    // The assets are files that start at their first rule or statement; the page puts each on a
    // line of its own.
    add(m_html, "<style>\n{}</style>\n</head>\n<body>\n", embedded::k_report_css);
    header(ok);
    m_html += "<main class=\"wrap\">\n";
    summary();
    missed();
    bugs();
    rates();
    suppressions();
    jobs_table();
    job_details();
    footer();
    m_html += "</main>\n";
    add(m_html, "<script>\n{}</script>\n</body>\n</html>\n", embedded::k_report_js);
    return std::move(m_html);
}

void Page::header(bool ok) {
    const RunSummary& s = m_in.summary;
    const RunContext& c = m_in.context;
    m_html += "<header class=\"top\"><div class=\"wrap\">\n";
    add(m_html, "<h1>threadmill report <span class=\"status {}\">{}</span></h1>\n", ok ? "ok" : "bad",
        s.interrupted ? "INTERRUPTED" : s.incomplete ? "INCOMPLETE" : ok ? "PASSED" : "FAILED");
    add(m_html, "<p class=\"context\">threadmill {} · {} ({}) · {} · {} CPUs · started {} · jobs took {:.1f}s",
        html_escape(c.tool_version), html_escape(c.compiler), html_escape(c.build_type), html_escape(c.host), c.cpu_count,
        html_escape(c.start_time), s.elapsed_seconds);
    if (!c.merged_from.empty()) add(m_html, " · merged from {} runs", c.merged_from.size());
    std::vector<std::string> links;
    for (const auto& [format, path] : m_in.settings.artifacts) {
        if (path == "-" || path == m_in.output_path) continue;
        links.push_back(
            fmt::format("<a href=\"{}\">{}</a>", html_escape(relative_link(path, m_out_path)), html_escape(format)));
    }
    if (!s.results_path.empty())
        links.push_back(
            fmt::format("<a href=\"{}\">results.jsonl</a>", html_escape(relative_link(s.results_path, m_out_path))));
    if (!links.empty()) add(m_html, "<br>Other reports: {}", fmt::join(links, " · "));
    m_html += "</p>\n</div></header>\n";
}

void Page::footer() {
    const RunContext& c = m_in.context;
    m_html += "<footer>\n<details class=\"more\"><summary>Run context</summary>\n<dl class=\"facts\">\n";
    add(m_html, "<dt>Command</dt><dd><code>{}</code></dd>\n", html_escape(c.command_line));
    add(m_html, "<dt>Compiler</dt><dd>{} · {} · <code>{}</code></dd>\n", html_escape(c.compiler),
        html_escape(c.build_type), html_escape(c.compiler_flags));
    for (const auto& [name, flags] : c.flavors)
        add(m_html, "<dt>Flavor {}</dt><dd><code>{}</code></dd>\n", html_escape(name),
            flags.empty() ? "(the plain build)" : html_escape(flags));
    // Each worker executable with the build it reports (schema 4 on): the code under test was
    // compiled there, not with the driver's flags above.
    for (const auto& w : c.workers) {
        add(m_html, "<dt>Worker {}{}</dt><dd><code>{}</code>", html_escape(w.flavor),
            w.variant_build.empty() ? "" : " · variant build " + html_escape(w.variant_build), html_escape(w.path));
        if (w.build)
            add(m_html, " · {} · {} · <code>{}</code>", html_escape(w.build->compiler), html_escape(w.build->build_type),
                html_escape(w.build->compile_flags));
        else
            m_html += " · (it does not report its build)";
        m_html += "</dd>\n";
    }
    add(m_html, "<dt>Seeds</dt><dd>{}{}</dd>\n", fmt::join(c.seeds, ", "),
        c.repeat > 1 ? fmt::format(" · each job {} times", c.repeat) : "");
    add(m_html, "<dt>Host</dt><dd>{} · {} CPUs · started {}</dd>\n", html_escape(c.host), c.cpu_count,
        html_escape(c.start_time));
    for (const auto& m : c.merged_from) add(m_html, "<dt>Merged from</dt><dd><code>{}</code></dd>\n", html_escape(m));
    add(m_html, "<dt>Results</dt><dd>schema {} · {}</dd>\n", c.schema_version, html_escape(m_in.summary.results_path));
    m_html += "</dl>\n</details>\n";
    add(m_html, "<p>Generated by threadmill {} from the saved results; the same results give the same page.</p>\n",
        html_escape(c.tool_version));
    m_html += "</footer>\n";
}

}  // namespace html_report

std::string render_html(const ReportInput& input) { return html_report::Page(input).render(); }

}  // namespace threadmill
