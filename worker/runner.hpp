// The runner: runs one job's thread groups against one target instance, in this process.
#pragma once

#include <cstdint>
#include <string>

#include "model/result.hpp"
#include "model/scenario.hpp"
#include "api/target.hpp"

namespace threadmill {

struct RunnerOptions {
    std::string work_dir;        ///< scratch directory handed to the target
    std::string activity_path;   ///< where threads publish their current op; "" = in memory
    bool record_latency = true;  ///< false only for measuring the harness itself
    /// Where to write the history (JSON Lines, `threadmill check-history`'s format) when the
    /// scenario asks for `[check] linearizability`; "" keeps none.
    std::string history_path;
    /// Time ops with TscClock::process() (the TSC where trusted); false: steady_clock, only for
    /// measuring the harness itself.
    bool tsc_clock = true;
};

/// Runs `scenario` against variant `variant` of `target` with `seed`:
///  - every thread starts from one barrier; in rounds mode all threads rendezvous every
///    ops_per_round ops (the only points where the harness orders target operations), and
///    quiescent invariant checks run there as the scenario's checkpoint asks;
///  - in lockstep mode every thread runs one op per round; at each round's barrier the target's
///    arbiter observes the result, which is counted (Measurement::outcomes), then the target is
///    reset; `iterations` counts rounds;
///  - each thread draws its ops, keys and args from its own plan stream, derived from the seed;
///  - `[chaos] strategy` and `start_spread` act at chaos points and after each barrier
///    (worker/schedule.hpp); Measurement::schedule says which strategy ran when;
///  - latency of every op is recorded per thread and merged at the end, timed by
///    TscClock::process() (the TSC where trusted, steady_clock otherwise);
///  - with `[check] linearizability`, the ops' history records (Call::invoke) are kept per thread
///    and written to options.history_path after the last op, cut consistently at the limit;
///  - the target's final check runs after every thread has stopped.
/// Exceptions thrown by operations are recorded in the result; other exceptions propagate.
Measurement run_job(const Scenario& scenario, const TargetSpec& target, const std::string& variant,
                    std::uint64_t seed, const RunnerOptions& options);

}  // namespace threadmill
