// Findings: sanitizer reports as plain data. Parsers fill them; printers only print them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "model/finding_kinds.hpp"

namespace threadmill {

/// One stack frame as printed by a sanitizer runtime.
struct Frame {
    int index = 0;         ///< #N
    std::string address;   ///< 0x... as printed
    std::string function;  ///< demangled, as printed ("" when unknown)
    std::string file;      ///< source file, or "" when only a module is known
    int line = 0;
    int column = 0;
    std::string module;    ///< (binary+0x...) when there is no source location
    bool user = false;     ///< in the code under test (see FrameFilter)
};

/// A stack with what it is: an access ("Write of size 8 at 0x... by thread T2"), where memory
/// was freed or allocated, where a mutex or thread was created, ...
struct StackBlock {
    std::string title;  ///< the line above the stack, without the ==pid== prefix
    std::vector<Frame> frames;
};

/// One thread's memory access in a race, or the faulting access of a memory error.
struct Access {
    std::string kind;    ///< "read" or "write" ("" when the report does not say)
    int size = 0;        ///< bytes, 0 when unknown
    bool atomic = false;
    std::string thread;  ///< "T2", "main thread", ...
    /// The thread's name when the report gives one ("reader" from TSan's `Thread T2 'reader'` or ASan's
    /// `T2 (reader)`), "" otherwise.
    std::string thread_name;
    std::vector<std::string> mutexes;  ///< mutexes held, as named by the report ("M12")
    StackBlock stack;
};

struct Finding {
    std::string tool;  ///< ThreadSanitizer, AddressSanitizer, LeakSanitizer, UndefinedBehaviorSanitizer
    FindingKind kind = FindingKind::unrecognized;
    /// Stable name of the kind: data-race, lock-order-inversion, heap-use-after-free, leak,
    /// ub:signed-integer-overflow, deadly-signal:SEGV, unrecognized, ...
    std::string kind_name;
    std::string check;      ///< UBSan check name, ASan's own error name, or the signal
    std::string headline;   ///< the WARNING:/ERROR:/runtime error line, without ==pid==
    std::string summary;    ///< the SUMMARY: line, without "SUMMARY: "
    std::vector<Access> accesses;    ///< races: one per thread; memory errors: the bad access
    std::vector<StackBlock> blocks;  ///< every other stack (freed by, allocated by, mutex/thread creation)
    std::string location;   ///< "Location is heap block of size 16 at ... allocated by thread T1", "0x... is located 0 bytes after ..."
    std::vector<std::string> threads;  ///< threads involved, as named
    std::vector<std::string> mutexes;  ///< mutexes involved, as named
    std::optional<Frame> user_frame;   ///< the first frame in the code under test
    std::string fingerprint;  ///< kind + normalized user frames: the same bug across jobs and seeds
    std::string raw;          ///< the whole report text, as printed
    bool truncated = false;   ///< the report ended before its SUMMARY (a worker killed mid-report)
};

/// How often a suppression matched, from the runtimes' "Matched N suppressions" /
/// "Suppressions used" tables.
struct SuppressionUse {
    std::string tool;
    std::string pattern;  ///< "race:foo", "leak:bar"
    std::uint64_t count = 0;
};

/// Whether a frame has a source file and a line: a worker built without debug information (`-g`) has
/// function names at best.
bool has_line_info(const Frame& f);

/// What a report says in place of "file:0" for a frame without line information.
inline constexpr std::string_view k_no_line_info = "no line information: the worker was built without -g";

/// Where a frame is, in words: "file:line in function" (the file relative to `source_root`), or, without
/// line information, "function (no line information: the worker was built without -g)".
std::string frame_where(const Frame& f, std::string_view source_root);

/// The `[expect]` mechanism of a finding (its kind's mechanism column): race, deadlock, memory:<kind>,
/// leak, ub:<check>, crash (a deadly signal), thread-leak, signal-unsafe, mutex-misuse, unrecognized.
std::string mechanism_of(const Finding& f);

void to_json(nlohmann::json& j, const Frame& v);
void from_json(const nlohmann::json& j, Frame& v);
void to_json(nlohmann::json& j, const StackBlock& v);
void from_json(const nlohmann::json& j, StackBlock& v);
void to_json(nlohmann::json& j, const Access& v);
void from_json(const nlohmann::json& j, Access& v);
void to_json(nlohmann::json& j, const Finding& v);
void from_json(const nlohmann::json& j, Finding& v);
void to_json(nlohmann::json& j, const SuppressionUse& v);
void from_json(const nlohmann::json& j, SuppressionUse& v);

}  // namespace threadmill
