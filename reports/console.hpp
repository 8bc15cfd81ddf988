// The console reporter: a line per group of jobs that did what was expected, a line of its own and
// the details (latency table, invariants, detections, findings) for each job that needs a person,
// or a line and the details of every job with -v.
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
    /// Source paths under `source_root` are printed relative to it. The jobs of one scenario,
    /// flavor, seed and repetition that did what their scenario expects share one line (each
    /// variant's outcome, and for a caught job what caught it), followed by a line for each
    /// distinct bug not seen earlier in the run; a job whose outcome fails the gate gets a line of
    /// its own and its details. With `verbose` every job gets its own line and its details.
    explicit ConsoleReporter(std::FILE* out, std::string source_root = TM_SOURCE_DIR, bool verbose = false);
    void run_started(const RunContext& context, int planned_jobs) override;
    void job_started(int index, int planned_jobs, const std::string& what) override;
    void job_finished(const JobResult& job, int planned_jobs) override;
    void run_finished(const std::vector<JobResult>& results, const RunSummary& summary) override;

private:
    std::string paint(const std::string& text, const char* ansi) const;
    std::string status_line(const std::string& running) const;
    void print_tables(const JobResult& job);
    /// Lockstep: the graded outcome table (result, count, frequency, grade, description).
    void print_outcomes(const JobResult& job);
    void print_detections(const JobResult& job);
    void print_detection_timing(const JobResult& job);
    void print_rates(const RunSummary& s);
    /// Up to this many scenario × variant × flavor rates are all listed; past it, only the notable ones.
    static constexpr std::size_t k_max_rates_listed = 40;
    /// The job's findings; with `only_new`, those whose fingerprint no earlier job reported.
    void print_findings(const JobResult& job, bool only_new);
    void print_process(const JobResult& job);
    /// Prints the pending group line and its new-bug lines, if any.
    void flush_group();
    /// The jobs of one scenario, flavor, seed and repetition that did not need a look, waiting
    /// for the group to end so that they print as one line.
    struct Group {
        std::string key;  ///< scenario, flavor, seed, repetition
        std::string what;  ///< "cache-queue · plain · seed 7"
        int first = 0, last = 0, planned = 0;
        double elapsed = 0;
        std::vector<std::string> parts;      ///< "safe ok", "broken caught (expected) by crash"
        std::vector<std::string> new_bugs;   ///< one line each: kind and user location; interesting outcomes
    };
    Group m_group;
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
