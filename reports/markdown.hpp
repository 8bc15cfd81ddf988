// The Markdown report: a short summary for a CI step summary or a pull-request comment.
#pragma once

#include <string>

#include "reports/reporter.hpp"

namespace threadmill {

/// Verdict counts, distinct bugs, missed expectations, the budgets nearest their limit and
/// links (relative to the Markdown file) to the other reports of the run.
std::string render_markdown(const ReportInput& input);

/// The path of `target` as seen from the folder of `from_file` ("" `from_file`: the current folder).
std::string relative_link(const std::string& target, const std::string& from_file);

}  // namespace threadmill
