// The JUnit XML report: one testsuite per scenario and one testcase per job, for CI test tabs.
#include "reports/junit.hpp"

#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "model/scenario.hpp"
#include "model/bugs.hpp"
#include "reports/report_text.hpp"

namespace threadmill {
namespace {

constexpr std::string_view k_replacement_character = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

/// The length of the UTF-8 sequence at `s[i]` with its code point in `cp`, or 0 when the bytes
/// there are not valid UTF-8 (overlong forms and surrogates included).
std::size_t utf8_sequence(std::string_view s, std::size_t i, char32_t& cp) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char lead = byte(i);
    if (lead < 0x80) {
        cp = lead;
        return 1;
    }
    std::size_t length = 0;
    char32_t least = 0;
    if ((lead & 0xE0) == 0xC0) {
        length = 2, cp = lead & 0x1F, least = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
        length = 3, cp = lead & 0x0F, least = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
        length = 4, cp = lead & 0x07, least = 0x10000;
    } else {
        return 0;
    }
    if (i + length > s.size()) return 0;
    for (std::size_t k = 1; k < length; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    if (cp < least || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return length;
}

std::string seconds(double s) { return fmt::format("{:.3f}", s > 0 ? s : 0.0); }

void add_unique(std::vector<std::string>& values, const std::string& value) {
    for (const auto& v : values) {
        if (v == value) return;
    }
    values.push_back(value);
}

/// The jobs of one scenario, in job order.
struct Suite {
    std::string name;
    std::string path;
    std::string target;
    std::vector<const JobResult*> jobs;
};

std::vector<Suite> suites_of(const std::vector<JobResult>& jobs) {
    std::vector<Suite> suites;
    for (const auto& j : jobs) {
        Suite* suite = nullptr;
        for (auto& s : suites) {
            if (s.name == j.scenario && s.path == j.scenario_path) suite = &s;
        }
        if (!suite) suite = &suites.emplace_back(Suite{j.scenario, j.scenario_path, j.target, {}});
        suite->jobs.push_back(&j);
    }
    return suites;
}

enum class Outcome { passed, failed, error };

/// A job passes when it met its expectation (a mutant caught as expected passes); a harness
/// error is an error whatever was expected.
Outcome outcome_of(const JobResult& j) {
    if (j.verdict == Verdict::error) return Outcome::error;
    return j.expectation_met ? Outcome::passed : Outcome::failed;
}

std::string testcase_name(const JobResult& j) {
    return fmt::format("{} · {} · seed {}{}", j.variant, j.flavor, j.seed,
                       j.repeat > 0 ? fmt::format(" · repeat {}", j.repeat + 1) : "");
}

std::string finding_line(const Finding& f, const std::string& source_root) {
    if (f.user_frame) {
        return fmt::format("{} at {} (fingerprint {})", f.kind_name, frame_where(*f.user_frame, source_root),
                           f.fingerprint);
    }
    return fmt::format("{}: {} (fingerprint {})", f.kind_name, f.summary.empty() ? f.headline : f.summary,
                       f.fingerprint);
}

/// What caught the job and which sanitizer reports it had, one item per line.
std::string caught_by(const JobResult& j, const std::string& source_root) {
    std::string text;
    if (!j.detections.empty()) {
        text += "detections:\n";
        for (const auto& d : j.detections) text += fmt::format("  - {}: {}\n", d.mechanism, d.detail);
    }
    if (!j.findings.empty()) {
        text += "findings:\n";
        for (const auto& f : j.findings) text += fmt::format("  - {}\n", finding_line(f, source_root));
        if (j.findings_dropped > 0) text += fmt::format("  - ... and {} more not kept\n", j.findings_dropped);
    }
    return text;
}

std::string system_out(const JobResult& j, const ReportInput& in) {
    std::string text = fmt::format("replay: {}\n", j.replay);
    text += fmt::format("expected: {}\n", fmt::join(j.expected, ", "));
    text += fmt::format("verdict: {} ({})\n", to_string(j.verdict), j.expectation_detail);
    text += caught_by(j, in.settings.source_root);
    if (!j.budgets.empty()) {
        text += "budgets:\n";
        for (const auto& b : j.budgets) {
            text += fmt::format("  - {} = {}: measured {}, limit {}{}\n", b.key, b.budget, budget_figure(b.value, b.unit),
                                budget_figure(b.limit, b.unit), b.met ? "" : " (over)");
        }
    }
    if (!j.job_dir.empty()) {
        const auto dir = in.settings.results_dir.empty()
                             ? std::filesystem::path(j.job_dir)
                             : std::filesystem::path(in.settings.results_dir) / j.job_dir;
        text += fmt::format("logs: {}\n", dir.lexically_normal().string());
    }
    return text;
}

std::string error_message(const JobResult& j) {
    for (const auto& d : j.detections) {
        if (d.mechanism == "error") return d.detail;
    }
    return j.expectation_detail;
}

void property(std::string& xml, std::string_view name, std::string_view value) {
    xml += fmt::format("      <property name=\"{}\" value=\"{}\"/>\n", xml_escape(name, true), xml_escape(value, true));
}

std::string testcase(const JobResult& j, const ReportInput& in, const std::string& classname) {
    std::string xml = fmt::format("    <testcase name=\"{}\" classname=\"{}\" time=\"{}\">\n",
                                  xml_escape(testcase_name(j), true), xml_escape(classname, true),
                                  seconds(j.elapsed_seconds));
    switch (outcome_of(j)) {
        case Outcome::passed: break;
        case Outcome::failed:
            xml += fmt::format("      <failure type=\"missed-expectation\" message=\"{}\">{}</failure>\n",
                               xml_escape(j.expectation_detail, true),
                               xml_escape(j.expectation_detail + "\n" + caught_by(j, in.settings.source_root)));
            break;
        case Outcome::error:
            xml += fmt::format("      <error type=\"harness-error\" message=\"{}\">{}</error>\n",
                               xml_escape(error_message(j), true),
                               xml_escape(j.expectation_detail + "\n" + caught_by(j, in.settings.source_root)));
            break;
    }
    xml += fmt::format("      <system-out>{}</system-out>\n", xml_escape(system_out(j, in)));
    if (!j.worker_log.empty()) xml += fmt::format("      <system-err>{}</system-err>\n", xml_escape(j.worker_log));
    xml += "    </testcase>\n";
    return xml;
}

}  // namespace

std::string xml_escape(std::string_view text, bool attribute) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        char32_t cp = 0;
        const std::size_t length = utf8_sequence(text, i, cp);
        if (length == 0) {
            out += k_replacement_character;
            ++i;
            continue;
        }
        if (length > 1) {
            if (cp == 0xFFFE || cp == 0xFFFF) {
                out += k_replacement_character;
            } else {
                out.append(text.substr(i, length));
            }
            i += length;
            continue;
        }
        const char c = text[i++];
        switch (c) {
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '&': out += "&amp;"; break;
            case '"': out += attribute ? "&quot;" : "\""; break;
            case '\'': out += attribute ? "&apos;" : "'"; break;
            // An attribute value's tabs and line breaks become spaces unless written as references.
            case '\n': out += attribute ? "&#10;" : "\n"; break;
            case '\t': out += attribute ? "&#9;" : "\t"; break;
            case '\r': out += "&#13;"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    out += fmt::format("\\x{:02X}", static_cast<unsigned char>(c));  // not even &#N; is allowed
                } else {
                    out += c;
                }
        }
    }
    return out;
}

std::string render_junit(const ReportInput& in) {
    const RunContext& c = in.context;
    int failures = 0, errors = 0;
    for (const auto& j : in.jobs) {
        switch (outcome_of(j)) {
            case Outcome::passed: break;
            case Outcome::failed: ++failures; break;
            case Outcome::error: ++errors; break;
        }
    }
    std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    xml += fmt::format("<testsuites name=\"threadmill\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{}\">\n",
                       in.jobs.size(), failures, errors, seconds(in.summary.elapsed_seconds));
    for (const Suite& s : suites_of(in.jobs)) {
        int suite_failures = 0, suite_errors = 0;
        double time = 0;
        std::vector<std::string> seeds, flavors;
        for (const JobResult* j : s.jobs) {
            switch (outcome_of(*j)) {
                case Outcome::passed: break;
                case Outcome::failed: ++suite_failures; break;
                case Outcome::error: ++suite_errors; break;
            }
            time += j->elapsed_seconds;
            add_unique(seeds, std::to_string(j->seed));
            add_unique(flavors, j->flavor);
        }
        xml += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\" "
                           "time=\"{}\" timestamp=\"{}\" hostname=\"{}\" file=\"{}\">\n",
                           xml_escape(s.name, true), s.jobs.size(), suite_failures, suite_errors, seconds(time),
                           xml_escape(c.start_time, true), xml_escape(c.host, true), xml_escape(s.path, true));
        xml += "    <properties>\n";
        property(xml, "target", s.target);
        property(xml, "seed", fmt::format("{}", fmt::join(seeds, ", ")));
        property(xml, "flavor", fmt::format("{}", fmt::join(flavors, ", ")));
        property(xml, "threadmill.version", c.tool_version);
        property(xml, "compiler", c.compiler);
        property(xml, "build_type", c.build_type);
        property(xml, "compiler_flags", c.compiler_flags);
        if (c.merged_from.empty()) {
            property(xml, "command_line", c.command_line);
        } else {  // the context's command line ran only the first of the merged runs
            property(xml, "merged_from", fmt::format("{}", fmt::join(c.merged_from, ", ")));
        }
        xml += "    </properties>\n";
        const std::string classname = s.target.empty() ? s.name : fmt::format("{}.{}", s.target, s.name);
        for (const JobResult* j : s.jobs) xml += testcase(*j, in, classname);
        xml += "  </testsuite>\n";
    }
    xml += "</testsuites>\n";
    return xml;
}

}  // namespace threadmill
