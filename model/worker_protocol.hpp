// What the worker's exit status means to the supervisor.
#pragma once

namespace threadmill {

inline constexpr int k_worker_exit_ok = 0;
inline constexpr int k_worker_exit_usage = 64;     ///< EX_USAGE: bad worker command line
inline constexpr int k_worker_exit_scenario = 65;  ///< EX_DATAERR: the scenario did not load
inline constexpr int k_worker_exit_internal = 70;  ///< EX_SOFTWARE: the harness failed
/// The exit status threadmill gives every sanitizer runtime (`exitcode=66`): the worker ran
/// to its end (or was halted) after reporting; the reports, not the status, say what happened.
inline constexpr int k_worker_exit_sanitizer = 66;
/// Any other nonzero status, or a signal, is the target's doing: a crash.

}  // namespace threadmill
