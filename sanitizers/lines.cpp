// Sanitizer parser internals: the lines of a log and the small text tests every part of the parser uses.
#include "sanitizers/lines.hpp"

#include <algorithm>
#include <charconv>

#include "model/text.hpp"

namespace threadmill::sanitizers_detail {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) { return is_alpha(c) || is_digit(c) || c == '_'; }

bool all_digits(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_digit); }

int to_int(std::string_view s) {
    int v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
}

std::size_t pid_prefix_size(std::string_view s) {
    if (!s.starts_with("==")) return 0;
    std::size_t i = 2;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == 2 || s.substr(i, 2) != "==") return 0;
    return i + 2;
}

std::string_view strip_pid(std::string_view s) { return s.substr(pid_prefix_size(s)); }

bool is_separator(std::string_view s) {
    s = trim(s);
    return s.size() >= 10 && std::all_of(s.begin(), s.end(), [](char c) { return c == '='; });
}

bool is_deadly_banner(std::string_view s) { return trim(s).ends_with("Sanitizer:DEADLYSIGNAL"); }

std::string_view sanitizer_word(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size() && is_alpha(s[i])) ++i;
    const auto word = s.substr(0, i);
    return word.ends_with("Sanitizer") ? word : std::string_view{};
}

bool is_error_name(std::string_view s) {
    return !s.empty() && contains(s, "-") &&
           std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-'; });
}

std::vector<Line> split_lines(std::string_view text) {
    std::vector<Line> lines;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto nl = text.find('\n', pos);
        const auto stop = nl == std::string_view::npos ? text.size() : nl;
        auto t = text.substr(pos, stop - pos);
        if (!t.empty() && t.back() == '\r') t.remove_suffix(1);
        lines.push_back({t, pos, nl == std::string_view::npos ? text.size() : nl + 1});
        pos = stop + 1;
    }
    return lines;
}

}  // namespace threadmill::sanitizers_detail
