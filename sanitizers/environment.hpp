// The sanitizer runtimes' options for a worker of each flavor: where reports go, what is
// collected, which suppression files apply.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "model/scenario.hpp"

namespace threadmill {

/// The environment a worker of `flavor` runs with: each sanitizer's runtime options, with
/// threadmill's defaults first (every report collected, log files in `job_dir`, the suppression
/// files `<runtime>.supp` of `suppression_dir`, "" for none), then the scenario's own
/// `[sanitizers]` options, which win.
std::vector<std::pair<std::string, std::string>> sanitizer_environment(const std::string& flavor,
                                                                      const std::string& job_dir,
                                                                      const std::string& suppression_dir,
                                                                      const Scenario& scenario);

}  // namespace threadmill
