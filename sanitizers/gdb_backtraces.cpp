// The gdb backtrace parser: thread headers and frame lines of `thread apply all bt`, with user frames marked.
#include "sanitizers/gdb_backtraces.hpp"

#include <cstddef>
#include <optional>
#include <string>

#include "model/text.hpp"
#include "sanitizers/frames.hpp"
#include "sanitizers/lines.hpp"

namespace threadmill {
namespace {

using namespace sanitizers_detail;

// "Thread 2 (Thread 0x7f845401d6c0 (LWP 5718) "worker"):", "Thread 1 (LWP 41 "x"):", "Thread 1 (process 7):".
std::optional<HangThread> parse_thread_header(std::string_view line) {
    constexpr std::string_view k_thread = "Thread ";
    if (!line.starts_with(k_thread) || !line.ends_with("):")) return std::nullopt;
    auto rest = line.substr(k_thread.size());
    std::size_t p = 0;
    while (p < rest.size() && is_digit(rest[p])) ++p;
    if (p == 0 || rest.substr(p, 2) != " (") return std::nullopt;
    HangThread t;
    t.thread = to_int(rest.substr(0, p));
    const auto inside = rest.substr(p + 2, rest.size() - p - 4);
    if (const auto lwp = inside.find("LWP "); lwp != std::string_view::npos) {
        const auto digits = inside.substr(lwp + 4);
        std::size_t n = 0;
        while (n < digits.size() && is_digit(digits[n])) ++n;
        if (n > 0) t.lwp = to_int(digits.substr(0, n));
    }
    if (inside.ends_with('"') && inside.size() >= 2) {
        if (const auto open = inside.rfind('"', inside.size() - 2); open != std::string_view::npos)
            t.name = std::string(inside.substr(open + 1, inside.size() - open - 2));
    }
    return t;
}

// Where the argument list " (...)" of a frame starts: the first " (" outside the function name's own brackets
// ("std::thread::_M_start_thread(std::unique_ptr<...>, void (*)()) ()", "operator() (__closure=...)").
std::size_t args_start(std::string_view s) {
    int depth = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '(' || c == '{' || c == '[') {
            if (depth == 0 && c == '(' && i > 0 && s[i - 1] == ' ') return i - 1;
            ++depth;
        } else if ((c == ')' || c == '}' || c == ']') && depth > 0) {
            --depth;
        }
    }
    return std::string_view::npos;
}

// The position after the ')' closing the '(' at `open`, skipping quoted strings; the text's size when unclosed.
std::size_t args_end(std::string_view s, std::size_t open) {
    int depth = 0;
    for (std::size_t i = open; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '"' || c == '\'') {
            for (++i; i < s.size() && s[i] != c; ++i) {
                if (s[i] == '\\') ++i;
            }
        } else if (c == '(') {
            ++depth;
        } else if (c == ')' && --depth == 0) {
            return i + 1;
        }
    }
    return s.size();
}

// "#5  0x000055956eda42b1 in Cache::get (this=0x7ffc) at dl.cpp:8", "#6  Cache::get (this=...) at dl.cpp:8",
// "#4  0x00007f84542d4517 in std::thread::join() () from /lib/x86_64-linux-gnu/libstdc++.so.6".
std::optional<Frame> parse_gdb_frame(std::string_view line) {
    if (line.size() < 2 || line[0] != '#' || !is_digit(line[1])) return std::nullopt;
    std::size_t p = 1;
    while (p < line.size() && is_digit(line[p])) ++p;
    if (p < line.size() && line[p] != ' ') return std::nullopt;
    Frame f;
    f.index = to_int(line.substr(1, p - 1));
    auto rest = trim(line.substr(p));
    if (rest.starts_with("0x")) {
        const auto in = rest.find(" in ");
        if (in == std::string_view::npos) {
            f.address = std::string(rest.substr(0, rest.find(' ')));
            return f;  // "#3  0x0000000000000000 in ?? ()" cut short, or an address alone
        }
        f.address = std::string(rest.substr(0, in));
        rest = trim(rest.substr(in + 4));
    }
    const auto open = args_start(rest);
    if (open == std::string_view::npos) {
        f.function = std::string(rest);  // "<signal handler called>"
    } else {
        f.function = std::string(rest.substr(0, open));
        auto tail = trim(rest.substr(args_end(rest, open + 1)));
        if (tail.starts_with("at ")) {
            parse_location(trim(tail.substr(3)), f);
        } else if (tail.starts_with("from ")) {
            f.module = std::string(trim(tail.substr(5)));
        }
    }
    if (f.function == "??") f.function.clear();
    return f;
}

}  // namespace

std::vector<HangThread> parse_gdb_backtraces(std::string_view text, const FrameFilter& filter) {
    std::vector<HangThread> threads;
    for (const auto& l : split_lines(text)) {
        const auto line = trim(l.text);
        if (auto header = parse_thread_header(line)) {
            threads.push_back(std::move(*header));
            continue;
        }
        if (threads.empty()) continue;
        if (auto frame = parse_gdb_frame(line)) {
            frame->user = filter.is_user(*frame);
            threads.back().frames.push_back(std::move(*frame));
        }
    }
    return threads;
}

}  // namespace threadmill
