// The reporter interface: every output format receives the same plain-data events.
//
// Two bases, after Catch2's streaming and cumulative reporters: a StreamingReporter reacts to
// each job as it ends (the console); a CumulativeReporter sees the whole run once, at the end
// (HTML, JUnit, SARIF, Markdown, JSON), and is therefore also what `threadmill report` drives
// from a saved results.jsonl. A ReporterSet fans one run out to several reporters.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "model/result.hpp"
#include "model/summary.hpp"

namespace threadmill {

/// Receives a run as it happens. Reporters print; they decide nothing.
class Reporter {
public:
    virtual ~Reporter() = default;
    virtual void run_started(const RunContext& context, int planned_jobs) = 0;
    /// `what` is "scenario · variant · flavor · seed N".
    virtual void job_started(int index, int planned_jobs, const std::string& what) = 0;
    virtual void job_finished(const JobResult& job, int planned_jobs) = 0;
    virtual void run_finished(const std::vector<JobResult>& results, const RunSummary& summary) = 0;
};

/// A reporter that prints as the run goes; every event is optional.
class StreamingReporter : public Reporter {
public:
    void run_started(const RunContext&, int) override {}
    void job_started(int, int, const std::string&) override {}
    void job_finished(const JobResult&, int) override {}
    void run_finished(const std::vector<JobResult>&, const RunSummary&) override {}
};

/// Where a report's surroundings are, for links and source paths.
struct ReportSettings {
    std::string results_dir;  ///< folder of results.jsonl: JobResult::job_dir is relative to it
    /// Prefix stripped from source paths in findings, so that locations are relative to the
    /// repository root ("" keeps them as recorded).
    std::string source_root;
    /// Every report of the same run, (format, path), for reports that link to the others.
    std::vector<std::pair<std::string, std::string>> artifacts;
};

/// Everything a whole-run report is made from. Paths are as the user gave them.
struct ReportInput {
    const RunContext& context;
    const std::vector<JobResult>& jobs;
    const RunSummary& summary;
    std::string output_path;  ///< where this report is written ("-" for stdout)
    ReportSettings settings;
};

/// A reporter that writes once, when the run is over, from the whole run.
class CumulativeReporter : public Reporter {
public:
    void run_started(const RunContext& context, int) final { m_context = context; }
    void job_started(int, int, const std::string&) final {}
    void job_finished(const JobResult&, int) final {}
    void run_finished(const std::vector<JobResult>& results, const RunSummary& summary) final {
        write(m_context, results, summary);
    }

protected:
    virtual void write(const RunContext& context, const std::vector<JobResult>& results, const RunSummary& summary) = 0;

private:
    RunContext m_context;
};

/// Forwards every event to each of its reporters, in the order they were added.
class ReporterSet final : public Reporter {
public:
    void add(std::unique_ptr<Reporter> r) { m_reporters.push_back(std::move(r)); }
    bool empty() const { return m_reporters.empty(); }
    void run_started(const RunContext& context, int planned) override {
        for (auto& r : m_reporters) r->run_started(context, planned);
    }
    void job_started(int index, int planned, const std::string& what) override {
        for (auto& r : m_reporters) r->job_started(index, planned, what);
    }
    void job_finished(const JobResult& job, int planned) override {
        for (auto& r : m_reporters) r->job_finished(job, planned);
    }
    void run_finished(const std::vector<JobResult>& results, const RunSummary& summary) override {
        for (auto& r : m_reporters) r->run_finished(results, summary);
    }

private:
    std::vector<std::unique_ptr<Reporter>> m_reporters;
};

}  // namespace threadmill
