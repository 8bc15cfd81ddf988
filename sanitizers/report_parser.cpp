// Sanitizer report parser: splits TSan/ASan/LSan/UBSan output into findings, and their JSON form.
#include "sanitizers/parser.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "model/text.hpp"

namespace threadmill {

namespace {

// clang-format off

// Where sanitizer runtimes live: their sources (gcc's libsanitizer, LLVM's compiler-rt), their shared
// objects, and the files of their interceptors when symbolized without a directory.
constexpr std::string_view k_runtime_paths[] = {
    "compiler-rt/lib/", "libsanitizer/", "sanitizer_common/", "/asan/",      "/tsan/",     "/ubsan/", "/lsan/",
    "libclang_rt.",     "libasan.so",    "libtsan.so",        "libubsan.so", "liblsan.so", "libhwasan.so"};
constexpr std::string_view k_runtime_file_prefixes[] = {"tsan_", "asan_", "ubsan_", "lsan_", "sanitizer_",
                                                        "interception_"};
constexpr std::string_view k_runtime_function_prefixes[] = {
    "__tsan", "__asan", "__ubsan", "__lsan", "__sanitizer", "__interceptor_", "___interceptor_", "__msan", "__hwasan"};
// Functions the runtimes intercept: a frame of one of these without a source file is the interceptor
// (clang links its runtimes into the binary, so the module does not give them away).
constexpr std::string_view k_intercepted[] = {
    "malloc", "free", "calloc", "realloc", "reallocarray", "posix_memalign", "memalign", "aligned_alloc", "valloc",
    "pvalloc", "operator new", "operator new[]", "operator delete", "operator delete[]", "memcpy", "memmove", "memset",
    "memcmp", "strlen", "strcpy", "strncpy", "strcmp", "strdup", "raise", "kill", "signal", "sigaction", "usleep",
    "nanosleep", "sleep", "read", "write", "close", "fork", "puts", "printf"};
constexpr std::string_view k_intercepted_prefixes[] = {"pthread_", "sem_", "__cxa_"};
// libc's process and thread start-up: never the code under test.
constexpr std::string_view k_libc_startup[] = {"_start", "__libc_start_main", "__libc_start_main_impl",
                                               "__libc_start_call_main", "start_thread", "clone", "clone3",
                                               "__clone"};
// clang-format on
constexpr std::string_view k_libc_paths[] = {"sysdeps/", "csu/", "libc-start.c"};

constexpr std::size_t k_fingerprint_frames = 3;

// --- text ------------------------------------------------------------------------------------

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

// Length of the "==1234==" prefix runtimes put before their own lines, 0 when there is none.
std::size_t pid_prefix_size(std::string_view s) {
    if (!s.starts_with("==")) return 0;
    std::size_t i = 2;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == 2 || s.substr(i, 2) != "==") return 0;
    return i + 2;
}

std::string_view strip_pid(std::string_view s) { return s.substr(pid_prefix_size(s)); }

// A run of '=' that TSan and ASan print around their reports.
bool is_separator(std::string_view s) {
    s = trim(s);
    return s.size() >= 10 && std::all_of(s.begin(), s.end(), [](char c) { return c == '='; });
}

// "AddressSanitizer:DEADLYSIGNAL", printed before a deadly-signal report.
bool is_deadly_banner(std::string_view s) { return trim(s).ends_with("Sanitizer:DEADLYSIGNAL"); }

// The leading "XxxSanitizer" word of s, or "".
std::string_view sanitizer_word(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size() && is_alpha(s[i])) ++i;
    const auto word = s.substr(0, i);
    return word.ends_with("Sanitizer") ? word : std::string_view{};
}

// A kebab-case error name such as "heap-use-after-free".
bool is_error_name(std::string_view s) {
    return !s.empty() && contains(s, "-") &&
           std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-'; });
}

struct Line {
    std::string_view text;  // without the line break
    std::size_t begin = 0;  // offsets into the whole text
    std::size_t end = 0;    // after the line break, when there is one
};

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

std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL;
    }
    return h;
}

// Addresses and numbers replaced by '#', so that text compares across runs.
std::string mask_numbers(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        if (s[i] == '0' && i + 1 < s.size() && s[i + 1] == 'x') {
            i += 2;
            while (i < s.size() && is_hex(s[i])) ++i;
            out += '#';
        } else if (is_digit(s[i])) {
            while (i < s.size() && is_digit(s[i])) ++i;
            out += '#';
        } else {
            out += s[i++];
        }
    }
    return out;
}

// "/usr/bin/../lib/gcc/../../include/c++/12/mutex" -> "/usr/include/c++/12/mutex" (lexically).
std::string normalize_path(std::string_view path) {
    std::vector<std::string_view> parts;
    const bool absolute = path.starts_with('/');
    std::size_t pos = 0;
    while (pos <= path.size()) {
        const auto slash = std::min(path.find('/', pos), path.size());
        const auto part = path.substr(pos, slash - pos);
        if (part == "..") {
            if (!parts.empty() && parts.back() != "..") {
                parts.pop_back();
            } else if (!absolute) {
                parts.push_back(part);
            }
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        pos = slash + 1;
    }
    std::string out = absolute ? "/" : "";
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i > 0) out += '/';
        out += parts[i];
    }
    return out;
}

std::string_view basename_of(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// --- frames ----------------------------------------------------------------------------------

// "libc.so.6+0x29d90", "/path/binary+0x1234", "<unknown module>".
bool looks_like_module(std::string_view s) {
    if (s == "<unknown module>") return true;
    const auto plus = s.rfind("+0x");
    if (plus == std::string_view::npos || plus == 0) return false;
    const auto off = s.substr(plus + 3);
    return !off.empty() && std::all_of(off.begin(), off.end(), is_hex);
}

// Splits "path:line:col", "path:line" or "path" into the frame.
void parse_location(std::string_view loc, Frame& f) {
    if (loc.empty() || loc == "<null>" || loc == "<unknown>") return;
    std::array<std::string_view, 2> numbers{};
    int found = 0;
    while (found < 2) {
        const auto colon = loc.rfind(':');
        if (colon == std::string_view::npos || !all_digits(loc.substr(colon + 1))) break;
        numbers[found++] = loc.substr(colon + 1);
        loc = loc.substr(0, colon);
    }
    f.file = std::string(loc);
    if (found == 1) f.line = to_int(numbers[0]);
    if (found == 2) {
        f.line = to_int(numbers[1]);
        f.column = to_int(numbers[0]);
    }
}

// The last token of an ASan-style frame is a source location ("/path/f.cpp:12:5", "../f.c:3").
bool looks_like_location(std::string_view tok) {
    if (tok.empty() || contains(tok, "(") || contains(tok, ")") || contains(tok, "<") || contains(tok, ">"))
        return false;
    const auto colon = tok.rfind(':');
    if (colon != std::string_view::npos && colon > 0 && all_digits(tok.substr(colon + 1))) return true;
    return tok.starts_with('/') || tok.starts_with("./") || tok.starts_with("../");
}

// "    #0 0x55d0c1 in function_name(args) /path/file.cpp:12:5 (binary+0x1234) (BuildId: ...)" (ASan, LSan,
// UBSan) or "    #0 function_name(args) /path/file.cpp:12:5 (binary+0x1234)" (TSan, no address, no "in").
std::optional<Frame> parse_frame(std::string_view line) {
    auto s = trim(line);
    if (s.size() < 2 || s[0] != '#' || !is_digit(s[1])) return std::nullopt;
    std::size_t p = 1;
    while (p < s.size() && is_digit(s[p])) ++p;
    if (p < s.size() && s[p] != ' ' && s[p] != '\t') return std::nullopt;
    Frame f;
    f.index = to_int(s.substr(1, p - 1));
    auto rest = trim(s.substr(p));

    if (rest.ends_with(')')) {
        if (const auto b = rest.rfind(" (BuildId: "); b != std::string_view::npos) rest = trim(rest.substr(0, b));
    }
    bool address_style = false;
    if (rest.starts_with("0x")) {
        const auto sp = rest.find(' ');
        f.address = std::string(rest.substr(0, sp));
        rest = sp == std::string_view::npos ? std::string_view{} : trim(rest.substr(sp));
        address_style = true;
    }
    bool has_module = false;
    if (rest.ends_with(')')) {
        const auto open = rest.rfind('(');
        if (open != std::string_view::npos && (open == 0 || rest[open - 1] == ' ')) {
            const auto inner = rest.substr(open + 1, rest.size() - open - 2);
            if (looks_like_module(inner)) {
                f.module = std::string(inner);
                rest = trim(rest.substr(0, open));
                has_module = true;
            }
        }
    }
    if (address_style) {
        if (rest.starts_with("in ")) rest = trim(rest.substr(3));
        if (!has_module) {
            if (const auto sp = rest.rfind(' ');
                sp != std::string_view::npos && looks_like_location(rest.substr(sp + 1))) {
                parse_location(rest.substr(sp + 1), f);
                rest = trim(rest.substr(0, sp));
            }
        }
        f.function = std::string(rest);
    } else if (const auto sp = rest.rfind(' '); sp != std::string_view::npos) {
        parse_location(rest.substr(sp + 1), f);
        f.function = std::string(trim(rest.substr(0, sp)));
    } else {
        f.function = std::string(rest);
    }
    if (f.function == "<null>") f.function.clear();
    return f;
}

// "std::foo<int>::bar(int) const [clone .cold]" -> "bar": the name without scope, template arguments,
// parameters or clone suffix. gcc's own symbolizer prints inlined functions this way ("operator()" where
// clang prints "main::$_0::operator()() const"), so fingerprints compare the bare names.
std::string bare_function_name(std::string_view fn) {
    fn = trim(fn);
    if (const auto plus = fn.rfind("+0x"); plus != std::string_view::npos && plus > 0) fn = fn.substr(0, plus);
    while (fn.ends_with(']')) {
        const auto open = fn.rfind(" [clone ");
        if (open == std::string_view::npos) break;
        fn = trim(fn.substr(0, open));
    }
    for (bool changed = true; changed;) {
        changed = false;
        for (const std::string_view q : {" const", " volatile", " &&", " &", "&&", "&"}) {
            if (fn.ends_with(q)) {
                fn = trim(fn.substr(0, fn.size() - q.size()));
                changed = true;
            }
        }
    }
    // Strips one balanced (open..close) group at the end.
    const auto strip_group = [&](char open, char close) {
        if (!fn.ends_with(close)) return false;
        int depth = 0;
        for (std::size_t i = fn.size(); i-- > 0;) {
            if (fn[i] == close) ++depth;
            if (fn[i] == open && --depth == 0) {
                // "operator()" is a name, not a parameter list.
                if (i == 0 || fn.substr(0, i).ends_with("operator")) return false;
                fn = fn.substr(0, i);
                return true;
            }
        }
        return false;
    };
    strip_group('(', ')');
    if (!fn.ends_with("operator>") && !fn.ends_with("operator>>") && !fn.ends_with("operator->") &&
        !fn.ends_with("operator>=")) {
        strip_group('<', '>');
    }
    // The last "::" outside brackets starts the unqualified name.
    int depth = 0;
    std::size_t start = 0;
    for (std::size_t i = 0; i + 1 < fn.size(); ++i) {
        const char c = fn[i];
        if (c == '(' || c == '<' || c == '{' || c == '[') ++depth;
        if (c == ')' || c == '>' || c == '}' || c == ']') --depth;
        if (depth == 0 && c == ':' && fn[i + 1] == ':') start = i + 2;
    }
    auto name = fn.substr(start);
    // A return type ("void std::__invoke_impl<...>") precedes the name; "operator new" keeps its space.
    if (const auto op = name.find("operator"); op != std::string_view::npos) {
        name = name.substr(op);
    } else if (const auto sp = name.rfind(' '); sp != std::string_view::npos) {
        name = name.substr(sp + 1);
    }
    return std::string(trim(name));
}

// A frame of a sanitizer runtime or one of its interceptors.
bool is_runtime_frame(const Frame& f) {
    const auto normal = normalize_path(f.file);
    for (const auto p : k_runtime_paths) {
        if (contains(f.file, p) || contains(normal, p) || contains(f.module, p)) return true;
    }
    // A runtime object named without its directory ("tsan_interceptors_posix.cpp.o"); a user file named
    // asan_queue.cpp has a directory.
    if (!contains(f.file, "/")) {
        for (const auto p : k_runtime_file_prefixes) {
            if (f.file.starts_with(p)) return true;
        }
    }
    for (const auto p : k_runtime_function_prefixes) {
        if (f.function.starts_with(p)) return true;
    }
    if (f.file.empty()) {
        const auto name = bare_function_name(f.function);
        if (std::find(std::begin(k_intercepted), std::end(k_intercepted), name) != std::end(k_intercepted)) return true;
        for (const auto p : k_intercepted_prefixes) {
            if (name.starts_with(p)) return true;
        }
    }
    return false;
}

bool is_libc_startup(const Frame& f) {
    if (std::find(std::begin(k_libc_startup), std::end(k_libc_startup), f.function) != std::end(k_libc_startup))
        return true;
    for (const auto p : k_libc_paths) {
        if (f.file.starts_with(p) || contains(f.file, std::string("/") + std::string(p))) return true;
    }
    return false;
}

// --- report boundaries -----------------------------------------------------------------------

enum class Family {
    warning,  // "WARNING: ThreadSanitizer: ..." (and MemorySanitizer): ends at the separator after SUMMARY
    error,    // "==pid==ERROR: XxxSanitizer: ...": ends after SUMMARY and the shadow dump
    ubsan,    // "file:line:col: runtime error: ...": ends after its stack or SUMMARY
    fatal,    // CHECK failures, FATAL: lines, a runtime's own fatal error: runs to the next report
};

struct Start {
    Family family = Family::error;
    std::string_view tool;
    std::string_view rest;  // after "Tool: "
};

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

// A line of UBSan's memory dump under "note: pointer points here".
bool is_dump_line(std::string_view s) {
    if (s.empty() || s[0] != ' ') return false;
    s = trim(s);
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return is_hex(c) || c == ' ' || c == '^' || c == '~' || c == '.' || c == '|';
    });
}

struct Extent {
    std::size_t end = 0;  // one past the report's last line
    bool saw_summary = false;
};

// Where the report whose headline is lines[head] ends.
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

// --- classification --------------------------------------------------------------------------

struct Kind {
    FindingKind kind = FindingKind::unrecognized;
    std::string kind_name = "unrecognized";
    std::string check;
};

Kind classify_tsan(std::string_view type) {
    const std::string t(type);
    const auto is = [&](std::string_view prefix) { return type.starts_with(prefix); };
    if (is("data race") || is("heap-use-after-free") || is("race on")) return {FindingKind::data_race, "data-race", t};
    if (is("lock-order-inversion")) return {FindingKind::lock_order_inversion, "lock-order-inversion", t};
    if (is("thread leak")) return {FindingKind::thread_leak, "thread-leak", t};
    if (is("signal-unsafe call") || is("signal handler spoils errno"))
        return {FindingKind::signal_unsafe_call, "signal-unsafe-call", t};
    if (contains(type, "mutex")) return {FindingKind::mutex_misuse, "mutex-misuse", t};
    return {};
}

// "SEGV on unknown address ..." -> "SEGV".
std::optional<std::string> deadly_signal_name(std::string_view rest) {
    const auto on = rest.find(" on unknown address");
    if (on == std::string_view::npos || on == 0) return std::nullopt;
    const auto sig = rest.substr(0, on);
    if (!std::all_of(sig.begin(), sig.end(), [](char c) { return (c >= 'A' && c <= 'Z') || c == ' '; }))
        return std::nullopt;
    return std::string(sig);
}

// ASan's name for an error: SUMMARY's first word when there is a SUMMARY, else read from the headline.
std::string asan_error_name(std::string_view rest, std::string_view summary) {
    if (const auto colon = summary.find(": "); colon != std::string_view::npos) {
        auto word = summary.substr(colon + 2);
        word = word.substr(0, word.find(' '));
        if (is_error_name(word)) return std::string(word);
    }
    static constexpr std::pair<std::string_view, std::string_view> k_phrases[] = {
        {"attempting double-free", "double-free"},
        {"attempting free on address which was not malloc", "bad-free"},
        {"requested allocation size", "allocation-size-too-big"},
        {"calloc parameters overflow", "calloc-overflow"},
        {"allocator is out of memory", "out-of-memory"},
        {"stack-overflow", "stack-overflow"},
    };
    for (const auto& [phrase, name] : k_phrases) {
        if (rest.starts_with(phrase)) return std::string(name);
    }
    auto word = rest.substr(0, rest.find_first_of(" :"));
    return is_error_name(word) ? std::string(word) : std::string{};
}

FindingKind asan_kind(std::string_view name) {
    if (name == "heap-use-after-free") return FindingKind::heap_use_after_free;
    if (name == "double-free") return FindingKind::double_free;
    if (name == "heap-buffer-overflow") return FindingKind::heap_buffer_overflow;
    if (name == "stack-buffer-overflow") return FindingKind::stack_buffer_overflow;
    if (name == "global-buffer-overflow") return FindingKind::global_buffer_overflow;
    if (name == "stack-use-after-return") return FindingKind::stack_use_after_return;
    if (name == "stack-use-after-scope") return FindingKind::stack_use_after_scope;
    if (name == "bad-free" || name == "alloc-dealloc-mismatch" || name == "new-delete-type-mismatch")
        return FindingKind::bad_free;
    return FindingKind::other_memory_error;
}

// The UBSan check (its SUMMARY name, as with report_error_type=1) from the message of a runtime error,
// for runtimes that print no SUMMARY or only "undefined-behavior".
std::string ub_check_from_message(std::string_view msg) {
    const auto has = [&](std::string_view s) { return contains(msg, s); };
    const auto starts = [&](std::string_view s) { return msg.starts_with(s); };
    if (starts("signed integer overflow")) return "signed-integer-overflow";
    if (starts("unsigned integer overflow")) return "unsigned-integer-overflow";
    if (starts("negation of")) return has("type 'unsigned") ? "unsigned-integer-overflow" : "signed-integer-overflow";
    if (starts("division of") && has("by -1")) return "signed-integer-overflow";
    if (starts("division by zero")) return "integer-divide-by-zero";
    if (starts("shift exponent")) return "invalid-shift-exponent";
    if (starts("left shift of")) return "invalid-shift-base";
    if (starts("index ") && has("out of bounds")) return "out-of-bounds-index";
    if (starts("load of value")) return has("bool'") ? "invalid-bool-load" : "invalid-enum-load";
    if (has("misaligned address")) return "misaligned-pointer-use";
    if (has("null pointer passed as argument")) return "invalid-null-argument";
    if (has("null pointer returned from function")) return "invalid-null-return";
    if (starts("applying non-zero offset to non-null pointer")) return "nullptr-after-nonzero-offset";
    if (starts("applying non-zero offset")) return "nullptr-with-nonzero-offset";
    if (starts("applying zero offset")) return "nullptr-with-offset";
    if (has("null pointer")) return "null-pointer-use";
    if (has("with insufficient space for an object")) return "insufficient-object-size";
    if (has("which does not point to an object of type")) return "dynamic-type-mismatch";
    if (starts("pointer index expression") || starts("addition of unsigned offset") ||
        starts("subtraction of unsigned offset"))
        return "pointer-overflow";
    if (starts("execution reached an unreachable program point")) return "unreachable-call";
    if (starts("execution reached the end of a value-returning function")) return "missing-return";
    if (starts("variable length array bound")) return "non-positive-vla-index";
    if (has("is outside the range of representable values")) return "float-cast-overflow";
    if (starts("call to function") && has("through pointer to incorrect function type"))
        return "function-type-mismatch";
    if (starts("implicit conversion")) return "implicit-conversion";
    if (starts("passing zero to")) return "invalid-builtin-use";
    if (starts("assumption of")) return "alignment-assumption";
    if (starts("control flow integrity check")) return "cfi-bad-type";
    return "undefined-behavior";
}

// --- report body -----------------------------------------------------------------------------

// "Read of size 4 at 0x... by thread T2 (mutexes: write M0):" (TSan) or
// "READ of size 4 at 0x... thread T1 (worker)" (ASan).
std::optional<Access> parse_access_line(std::string_view line) {
    auto s = trim(line);
    const auto of_size = s.find(" of size ");
    if (of_size == std::string_view::npos) return std::nullopt;
    Access a;
    std::string head = to_lower(s.substr(0, of_size));
    if (head.starts_with("previous ")) head.erase(0, 9);
    if (head.starts_with("atomic ")) {
        a.atomic = true;
        head.erase(0, 7);
    }
    if (head != "read" && head != "write") return std::nullopt;
    a.kind = head;
    auto rest = s.substr(of_size + 9);
    const auto num_end = rest.find(' ');
    if (!all_digits(rest.substr(0, num_end))) return std::nullopt;
    a.size = to_int(rest.substr(0, num_end));
    if (const auto by = rest.find(" by "); by != std::string_view::npos) {  // TSan
        auto who = rest.substr(by + 4);
        if (who.starts_with("main thread")) {
            a.thread = "main thread";
        } else if (who.starts_with("thread ")) {
            who = who.substr(7);
            a.thread = std::string(who.substr(0, who.find_first_of(" :")));
        }
        if (const auto m = rest.find("(mutexes: "); m != std::string_view::npos) {
            auto list = rest.substr(m + 10);
            list = list.substr(0, list.find(')'));
            for (std::size_t pos = 0; pos < list.size();) {
                const auto comma = std::min(list.find(',', pos), list.size());
                auto item = trim(list.substr(pos, comma - pos));
                if (const auto sp = item.rfind(' '); sp != std::string_view::npos) item = item.substr(sp + 1);
                if (!item.empty()) a.mutexes.emplace_back(item);
                pos = comma + 1;
            }
        }
    } else if (const auto th = rest.find(" thread "); th != std::string_view::npos) {  // ASan
        auto who = trim(rest.substr(th + 8));
        a.thread = std::string(who.substr(0, who.find(' ')));
        if (const auto open = who.find(" ("); open != std::string_view::npos && who.ends_with(')'))
            a.thread_name = std::string(who.substr(open + 2, who.size() - open - 3));
    }
    return a;
}

// The thread named by "Thread T2 'reader' (tid=...) created by ..." (TSan) or "Thread T2 (reader) created
// by T0 here:" (ASan): {"T2", "reader"}.
std::optional<std::pair<std::string, std::string>> thread_title(std::string_view title) {
    if (!title.starts_with("Thread T")) return std::nullopt;
    auto rest = title.substr(7);
    std::size_t i = 1;
    while (i < rest.size() && is_digit(rest[i])) ++i;
    std::pair<std::string, std::string> out{std::string(rest.substr(0, i)), {}};
    rest = rest.substr(i);
    if (rest.starts_with(" '")) {
        const auto close = rest.find("' ", 2);
        if (close != std::string_view::npos) out.second = std::string(rest.substr(2, close - 2));
    } else if (rest.starts_with(" (") && !rest.starts_with(" (tid=")) {
        const auto close = rest.find(") created");
        if (close != std::string_view::npos) out.second = std::string(rest.substr(2, close - 2));
    }
    return out;
}

bool is_creation_block(const StackBlock& b) {
    return (b.title.starts_with("Thread T") || b.title.starts_with("Mutex M")) && contains(b.title, " created ");
}

void add_unique(std::vector<std::string>& v, std::string s) {
    if (!s.empty() && std::find(v.begin(), v.end(), s) == v.end()) v.push_back(std::move(s));
}

// Mutex names ("M12") in a line.
void collect_mutexes(std::string_view s, std::vector<std::string>& out) {
    for (std::size_t i = 0; i + 1 < s.size(); ++i) {
        if (s[i] != 'M' || !is_digit(s[i + 1]) || (i > 0 && is_alnum(s[i - 1]))) continue;
        std::size_t j = i + 1;
        while (j < s.size() && is_digit(s[j])) ++j;
        if (j < s.size() && is_alnum(s[j])) continue;
        add_unique(out, std::string(s.substr(i, j - i)));
    }
}

// Threads a title line is about ("by thread T1", "in thread T2", "Thread T3 ...", "main thread"), not the
// threads that created them.
void collect_threads(std::string_view s, std::vector<std::string>& out) {
    if (const auto created = s.find(" created by "); created != std::string_view::npos) s = s.substr(0, created);
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s.substr(i).starts_with("main thread")) {
            add_unique(out, "main thread");
            continue;
        }
        if (s[i] != 'T' || i + 1 >= s.size() || !is_digit(s[i + 1])) continue;
        const auto before = s.substr(0, i);
        if (!before.ends_with("thread ") && !before.ends_with("Thread ")) continue;
        std::size_t j = i + 1;
        while (j < s.size() && is_digit(s[j])) ++j;
        add_unique(out, std::string(s.substr(i, j - i)));
    }
}

enum class TitleKind { none, headline, text, access };

// Walks a report's lines after its headline, collecting stacks, accesses and the lines around them.
class BodyParser {
public:
    explicit BodyParser(Finding& f) : m_f(f) {}

    void feed(std::string_view line) {
        if (auto frame = parse_frame(line)) {
            if (!m_in_stack) {
                m_in_stack = true;
                m_frames.clear();
            }
            m_frames.push_back(std::move(*frame));
            return;
        }
        if (m_in_stack) finish_stack();
        const auto t = trim(line);
        if (t.empty()) {
            flush_access();
            m_title = TitleKind::none;
            return;
        }
        if (t.starts_with("SUMMARY: ")) {
            flush_access();
            m_f.summary = std::string(t.substr(9));
            m_title = TitleKind::none;
            return;
        }
        if (pid_prefix_size(t) > 0) {
            // The runtime's notes ("==1==The signal is caused by a WRITE memory access.") keep the title.
            const auto note = strip_pid(t);
            if (note.starts_with("The signal is caused by a ")) {
                const auto what = to_lower(note.substr(26, note.find(' ', 26) - 26));
                if (what == "read" || what == "write") signal_access = what;
            }
            return;
        }
        if (auto access = parse_access_line(t)) {
            flush_access();
            access->stack.title = std::string(t);
            m_access = std::move(*access);
            m_title = TitleKind::access;
            return;
        }
        flush_access();
        if (m_f.location.empty() && (t.starts_with("Location is ") || is_asan_location(t)))
            m_f.location = std::string(t);
        if (t.starts_with("Cycle in lock order graph:")) collect_mutexes(t, m_f.mutexes);
        m_title = TitleKind::text;
        m_title_text = std::string(t);
    }

    void start_after_headline() { m_title = TitleKind::headline; }

    void finish() {
        if (m_in_stack) finish_stack();
        flush_access();
    }

    /// The stack right under the headline: where a memory error or signal happened, the call a TSan
    /// report is about, or a UBSan error's stack. The caller files it as an access or a block.
    std::optional<StackBlock> main_stack;
    /// "read" or "write", from "The signal is caused by a WRITE memory access."
    std::string signal_access;

private:
    static bool is_asan_location(std::string_view t) {
        return (t.starts_with("0x") || t.starts_with("Address 0x")) && contains(t, " is located ");
    }

    void finish_stack() {
        m_in_stack = false;
        switch (m_title) {
            case TitleKind::access:
                m_access->stack.frames = std::move(m_frames);
                m_f.accesses.push_back(std::move(*m_access));
                m_access.reset();
                break;
            case TitleKind::headline: main_stack = StackBlock{m_f.headline, std::move(m_frames)}; break;
            case TitleKind::text: m_f.blocks.push_back({m_title_text, std::move(m_frames)}); break;
            case TitleKind::none: m_f.blocks.push_back({"", std::move(m_frames)}); break;
        }
        m_frames.clear();
        m_title = TitleKind::none;
    }

    // An access line with no stack under it ("[failed to restore the stack]") is still an access.
    void flush_access() {
        if (m_access) {
            m_f.accesses.push_back(std::move(*m_access));
            m_access.reset();
        }
    }

    Finding& m_f;
    bool m_in_stack = false;
    std::vector<Frame> m_frames;
    TitleKind m_title = TitleKind::none;
    std::string m_title_text;
    std::optional<Access> m_access;
};

// "(pc 0x... bp 0x... sp 0x... T0)" or "in thread T0" in a headline.
std::string headline_thread(std::string_view rest) {
    if (const auto in = rest.find(" in thread "); in != std::string_view::npos) {
        auto who = rest.substr(in + 11);
        return std::string(who.substr(0, who.find_first_of(" :")));
    }
    if (rest.ends_with(')')) {
        const auto sp = rest.rfind(' ');
        const auto tok = rest.substr(sp + 1, rest.size() - sp - 2);
        if (tok.size() > 1 && tok[0] == 'T' && all_digits(tok.substr(1))) return std::string(tok);
    }
    return {};
}

// Every stack of a finding, the ones that say where the bug is first (accesses, then the other stacks),
// the thread and mutex creation stacks last.
std::vector<const StackBlock*> stacks_by_relevance(const Finding& f) {
    std::vector<const StackBlock*> out;
    for (const auto& a : f.accesses) out.push_back(&a.stack);
    for (const auto& b : f.blocks) {
        if (!is_creation_block(b)) out.push_back(&b);
    }
    for (const auto& b : f.blocks) {
        if (is_creation_block(b)) out.push_back(&b);
    }
    return out;
}

std::string normalized_frame(const Frame& fr) {
    const auto name = bare_function_name(fr.function);
    std::string_view where = fr.file;
    std::string module;
    if (where.empty()) {
        module = fr.module.substr(0, fr.module.rfind("+0x"));
        where = module;
    }
    return fmt::format("{}@{}", name.empty() ? "?" : name, basename_of(where));
}

std::string fingerprint_of(const Finding& f) {
    auto stacks = stacks_by_relevance(f);
    // The thread and mutex creation stacks count only when there is nothing else (a thread leak).
    const auto creation =
        std::find_if(stacks.begin(), stacks.end(), [](const StackBlock* b) { return is_creation_block(*b); });
    if (creation != stacks.begin()) stacks.erase(creation, stacks.end());
    const bool any_user = std::any_of(stacks.begin(), stacks.end(), [](const StackBlock* b) {
        return std::any_of(b->frames.begin(), b->frames.end(), [](const Frame& fr) { return fr.user; });
    });
    std::vector<std::string> signatures;
    for (const auto* b : stacks) {
        std::string sig;
        std::size_t taken = 0;
        for (const auto& fr : b->frames) {
            if (taken == k_fingerprint_frames) break;
            const bool take = any_user ? fr.user : !is_runtime_frame(fr) && !(fr.function.empty() && fr.file.empty());
            if (!take) continue;
            sig += normalized_frame(fr);
            sig += ';';
            ++taken;
        }
        if (!sig.empty()) signatures.push_back(std::move(sig));
    }
    // The same race is printed with either access first: the order of the stacks does not count.
    std::sort(signatures.begin(), signatures.end());
    signatures.erase(std::unique(signatures.begin(), signatures.end()), signatures.end());
    std::string key = f.kind_name;
    if (signatures.empty()) {
        key += '|';
        key += f.user_frame ? fmt::format("@{}", basename_of(f.user_frame->file)) : mask_numbers(f.headline);
    }
    for (const auto& s : signatures) {
        key += '|';
        key += s;
    }
    return fmt::format("{:016x}", fnv1a(key));
}

Finding build_finding(const std::vector<Line>& lines, std::size_t head, const Extent& ext, const Start& start,
                      const FrameFilter& filter) {
    Finding f;
    f.tool = std::string(start.tool);
    f.headline = std::string(strip_pid(trim(lines[head].text)));
    f.truncated = !ext.saw_summary && start.family != Family::ubsan && start.family != Family::fatal;

    bool main_is_access = false;
    std::string asan_rest;
    switch (start.family) {
        case Family::warning: {
            auto type = start.rest;
            if (const auto pid = type.rfind(" (pid="); pid != std::string_view::npos) type = type.substr(0, pid);
            if (f.tool == "ThreadSanitizer") {
                auto k = classify_tsan(type);
                f.kind = k.kind;
                f.kind_name = std::move(k.kind_name);
                f.check = std::move(k.check);
            }
            break;
        }
        case Family::error:
            if (f.tool == "LeakSanitizer" && start.rest.starts_with("detected memory leaks")) {
                f.kind = FindingKind::memory_leak;
                f.kind_name = "leak";
            } else if (auto sig = deadly_signal_name(start.rest)) {
                f.kind = FindingKind::deadly_signal;
                f.check = *sig;
                f.kind_name = "deadly-signal:" + *sig;
                main_is_access = true;
            } else if (f.tool == "AddressSanitizer") {
                asan_rest = std::string(start.rest);  // named once the SUMMARY is known
                main_is_access = true;
            } else if (start.rest.starts_with("stack-overflow")) {
                f.kind = FindingKind::deadly_signal;
                f.check = "stack-overflow";
                f.kind_name = "deadly-signal:stack-overflow";
                main_is_access = true;
            }
            break;
        case Family::ubsan: {
            f.kind = FindingKind::undefined_behavior;
            const auto marker = f.headline.find(": runtime error: ");
            f.check = ub_check_from_message(std::string_view(f.headline).substr(marker + 17));
            break;
        }
        case Family::fatal: break;
    }

    BodyParser body(f);
    body.start_after_headline();
    for (std::size_t j = head + 1; j < ext.end; ++j) body.feed(lines[j].text);
    body.finish();

    if (!asan_rest.empty()) {
        const auto name = asan_error_name(asan_rest, f.summary);
        main_is_access = !name.empty();
        if (!name.empty()) {
            f.kind = asan_kind(name);
            f.kind_name = name;
            f.check = name;
        }
    }
    if (body.main_stack) {
        // A memory error's or a signal's stack is the bad access; any other report's is its first block.
        if (main_is_access) {
            Access a;
            a.kind = body.signal_access;
            a.thread = headline_thread(start.rest);
            a.stack = std::move(*body.main_stack);
            f.accesses.insert(f.accesses.begin(), std::move(a));
        } else {
            f.blocks.insert(f.blocks.begin(), std::move(*body.main_stack));
        }
    }
    if (f.kind == FindingKind::undefined_behavior) {
        // SUMMARY names the check only with report_error_type=1; "undefined-behavior" otherwise.
        if (const auto colon = f.summary.find(": "); colon != std::string::npos) {
            auto word = std::string_view(f.summary).substr(colon + 2);
            word = word.substr(0, word.find(' '));
            if (is_error_name(word) && word != "undefined-behavior") f.check = std::string(word);
        }
        f.kind_name = "ub:" + f.check;
    }
    if (f.kind == FindingKind::unrecognized) {
        f.kind_name = "unrecognized";
        f.check.clear();
    }

    // Threads, their names, and mutexes.
    std::vector<std::pair<std::string, std::string>> names;
    for (const auto& b : f.blocks) {
        if (auto t = thread_title(b.title)) names.push_back(std::move(*t));
    }
    for (auto& a : f.accesses) {
        add_unique(f.threads, a.thread);
        for (const auto& m : a.mutexes) add_unique(f.mutexes, m);
        if (a.thread_name.empty()) {
            for (const auto& [id, name] : names) {
                if (id == a.thread) a.thread_name = name;
            }
        }
    }
    for (const auto& b : f.blocks) {
        collect_threads(b.title, f.threads);
        if (b.title.starts_with("Mutex M")) collect_mutexes(b.title, f.mutexes);
    }

    // User frames.
    for (auto& a : f.accesses) {
        for (auto& fr : a.stack.frames) fr.user = filter.is_user(fr);
    }
    for (auto& b : f.blocks) {
        for (auto& fr : b.frames) fr.user = filter.is_user(fr);
    }
    for (const auto* s : stacks_by_relevance(f)) {
        const auto it = std::find_if(s->frames.begin(), s->frames.end(), [](const Frame& fr) { return fr.user; });
        if (it != s->frames.end()) {
            f.user_frame = *it;
            break;
        }
    }
    if (!f.user_frame && start.family == Family::ubsan) {
        // Without print_stacktrace=1 the runtime error's own location is all there is.
        Frame fr;
        parse_location(std::string_view(f.headline).substr(0, f.headline.find(": runtime error: ")), fr);
        fr.user = !fr.file.empty() && filter.is_user(fr);
        if (fr.user) f.user_frame = fr;
    }
    f.fingerprint = fingerprint_of(f);
    return f;
}

}  // namespace

bool FrameFilter::is_user(const Frame& f) const {
    if (f.function.empty() && f.file.empty()) return false;
    if (is_runtime_frame(f) || is_libc_startup(f)) return false;
    if (!f.file.empty()) {
        const auto normal = normalize_path(f.file);
        for (const auto& p : non_user) {
            if (contains(f.file, p) || contains(normal, p)) return false;
        }
        return true;
    }
    for (const auto& p : non_user) {
        if (contains(f.module, p)) return false;
    }
    return true;
}

std::vector<Finding> parse_sanitizer_output(std::string_view text, const FrameFilter& filter) {
    const auto lines = split_lines(text);
    std::vector<Finding> out;
    std::size_t prev_end = 0;
    for (std::size_t i = 0; i < lines.size();) {
        const auto start = report_start(lines[i].text);
        if (!start) {
            ++i;
            continue;
        }
        const auto ext = find_end(lines, i, *start);
        std::size_t begin = i;
        while (begin > prev_end && (is_separator(lines[begin - 1].text) || is_deadly_banner(lines[begin - 1].text)))
            --begin;
        auto f = build_finding(lines, i, ext, *start, filter);
        const auto raw_end = lines[ext.end - 1].end;
        f.raw = std::string(text.substr(lines[begin].begin, raw_end - lines[begin].begin));
        // A report that runs to the end of a text cut inside a line was cut short, whatever it holds.
        if (ext.end == lines.size() && !text.ends_with('\n')) f.truncated = true;
        out.push_back(std::move(f));
        prev_end = ext.end;
        i = ext.end;
    }
    return out;
}

std::vector<SuppressionUse> parse_suppression_uses(std::string_view text) {
    const auto lines = split_lines(text);
    std::vector<SuppressionUse> out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const auto t = strip_pid(trim(lines[i].text));
        // TSan: "ThreadSanitizer: Matched 2 suppressions (pid=1):" then "<count> <type>:<pattern>" rows.
        if (const auto tool = sanitizer_word(t); !tool.empty() && t.substr(tool.size()).starts_with(": Matched ")) {
            for (std::size_t j = i + 1; j < lines.size(); ++j) {
                const auto row = trim(lines[j].text);
                const auto sp = row.find(' ');
                if (sp == std::string_view::npos || !all_digits(row.substr(0, sp)) || !contains(row, ":")) break;
                out.push_back({std::string(tool), std::string(trim(row.substr(sp + 1))),
                               static_cast<std::uint64_t>(to_int(row.substr(0, sp)))});
                i = j;
            }
            continue;
        }
        // LSan: "Suppressions used:", a "count bytes template" header, then rows, then a dashed line.
        if (t == "Suppressions used:") {
            for (std::size_t j = i + 1; j < lines.size(); ++j) {
                const auto row = trim(lines[j].text);
                if (row.starts_with("count")) continue;
                const auto a = row.find(' ');
                if (a == std::string_view::npos || !all_digits(row.substr(0, a))) break;
                const auto after_count = trim(row.substr(a));
                const auto b = after_count.find(' ');
                if (b == std::string_view::npos || !all_digits(after_count.substr(0, b))) break;
                out.push_back({"LeakSanitizer", fmt::format("leak:{}", trim(after_count.substr(b))),
                               static_cast<std::uint64_t>(to_int(row.substr(0, a)))});
                i = j;
            }
        }
    }
    return out;
}

}  // namespace threadmill
