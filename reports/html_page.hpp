// Internal to the HTML report: the page being built, shared by the files that write its sections.
#pragma once

#include <cstdint>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "model/outcome.hpp"
#include "reports/reporter.hpp"

namespace threadmill::html_report {

/// Appends `format` filled with `args` to `out`.
template <typename... Args>
void add(std::string& out, fmt::format_string<Args...> format, Args&&... args) {
    fmt::format_to(std::back_inserter(out), format, std::forward<Args>(args)...);
}

/// The CSS class of a job's outcome: its name in model/outcomes.def ("ok", "caught", "missed", ...).
std::string outcome_class(const JobResult& j);

/// A job's outcome as a badge: `<span class="badge caught">caught (expected)</span>`.
std::string outcome_badge(const JobResult& j);

/// The id of a job's <details>, which the jobs table and other sections link to: "job-7".
std::string job_anchor(const JobResult& j);

/// Every occurrence of "<root>/" removed, so that paths in free text read like the frames.
std::string strip_root(std::string text, const std::string& source_root);

/// The same scenario, variant, seed and repeat under another flavor.
using FlavorKey = std::tuple<std::string, std::string, std::uint64_t, int>;

/// One report page while it is written: each section appends to the page in page order.
class Page {
public:
    explicit Page(const ReportInput& in);
    /// The whole page, from <!DOCTYPE> to </html>; call once.
    std::string render();

private:
    // html.cpp: the page's frame.
    void header(bool ok);
    void footer();
    /// "<code>file:line</code> in <code>function</code>" of a finding's first user frame.
    std::string user_frame_html(const Frame& f) const;

    // html_summary.cpp: the run as a whole.
    void card(std::string cls, int n, std::string_view label, std::string_view title);
    void summary();
    void missed();
    void bugs();
    void rates();
    void suppressions();

    // html_jobs.cpp: the jobs table.
    /// What caught the job, in a line: the first detection (and how many more).
    std::string reason_html(const JobResult& j) const;
    std::string reason_text(const JobResult& j) const;
    void jobs_table();

    // html_job.cpp: one folded <details> per job.
    void job_details();
    void job(const JobResult& j);
    void facts(const JobResult& j);
    void detections(const JobResult& j);
    void latency(const JobResult& j, const Measurement& m);
    /// The same scenario, variant and seed under the other flavors: all operations together.
    void flavors(const JobResult& j);
    void invariants(const Measurement& m);
    void outcomes(const JobResult& j);
    void budgets(const JobResult& j);
    void timeout(const JobResult& j);

    // html_history.cpp: a job's linearizability check, the failing partition as a timeline.
    void linearizability(const JobResult& j);

    // html_findings.cpp: a job's sanitizer findings.
    std::string frame_html(const Frame& f) const;
    /// User frames shown and highlighted; each run of other frames (harness, standard library,
    /// runtime) folded into a <details> at its place. A stack without user frames is folded whole.
    void stack(const StackBlock& b);
    void findings(const JobResult& j);

    const ReportInput& m_in;
    std::string m_out_path;  ///< links are relative to this file's folder
    std::map<FlavorKey, std::vector<const JobResult*>> m_by_flavor;
    std::string m_html;
};

}  // namespace threadmill::html_report
