// Reading and merging saved runs (results.jsonl): the input of `report` and `compare`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/result.hpp"

namespace threadmill {

/// A saved run: its context line, its jobs in file order and its closing line.
struct ResultsFile {
    std::string path;
    RunContext context;
    std::vector<JobResult> jobs;
    /// The closing line; missing when the run did not end (or the file predates schema 3).
    std::optional<RunEnd> end;
    /// Lines skipped, each "path:line: why": a last line cut short by a driver killed mid-write
    /// is skipped with a warning rather than losing the whole file.
    std::vector<std::string> warnings;
};

/// Reads a results.jsonl file. A job line that cannot be read (not JSON, not a job, or a last
/// line cut short by a driver killed mid-write) is skipped with a warning naming its line, so
/// that one bad line does not lose the rest of the run; with `strict` it is an error instead.
/// Throws std::runtime_error ("path:line: ...") when the file cannot be read, has no context
/// line, has a job line before it or a second one, or comes from a newer schema.
ResultsFile read_results_file(const std::string& path, bool strict = false);

/// Jobs a saved run planned: its context's `planned`, or for a file older than schema 3 (which
/// does not say) the jobs it holds.
int planned_jobs(const ResultsFile& run);

/// Why a saved run is incomplete, as "incomplete run (N jobs of M planned): <why>": a file of
/// schema 3 or later without its closing line (its driver was killed or could not write any
/// more), or a closing line saying the run was interrupted or stopped by an error. nullopt for
/// a complete run, and for an older file, which cannot say.
std::optional<std::string> incomplete_run(const ResultsFile& run);

/// Merges runs (sharded CI jobs) into one: the first file's context with `merged_from` listing
/// every file, `seeds`/`flavors` united and `planned` summed; jobs in file order, renumbered
/// from 1. Job folders are made relative to `out_dir` (where the merged file goes) so links
/// keep working. The merged closing line says interrupted when a file was interrupted, and
/// names every other incomplete file in its `error`: a merge of complete runs is complete.
/// Shards of one plan (`run --shard`, every file naming its shard) keep their jobs' plan
/// indexes, in plan order, and plan the whole plan; a shard missing or given twice, or a shard
/// of another plan, is named in `error`, so the merged run is incomplete.
ResultsFile merge_results(const std::vector<ResultsFile>& files, const std::string& out_dir);

/// The one writer of results.jsonl: a context line, then one line per job, each written to the
/// file system as it ends so that a driver killed mid-run keeps every finished job, then a
/// closing line. Every write is checked: a line that cannot be written whole (a full disk, a
/// file-size limit) is cut off again, so the file always ends with a whole line, and a
/// WriteError names the file and the OS error.
class ResultsWriter {
public:
    /// Creates (or truncates) `path` and writes the context line. Throws WriteError when the
    /// file cannot be created or written.
    ResultsWriter(const std::string& path, const RunContext& context);
    ~ResultsWriter();
    ResultsWriter(const ResultsWriter&) = delete;
    ResultsWriter& operator=(const ResultsWriter&) = delete;
    /// Appends one job's line. Throws WriteError when it could not be written.
    void append(const JobResult& job);
    /// Appends the closing line and closes the file. Throws WriteError when either failed.
    void finish(const RunEnd& end);

private:
    void write_line(const std::string& line);

    std::string m_path;
    int m_fd = -1;
    long long m_size = 0;  ///< bytes of the whole lines written
};

/// Writes a run as results.jsonl (context line, one line per job, the closing line when the
/// run has one), through a temporary file renamed into place. Throws WriteError.
void write_results_file(const ResultsFile& run, const std::string& path);

}  // namespace threadmill
