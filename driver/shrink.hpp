// Shrinking a scenario: the reductions that make a failing job smaller, on its TOML text.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <toml++/toml.h>

namespace threadmill {

/// One way to make a scenario smaller: what it removes, in words, and the scenario after it.
struct Reduction {
    std::string what;  ///< "group 'readers'", "threads of 'writers' 4 -> 1", "duration 1s -> 10ms"
    toml::table scenario;
    /// For a value lowered: what was lowered ("threads of 'writers'"), from and to ("4", "1");
    /// empty for something removed.
    std::string subject, from, to;
};

/// The smallest duration a reduction goes down to: shorter jobs mostly measure process start.
inline constexpr std::int64_t k_min_shrink_duration_ns = 10'000'000;

/// Every scenario one step smaller than `scenario`, the boldest first within each kind:
///  - a whole group removed (when there are several);
///  - a group's threads down to 1, else halved, else one fewer;
///  - one operation removed from a group's mix (when it has several);
///  - `[keys] count` (1024 when not given) down to 1, else halved;
///  - `duration` down to 10ms, else halved; or `iterations` down to 1, else halved.
/// Nothing is checked here: a reduction may make an invalid scenario (the loader says so).
std::vector<Reduction> scenario_reductions(const toml::table& scenario);

/// Pins a scenario to one job (`variants`, `flavors`, `seed`) and makes its relative paths
/// (`worker`, `[sanitizers] suppressions`) absolute against `folder`, so that the file runs the
/// same job from any folder.
void pin_scenario(toml::table& scenario, const std::string& variant, const std::string& flavor, std::uint64_t seed,
                  const std::filesystem::path& folder);

/// The scenario as TOML text.
std::string scenario_text(const toml::table& scenario);

}  // namespace threadmill
