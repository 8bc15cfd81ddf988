// Command-line overrides of a scenario's run length, shared by the driver and the worker.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "model/scenario.hpp"

namespace threadmill {

struct RunLengthOverride {
    std::optional<Nanos> duration;
    std::optional<std::uint64_t> iterations;
    bool empty() const { return !duration && !iterations; }
};

/// Applies the override: a duration replaces iterations and the reverse. Throws
/// std::invalid_argument when the result contradicts the scenario (a duration not below
/// its timeout).
void apply_override(Scenario& scenario, const RunLengthOverride& o);

/// `--set KEY=VALUE`: one key of every scenario replaced (or added) before the scenario is
/// checked, so it is checked like the file's own. KEY is a dotted path of tables ("duration",
/// "chaos.strategy", "sync.mode"); VALUE is a TOML value (`0.05`, `3`, `true`, `"5us"`, `[1, 2]`),
/// and a value that is not TOML is read as a string (`chaos.strategy=pct`).
struct KeyOverride {
    std::string key;
    std::string value;
    std::string text() const { return key + "=" + value; }
};

/// Parses "KEY=VALUE". Throws std::invalid_argument saying what is wrong.
KeyOverride parse_key_override(std::string_view text);

/// Every override applied to a scenario's TOML, in order. Throws std::invalid_argument when a
/// key crosses something that is not a table (`group.threads`: `[[group]]` is an array).
void apply_key_overrides(toml::table& root, const std::vector<KeyOverride>& overrides);

}  // namespace threadmill
