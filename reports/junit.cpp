// The JUnit XML report: one testsuite per scenario and one testcase per job, for CI test tabs.
#include "reports/junit.hpp"

#include <algorithm>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "model/scenario.hpp"
#include "model/bugs.hpp"
#include "model/outcome.hpp"
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

/// One testcase: a job that ran, or (after an interrupt) one planned that did not.
struct Case {
    const JobResult* job = nullptr;
    const PlannedJob* planned = nullptr;
    std::string name;
};

/// The jobs of one scenario, in plan order.
struct Suite {
    std::string name;
    std::string path;
    std::string target;
    std::vector<Case> cases;
};

/// The name of a testcase, the same in every run of the same command: "variant · flavor", and
/// for the second and later job of that variant and flavor in the scenario (more seeds,
/// `--repeat`) " #N" by its position, never the seed, which changes from run to run.
std::string case_name(const std::string& variant, const std::string& flavor, int ordinal) {
    return fmt::format("{} · {}{}", variant, flavor, ordinal > 1 ? fmt::format(" #{}", ordinal) : "");
}

std::vector<Suite> suites_of(const ReportInput& in) {
    struct Entry {
        int index;
        const JobResult* job;
        const PlannedJob* planned;
    };
    std::vector<Entry> entries;
    for (const auto& j : in.jobs) entries.push_back({j.index, &j, nullptr});
    for (const auto& p : in.summary.not_run) entries.push_back({p.index, nullptr, &p});
    std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.index < b.index; });

    std::vector<Suite> suites;
    for (const auto& e : entries) {
        const std::string& scenario = e.job ? e.job->scenario : e.planned->scenario;
        const std::string& path = e.job ? e.job->scenario_path : e.planned->scenario_path;
        Suite* suite = nullptr;
        for (auto& s : suites) {
            if (s.name == scenario && s.path == path) suite = &s;
        }
        if (!suite) suite = &suites.emplace_back(Suite{scenario, path, e.job ? e.job->target : e.planned->target, {}});
        const std::string& variant = e.job ? e.job->variant : e.planned->variant;
        const std::string& flavor = e.job ? e.job->flavor : e.planned->flavor;
        int ordinal = 1;
        for (const auto& c : suite->cases) {
            const std::string& v = c.job ? c.job->variant : c.planned->variant;
            const std::string& f = c.job ? c.job->flavor : c.planned->flavor;
            if (v == variant && f == flavor) ++ordinal;
        }
        suite->cases.push_back({e.job, e.planned, case_name(variant, flavor, ordinal)});
    }
    return suites;
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
    // A hang: each thread that was in the code under test, with its user frames (innermost first).
    std::string blocked;
    for (const auto& t : j.hang_stacks) {
        if (first_user_frame(t) == nullptr) continue;
        blocked += fmt::format("  - {}\n", hang_thread_title(t));
        for (const auto& f : t.frames) {
            if (f.user) blocked += fmt::format("      {}\n", frame_where(f, source_root));
        }
    }
    if (!blocked.empty()) text += "threads in the code under test at the timeout:\n" + blocked;
    return text;
}

std::string system_out(const JobResult& j, const ReportInput& in) {
    std::string text = fmt::format("seed: {}{}\n", j.seed, j.repeat > 0 ? fmt::format(" (repeat {})", j.repeat + 1) : "");
    text += fmt::format("replay: {}\n", j.replay);
    text += fmt::format("expected: {}\n", fmt::join(j.expected, ", "));
    text += fmt::format("outcome: {} — {}\n", info(outcome_of(j)).word, j.expectation_detail);
    text += caught_by(j, in.settings.source_root);
    if (const auto first = first_detection_text(j); !first.empty()) text += fmt::format("first detection: {}\n", first);
    if (const auto confirmed = confirmation_text(j); !confirmed.empty()) text += fmt::format("confirmation: {}\n", confirmed);
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

/// Where a job counts in JUnit's terms: ok and caught pass, MISSED and UNEXPECTED are failures,
/// ERROR an error.
enum class JunitResult { passed, failure, error };

JunitResult junit_result(const JobResult& j) {
    switch (outcome_of(j)) {
        case Outcome::ok:
        case Outcome::caught: return JunitResult::passed;
        case Outcome::missed:
        case Outcome::unexpected: return JunitResult::failure;
        case Outcome::error: return JunitResult::error;
    }
    return JunitResult::error;
}

std::string testcase(const Case& c, const ReportInput& in, const std::string& classname) {
    if (!c.job) {
        const PlannedJob& p = *c.planned;
        return fmt::format("    <testcase name=\"{}\" classname=\"{}\" time=\"0.000\">\n"
                           "      <skipped message=\"not run: the run was interrupted\"/>\n"
                           "      <system-out>{}</system-out>\n    </testcase>\n",
                           xml_escape(c.name, true), xml_escape(classname, true),
                           xml_escape(fmt::format("seed: {}{}\n", p.seed,
                                                  p.repeat > 0 ? fmt::format(" (repeat {})", p.repeat + 1) : "")));
    }
    const JobResult& j = *c.job;
    std::string xml = fmt::format("    <testcase name=\"{}\" classname=\"{}\" time=\"{}\">\n",
                                  xml_escape(c.name, true), xml_escape(classname, true), seconds(j.elapsed_seconds));
    switch (junit_result(j)) {
        case JunitResult::passed: break;
        case JunitResult::failure:
            xml += fmt::format("      <failure type=\"{}\" message=\"{}\">{}</failure>\n", info(outcome_of(j)).name,
                               xml_escape(j.expectation_detail, true),
                               xml_escape(j.expectation_detail + "\n" + caught_by(j, in.settings.source_root)));
            break;
        case JunitResult::error:
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
    const auto suites = suites_of(in);
    int tests = 0, failures = 0, errors = 0;
    struct Counts {
        int failures = 0, errors = 0, skipped = 0;
        double time = 0;
    };
    std::vector<Counts> counts;
    for (const Suite& s : suites) {
        Counts& n = counts.emplace_back();
        for (const Case& k : s.cases) {
            if (!k.job) {
                ++n.skipped;
                continue;
            }
            switch (junit_result(*k.job)) {
                case JunitResult::passed: break;
                case JunitResult::failure: ++n.failures; break;
                case JunitResult::error: ++n.errors; break;
            }
            n.time += k.job->elapsed_seconds;
        }
        tests += static_cast<int>(s.cases.size());
        failures += n.failures;
        errors += n.errors;
    }
    std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    // junit-10.xsd has no `skipped` on <testsuites>: each <testsuite> counts its own.
    xml += fmt::format("<testsuites name=\"threadmill\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{}\">\n", tests,
                       failures, errors, seconds(in.summary.elapsed_seconds));
    for (std::size_t i = 0; i < suites.size(); ++i) {
        const Suite& s = suites[i];
        const Counts& n = counts[i];
        std::vector<std::string> seeds, flavors;
        for (const Case& k : s.cases) {
            add_unique(seeds, std::to_string(k.job ? k.job->seed : k.planned->seed));
            add_unique(flavors, k.job ? k.job->flavor : k.planned->flavor);
        }
        xml += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" "
                           "time=\"{}\" timestamp=\"{}\" hostname=\"{}\" file=\"{}\">\n",
                           xml_escape(s.name, true), s.cases.size(), n.failures, n.errors, n.skipped, seconds(n.time),
                           xml_escape(c.start_time, true), xml_escape(c.host, true), xml_escape(s.path, true));
        xml += "    <properties>\n";
        property(xml, "target", s.target);
        property(xml, "seed", fmt::format("{}", fmt::join(seeds, ", ")));
        property(xml, "flavor", fmt::format("{}", fmt::join(flavors, ", ")));
        property(xml, "threadmill.version", c.tool_version);
        property(xml, "compiler", c.compiler);
        property(xml, "build_type", c.build_type);
        property(xml, "compiler_flags", c.compiler_flags);
        for (const auto& w : c.workers) {  // the builds of the code under test, one per worker executable
            property(xml, "worker",
                     fmt::format("{}{}: {}{}", w.flavor, w.variant_build.empty() ? "" : ", variant build " + w.variant_build,
                                 w.path,
                                 w.build ? fmt::format(" · {} · {} · {}", w.build->compiler, w.build->build_type,
                                                       w.build->compile_flags)
                                         : std::string()));
        }
        if (c.merged_from.empty()) {
            property(xml, "command_line", c.command_line);
        } else {  // the context's command line ran only the first of the merged runs
            property(xml, "merged_from", fmt::format("{}", fmt::join(c.merged_from, ", ")));
        }
        xml += "    </properties>\n";
        const std::string classname = s.target.empty() ? s.name : fmt::format("{}.{}", s.target, s.name);
        for (const Case& k : s.cases) xml += testcase(k, in, classname);
        xml += "  </testsuite>\n";
    }
    xml += "</testsuites>\n";
    return xml;
}

}  // namespace threadmill
