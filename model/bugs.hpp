// Distinct bugs (reports grouped by the place in the user's code they point at) and job titles, shared by the
// summary and the reports.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.hpp"
#include "model/text.hpp"

namespace threadmill {

/// One distinct bug: every sanitizer report, over all jobs, seeds and flavors of a run, with the same
/// `bug_key()`: the same kind family at the same place in the user's code. The reports' full fingerprints
/// (which also tell the other stacks apart) are kept as sub-keys.
struct DistinctBug {
    std::string key;                        ///< bug_key() of its reports
    const Finding* first = nullptr;         ///< the first report of it, in job order
    const Frame* where = nullptr;           ///< bug_location() of the first report (null: no user frame)
    const JobResult* first_job = nullptr;
    int reports = 0;                        ///< reports grouped under it
    std::vector<const JobResult*> jobs;     ///< jobs that reported it, in job order, each once
    std::vector<std::string> kinds;         ///< its reports' kind names, in order of first appearance
    std::vector<std::string> fingerprints;  ///< its reports' full fingerprints, in order of first appearance
};

/// The family of a finding's kind: its `[expect]` mechanism without the part after ':' ("race",
/// "deadlock", "memory", "ub", "leak", "crash", ...). A data race and a heap-use-after-free are different
/// families; several UBSan checks, or several ASan memory errors, are one.
std::string bug_family(const Finding& f);

/// The user frame a report points at as the place to fix: for a data race in which exactly one access
/// holds no mutex, that access's first user frame (the unlocked `size()` racing with locked writers, in
/// whichever order the runtime printed them); otherwise the report's first user frame. Null without one.
const Frame* bug_location(const Finding& f);

/// What groups reports into one bug: the kind family and the user location the report points at
/// (`bug_location()`), as the file's base name and the function's bare name, so the key
/// neither changes when lines move nor depends on where the source tree is checked out. Without a function
/// name, the file's base name and line; without a file, the module. A report with no frame in the code
/// under test is its own bug: its family and full fingerprint.
std::string bug_key(const Finding& f);

/// 16 hex digits of `bug_key()`: a stable identifier of the bug across runs (SARIF's partialFingerprints).
std::string bug_id(std::string_view key);

/// The run's distinct bugs, in order of first appearance.
std::vector<DistinctBug> distinct_bugs(std::span<const JobResult> jobs);

/// "scenario · variant · flavor · seed N" (with " · repeat K" for a repeated job).
std::string job_title(const JobResult& job);

}  // namespace threadmill
