// The HTML report's run-wide sections: summary cards (by outcome), the jobs that need a look, distinct bugs,
// suppressions.
#include "reports/html_page.hpp"

#include <utility>
#include <vector>

#include <fmt/format.h>

#include "model/bugs.hpp"
#include "reports/html_chart.hpp"
#include "reports/report_text.hpp"

namespace threadmill::html_report {

void Page::card(std::string cls, int n, std::string_view label, std::string_view title) {
    if (n == 0) cls = "zero";  // nothing to see: grey, whatever it would be
    add(m_html, "<div class=\"card{}{}\" title=\"{}\"><div class=\"n\">{}</div><div class=\"l\">{}</div></div>\n",
        cls.empty() ? "" : " ", cls, title, n, label);
}

void Page::summary() {
    const RunSummary& s = m_in.summary;
    const int as_expected = s.count(Outcome::ok) + s.count(Outcome::caught);
    m_html += "<section id=\"summary\">\n";
    add(m_html, "<h2>Summary <span class=\"sub\">{} of {} jobs did what their scenario expects{}</span></h2>\n",
        as_expected, s.ran,
        s.interrupted ? fmt::format(" · interrupted after {} of {} jobs", s.ran, s.planned)
        : s.incomplete ? " · " + incomplete_run_text(s)
                       : "");
    if (!s.unrecorded.empty()) add(m_html, "<p class=\"note\">{}</p>\n", html_escape(unrecorded_text(s)));
    m_html += "<div class=\"cards\">\n";
    card("", s.ran, "jobs", "jobs that ran");
    for (const auto& o : all_outcomes()) card(std::string(o.name), s.count(o.outcome), o.label, html_escape(o.help));
    card("", s.findings, "sanitizer reports", "reports over all jobs");
    card(s.distinct_bugs > 0 ? "fail" : "", s.distinct_bugs, "distinct bugs",
         "distinct places in your code (kind family and user location) over all jobs, seeds and flavors");
    m_html += "</div>\n";
    if (s.ran > 0) {
        m_html += "<div class=\"bar\" role=\"img\" aria-label=\"jobs by outcome\">";
        for (const auto& o : all_outcomes()) {
            const int n = s.count(o.outcome);
            if (n > 0) add(m_html, "<span class=\"{}\" style=\"width:{:.2f}%\"></span>", o.name, 100.0 * n / s.ran);
        }
        m_html += "</div>\n<div class=\"legend\">";
        for (const auto& o : all_outcomes())
            add(m_html, "<span><i class=\"dot {}\"></i>{} {}</span>", o.name, o.label, s.count(o.outcome));
        m_html += "</div>\n";
    }
    m_html += "</section>\n";
}

void Page::missed() {
    std::vector<const JobResult*> jobs;
    for (const auto& j : m_in.jobs) {
        if (is_miss(j)) jobs.push_back(&j);
    }
    if (jobs.empty()) return;
    m_html += "<section id=\"missed\">\n";
    add(m_html, "<h2>Jobs that need a look <span class=\"sub\">{} · MISSED, UNEXPECTED or ERROR</span></h2>\n"
                "<div class=\"tbl\"><table>\n", jobs.size());
    m_html += "<thead><tr><th>Job</th><th>Outcome</th><th>Why</th><th>Replay</th></tr></thead><tbody>\n";
    for (const JobResult* j : jobs) {
        add(m_html, "<tr><td><a href=\"#{}\">{}</a></td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>\n",
            job_anchor(*j), html_escape(job_title(*j)), outcome_badge(*j), html_escape(j->expectation_detail),
            html_escape(j->replay));
    }
    m_html += "</tbody></table></div>\n</section>\n";
}

void Page::bugs() {
    const auto list = distinct_bugs(m_in.jobs);
    if (list.empty()) return;
    m_html += "<section id=\"bugs\">\n";
    add(m_html,
        "<h2>Distinct bugs <span class=\"sub\">{} — one per kind family and place in your code, over jobs, seeds "
        "and flavors</span></h2>\n<div class=\"tbl\"><table>\n",
        list.size());
    m_html += "<thead><tr><th>Kind</th><th>Where, and the first jobs that saw it</th><th class=\"num\">Reports</th>"
              "<th class=\"num\">Jobs</th><th class=\"num\" title=\"distinct stacks (full fingerprints) grouped under "
              "the bug\">Stacks</th></tr></thead><tbody>\n";
    for (const auto& b : list) {
        const Finding& f = *b.first;
        std::string where =
            b.where ? user_frame_html(*b.where) : html_escape(!f.summary.empty() ? f.summary : f.headline);
        // The first few jobs by name; a bug seen in many jobs would otherwise make its row
        // taller than a screen (the jobs table lists them all).
        constexpr std::size_t k_seen_shown = 3;
        std::vector<std::string> seen;
        for (std::size_t i = 0; i < b.jobs.size() && i < k_seen_shown; ++i)
            seen.push_back(
                fmt::format("<a href=\"#{}\">{}</a>", job_anchor(*b.jobs[i]), html_escape(job_title(*b.jobs[i]))));
        if (b.jobs.size() > k_seen_shown)
            seen.push_back(fmt::format("<span class=\"muted\">and {} more job{}</span>", b.jobs.size() - k_seen_shown,
                                       b.jobs.size() - k_seen_shown == 1 ? "" : "s"));
        std::vector<std::string> kinds;
        for (const auto& k : b.kinds) kinds.push_back(fmt::format("<span class=\"badge kind\">{}</span>", html_escape(k)));
        add(m_html, "<tr><td>{} <span class=\"muted\">{}</span></td><td>{}<div class=\"muted\">seen in {}</div></td>"
                    "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            fmt::join(kinds, " "), html_escape(f.tool), where, fmt::join(seen, " · "), b.reports, b.jobs.size(),
            b.fingerprints.size());
    }
    m_html += "</tbody></table></div>\n</section>\n";
}

void Page::rates() {
    const RunSummary& s = m_in.summary;
    if (!has_repeated_jobs(s)) return;
    m_html += "<section id=\"rates\">\n";
    add(m_html,
        "<h2>Detection rates <span class=\"sub\">per scenario, variant and flavor over its jobs · {:.0f}% Wilson "
        "intervals · jobs for a {:.0f}% chance of a detection</span></h2>\n<div class=\"tbl\"><table>\n",
        k_detection_confidence * 100, k_detection_goal * 100);
    m_html += "<thead><tr><th>Scenario</th><th>Variant</th><th>Flavor</th><th>Expects</th><th>Detected</th>"
              "<th title=\"when none was detected: the per-job rate that seeing none rules out\">Bound</th>"
              "<th>Run length</th><th>First detection</th></tr></thead><tbody>\n";
    for (const auto& d : s.detection_rates) {
        if (d.jobs < 2) continue;
        const bool safe = d.safe();
        const bool notable = d.notable();  // stands out
        add(m_html, "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            notable ? " class=\"notable\"" : "", html_escape(d.scenario), html_escape(d.variant), html_escape(d.flavor),
            html_escape(fmt::format("{}", fmt::join(d.expected, " or "))), html_escape(rate_text(d)),
            html_escape(rate_bound_text(d)), safe && d.detected == 0 ? "" : html_escape(rate_goal_text(d)),
            html_escape(rate_first_text(d)));
    }
    m_html += "</tbody></table></div>\n</section>\n";
}

void Page::suppressions() {
    const auto& files = m_in.summary.suppression_files;
    if (!files.empty()) {
        // Per file the jobs ran with, each pattern: how often it matched, or that it never did.
        m_html += "<section id=\"suppressions\">\n<h2>Sanitizer suppressions</h2>\n<div class=\"tbl\"><table>\n";
        m_html += "<thead><tr><th>File</th><th>From</th><th>Pattern</th><th class=\"num\">Matched</th></tr></thead><tbody>\n";
        for (const auto& f : files) {
            for (const auto& p : f.patterns) {
                add(m_html, "<tr><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td class=\"num\">{}</td></tr>\n",
                    html_escape(source_relative(f.path, m_in.settings.source_root)), html_escape(f.origin),
                    html_escape(p.text),
                    p.stale() ? std::string("0 <span class=\"badge fail\">stale</span>")
                              : html_escape(suppression_count_text(p)));
            }
        }
        m_html += "</tbody></table></div>\n</section>\n";
        return;
    }
    // A results file from before suppression files were recorded: the runtimes' tables only.
    const auto& list = m_in.summary.suppressions;
    if (list.empty()) return;
    m_html += "<section id=\"suppressions\">\n<h2>Sanitizer suppressions</h2>\n<div class=\"tbl\"><table>\n";
    m_html += "<thead><tr><th>Tool</th><th>Pattern</th><th class=\"num\">Matched</th></tr></thead><tbody>\n";
    for (const auto& u : list) {
        add(m_html, "<tr><td>{}</td><td><code>{}</code></td><td class=\"num\">{}{}</td></tr>\n", html_escape(u.tool),
            html_escape(u.pattern), u.count, u.count == 0 ? " <span class=\"badge fail\">stale?</span>" : "");
    }
    m_html += "</tbody></table></div>\n</section>\n";
}

}  // namespace threadmill::html_report
