// Reading and merging saved runs (results.jsonl): the input of `report` and `compare`.
#pragma once

#include <fstream>
#include <string>
#include <vector>

#include "model/result.hpp"

namespace threadmill {

/// A saved run: its context line and its jobs, in file order.
struct ResultsFile {
    std::string path;
    RunContext context;
    std::vector<JobResult> jobs;
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

/// Merges runs (sharded CI jobs) into one: the first file's context with `merged_from` listing
/// every file and `seeds`/`flavors` united; jobs in file order, renumbered from 1. Job folders
/// are made relative to `out_dir` (where the merged file goes) so links keep working.
ResultsFile merge_results(const std::vector<ResultsFile>& files, const std::string& out_dir);

/// The one writer of results.jsonl: a context line, then one line per job, each flushed as
/// it is written so that a driver killed mid-run keeps every finished job.
class ResultsWriter {
public:
    /// Creates (or truncates) `path` and writes the context line. Throws std::runtime_error
    /// when the file cannot be created.
    ResultsWriter(const std::string& path, const RunContext& context);
    /// Appends one job's line and flushes it. Throws std::runtime_error naming the file when
    /// the line could not be written.
    void append(const JobResult& job);

private:
    std::string m_path;
    std::ofstream m_out;
};

/// Writes a run as results.jsonl (context line, then one line per job), through a temporary
/// file renamed into place.
void write_results_file(const ResultsFile& run, const std::string& path);

}  // namespace threadmill
