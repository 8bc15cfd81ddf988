// Suppression files in the sanitizer runtimes' own syntax (`<type>:<pattern>` lines): which
// runtime each type belongs to, how a file is read and checked, how the files a job runs with
// are merged into one file per runtime, and how often each file's patterns matched in a run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "model/finding.hpp"

namespace threadmill {

/// The file a project's suppressions live in, found beside its worker executables.
inline constexpr std::string_view k_project_suppressions_file = "threadmill-suppressions.txt";

/// Where a suppression file came from (the JSON and report word of each).
inline constexpr std::string_view k_origin_threadmill = "threadmill";    ///< sanitizers/<runtime>.supp
inline constexpr std::string_view k_origin_environment = "environment";  ///< $THREADMILL_SANITIZER_DIR/<runtime>.supp
inline constexpr std::string_view k_origin_project = "project";          ///< threadmill-suppressions.txt beside the worker
inline constexpr std::string_view k_origin_scenario = "scenario";        ///< `[sanitizers] suppressions`

/// One pattern of a suppression file.
struct SuppressionPattern {
    std::string runtime;  ///< the runtime that reads it: "tsan", "lsan", "ubsan", "asan" (Runtime::name)
    std::string text;     ///< the line as the runtime reads it: "race:Cache::get"
    int line = 0;         ///< in its file (1-based); 0 when read back from a results file
};

/// A suppression file a job runs with: where it came from and its patterns.
struct SuppressionSource {
    std::string origin;  ///< one of the k_origin_* words
    std::string path;
    std::vector<SuppressionPattern> patterns;
};

/// The runtime whose suppression type `type` is ("race" → "tsan", "leak" → "lsan",
/// "signed-integer-overflow" → "ubsan", "interceptor_name" → "asan"), or "" for no runtime.
std::string_view runtime_of_suppression_type(std::string_view type);

/// Every suppression type, for "did you mean" and the docs.
std::vector<std::string_view> suppression_types();

/// Whether the runtime prints how often each suppression matched (TSan and LSan do; ASan and
/// UBSan do not, so their patterns can never be called stale).
bool runtime_counts_suppressions(std::string_view runtime);

/// Reads suppression-file text: blank lines and `#` comments are skipped; every other line must
/// be `<type>:<pattern>` with a known type and a pattern that is not empty. When `only_runtime`
/// is given (a per-runtime file such as tsan.supp), a type of another runtime is an error too.
/// Problems become `errors`, each naming its line.
struct SuppressionError {
    int line = 0;
    std::string message;
};
struct SuppressionText {
    std::vector<SuppressionPattern> patterns;
    std::vector<SuppressionError> errors;
};
SuppressionText parse_suppression_text(std::string_view text, std::string_view only_runtime = {});

/// A suppression file is a short list: one larger than this is refused.
inline constexpr std::uintmax_t k_max_suppression_file_bytes = 1u << 20;

/// The text of the suppression file at `path`, or nullopt with `why` set ("no such file", "not a
/// regular file", ...). Only a regular file of at most k_max_suppression_file_bytes is read (a
/// FIFO or /dev/zero would never end).
std::optional<std::string> read_suppression_file(const std::string& path, std::string& why);

/// The file the `runtime` of a job reads: every pattern of `sources` for that runtime, in source
/// order, each once, under a comment naming the file it came from.
std::string merged_suppressions(const std::vector<SuppressionSource>& sources, std::string_view runtime);

/// How often each pattern of one suppression file matched over the jobs of a run that used it.
struct SuppressionPatternUse {
    std::string runtime;
    std::string text;
    std::uint64_t count = 0;
    bool counted = true;  ///< the runtime reports matches (runtime_counts_suppressions)
    /// Never matched although its runtime counts matches: the pattern may be obsolete.
    bool stale() const { return counted && count == 0; }
};
struct SuppressionFileUse {
    std::string origin;
    std::string path;
    int jobs = 0;  ///< jobs that ran with the file
    std::vector<SuppressionPatternUse> patterns;
};

/// Joins the files each job ran with (`files`) and the runtimes' tables of matches (`uses`)
/// into `out`, one entry per file (origin and path), one row per pattern. A pattern that is in
/// several files is credited to each.
void add_suppression_uses(std::vector<SuppressionFileUse>& out, const std::vector<SuppressionSource>& files,
                          const std::vector<SuppressionUse>& uses);

void to_json(nlohmann::json& j, const SuppressionSource& v);
void from_json(const nlohmann::json& j, SuppressionSource& v);
void to_json(nlohmann::json& j, const SuppressionFileUse& v);

}  // namespace threadmill
