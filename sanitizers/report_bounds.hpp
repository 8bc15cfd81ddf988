// Sanitizer parser internals: where a report starts, which family it is of, and where it ends.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "sanitizers/lines.hpp"

namespace threadmill::sanitizers_detail {

/// How a report is laid out, which decides where it ends.
enum class Family {
    warning,  ///< "WARNING: ThreadSanitizer: ..." (and MemorySanitizer): ends at the separator after SUMMARY
    error,    ///< "==pid==ERROR: XxxSanitizer: ...": ends after SUMMARY and the shadow dump
    ubsan,    ///< "file:line:col: runtime error: ...": ends after its stack or SUMMARY
    fatal,    ///< CHECK failures, FATAL: lines, a runtime's own fatal error: runs to the next report
};

/// The headline of a report.
struct Start {
    Family family = Family::error;
    std::string_view tool;  ///< "ThreadSanitizer", ...
    std::string_view rest;  ///< what follows "Tool: " (for UBSan, the whole line)
};

/// The report a log line starts, or nullopt when it starts none (notes such as "WARNING: AddressSanitizer
/// failed to allocate ..." start none).
std::optional<Start> report_start(std::string_view raw);

/// Where a report ends.
struct Extent {
    std::size_t end = 0;       ///< one past the report's last line
    bool saw_summary = false;  ///< its SUMMARY line was there (else it was cut short, or has none)
};

/// Where the report whose headline is lines[head] ends: never before head + 1, never past the next report's
/// headline (and the separator or DEADLYSIGNAL lines just above it).
Extent find_end(const std::vector<Line>& lines, std::size_t head, const Start& start);

}  // namespace threadmill::sanitizers_detail
