// The HTML report: one self-contained page for a whole run.
#pragma once

#include <string>

#include "reports/reporter.hpp"

namespace threadmill {

/// One HTML file that needs nothing else to be viewed (inline CSS, inline SVG charts written
/// here, a little inline JavaScript for filtering; a Content-Security-Policy forbids loading
/// anything): the run's summary, a filterable table of jobs and, per job, folded details with
/// latency percentiles and their chart (plus the same job under the other flavors), throughput,
/// invariants, budgets, findings with their stacks and the replay command. All text from the
/// results is HTML-escaped. Deterministic: the same input gives the same bytes.
std::string render_html(const ReportInput& input);

}  // namespace threadmill
