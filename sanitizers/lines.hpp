// Sanitizer parser internals: the lines of a log and the small text tests every part of the parser uses.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace threadmill::sanitizers_detail {

bool is_digit(char c);
bool is_hex(char c);
bool is_alpha(char c);
/// A letter, a digit or '_'.
bool is_alnum(char c);
/// Not empty, and only digits.
bool all_digits(std::string_view s);
/// The decimal number `s` starts with; 0 when there is none.
int to_int(std::string_view s);

/// Length of the "==1234==" prefix runtimes put before their own lines, 0 when there is none.
std::size_t pid_prefix_size(std::string_view s);
/// `s` without its "==1234==" prefix.
std::string_view strip_pid(std::string_view s);

/// A run of at least ten '=' (after trimming), as TSan and ASan print around their reports.
bool is_separator(std::string_view s);
/// "AddressSanitizer:DEADLYSIGNAL", printed before a deadly-signal report.
bool is_deadly_banner(std::string_view s);
/// The leading "XxxSanitizer" word of `s`, or "".
std::string_view sanitizer_word(std::string_view s);
/// A kebab-case error name such as "heap-use-after-free": lower case letters, digits and at least one '-'.
bool is_error_name(std::string_view s);

/// One line of a log.
struct Line {
    std::string_view text;  ///< without the line break (and a CR before it)
    std::size_t begin = 0;  ///< offset of the line in the whole text
    std::size_t end = 0;    ///< offset after the line break, or the text's size for a last line without one
};

/// The lines of `text`, in order; a last line without a line break is kept.
std::vector<Line> split_lines(std::string_view text);

}  // namespace threadmill::sanitizers_detail
