// What the worker's exit status means to the supervisor.
#pragma once

namespace threadmill {

inline constexpr int k_worker_exit_ok = 0;
inline constexpr int k_worker_exit_usage = 64;     ///< EX_USAGE: bad worker command line
inline constexpr int k_worker_exit_scenario = 65;  ///< EX_DATAERR: the scenario did not load
inline constexpr int k_worker_exit_internal = 70;  ///< EX_SOFTWARE: the harness failed
/// EX_IOERR: a file the worker must write (its result, its activity board) could not be
/// written, a full disk or a file-size limit. The job is `error`, never a crash of the target;
/// the worker's output says which file and why, in a line starting k_worker_write_error.
inline constexpr int k_worker_exit_output = 74;
/// How the worker's line about a file it could not write starts; the rest is
/// "<path>: <OS error>".
inline constexpr const char* k_worker_write_error = "threadmill-worker: could not write ";
/// The exit status threadmill gives every sanitizer runtime (`exitcode=66`): the worker ran
/// to its end (or was halted) after reporting; the reports, not the status, say what happened.
inline constexpr int k_worker_exit_sanitizer = 66;
/// Any other nonzero status, or a signal, is the target's doing: a crash.

}  // namespace threadmill
