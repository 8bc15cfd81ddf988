// The report formats of `--report FORMAT=PATH`, and the reporter that writes one file.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "reports/reporter.hpp"

namespace threadmill {

/// Renders a whole report as text. Deterministic: the same input gives the same bytes (times
/// come from the results, never from the clock), so reports can be golden-tested.
using RenderFn = std::string (*)(const ReportInput&);

struct ReportFormat {
    std::string_view name;         ///< as given to --report: html, junit, sarif, md, json
    std::string_view description;  ///< one line, for --help
    std::string_view example;      ///< a typical path
    RenderFn render;
};

/// Every format, in the order --help lists them.
const std::vector<ReportFormat>& report_formats();
const ReportFormat* find_report_format(std::string_view name);

/// One `--report FORMAT=PATH`. PATH "-" is standard output.
struct ReportRequest {
    std::string format;
    std::string path;
};

/// Parses "FORMAT=PATH". Throws std::invalid_argument with a message naming the known formats
/// (and a "did you mean") when the text is malformed or the format unknown.
ReportRequest parse_report_request(std::string_view text);

/// The settings every report of one run shares: job folders relative to `results_dir`, source
/// paths relative to `source_root` ("" means the current folder), and the reports as artifacts.
ReportSettings report_settings(std::string results_dir, const std::string& source_root,
                               const std::vector<ReportRequest>& requests);

/// Before a run: creates each report's folder and checks it can be written, so that a typo in a
/// path fails at once, not after an hour of jobs. Throws std::runtime_error naming the path.
void prepare_report_outputs(const std::vector<ReportRequest>& requests);

/// Renders one report and writes it (to a temporary file renamed over PATH, so a reader never
/// sees half a report). Throws std::runtime_error when it cannot be written.
void write_report(const ReportRequest& request, const ReportInput& input);

/// The `--help` text listing the formats.
std::string report_formats_help();

/// A cumulative reporter for one --report: writes its file when the run ends. A failure to
/// write is kept in `errors` (the run's results are saved already) rather than thrown.
class FileReporter final : public CumulativeReporter {
public:
    FileReporter(ReportRequest request, ReportSettings settings, std::vector<std::string>& errors)
        : m_request(std::move(request)), m_settings(std::move(settings)), m_errors(errors) {}

protected:
    void write(const RunContext& context, const std::vector<JobResult>& results, const RunSummary& summary) override;

private:
    ReportRequest m_request;
    ReportSettings m_settings;
    std::vector<std::string>& m_errors;
};

}  // namespace threadmill
