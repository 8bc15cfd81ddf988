// The scenario loader: a TOML scenario file, checked key by key against a worker's catalog,
// becomes a validated Scenario with every default applied (used by the driver and the worker).
#pragma once

#include <string>
#include <string_view>

#include "api/target.hpp"
#include "model/scenario.hpp"

namespace threadmill {

/// Loads and validates a scenario file against the targets of `catalog`. Throws ScenarioError.
Scenario load_scenario(const std::string& path, const Catalog& catalog);
/// The same from TOML text; `path` is used in messages only.
Scenario parse_scenario(std::string_view toml_text, const std::string& path, const Catalog& catalog);

}  // namespace threadmill
