// The plain worker's check mode (`threadmill-worker --check-history`): a history checked against a
// target's own sequential model, which exists only in the worker executables that hold the target.
#pragma once

#include <cstdint>
#include <string>

namespace threadmill {

struct CheckModeOptions {
    std::string history;               ///< the history file (JSON Lines)
    std::string target;                ///< the target whose own model to check against
    std::string name;                  ///< how the result names the file ("": as given)
    std::string result;                ///< write the JSON result here (atomically); "": stdout
    std::string time_limit;            ///< a duration; "": the checker's default
    std::string diagnosis_time_limit;  ///< a duration, 0s skips the diagnosis; "": the default
    std::uint64_t memory_limit_mib = 0;  ///< per partition; 0: the default
};

/// Checks the history and writes the result as `threadmill check-history --json` prints it.
/// Returns check-history's exit codes: 0 linearizable, 1 not, 4 unknown; 2 for a history that
/// cannot be read or does not fit the model (FILE:LINE: error: ... on stderr), an unknown target or
/// one without a model of its own, a bad option; 3 when the result cannot be written.
int run_check_mode(const CheckModeOptions& options);

}  // namespace threadmill
