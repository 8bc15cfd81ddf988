// The console reporter: one line per job with its outcome as it ends; the details (latency table,
// invariants, detections, findings) of the jobs that need a person, or of every job with -v.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "reports/reporter.hpp"

namespace threadmill {

class ConsoleReporter : public Reporter {
public:
    /// On a terminal, a status line (jobs done / total, elapsed, ETA, expectations missed so
    /// far, the job running) is redrawn in place under the finished jobs; when `out` is not a
    /// terminal only plain lines are printed. Colours need a terminal and NO_COLOR unset.
    /// Source paths under `source_root` are printed relative to it. Each job prints one line
    /// (its outcome, and for a caught job what caught it); the details follow for a job whose
    /// outcome fails the gate, the findings of a distinct bug not seen earlier in the run, and
    /// with `verbose` every job's details.
    explicit ConsoleReporter(std::FILE* out, std::string source_root = TM_SOURCE_DIR, bool verbose = false);
    void run_started(const RunContext& context, int planned_jobs) override;
    void job_started(int index, int planned_jobs, const std::string& what) override;
    void job_finished(const JobResult& job, int planned_jobs) override;
    void run_finished(const std::vector<JobResult>& results, const RunSummary& summary) override;

private:
    std::string paint(const std::string& text, const char* ansi) const;
    std::string status_line(const std::string& running) const;
    void print_tables(const JobResult& job);
    void print_detections(const JobResult& job);
    /// The job's findings; with `only_new`, those whose fingerprint no earlier job reported.
    void print_findings(const JobResult& job, bool only_new);
    void print_process(const JobResult& job);
    std::FILE* m_out;
    std::string m_source_root;
    bool m_verbose;
    bool m_tty;
    bool m_color;
    bool m_status_shown = false;
    std::chrono::steady_clock::time_point m_start{};
    int m_done = 0;
    int m_missed = 0;
    int m_planned_left = 0;  ///< jobs not finished when the current one started
    std::vector<std::string> m_bugs;  ///< bug keys (model/bugs: bug_key) of the findings seen so far
};

/// 95 seconds -> "1:35"; 3725 -> "1:02:05".
std::string format_clock(double seconds);
/// 1234567 -> "1,234,567".
std::string group_thousands(std::uint64_t n);

}  // namespace threadmill
