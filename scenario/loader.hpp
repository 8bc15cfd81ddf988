// The scenario loader: a TOML scenario file, checked key by key against a worker's catalog,
// becomes a validated Scenario with every default applied (used by the driver and the worker).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/target.hpp"
#include "model/scenario.hpp"
#include "scenario/overrides.hpp"

namespace threadmill {

/// Loads and validates a scenario file against the targets of `catalog`, with `sets` (`--set`)
/// applied to its keys first. Throws ScenarioError (a bad override is a diagnostic too).
Scenario load_scenario(const std::string& path, const Catalog& catalog, const std::vector<KeyOverride>& sets = {});
/// The same from TOML text; `path` is used in messages and to resolve the files the scenario names.
Scenario parse_scenario(std::string_view toml_text, const std::string& path, const Catalog& catalog,
                        const std::vector<KeyOverride>& sets = {});

/// The folder a scenario's `worker = "..."` names: `value` resolved against the folder of the scenario
/// file at `scenario_path`, absolute and normalized (an absolute `value` is kept).
std::string resolve_scenario_worker(const std::string& scenario_path, const std::string& value);

/// The worker folder a scenario file names, found before the file is loaded (the catalog to load it
/// against is that worker's), and where the key is.
struct ScenarioWorker {
    std::string dir;  ///< resolve_scenario_worker() of the key's value
    SourceLoc where;
};
/// Reads only the `worker` key of the scenario file at `path`. nullopt when the file names no worker,
/// and when it cannot be read, is not TOML or its key is not a non-empty string: load_scenario() then
/// reports that with every other problem of the file.
std::optional<ScenarioWorker> scenario_worker(const std::string& path);

}  // namespace threadmill
