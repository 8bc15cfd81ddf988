// Sanitizer parser: where a report starts, which family it is of, and where it ends.
#include "sanitizers/report_bounds.hpp"

#include <algorithm>
#include <utility>

#include "model/text.hpp"
#include "sanitizers/frames.hpp"

namespace threadmill::sanitizers_detail {
namespace {

// A line of UBSan's memory dump under "note: pointer points here", or the line it prints instead
// when the address cannot be read.
bool is_dump_line(std::string_view s) {
    if (trim(s) == "<memory cannot be printed>") return true;
    if (s.empty() || s[0] != ' ') return false;
    s = trim(s);
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return is_hex(c) || c == ' ' || c == '^' || c == '~' || c == '.' || c == '|';
    });
}

}  // namespace

std::optional<Start> report_start(std::string_view raw) {
    const auto line = strip_pid(trim(raw));
    for (const auto& [prefix, family] : {std::pair<std::string_view, Family>{"WARNING: ", Family::warning},
                                         std::pair<std::string_view, Family>{"ERROR: ", Family::error},
                                         std::pair<std::string_view, Family>{"FATAL: ", Family::fatal}}) {
        if (!line.starts_with(prefix)) continue;
        const auto after = line.substr(prefix.size());
        const auto tool = sanitizer_word(after);
        if (tool.empty()) return std::nullopt;
        auto rest = after.substr(tool.size());
        // Notes such as "WARNING: AddressSanitizer failed to allocate ..." are not reports.
        if (family == Family::warning && !rest.starts_with(": ")) return std::nullopt;
        rest = rest.starts_with(':') ? trim(rest.substr(1)) : trim(rest);
        return Start{family, tool, rest};
    }
    if (contains(line, ": runtime error: ")) return Start{Family::ubsan, "UndefinedBehaviorSanitizer", line};
    // "AddressSanitizer CHECK failed: ...", "LeakSanitizer has encountered a fatal error." (LSan could not
    // run, so leaks went unchecked).
    for (const std::string_view what : {"CHECK failed", "has encountered a fatal error"}) {
        if (const auto at = line.find(what); at != std::string_view::npos) {
            const auto tool = sanitizer_word(line);
            if (!tool.empty()) return Start{Family::fatal, tool, line.substr(at)};
        }
    }
    return std::nullopt;
}

Extent find_end(const std::vector<Line>& lines, std::size_t head, const Start& start) {
    const auto headline = trim(lines[head].text);
    const auto pid = headline.substr(0, pid_prefix_size(headline));
    Extent ext{lines.size(), false};
    bool tail = false;             // after SUMMARY
    bool shadow = false;           // inside ASan's shadow-memory dump
    bool separator_ok = true;      // TSan closes with one separator after SUMMARY
    std::size_t last_kept = head;  // UBSan: trailing blank lines are not part of the report
    for (std::size_t j = head + 1; j < lines.size(); ++j) {
        const auto text = lines[j].text;
        if (report_start(text)) {
            ext.end = j;
            // The separator and DEADLYSIGNAL lines just above a headline belong to that report.
            while (ext.end > head + 1 &&
                   (is_separator(lines[ext.end - 1].text) || is_deadly_banner(lines[ext.end - 1].text)))
                --ext.end;
            if (start.family == Family::ubsan) ext.end = std::min(ext.end, last_kept + 1);
            return ext;
        }
        const auto t = trim(text);
        if (start.family == Family::ubsan) {
            if (t.starts_with("SUMMARY: ")) {
                ext.saw_summary = true;
                ext.end = j + 1;
                return ext;
            }
            if (t.empty()) continue;
            if (parse_frame(text) || contains(t, ": note: ") || is_dump_line(text)) {
                last_kept = j;
                continue;
            }
            ext.end = last_kept + 1;
            return ext;
        }
        if (!tail) {
            if (t.starts_with("SUMMARY: ")) {
                ext.saw_summary = true;
                tail = true;
                ext.end = j + 1;
            }
            continue;
        }
        // After SUMMARY: the closing separator (TSan), the shadow dump and the runtime's own lines (ASan).
        if (start.family == Family::warning && separator_ok && is_separator(text)) {
            ext.end = j + 1;
            return ext;
        }
        separator_ok = false;
        if (t.starts_with("Shadow bytes around") || t.starts_with("Shadow byte legend")) {
            shadow = true;
        } else if (shadow && !t.empty() && (text.starts_with(' ') || text.starts_with("=>"))) {
        } else if (!pid.empty() && text.starts_with(pid)) {
            shadow = false;
        } else {
            return ext;
        }
        ext.end = j + 1;
    }
    if (start.family == Family::ubsan) ext.end = last_kept + 1;
    return ext;
}

}  // namespace threadmill::sanitizers_detail
