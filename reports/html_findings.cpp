// The HTML report's sanitizer findings of a job, with their stacks (user frames shown, the rest folded).
#include "reports/html_page.hpp"

#include <algorithm>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "model/bugs.hpp"
#include "reports/html_chart.hpp"
#include "reports/report_text.hpp"

namespace threadmill::html_report {
namespace {

constexpr std::size_t k_max_findings_shown = 10;  ///< distinct findings with stacks per job
constexpr std::size_t k_max_raw_chars = 16000;    ///< of a finding's raw report text

}  // namespace

std::string Page::frame_html(const Frame& f) const {
    return fmt::format("<div class=\"fr{}\">#{} {} <span class=\"loc\">{}</span></div>", f.user ? " user" : "", f.index,
                       html_escape(f.function.empty() ? "??" : f.function),
                       html_escape(frame_location(f, m_in.settings.source_root)));
}

void Page::stack(const StackBlock& b) {
    m_html += "<div class=\"stack\">";
    add(m_html, "<div class=\"st\">{}</div><div class=\"frames\">", html_escape(b.title));
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

void Page::findings(const JobResult& j) {
    if (j.findings.empty()) return;
    // The job's distinct bugs (one per kind family and user location), in order, each shown by its first
    // report with how often it was reported and under how many different stacks.
    const auto distinct = distinct_bugs(std::span<const JobResult>(&j, 1));
    add(m_html, "<h3>Sanitizer findings <span class=\"muted\" style=\"font-weight:400\">{} report{}, {} distinct bug{}"
                "</span></h3>\n",
        j.findings.size() + j.findings_dropped, j.findings.size() + j.findings_dropped == 1 ? "" : "s", distinct.size(),
        distinct.size() == 1 ? "" : "s");
    for (std::size_t n = 0; n < std::min(distinct.size(), k_max_findings_shown); ++n) {
        const Finding* f = distinct[n].first;
        const int times = distinct[n].reports;
        const std::size_t stacks = distinct[n].fingerprints.size();
        m_html += "<div class=\"finding\">\n<div class=\"head\">";
        add(m_html, "<span class=\"badge error\">{}</span> <span class=\"muted\">{}</span>", html_escape(f->kind_name),
            html_escape(f->tool));
        if (f->user_frame) add(m_html, " at {}", user_frame_html(*f->user_frame));
        if (times > 1) add(m_html, " <span class=\"muted\">· reported {} times</span>", times);
        if (stacks > 1)
            add(m_html, " <span class=\"muted\">· {} different stacks (this one shown; all in results.jsonl)</span>", stacks);
        if (f->truncated) m_html += " <span class=\"badge fail\">report cut short</span>";
        m_html += "</div>\n";
        if (!f->headline.empty()) add(m_html, "<div class=\"headline\">{}</div>\n", html_escape(f->headline));
        for (const auto& a : f->accesses) stack(a.stack);
        for (const auto& b : f->blocks) stack(b);
        const std::string& root = m_in.settings.source_root;
        // TSan gives the location a stack of its own; ASan's ("0x... is located 8 bytes inside ...") is a line.
        const std::string& location = f->location;  // (clang 14 cannot capture a structured binding)
        const bool location_shown = std::any_of(f->blocks.begin(), f->blocks.end(),
                                                [&](const StackBlock& b) { return b.title == location; });
        if (!f->location.empty() && !location_shown)
            add(m_html, "<p class=\"note\">{}</p>\n", html_escape(strip_root(f->location, root)));
        if (!f->summary.empty())
            add(m_html, "<p class=\"note\">SUMMARY: {}</p>\n", html_escape(strip_root(f->summary, root)));
        if (!f->raw.empty()) {
            const bool cut = f->raw.size() > k_max_raw_chars;
            add(m_html, "<details class=\"more\"{}><summary>Full report text, as printed</summary><pre>{}{}</pre></details>\n",
                f->kind == FindingKind::unrecognized ? " open" : "",
                html_escape(std::string_view(f->raw).substr(0, k_max_raw_chars)),
                cut ? "\n[… cut; the whole text is in results.jsonl]" : "");
        }
        m_html += "</div>\n";
    }
    if (distinct.size() > k_max_findings_shown)
        add(m_html, "<p class=\"note\">+{} more distinct bugs with stacks in results.jsonl</p>\n",
            distinct.size() - k_max_findings_shown);
    if (j.findings_dropped > 0)
        add(m_html, "<p class=\"note\">{} more sanitizer reports were not kept</p>\n", j.findings_dropped);
}

}  // namespace threadmill::html_report
