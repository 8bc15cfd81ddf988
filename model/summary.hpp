// The run summary: counts over a run's results, computed once by the driver, printed by reports.
#pragma once

#include <string>
#include <vector>

#include "model/result.hpp"

namespace threadmill {

/// Counts over a run's results; computed once by the driver (driver/summary.hpp), printed by reporters.
struct RunSummary {
    int planned = 0;
    int ran = 0;
    int pass = 0, fail = 0, error = 0;
    int met = 0, missed = 0;
    int findings = 0;       ///< sanitizer reports over all jobs
    int distinct_bugs = 0;  ///< distinct bugs (model/bugs.hpp: kind family at a user location) over the run
    /// Every suppression pattern seen in the run's suppression tables, with its total count.
    std::vector<SuppressionUse> suppressions;
    bool interrupted = false;
    double elapsed_seconds = 0;
    std::string results_path;
};
}  // namespace threadmill
