// Command-line overrides of a scenario's run length, shared by the driver and the worker.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

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

}  // namespace threadmill
