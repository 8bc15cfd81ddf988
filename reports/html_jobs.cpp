// The HTML report's jobs table: one filterable row per job (the filters are reports/assets/report.js).
#include "reports/html_page.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "model/text.hpp"
#include "reports/html_chart.hpp"

namespace threadmill::html_report {

std::string Page::reason_html(const JobResult& j) const {
    std::string out;
    if (is_miss(j)) add(out, "{} ", html_escape(j.expectation_detail));
    if (j.detections.empty()) {
        out += j.verdict == Verdict::pass ? "<span class=\"muted\">no detection</span>" : "";
        return out;
    }
    const Detection& d = j.detections.front();
    add(out, "<span class=\"mech\">{}</span> {}", html_escape(d.mechanism),
        html_escape(strip_root(d.detail, m_in.settings.source_root)));
    if (j.detections.size() > 1) add(out, " <span class=\"muted\">(+{} more)</span>", j.detections.size() - 1);
    return out;
}

std::string Page::reason_text(const JobResult& j) const {
    if (j.detections.empty()) return j.verdict == Verdict::pass ? "no detection" : j.expectation_detail;
    return j.detections.front().mechanism + " " + strip_root(j.detections.front().detail, m_in.settings.source_root);
}

void Page::jobs_table() {
    std::vector<std::string> flavors;
    for (const auto& j : m_in.jobs) {
        if (std::find(flavors.begin(), flavors.end(), j.flavor) == flavors.end()) flavors.push_back(j.flavor);
    }
    m_html += "<section id=\"jobs\">\n";
    add(m_html, "<h2>Jobs <span class=\"sub\">click a row for its details</span></h2>\n");
    m_html += "<div class=\"filters\">\n";
    m_html += "<input type=\"search\" id=\"f-text\" placeholder=\"Filter: scenario, variant, reason…\" "
              "aria-label=\"filter jobs by text\">\n";
    m_html += "<select id=\"f-outcome\" aria-label=\"outcome\"><option value=\"\">any outcome</option>";
    for (const auto& o : all_outcomes()) add(m_html, "<option value=\"{}\">{}</option>", o.name, o.label);
    m_html += "</select>\n";
    m_html += "<select id=\"f-flavor\" aria-label=\"flavor\"><option value=\"\">any flavor</option>";
    for (const auto& f : flavors) add(m_html, "<option value=\"{0}\">{0}</option>", html_escape(f));
    m_html += "</select>\n";
    m_html += "<label><input type=\"checkbox\" id=\"f-misses\"> only the jobs that need a look</label>\n";
    add(m_html, "<span class=\"count\" id=\"f-count\">{} jobs</span>\n</div>\n", m_in.jobs.size());
    m_html += "<div class=\"tbl\"><table id=\"jobs-table\">\n<thead><tr><th class=\"num\">#</th><th>Scenario</th>"
              "<th>Variant</th><th>Flavor</th><th class=\"num\">Seed</th><th>Outcome</th>"
              "<th>Reason</th><th class=\"num\">Time</th></tr></thead>\n<tbody>\n";
    for (const auto& j : m_in.jobs) {
        const OutcomeInfo& o = info(outcome_of(j));
        const bool miss = o.fails_gate;
        const std::string search = to_lower(fmt::format("{} {} {} {} {} {} {} {}", j.scenario, j.variant, j.flavor, j.seed,
                                                     o.label, j.target, j.expectation_detail, reason_text(j)));
        add(m_html,
            "<tr class=\"{}{}\" data-index=\"{}\" data-outcome=\"{}\" data-flavor=\"{}\" data-miss=\"{}\" "
            "data-search=\"{}\">",
            o.name, miss ? " miss" : "", j.index, o.name, html_escape(j.flavor), miss ? "yes" : "no",
            html_escape(search));
        add(m_html,
            "<td class=\"num muted\">{}</td><td><a href=\"#{}\">{}</a>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td>"
            "<td>{}</td><td class=\"reason\"><div class=\"clamp\" title=\"{}\">{}</div></td>"
            "<td class=\"num\">{:.2f}s</td></tr>\n",
            j.index, job_anchor(j), html_escape(j.scenario),
            j.repeat > 0 ? fmt::format(" <span class=\"muted\">#{}</span>", j.repeat + 1) : "",
            html_escape(j.variant), html_escape(j.flavor), j.seed, outcome_badge(j),
            html_escape(miss ? j.expectation_detail + " — " + reason_text(j) : reason_text(j)), reason_html(j),
            j.elapsed_seconds);
    }
    m_html += "</tbody></table></div>\n</section>\n";
}

}  // namespace threadmill::html_report
