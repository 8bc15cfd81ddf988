// The JSON reporter: one document with the context, every job and the summary, at the end.
#pragma once

#include <cstdio>

#include "reports/reporter.hpp"

namespace threadmill {

class JsonReporter : public Reporter {
public:
    explicit JsonReporter(std::FILE* out) : m_out(out) {}
    void run_started(const RunContext& context, int planned_jobs) override;
    void job_started(int, int, const std::string&) override {}
    void job_finished(const JobResult&, int) override {}
    void run_finished(const std::vector<JobResult>& results, const RunSummary& summary) override;

private:
    std::FILE* m_out;
    RunContext m_context;
};

}  // namespace threadmill
