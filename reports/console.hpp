// The console reporter: a latency table, invariants and the verdict of each job as it ends.
#pragma once

#include <cstdio>

#include "reports/reporter.hpp"

namespace threadmill {

class ConsoleReporter : public Reporter {
public:
    /// Colours and the in-place "running" line are used only when `out` is a terminal and
    /// NO_COLOR is unset.
    explicit ConsoleReporter(std::FILE* out);
    void run_started(const RunContext& context, int planned_jobs) override;
    void job_started(int index, int planned_jobs, const std::string& what) override;
    void job_finished(const JobResult& job, int planned_jobs) override;
    void run_finished(const std::vector<JobResult>& results, const RunSummary& summary) override;

private:
    std::string paint(const std::string& text, const char* ansi) const;
    std::FILE* m_out;
    bool m_tty;
    bool m_color;
    bool m_status_shown = false;
};

/// 1234567 -> "1,234,567".
std::string group_thousands(std::uint64_t n);
/// 2712345.6 -> "2.71M".
std::string format_count_rate(double per_second);

}  // namespace threadmill
