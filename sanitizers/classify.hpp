// Sanitizer parser internals: what kind of finding a report is, from the words of its headline and SUMMARY.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "model/finding.hpp"

namespace threadmill::sanitizers_detail {

/// The kind of a ThreadSanitizer warning from its type ("data race", "thread leak", ...), as the table's
/// names column says; unrecognized for a type it does not know.
FindingKind tsan_kind(std::string_view type);

/// The signal of "SEGV on unknown address ...": "SEGV"; nullopt when `rest` is not a deadly signal.
std::optional<std::string> deadly_signal_name(std::string_view rest);

/// AddressSanitizer's name for an error ("heap-use-after-free"): SUMMARY's first word when there is a SUMMARY,
/// else read from the headline's `rest`; "" when neither names one.
std::string asan_error_name(std::string_view rest, std::string_view summary);

/// The kind of an AddressSanitizer error name, as the table's names column says; other_memory_error for
/// names without a kind of their own.
FindingKind asan_kind(std::string_view name);

/// The UBSan check (its SUMMARY name, as with report_error_type=1) from the message of a runtime error;
/// "undefined-behavior" when the message is not recognized.
std::string ub_check_from_message(std::string_view msg);

}  // namespace threadmill::sanitizers_detail
