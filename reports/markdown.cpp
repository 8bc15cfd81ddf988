// The Markdown report: a short summary for a CI step summary or a pull-request comment.
#include "reports/markdown.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "model/scenario.hpp"
#include "model/bugs.hpp"
#include "model/outcome.hpp"
#include "model/units.hpp"
#include "reports/report_text.hpp"

namespace threadmill {
namespace {

namespace fs = std::filesystem;

/// Table cells hold no pipes or line breaks.
std::string cell(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '|') {
            out += "\\|";
        } else if (c == '\n') {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace

std::string relative_link(const std::string& target, const std::string& from_file) {
    const fs::path parent = fs::path(from_file).parent_path();
    const fs::path base = fs::absolute(parent.empty() ? fs::path(".") : parent).lexically_normal();
    const fs::path to = fs::absolute(target).lexically_normal();
    const fs::path rel = to.lexically_relative(base);
    return rel.empty() ? to.string() : rel.string();
}

std::string render_markdown(const ReportInput& in) {
    const RunSummary& s = in.summary;
    std::string md;
    const int as_expected = s.count(Outcome::ok) + s.count(Outcome::caught);
    const bool ok = as_expected == s.ran && !s.interrupted && !s.incomplete;
    md += fmt::format("## threadmill: {} — {} of {} jobs did what their scenario expects\n\n", ok ? "passed" : "FAILED",
                      as_expected, s.ran);
    if (s.interrupted) md += fmt::format("**Interrupted** after {} of {} jobs.\n\n", s.ran, s.planned);
    if (s.incomplete) md += fmt::format("**Incomplete**: {}; the jobs that did not run were not judged.\n\n", incomplete_run_text(s));
    if (!s.unrecorded.empty()) md += fmt::format("**{}**\n\n", unrecorded_text(s));
    md += "| jobs |";
    for (const auto& o : all_outcomes()) md += fmt::format(" {} |", o.label);
    md += " sanitizer reports | distinct bugs |\n|---:|";
    for (std::size_t i = 0; i < all_outcomes().size(); ++i) md += "---:|";
    md += "---:|---:|\n";
    md += fmt::format("| {} |", s.ran);
    for (const auto& o : all_outcomes()) md += fmt::format(" {} |", s.count(o.outcome));
    md += fmt::format(" {} | {} |\n\n", s.findings, s.distinct_bugs);
    md += fmt::format("threadmill {} · {} · {} · {} CPUs · started {}\n\n", in.context.tool_version, in.context.compiler,
                      in.context.host, in.context.cpu_count, in.context.start_time);
    // The builds of the code under test: one line per worker executable (schema 4 on).
    for (const auto& w : in.context.workers) {
        md += fmt::format("- worker {}{}: `{}`{}\n", w.flavor, w.variant_build.empty() ? "" : ", variant build " + w.variant_build,
                          w.path,
                          w.build ? fmt::format(" · {} · {} · `{}`", w.build->compiler, w.build->build_type, w.build->compile_flags)
                                  : std::string(" · (it does not report its build)"));
    }
    if (!in.context.workers.empty()) md += "\n";

    const std::string out_path = in.output_path == "-" ? std::string("summary.md") : in.output_path;
    auto link_to_job = [&](const JobResult& j) {
        if (j.job_dir.empty() || in.settings.results_dir.empty()) return std::string{};
        return fmt::format(" ([logs]({}))", relative_link((fs::path(in.settings.results_dir) / j.job_dir).string(), out_path));
    };

    std::vector<const JobResult*> missed;
    for (const auto& j : in.jobs) {
        if (is_miss(j)) missed.push_back(&j);
    }
    if (!missed.empty()) {
        md += fmt::format("### Jobs that need a look ({})\n\n", missed.size());
        md += "| job | outcome | why | replay |\n|---|---|---|---|\n";
        const std::size_t shown = std::min<std::size_t>(missed.size(), 20);
        for (std::size_t i = 0; i < shown; ++i) {
            const JobResult& j = *missed[i];
            const auto confirmed = confirmation_text(j);
            md += fmt::format("| {}{} | {} | {}{} | `{}` |\n", cell(job_title(j)), link_to_job(j), outcome_label(j),
                              cell(j.expectation_detail), confirmed.empty() ? "" : "; " + cell(confirmed), cell(j.replay));
        }
        if (missed.size() > shown) md += fmt::format("\n…and {} more (see the full report).\n", missed.size() - shown);
        md += "\n";
    }

    // Lockstep results graded other than acceptable, as the driver graded them: forbidden ones
    // caught a job, interesting ones are worth a look but never a failure.
    std::vector<std::pair<const JobResult*, const GradedOutcome*>> graded;
    for (const auto& j : in.jobs) {
        for (const auto& o : j.outcomes) {
            if (o.grade != OutcomeGrade::acceptable && o.count > 0) graded.emplace_back(&j, &o);
        }
    }
    if (!graded.empty()) {
        md += fmt::format("### Lockstep outcomes seen, forbidden or interesting ({})\n\n", graded.size());
        md += "| job | result | count | frequency | grade | description |\n|---|---|---:|---:|---|---|\n";
        const std::size_t shown = std::min<std::size_t>(graded.size(), 20);
        for (std::size_t i = 0; i < shown; ++i) {
            const auto& [j, o] = graded[i];
            const bool forbidden = o->grade == OutcomeGrade::forbidden;
            md += fmt::format("| {} | `{}` | {} | {} | {} | {} |\n", cell(job_title(*j)), cell(o->result), o->count,
                              format_percent(o->frequency), forbidden ? "**FORBIDDEN**" : "interesting", cell(o->desc));
        }
        if (graded.size() > shown) md += fmt::format("\n…and {} more (see the full report).\n", graded.size() - shown);
        md += "\n";
    }

    const auto bugs = distinct_bugs(in.jobs);
    if (!bugs.empty()) {
        md += fmt::format("### Distinct bugs ({})\n\n", bugs.size());
        md += "| kind | where | reports | jobs | stacks | first seen in |\n|---|---|---:|---:|---:|---|\n";
        const std::size_t shown = std::min<std::size_t>(bugs.size(), 20);
        for (std::size_t i = 0; i < shown; ++i) {
            const auto& b = bugs[i];
            const Finding& f = *b.first;
            std::string where = cell(f.summary);
            if (b.where && has_line_info(*b.where)) {
                where = fmt::format("`{}:{}` in `{}`", source_relative(b.where->file, in.settings.source_root), b.where->line,
                                    cell(b.where->function));
            } else if (b.where) {
                where = fmt::format("`{}` ({})", cell(b.where->function.empty() ? "??" : b.where->function), k_no_line_info);
            }
            md += fmt::format("| {} | {} | {} | {} | {} | {} |\n", fmt::join(b.kinds, ", "), where, b.reports, b.jobs.size(),
                              b.fingerprints.size(), cell(job_title(*b.first_job)));
        }
        if (bugs.size() > shown) md += fmt::format("\n…and {} more.\n", bugs.size() - shown);
        md += "\n";
    }

    // Detection rates over repeated jobs: the notable ones first (a mutant missed in some job, a
    // safe variant flagged in some), at most 20 rows; the full table is in the JSON and HTML reports.
    if (has_repeated_jobs(s)) {
        std::vector<const DetectionRate*> rows;
        for (const auto& d : s.detection_rates)
            if (d.jobs > 1) rows.push_back(&d);
        std::stable_partition(rows.begin(), rows.end(), [](const DetectionRate* d) { return d->notable(); });
        md += fmt::format("### Detection rates ({:.0f}% Wilson intervals; jobs for a {:.0f}% chance of a detection)\n\n",
                          k_detection_confidence * 100, k_detection_goal * 100);
        md += "| scenario | variant | flavor | expects | detected | bound | run length | first detection |\n"
              "|---|---|---|---|---|---|---|---|\n";
        const std::size_t shown = std::min<std::size_t>(rows.size(), 20);
        for (std::size_t i = 0; i < shown; ++i) {
            const DetectionRate& d = *rows[i];
            const char* bold = d.notable() ? "**" : "";
            md += fmt::format("| {} | {} | {} | {} | {}{}{} | {} | {} | {} |\n", cell(d.scenario), cell(d.variant), d.flavor,
                              cell(fmt::format("{}", fmt::join(d.expected, " or "))), bold, rate_text(d), bold,
                              rate_bound_text(d), d.safe() && d.detected == 0 ? "" : rate_goal_text(d), rate_first_text(d));
        }
        if (rows.size() > shown) md += fmt::format("\n…and {} more (see the full report).\n", rows.size() - shown);
        md += "\n";
    }

    // Per suppression file, each pattern and how often it matched, so a user can prune stale ones.
    if (!s.suppression_files.empty()) {
        md += "### Sanitizer suppressions\n\n| file | from | pattern | matched |\n|---|---|---|---:|\n";
        for (const auto& f : s.suppression_files) {
            for (const auto& p : f.patterns) {
                md += fmt::format("| `{}` | {} | `{}` | {} |\n", cell(source_relative(f.path, in.settings.source_root)),
                                  f.origin, cell(p.text), p.stale() ? "**0 (stale)**" : suppression_count_text(p));
            }
        }
        md += "\n";
    }

    // The latency budgets nearest (or over) their limits: the worst five.
    std::vector<std::pair<const JobResult*, const BudgetResult*>> budgets;
    for (const auto& j : in.jobs)
        for (const auto& b : j.budgets) budgets.emplace_back(&j, &b);
    std::stable_sort(budgets.begin(), budgets.end(),
                     [](const auto& a, const auto& b) { return budget_use(*a.second) > budget_use(*b.second); });
    if (!budgets.empty()) {
        md += "### Latency budgets nearest their limit\n\n| job | budget | measured | limit | use |\n|---|---|---:|---:|---:|\n";
        for (std::size_t i = 0; i < std::min<std::size_t>(budgets.size(), 5); ++i) {
            const auto& [j, b] = budgets[i];
            md += fmt::format("| {} | `{} = {}` | {} | {} | {}{:.0f}% |\n", cell(job_title(*j)), b->key, b->budget,
                              budget_figure(b->value, b->unit), budget_figure(b->limit, b->unit), b->met ? "" : "**over** ",
                              100 * budget_use(*b));
        }
        md += "\n";
    }

    std::vector<std::string> links;
    for (const auto& [format, path] : in.settings.artifacts) {
        if (path == "-" || path == in.output_path) continue;
        links.push_back(fmt::format("[{}]({})", format, relative_link(path, out_path)));
    }
    if (!s.results_path.empty()) links.push_back(fmt::format("[results.jsonl]({})", relative_link(s.results_path, out_path)));
    if (!links.empty()) md += fmt::format("Artifacts: {}\n", fmt::join(links, " · "));
    return md;
}

}  // namespace threadmill
