// The suppression files a run's jobs use: threadmill's own, $THREADMILL_SANITIZER_DIR's, the
// project's (beside its worker) and the scenario's, merged per job into one file per runtime.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "model/scenario.hpp"
#include "model/suppressions.hpp"

namespace threadmill {

/// A suppression file that cannot be read or holds a bad line; what() has one
/// `file:line:1: error: ...` line per problem.
class SuppressionFileError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The per-runtime files `<runtime>.supp` found in `dir` (each may hold only its runtime's
/// types), with `origin` (k_origin_threadmill, k_origin_environment). Throws SuppressionFileError.
std::vector<SuppressionSource> read_runtime_suppressions(const std::string& dir, std::string_view origin);

/// The project's file, `<worker_dir>/threadmill-suppressions.txt` (any runtime's types, one file),
/// or nothing when there is none. Throws SuppressionFileError.
std::vector<SuppressionSource> read_project_suppressions(const std::string& worker_dir);

/// The files a job of `flavor` runs with: `run` (threadmill's, the environment's, the project's)
/// then the scenario's (its own files, and its worker folder's project file unless `run` holds that
/// file already), each kept only when it has a pattern for one of the flavor's runtimes.
std::vector<SuppressionSource> job_suppressions(const std::vector<SuppressionSource>& run, const Scenario& scenario,
                                                const std::string& flavor);

/// Writes `<folder>/<runtime>.supp` for each runtime of `flavor`: the merged patterns of
/// `sources` (merged_suppressions). Throws std::runtime_error naming the file it could not write.
void write_job_suppressions(const std::string& folder, const std::string& flavor,
                            const std::vector<SuppressionSource>& sources);

}  // namespace threadmill
