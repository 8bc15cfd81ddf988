// Command-line overrides of a scenario's run length, shared by the driver and the worker.
#include "scenario/overrides.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace threadmill {

void apply_override(Scenario& scenario, const RunLengthOverride& o) {
    if (o.duration) {
        if (*o.duration >= scenario.timeout) {
            throw std::invalid_argument(fmt::format("{}: --duration {} is not below the scenario's timeout of {}",
                                                    scenario.path, format_duration(*o.duration),
                                                    format_duration(scenario.timeout)));
        }
        scenario.duration = o.duration;
        scenario.iterations.reset();
    } else if (o.iterations) {
        scenario.iterations = o.iterations;
        scenario.duration.reset();
    }
}

}  // namespace threadmill
