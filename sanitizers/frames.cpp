// Sanitizer parser: one stack frame line, and which frames are a runtime's, libc's or the code under test's.
#include "sanitizers/frames.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <vector>

#include "model/text.hpp"
#include "sanitizers/lines.hpp"
#include "sanitizers/parser.hpp"

namespace threadmill {
namespace sanitizers_detail {
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

// clang-format off

// The standard library (see is_standard_library_frame): C++ library headers anywhere, the compiler's headers,
// glibc's header folders and top-level headers, the folders of glibc's sources, the source trees of the
// runtime libraries, and their shared objects.
constexpr std::string_view k_cxx_header_marker = "/include/c++/";
constexpr std::string_view k_compiler_header_markers[] = {"/usr/lib/gcc/", "/lib/clang/"};
constexpr std::string_view k_libc_header_dirs[] = {"bits/", "sys/", "gnu/"};
constexpr std::string_view k_libc_headers[] = {
    "assert.h", "ctype.h", "errno.h", "fenv.h", "inttypes.h", "limits.h", "locale.h", "math.h", "setjmp.h",
    "signal.h", "stdio.h", "stdlib.h", "string.h", "strings.h", "time.h", "wchar.h", "wctype.h", "pthread.h",
    "sched.h", "semaphore.h", "unistd.h", "fcntl.h", "poll.h", "dirent.h", "dlfcn.h", "spawn.h", "threads.h",
    "features.h", "stdc-predef.h", "alloca.h", "malloc.h", "execinfo.h"};
constexpr std::string_view k_glibc_source_dirs[] = {
    "sysdeps", "nptl", "csu", "libio", "malloc", "string", "stdlib", "stdio-common", "misc", "posix", "signal",
    "elf", "io", "time", "dlfcn", "wcsmbs", "iconv", "locale", "resolv", "socket", "support"};
constexpr std::string_view k_glibc_source_extensions[] = {".c", ".h", ".S"};
constexpr std::string_view k_runtime_source_trees[] = {"libstdc++-v3/", "libgcc/", "libcxx/", "libcxxabi/",
                                                       "libunwind/", "libatomic/"};
constexpr std::string_view k_standard_modules[] = {
    "libc.so", "libm.so", "libpthread.so", "libdl.so", "librt.so", "ld-linux", "libstdc++.so", "libgcc_s.so",
    "libc++.so", "libc++abi.so", "libunwind.so", "libatomic.so"};

// clang-format on

template <std::size_t N>
bool any_of_prefix(std::string_view s, const std::string_view (&prefixes)[N]) {
    return std::any_of(std::begin(prefixes), std::end(prefixes), [&](std::string_view p) { return s.starts_with(p); });
}

// "/usr/include/x86_64-linux-gnu/bits/x.h", "/usr/include/pthread.h": glibc's; "/usr/include/x86_64-linux-gnu/c++/12/
// bits/gthr-default.h": libstdc++'s target-specific part; "/usr/include/tbb/x.h": neither.
bool is_system_library_header(std::string_view path) {
    constexpr std::string_view root = "/usr/include/";
    if (!path.starts_with(root)) return false;
    auto rest = path.substr(root.size());
    if (const auto slash = rest.find('/'); slash != std::string_view::npos && contains(rest.substr(0, slash), "-linux-"))
        rest = rest.substr(slash + 1);
    if (rest.starts_with("c++/") || any_of_prefix(rest, k_libc_header_dirs)) return true;
    return std::find(std::begin(k_libc_headers), std::end(k_libc_headers), rest) != std::end(k_libc_headers);
}

// glibc's debug information names its sources relative to its build tree: "./nptl/pthread_mutex_lock.c",
// "../sysdeps/unix/sysv/linux/x86_64/clone3.S", "csu/../sysdeps/nptl/libc_start_call_main.h".
bool is_glibc_source(std::string_view normal) {
    if (normal.starts_with('/')) return false;
    while (normal.starts_with("../")) normal.remove_prefix(3);
    const auto slash = normal.find('/');
    if (slash == std::string_view::npos) return false;
    const auto dir = normal.substr(0, slash);
    if (std::find(std::begin(k_glibc_source_dirs), std::end(k_glibc_source_dirs), dir) == std::end(k_glibc_source_dirs))
        return false;
    return std::any_of(std::begin(k_glibc_source_extensions), std::end(k_glibc_source_extensions),
                       [&](std::string_view e) { return normal.ends_with(e); });
}

bool is_runtime_source(std::string_view path) {
    return std::any_of(std::begin(k_runtime_source_trees), std::end(k_runtime_source_trees), [&](std::string_view t) {
        return path.starts_with(t) || contains(path, std::string("/") + std::string(t));
    });
}

}  // namespace

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

namespace {

// "libc.so.6+0x29d90", "/path/binary+0x1234", "<unknown module>".
bool looks_like_module(std::string_view s) {
    if (s == "<unknown module>") return true;
    const auto plus = s.rfind("+0x");
    if (plus == std::string_view::npos || plus == 0) return false;
    const auto off = s.substr(plus + 3);
    return !off.empty() && std::all_of(off.begin(), off.end(), is_hex);
}

// The last token of an ASan-style frame is a source location ("/path/f.cpp:12:5", "../f.c:3").
bool looks_like_location(std::string_view tok) {
    if (tok.empty() || contains(tok, "(") || contains(tok, ")") || contains(tok, "<") || contains(tok, ">"))
        return false;
    const auto colon = tok.rfind(':');
    if (colon != std::string_view::npos && colon > 0 && all_digits(tok.substr(colon + 1))) return true;
    return tok.starts_with('/') || tok.starts_with("./") || tok.starts_with("../");
}

bool is_libc_startup(const Frame& f) {
    if (std::find(std::begin(k_libc_startup), std::end(k_libc_startup), f.function) != std::end(k_libc_startup))
        return true;
    for (const auto p : k_libc_paths) {
        if (f.file.starts_with(p) || contains(f.file, std::string("/") + std::string(p))) return true;
    }
    return false;
}

}  // namespace

std::string_view basename_of(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

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

bool is_standard_library_frame(const Frame& f) {
    if (!f.file.empty()) {
        const auto normal = normalize_path(f.file);
        if (contains(normal, k_cxx_header_marker) || contains(f.file, k_cxx_header_marker)) return true;
        for (const auto m : k_compiler_header_markers) {
            if (contains(normal, m)) return true;
        }
        return is_system_library_header(normal) || is_glibc_source(normal) || is_runtime_source(normal);
    }
    const std::string_view module = f.module;
    return any_of_prefix(basename_of(module.substr(0, module.rfind("+0x"))), k_standard_modules);
}

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

}  // namespace sanitizers_detail

using namespace sanitizers_detail;

bool FrameFilter::is_user(const Frame& f) const {
    if (f.function.empty() && f.file.empty()) return false;
    if (is_runtime_frame(f) || is_libc_startup(f) || is_standard_library_frame(f)) return false;
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

}  // namespace threadmill
