// The report formats and the writing of report files.
#include "reports/registry.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "model/paths.hpp"
#include "model/text.hpp"
#include "reports/html.hpp"
#include "reports/json.hpp"
#include "reports/junit.hpp"
#include "reports/markdown.hpp"
#include "reports/sarif.hpp"

namespace threadmill {

namespace fs = std::filesystem;

const std::vector<ReportFormat>& report_formats() {
    static const std::vector<ReportFormat> formats = {
        {"html", "one self-contained page: summary, filterable jobs, latency charts, findings", "out/index.html", render_html},
        {"junit", "JUnit XML: a testsuite per scenario, a testcase per job, for CI test tabs", "out/junit.xml",
         render_junit},
        {"sarif", "SARIF 2.1.0: one result per distinct sanitizer bug, for code scanning", "out/threadmill.sarif",
         render_sarif},
        {"md", "Markdown summary for a CI step summary or a PR comment", "out/summary.md", render_markdown},
        {"json", "the whole run as one JSON document (context, jobs, summary)", "out/run.json", render_json},
    };
    return formats;
}

const ReportFormat* find_report_format(std::string_view name) {
    for (const auto& f : report_formats()) {
        if (f.name == name) return &f;
    }
    return nullptr;
}

std::string report_formats_help() {
    std::string text = "report formats (--report FORMAT=PATH, PATH '-' is standard output):\n";
    for (const auto& f : report_formats()) text += fmt::format("  {:<6} {} (e.g. {})\n", f.name, f.description, f.example);
    return text;
}

ReportRequest parse_report_request(std::string_view text) {
    std::vector<std::string> names;
    for (const auto& f : report_formats()) names.emplace_back(f.name);
    const auto eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size()) {
        throw std::invalid_argument(fmt::format("--report '{}': expected FORMAT=PATH, like html=out/index.html "
                                                "(formats: {})",
                                                text, fmt::join(names, ", ")));
    }
    ReportRequest r{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
    if (!find_report_format(r.format)) {
        throw std::invalid_argument(fmt::format("--report: unknown format '{}'{} (formats: {})", r.format,
                                                did_you_mean(r.format, names), fmt::join(names, ", ")));
    }
    return r;
}

ReportSettings report_settings(std::string results_dir, const std::string& source_root,
                               const std::vector<ReportRequest>& requests) {
    ReportSettings settings;
    settings.results_dir = results_dir.empty() ? std::string(".") : std::move(results_dir);
    settings.source_root = source_root.empty() ? fs::current_path().string() : source_root;
    for (const auto& r : requests) settings.artifacts.emplace_back(r.format, r.path);
    return settings;
}

void prepare_report_outputs(const std::vector<ReportRequest>& requests) {
    for (std::size_t i = 0; i < requests.size(); ++i) {
        const auto& r = requests[i];
        if (r.path == "-") continue;
        for (std::size_t k = 0; k < i; ++k) {
            if (requests[k].path == r.path)
                throw std::runtime_error(fmt::format("--report: two reports write {}", r.path));
        }
        const fs::path p(r.path);
        if (fs::is_directory(p)) throw std::runtime_error(fmt::format("--report {}: is a folder, not a file", r.path));
        if (const auto why = check_writable_folder(p.has_parent_path() ? p.parent_path().string() : "."))
            throw std::runtime_error(fmt::format("--report {}: {}", r.path, *why));
    }
}

void write_report(const ReportRequest& request, const ReportInput& input) {
    const ReportFormat* format = find_report_format(request.format);
    if (!format) throw std::runtime_error(fmt::format("unknown report format '{}'", request.format));
    const std::string text = format->render(input);
    if (request.path == "-") {
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
        return;
    }
    const fs::path p(request.path);
    if (p.has_parent_path()) fs::create_directories(p.parent_path());
    write_file_atomically(request.path, text);
}

void FileReporter::write(const RunContext& context, const std::vector<JobResult>& results, const RunSummary& summary) {
    try {
        write_report(m_request, ReportInput{context, results, summary, m_request.path, m_settings});
    } catch (const std::exception& e) {
        m_errors.push_back(fmt::format("{} report {}: {}", m_request.format, m_request.path, e.what()));
    }
}

}  // namespace threadmill
