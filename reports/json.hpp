// The JSON report: one document with the context, every job and the summary.
#pragma once

#include <string>

#include "reports/reporter.hpp"

namespace threadmill {

/// `{"context": ..., "jobs": [...], "summary": ...}`, indented, with a final newline.
std::string render_json(const ReportInput& input);

}  // namespace threadmill
