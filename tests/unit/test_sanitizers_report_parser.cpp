// Unit tests of sanitizers/report_parser: every captured gcc and clang fixture, fingerprints, edge cases.
#include "model/bugs.hpp"
#include "model/finding.hpp"
#include "sanitizers/parser.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#ifndef TM_TEST_DATA_DIR
#define TM_TEST_DATA_DIR "/work/main/tests"
#endif

namespace threadmill {
namespace {

namespace fs = std::filesystem;

const fs::path k_fixtures = fs::path(TM_TEST_DATA_DIR) / "sanitizers" / "fixtures";
const std::vector<std::string> k_compilers = {"gcc", "clang"};

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    EXPECT_TRUE(in) << "cannot read " << p;
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string fixture(const std::string& compiler, const std::string& name) {
    return read_text(k_fixtures / compiler / (name + ".txt"));
}

std::vector<Finding> parse_fixture(const std::string& compiler, const std::string& name) {
    return parse_sanitizer_output(fixture(compiler, name));
}

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// What every fixture's first finding must be.
struct Expected {
    std::string name;
    int gcc_count;
    int clang_count;
    FindingKind kind;
    std::string kind_name;
    std::string tool;
    std::string mechanism;
    std::string user_file;  // under tests/sanitizers/programs/
    int user_line;
    std::string user_function;  // as printed by both compilers
};

const std::vector<Expected>& expectations() {
    static const std::vector<Expected> list = {
        {"data_race", 1, 1, FindingKind::data_race, "data-race", "ThreadSanitizer", "race", "data_race.cpp", 17,
         "read_counter()"},
        {"data_race_atomic", 1, 1, FindingKind::data_race, "data-race", "ThreadSanitizer", "race",
         "data_race_atomic.cpp", 12, "peek_ready()"},
        {"data_race_truncated", 1, 1, FindingKind::data_race, "data-race", "ThreadSanitizer", "race", "data_race.cpp",
         17, "read_counter()"},
        {"lock_order_inversion", 1, 1, FindingKind::lock_order_inversion, "lock-order-inversion", "ThreadSanitizer",
         "deadlock", "lock_order_inversion.cpp", 10, "lock_accounts_then_audit()"},
        {"thread_leak", 1, 1, FindingKind::thread_leak, "thread-leak", "ThreadSanitizer", "thread-leak",
         "thread_leak.cpp", 9, "start_worker()"},
        {"signal_unsafe_call", 2, 2, FindingKind::signal_unsafe_call, "signal-unsafe-call", "ThreadSanitizer",
         "signal-unsafe", "signal_unsafe_call.cpp", 9, "on_signal(int)"},
        {"mutex_misuse", 2, 2, FindingKind::mutex_misuse, "mutex-misuse", "ThreadSanitizer", "mutex-misuse",
         "mutex_misuse.cpp", 10, "destroy_while_locked()"},
        {"tsan_deadly_signal", 1, 1, FindingKind::deadly_signal, "deadly-signal:SEGV", "ThreadSanitizer", "crash",
         "deadly_signal.cpp", 4, "store_answer(int*)"},
        {"race_suppressed", 1, 1, FindingKind::data_race, "data-race", "ThreadSanitizer", "race", "race_suppressed.cpp",
         9, "bump_reported()"},
        {"heap_use_after_free", 1, 1, FindingKind::heap_use_after_free, "heap-use-after-free", "AddressSanitizer",
         "memory:heap-use-after-free", "heap_use_after_free.cpp", 9, "read_weight(Node const*)"},
        {"double_free", 1, 1, FindingKind::double_free, "double-free", "AddressSanitizer", "memory:double-free",
         "double_free.cpp", 6, "release_again(char*)"},
        {"heap_buffer_overflow", 1, 1, FindingKind::heap_buffer_overflow, "heap-buffer-overflow", "AddressSanitizer",
         "memory:heap-buffer-overflow", "heap_buffer_overflow.cpp", 3, "fill_slot(int*, int)"},
        {"stack_buffer_overflow", 1, 1, FindingKind::stack_buffer_overflow, "stack-buffer-overflow", "AddressSanitizer",
         "memory:stack-buffer-overflow", "stack_buffer_overflow.cpp", 6, "sum_window(int, int)"},
        {"global_buffer_overflow", 1, 1, FindingKind::global_buffer_overflow, "global-buffer-overflow",
         "AddressSanitizer", "memory:global-buffer-overflow", "global_buffer_overflow.cpp", 4, "lookup(int)"},
        {"stack_use_after_return", 1, 1, FindingKind::stack_use_after_return, "stack-use-after-return",
         "AddressSanitizer", "memory:stack-use-after-return", "stack_use_after_return.cpp", 9, "write_escaped()"},
        {"stack_use_after_scope", 1, 1, FindingKind::stack_use_after_scope, "stack-use-after-scope", "AddressSanitizer",
         "memory:stack-use-after-scope", "stack_use_after_scope.cpp", 4, "touch(int*)"},
        {"alloc_dealloc_mismatch", 1, 1, FindingKind::bad_free, "alloc-dealloc-mismatch", "AddressSanitizer",
         "memory:alloc-dealloc-mismatch", "alloc_dealloc_mismatch.cpp", 3, "drop_scalar(int*)"},
        {"memory_leak", 1, 1, FindingKind::memory_leak, "leak", "LeakSanitizer", "leak", "memory_leak.cpp", 9,
         "make_node(Node*)"},
        {"asan_deadly_signal", 1, 1, FindingKind::deadly_signal, "deadly-signal:SEGV", "AddressSanitizer", "crash",
         "deadly_signal.cpp", 4, "store_answer(int*)"},
        {"asan_recover", 2, 2, FindingKind::heap_buffer_overflow, "heap-buffer-overflow", "AddressSanitizer",
         "memory:heap-buffer-overflow", "asan_recover.cpp", 4, "overflow_write(char*, int)"},
        {"leak_suppressed", 1, 1, FindingKind::memory_leak, "leak", "LeakSanitizer", "leak", "leak_suppressed.cpp", 12,
         "leak_unknown()"},
        {"ub_signed_integer_overflow", 1, 1, FindingKind::undefined_behavior, "ub:signed-integer-overflow",
         "UndefinedBehaviorSanitizer", "ub:signed-integer-overflow", "ub_signed_integer_overflow.cpp", 4,
         "add_weights(int, int)"},
        {"ub_shift_exponent", 1, 1, FindingKind::undefined_behavior, "ub:invalid-shift-exponent",
         "UndefinedBehaviorSanitizer", "ub:invalid-shift-exponent", "ub_shift_exponent.cpp", 2, "scale(int, int)"},
        // clang's UBSan runtime also reports the SIGFPE the division then raises; gcc's has no signal handler.
        {"ub_division_by_zero", 1, 2, FindingKind::undefined_behavior, "ub:integer-divide-by-zero",
         "UndefinedBehaviorSanitizer", "ub:integer-divide-by-zero", "ub_division_by_zero.cpp", 2, "average(int, int)"},
        {"ub_invalid_bool_load", 1, 1, FindingKind::undefined_behavior, "ub:invalid-bool-load",
         "UndefinedBehaviorSanitizer", "ub:invalid-bool-load", "ub_invalid_bool_load.cpp", 4, "read_flag(bool const*)"},
        // One misplaced std::vector: gcc's UBSan reports it from inside libstdc++ again and again.
        {"ub_in_library", 68, 3, FindingKind::undefined_behavior, "ub:misaligned-pointer-use",
         "UndefinedBehaviorSanitizer", "ub:misaligned-pointer-use", "ub_in_library.cpp", 9, "fill_list(int)"},
        {"ub_with_asan", 2, 2, FindingKind::undefined_behavior, "ub:signed-integer-overflow",
         "UndefinedBehaviorSanitizer", "ub:signed-integer-overflow", "ub_with_asan.cpp", 5, "add_weights(int, int)"},
    };
    return list;
}

void expect_user_frame(const Finding& f, const std::string& file, int line, const std::string& function) {
    ASSERT_TRUE(f.user_frame.has_value()) << f.raw;
    EXPECT_TRUE(ends_with(f.user_frame->file, "tests/sanitizers/programs/" + file)) << f.user_frame->file;
    EXPECT_EQ(f.user_frame->line, line);
    EXPECT_EQ(f.user_frame->function, function);
    EXPECT_TRUE(f.user_frame->user);
}

const StackBlock* block_titled(const Finding& f, const std::string& prefix) {
    for (const auto& b : f.blocks) {
        if (b.title.rfind(prefix, 0) == 0) return &b;
    }
    return nullptr;
}

std::optional<Frame> first_user(const StackBlock& s) {
    for (const auto& fr : s.frames) {
        if (fr.user) return fr;
    }
    return std::nullopt;
}

class ReportParserFixtures : public ::testing::TestWithParam<std::string> {};

INSTANTIATE_TEST_SUITE_P(Compilers, ReportParserFixtures, ::testing::ValuesIn(k_compilers),
                         [](const auto& info) { return info.param; });

TEST_P(ReportParserFixtures, EveryFixtureHasAnExpectation) {
    std::set<std::string> expected;
    for (const auto& e : expectations()) expected.insert(e.name);
    std::set<std::string> present;
    for (const auto& entry : fs::directory_iterator(k_fixtures / GetParam())) {
        if (entry.path().extension() == ".txt") present.insert(entry.path().stem().string());
    }
    EXPECT_EQ(present, expected);
}

TEST_P(ReportParserFixtures, CountKindToolAndUserFrame) {
    const auto& compiler = GetParam();
    for (const auto& e : expectations()) {
        SCOPED_TRACE(compiler + "/" + e.name);
        const auto findings = parse_fixture(compiler, e.name);
        ASSERT_EQ(static_cast<int>(findings.size()), compiler == "gcc" ? e.gcc_count : e.clang_count);
        const auto& f = findings.front();
        EXPECT_EQ(f.kind, e.kind);
        EXPECT_EQ(f.kind_name, e.kind_name);
        EXPECT_EQ(f.tool, e.tool);
        EXPECT_EQ(mechanism_of(f), e.mechanism);
        expect_user_frame(f, e.user_file, e.user_line, e.user_function);
        for (const auto& g : findings) {
            EXPECT_NE(g.kind, FindingKind::unrecognized) << g.raw;
            EXPECT_EQ(g.fingerprint.size(), 16u);
            EXPECT_FALSE(g.raw.empty());
            EXPECT_FALSE(g.headline.empty());
            EXPECT_EQ(g.truncated, e.name == "data_race_truncated");
            // The first user frame is never a library header, a runtime or an interceptor.
            ASSERT_TRUE(g.user_frame.has_value());
            EXPECT_TRUE(contains(g.user_frame->file, "tests/sanitizers/programs/")) << g.user_frame->file;
        }
    }
}

TEST_P(ReportParserFixtures, DataRaceAccesses) {
    const auto findings = parse_fixture(GetParam(), "data_race");
    ASSERT_EQ(findings.size(), 1u);
    const auto& f = findings[0];
    EXPECT_EQ(f.check, "data race");
    ASSERT_EQ(f.accesses.size(), 2u);

    const auto& read = f.accesses[0];
    EXPECT_EQ(read.kind, "read");
    EXPECT_EQ(read.size, 4);
    EXPECT_FALSE(read.atomic);
    EXPECT_EQ(read.thread, "T2");
    EXPECT_EQ(read.thread_name, "reader");
    EXPECT_TRUE(read.mutexes.empty());
    ASSERT_GE(read.stack.frames.size(), 3u);
    EXPECT_EQ(read.stack.frames[0].index, 0);
    EXPECT_EQ(read.stack.frames[0].function, "read_counter()");
    EXPECT_TRUE(ends_with(read.stack.frames[0].file, "programs/data_race.cpp"));
    EXPECT_EQ(read.stack.frames[0].line, 17);
    EXPECT_TRUE(read.stack.frames[0].address.empty());  // TSan prints no pc
    EXPECT_EQ(read.stack.frames[0].module.rfind("data_race+0x", 0), 0u) << read.stack.frames[0].module;
    EXPECT_EQ(read.stack.frames[1].function, "reader_main()");
    EXPECT_FALSE(read.stack.frames[2].user);  // std::__invoke_impl in a libstdc++ header

    const auto& write = f.accesses[1];
    EXPECT_EQ(write.kind, "write");
    EXPECT_EQ(write.size, 4);
    EXPECT_FALSE(write.atomic);
    EXPECT_EQ(write.thread, "T1");
    EXPECT_EQ(write.thread_name, "writer");
    ASSERT_EQ(write.mutexes.size(), 1u);
    EXPECT_EQ(write.stack.frames.at(0).function, "write_counter()");
    EXPECT_EQ(write.stack.frames.at(0).line, 14);

    EXPECT_EQ(f.threads, (std::vector<std::string>{"T2", "T1"}));
    EXPECT_EQ(f.mutexes, write.mutexes);
    EXPECT_EQ(f.location.rfind("Location is global 'g_counter' of size 4", 0), 0u) << f.location;
    const auto* mutex = block_titled(f, "Mutex " + write.mutexes[0] + " (");
    ASSERT_NE(mutex, nullptr);
    EXPECT_FALSE(mutex->frames.at(0).user);  // pthread_mutex_lock, the interceptor
    EXPECT_NE(block_titled(f, "Thread T2 'reader'"), nullptr);
    EXPECT_NE(block_titled(f, "Thread T1 'writer'"), nullptr);
    EXPECT_EQ(f.summary.rfind("ThreadSanitizer: data race ", 0), 0u);
}

TEST_P(ReportParserFixtures, AtomicAccessIsMarked) {
    const auto findings = parse_fixture(GetParam(), "data_race_atomic");
    ASSERT_EQ(findings.size(), 1u);
    const auto& a = findings[0].accesses;
    ASSERT_EQ(a.size(), 2u);
    EXPECT_EQ(a[0].kind, "read");
    EXPECT_FALSE(a[0].atomic);
    EXPECT_EQ(a[1].kind, "write");
    EXPECT_TRUE(a[1].atomic);
    EXPECT_EQ(a[1].thread_name, "publisher");
    EXPECT_EQ(a[1].stack.frames.at(0).function, "publish_ready()");
}

TEST_P(ReportParserFixtures, LockOrderInversion) {
    const auto f = parse_fixture(GetParam(), "lock_order_inversion").at(0);
    EXPECT_EQ(f.mutexes.size(), 2u);
    EXPECT_TRUE(f.accesses.empty());
    std::set<std::string> user_functions;
    for (const auto& b : f.blocks) {
        if (contains(b.title, "acquired")) {
            const auto u = first_user(b);
            ASSERT_TRUE(u.has_value()) << b.title;
            user_functions.insert(u->function);
        }
    }
    EXPECT_EQ(user_functions, (std::set<std::string>{"lock_accounts_then_audit()", "lock_audit_then_accounts()"}));
    EXPECT_EQ(f.threads, (std::vector<std::string>{"T1", "T2"}));
}

TEST_P(ReportParserFixtures, MutexMisuseKeepsTsanWording) {
    const auto findings = parse_fixture(GetParam(), "mutex_misuse");
    ASSERT_EQ(findings.size(), 2u);
    EXPECT_EQ(findings[0].check, "destroy of a locked mutex");
    EXPECT_EQ(findings[1].check, "unlock of an unlocked mutex (or by a wrong thread)");
    expect_user_frame(findings[1], "mutex_misuse.cpp", 13, "unlock_unlocked()");
    // The stack right under the headline is the report's first block; "and:" is where it was locked.
    EXPECT_EQ(findings[0].blocks.at(0).title, findings[0].headline);
    ASSERT_NE(block_titled(findings[0], "and:"), nullptr);
    EXPECT_EQ(first_user(*block_titled(findings[0], "and:"))->line, 9);
    EXPECT_NE(findings[0].fingerprint, findings[1].fingerprint);
}

TEST_P(ReportParserFixtures, SignalUnsafeCallSkipsTheInterceptor) {
    const auto findings = parse_fixture(GetParam(), "signal_unsafe_call");
    ASSERT_EQ(findings.size(), 2u);
    const auto& stack = findings[0].blocks.at(0);
    EXPECT_EQ(stack.frames.at(0).function, "malloc");
    EXPECT_FALSE(stack.frames.at(0).user);
    EXPECT_EQ(findings[1].blocks.at(0).frames.at(0).function, "free");
    expect_user_frame(findings[1], "signal_unsafe_call.cpp", 10, "on_signal(int)");
}

TEST_P(ReportParserFixtures, ThreadLeakNamesTheThread) {
    const auto f = parse_fixture(GetParam(), "thread_leak").at(0);
    EXPECT_EQ(f.threads, (std::vector<std::string>{"T1"}));
    ASSERT_EQ(f.blocks.size(), 1u);
    EXPECT_EQ(f.blocks[0].frames.at(0).function, "pthread_create");
    EXPECT_FALSE(f.blocks[0].frames.at(0).user);
}

TEST_P(ReportParserFixtures, HeapUseAfterFree) {
    const auto findings = parse_fixture(GetParam(), "heap_use_after_free");
    ASSERT_EQ(findings.size(), 1u);
    const auto& f = findings[0];
    EXPECT_EQ(f.check, "heap-use-after-free");
    EXPECT_TRUE(contains(f.location, "is located 4 bytes inside of 8-byte region")) << f.location;
    ASSERT_EQ(f.accesses.size(), 1u);
    EXPECT_EQ(f.accesses[0].kind, "read");
    EXPECT_EQ(f.accesses[0].size, 4);
    EXPECT_EQ(f.accesses[0].thread, "T0");
    EXPECT_EQ(f.accesses[0].stack.frames.at(0).address.rfind("0x", 0), 0u);

    const auto* freed = block_titled(f, "freed by thread T0 here:");
    ASSERT_NE(freed, nullptr);
    EXPECT_TRUE(contains(freed->frames.at(0).function, "operator delete"));
    EXPECT_FALSE(freed->frames.at(0).user);
    const auto freed_user = first_user(*freed);
    ASSERT_TRUE(freed_user.has_value());
    EXPECT_EQ(freed_user->function, "release_node(Node*)");
    EXPECT_EQ(freed_user->line, 8);

    const auto* allocated = block_titled(f, "previously allocated by thread T0 here:");
    ASSERT_NE(allocated, nullptr);
    EXPECT_TRUE(contains(allocated->frames.at(0).function, "operator new"));
    const auto allocated_user = first_user(*allocated);
    ASSERT_TRUE(allocated_user.has_value());
    EXPECT_EQ(allocated_user->function, "allocate_node()");
    EXPECT_EQ(allocated_user->line, 7);

    EXPECT_EQ(f.threads, (std::vector<std::string>{"T0"}));
    // The shadow dump stays in raw but is not parsed as anything.
    EXPECT_TRUE(contains(f.raw, "Shadow bytes around the buggy address:"));
    EXPECT_TRUE(contains(f.raw, "ABORTING"));
    EXPECT_EQ(f.summary.rfind("AddressSanitizer: heap-use-after-free ", 0), 0u);
}

TEST_P(ReportParserFixtures, StackErrorsKeepTheFrameOfTheVariable) {
    for (const std::string name : {"stack_buffer_overflow", "stack_use_after_return", "stack_use_after_scope"}) {
        SCOPED_TRACE(name);
        const auto f = parse_fixture(GetParam(), name).at(0);
        EXPECT_TRUE(contains(f.location, "is located in stack of thread T0")) << f.location;
        const auto* frame = block_titled(f, "Address 0x");
        ASSERT_NE(frame, nullptr);
        EXPECT_EQ(frame->frames.size(), 1u);
    }
    const auto uar = parse_fixture(GetParam(), "stack_use_after_return").at(0);
    EXPECT_EQ(block_titled(uar, "Address 0x")->frames.at(0).function, "escape_local()");
}

TEST_P(ReportParserFixtures, DoubleFreeAndMismatchAreTheBadOperation) {
    const auto df = parse_fixture(GetParam(), "double_free").at(0);
    ASSERT_EQ(df.accesses.size(), 1u);
    EXPECT_EQ(df.accesses[0].kind, "");
    EXPECT_EQ(df.accesses[0].thread, "T0");
    EXPECT_NE(block_titled(df, "freed by thread T0 here:"), nullptr);
    EXPECT_EQ(first_user(*block_titled(df, "freed by thread T0 here:"))->function, "release_buffer(char*)");

    const auto mm = parse_fixture(GetParam(), "alloc_dealloc_mismatch").at(0);
    EXPECT_EQ(mm.check, "alloc-dealloc-mismatch");
    EXPECT_NE(block_titled(mm, "allocated by thread T0 here:"), nullptr);
    EXPECT_TRUE(contains(mm.raw, "HINT: if you don't care about these errors"));
}

TEST_P(ReportParserFixtures, DeadlySignalsUnderTsanAndAsan) {
    for (const std::string name : {"tsan_deadly_signal", "asan_deadly_signal"}) {
        SCOPED_TRACE(name);
        const auto f = parse_fixture(GetParam(), name).at(0);
        EXPECT_EQ(f.check, "SEGV");
        ASSERT_EQ(f.accesses.size(), 1u);
        EXPECT_EQ(f.accesses[0].kind, "write");  // "The signal is caused by a WRITE memory access."
        EXPECT_TRUE(contains(f.raw, "Sanitizer:DEADLYSIGNAL"));
        EXPECT_TRUE(ends_with(f.raw, "==ABORTING\n"));
    }
}

TEST_P(ReportParserFixtures, LeakBlocks) {
    const auto f = parse_fixture(GetParam(), "memory_leak").at(0);
    ASSERT_FALSE(f.blocks.empty());
    EXPECT_EQ(f.blocks[0].title, "Direct leak of 24 byte(s) in 1 object(s) allocated from:");
    EXPECT_TRUE(f.summary.find("byte(s) leaked in") != std::string::npos) << f.summary;
    // Only gcc's run also lost the list's later nodes (an indirect leak); clang found them reachable.
    if (GetParam() == "gcc") {
        ASSERT_EQ(f.blocks.size(), 2u);
        EXPECT_EQ(f.blocks[1].title.rfind("Indirect leak of 48 byte(s)", 0), 0u);
    }
}

TEST_P(ReportParserFixtures, UndefinedBehaviorChecks) {
    const auto& compiler = GetParam();
    const std::map<std::string, std::string> checks = {
        {"ub_signed_integer_overflow", "signed-integer-overflow"},
        {"ub_shift_exponent", "invalid-shift-exponent"},
        {"ub_division_by_zero", "integer-divide-by-zero"},
        {"ub_invalid_bool_load", "invalid-bool-load"},
        {"ub_with_asan", "signed-integer-overflow"},
    };
    for (const auto& [name, check] : checks) {
        SCOPED_TRACE(name);
        const auto f = parse_fixture(compiler, name).at(0);
        EXPECT_EQ(f.check, check);
        EXPECT_EQ(f.kind_name, "ub:" + check);
        EXPECT_TRUE(contains(f.headline, ": runtime error: "));
        ASSERT_EQ(f.blocks.size(), 1u);
        EXPECT_EQ(f.blocks[0].title, f.headline);
        // gcc's UBSan runtime prints no SUMMARY: the check comes from the message. clang's names the check
        // only with report_error_type=1 (the first two captures) and says "undefined-behavior" otherwise.
        if (compiler == "gcc") {
            EXPECT_TRUE(f.summary.empty()) << f.summary;
        } else {
            EXPECT_FALSE(f.summary.empty());
        }
    }
    if (compiler == "clang") {
        EXPECT_TRUE(contains(parse_fixture(compiler, "ub_shift_exponent").at(0).summary, "invalid-shift-exponent"));
        EXPECT_TRUE(contains(parse_fixture(compiler, "ub_division_by_zero").at(0).summary, "undefined-behavior"));
        const auto fpe = parse_fixture(compiler, "ub_division_by_zero").at(1);
        EXPECT_EQ(fpe.kind, FindingKind::deadly_signal);
        EXPECT_EQ(fpe.kind_name, "deadly-signal:FPE");
        EXPECT_EQ(mechanism_of(fpe), "crash");
    }
}

TEST_P(ReportParserFixtures, CombinedAsanAndUbsanOutput) {
    const auto findings = parse_fixture(GetParam(), "ub_with_asan");
    ASSERT_EQ(findings.size(), 2u);
    EXPECT_EQ(findings[1].kind, FindingKind::heap_buffer_overflow);
    expect_user_frame(findings[1], "ub_with_asan.cpp", 6, "poke(char*, int)");
    EXPECT_FALSE(contains(findings[0].raw, "AddressSanitizer"));
    EXPECT_EQ(findings[1].raw.rfind("=====", 0), 0u);
}

TEST_P(ReportParserFixtures, RecoverModeGivesOneFindingPerReport) {
    const auto text = fixture(GetParam(), "asan_recover");
    const auto findings = parse_sanitizer_output(text);
    ASSERT_EQ(findings.size(), 2u);
    EXPECT_EQ(findings[0].kind, FindingKind::heap_buffer_overflow);
    EXPECT_EQ(findings[1].kind, FindingKind::heap_use_after_free);
    expect_user_frame(findings[1], "asan_recover.cpp", 5, "stale_read(char const*)");
    for (const auto& f : findings) {
        EXPECT_FALSE(f.truncated);
        EXPECT_EQ(f.raw.rfind("=====", 0), 0u);
        std::size_t errors = 0;
        for (auto pos = f.raw.find("ERROR:"); pos != std::string::npos; pos = f.raw.find("ERROR:", pos + 1)) ++errors;
        EXPECT_EQ(errors, 1u);
        EXPECT_TRUE(contains(f.raw, "Shadow byte legend"));
        EXPECT_TRUE(contains(text, f.raw));
    }
    EXPECT_NE(findings[0].fingerprint, findings[1].fingerprint);
}

TEST_P(ReportParserFixtures, TruncatedReportKeepsItsKind) {
    const auto text = fixture(GetParam(), "data_race_truncated");
    const auto findings = parse_sanitizer_output(text);
    ASSERT_EQ(findings.size(), 1u);
    const auto& f = findings[0];
    EXPECT_TRUE(f.truncated);
    EXPECT_EQ(f.kind, FindingKind::data_race);
    EXPECT_TRUE(f.summary.empty());
    EXPECT_EQ(f.raw, text);
    ASSERT_EQ(f.accesses.size(), 2u);
    EXPECT_EQ(f.accesses[1].stack.frames.size(), 2u);  // cut after two frames of the second stack
    // The same race as the whole report.
    EXPECT_EQ(f.fingerprint, parse_fixture(GetParam(), "data_race").at(0).fingerprint);
    EXPECT_FALSE(parse_fixture(GetParam(), "data_race").at(0).truncated);
}

TEST_P(ReportParserFixtures, ReportCutInsideALineIsTruncated) {
    for (const std::string name : {"heap_use_after_free", "ub_signed_integer_overflow", "lock_order_inversion"}) {
        SCOPED_TRACE(name);
        const auto text = fixture(GetParam(), name);
        const auto cut = text.substr(0, text.find("#1 ") + 10);  // in the middle of a frame line
        const auto findings = parse_sanitizer_output(cut);
        ASSERT_EQ(findings.size(), 1u);
        EXPECT_TRUE(findings[0].truncated);
        EXPECT_EQ(findings[0].kind, parse_fixture(GetParam(), name).at(0).kind);
    }
}

TEST_P(ReportParserFixtures, SuppressionTables) {
    const auto tsan = parse_suppression_uses(fixture(GetParam(), "race_suppressed"));
    ASSERT_EQ(tsan.size(), 1u);
    EXPECT_EQ(tsan[0].tool, "ThreadSanitizer");
    EXPECT_EQ(tsan[0].pattern, "race:bump_suppressed");
    EXPECT_EQ(tsan[0].count, 1u);

    const auto lsan = parse_suppression_uses(fixture(GetParam(), "leak_suppressed"));
    ASSERT_EQ(lsan.size(), 1u);
    EXPECT_EQ(lsan[0].tool, "LeakSanitizer");
    EXPECT_EQ(lsan[0].pattern, "leak:leak_known");
    EXPECT_EQ(lsan[0].count, 1u);
    // The table sits inside the leak report; the report still parses whole.
    const auto leak = parse_fixture(GetParam(), "leak_suppressed").at(0);
    EXPECT_TRUE(contains(leak.raw, "Suppressions used:"));
    EXPECT_EQ(leak.blocks.size(), 1u);

    EXPECT_TRUE(parse_suppression_uses(fixture(GetParam(), "data_race")).empty());
}

TEST_P(ReportParserFixtures, FindingsSurviveJson) {
    for (const auto& e : expectations()) {
        for (const auto& f : parse_fixture(GetParam(), e.name)) {
            const nlohmann::json j = f;
            const auto back = j.get<Finding>();
            EXPECT_EQ(nlohmann::json(back), j) << e.name;
            EXPECT_EQ(back.kind, f.kind);
            EXPECT_EQ(back.user_frame.has_value(), f.user_frame.has_value());
        }
    }
}

TEST_P(ReportParserFixtures, TextAroundReportsIsIgnored) {
    const auto text = fixture(GetParam(), "heap_use_after_free");
    const auto noisy = "worker: starting job 3\nops=100\n" + text + "worker: done\n== not a report ==\n";
    const auto findings = parse_sanitizer_output(noisy);
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].raw, text);
}

// --- fingerprints ----------------------------------------------------------------------------

// Every fixture's bug has the same fingerprint in its gcc and clang captures. That holds because the
// fingerprint keeps a frame's bare function name: gcc's built-in symbolizer names inlined functions
// without scope or parameters ("operator()", "__gthread_mutex_lock") where llvm-symbolizer gives the full
// name ("main::$_0::operator()() const"); see LambdaNamesOfBothCompilersAgree.
TEST(ReportParserFingerprint, SameBugSameFingerprintAcrossCompilers) {
    for (const auto& e : expectations()) {
        SCOPED_TRACE(e.name);
        const auto gcc = parse_fixture("gcc", e.name);
        const auto clang = parse_fixture("clang", e.name);
        for (std::size_t i = 0; i < std::min(gcc.size(), clang.size()); ++i) {
            ASSERT_TRUE(gcc[i].user_frame && clang[i].user_frame);
            ASSERT_EQ(gcc[i].user_frame->function, clang[i].user_frame->function);
            ASSERT_EQ(gcc[i].user_frame->file, clang[i].user_frame->file);
            EXPECT_EQ(gcc[i].fingerprint, clang[i].fingerprint) << gcc[i].raw << clang[i].raw;
        }
    }
}

TEST(ReportParserFingerprint, DifferentBugsDifferentFingerprints) {
    // The same program crashing under TSan and under ASan is the same bug; a truncated copy of the race
    // is the same race. Every other first finding is a different bug.
    const std::set<std::string> same_as_another = {"asan_deadly_signal", "data_race_truncated"};
    for (const auto& compiler : k_compilers) {
        std::map<std::string, std::string> seen;
        for (const auto& e : expectations()) {
            if (same_as_another.count(e.name)) continue;
            for (const auto& f : parse_fixture(compiler, e.name)) {
                const auto [it, inserted] = seen.emplace(f.fingerprint, e.name);
                // signal_unsafe_call's two reports (malloc, then free) share their user frames, and so do
                // ub_in_library's (every one of them reached from fill_list, in main).
                if (!inserted && !((e.name == "signal_unsafe_call" || e.name == "ub_in_library") && it->second == e.name)) {
                    ADD_FAILURE() << compiler << ": " << e.name << " has the fingerprint of " << it->second;
                }
            }
        }
        EXPECT_EQ(parse_fixture(compiler, "asan_deadly_signal").at(0).fingerprint,
                  parse_fixture(compiler, "tsan_deadly_signal").at(0).fingerprint);
    }
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
        text.replace(pos, from.size(), to);
    }
    return text;
}

// Replaces the number right after each `marker` (hex digits after "0x") with `with`.
std::string replace_number_after(const std::string& text, const std::string& marker, const std::string& with) {
    const bool hex = marker == "0x";
    std::string out;
    std::size_t pos = 0;
    for (auto at = text.find(marker); at != std::string::npos; at = text.find(marker, pos)) {
        auto end = at + marker.size();
        while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) ||
                                     (hex && std::isxdigit(static_cast<unsigned char>(text[end])))))
            ++end;
        out.append(text, pos, at + marker.size() - pos);
        out += end > at + marker.size() ? with : "";
        pos = end;
    }
    out.append(text, pos);
    return out;
}

// Shifts every address, pid, module offset, thread id, mutex id and the line numbers of frames outside
// the code under test, the way another run of the same binary (or a rebuilt harness) prints the report.
std::string perturb(const std::string& text) {
    std::string out = replace_number_after(text, "0x", "7f00deadbeef");
    for (const std::string marker : {"pid=", "==", "tid=", " M", " T"}) out = replace_number_after(out, marker, "4242");
    for (const std::string marker : {".h:", ".inc:", ".c:", ".cpp.o:"}) out = replace_number_after(out, marker, "999");
    return out;
}

TEST(ReportParserFingerprint, StableWhenOnlyAddressesPidsAndOtherLinesChange) {
    for (const auto& compiler : k_compilers) {
        for (const auto& e : expectations()) {
            SCOPED_TRACE(compiler + "/" + e.name);
            const auto text = fixture(compiler, e.name);
            const auto changed = perturb(text);
            ASSERT_NE(changed, text);
            const auto a = parse_sanitizer_output(text);
            const auto b = parse_sanitizer_output(changed);
            ASSERT_EQ(a.size(), b.size());
            for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].fingerprint, b[i].fingerprint);
        }
    }
}

TEST(ReportParserFingerprint, UserLinesDoNotCountButUserFunctionsDo) {
    const auto text = fixture("clang", "heap_use_after_free");
    const auto base = parse_sanitizer_output(text).at(0).fingerprint;
    const auto moved = replace_all(text, "heap_use_after_free.cpp:9", "heap_use_after_free.cpp:19");
    ASSERT_NE(moved, text);
    EXPECT_EQ(parse_sanitizer_output(moved).at(0).fingerprint, base);
    const auto renamed = replace_all(text, "read_weight", "read_value");
    EXPECT_NE(parse_sanitizer_output(renamed).at(0).fingerprint, base);
}

TEST(ReportParserFingerprint, LambdaNamesOfBothCompilersAgree) {
    const std::string gcc =
        "==================\n"
        "WARNING: ThreadSanitizer: data race (pid=10)\n"
        "  Write of size 4 at 0x55 by thread T2:\n"
        "    #0 operator() /src/app/lam.cpp:5 (lam+0x1223)\n"
        "    #1 __invoke_impl<void, main()::<lambda()> > /usr/include/c++/12/bits/invoke.h:61 (lam+0x1223)\n"
        "\n"
        "  Previous write of size 4 at 0x55 by thread T1:\n"
        "    #0 operator() /src/app/lam.cpp:4 (lam+0x1251)\n"
        "\n"
        "SUMMARY: ThreadSanitizer: data race /src/app/lam.cpp:5 in operator()\n"
        "==================\n";
    const std::string clang =
        "==================\n"
        "WARNING: ThreadSanitizer: data race (pid=11)\n"
        "  Write of size 4 at 0x56 by thread T2:\n"
        "    #0 main::$_1::operator()() const /src/app/lam.cpp:5:26 (lam+0xd4596) (BuildId: bda5954a)\n"
        "    #1 void std::__invoke_impl<void, main::$_1>(std::__invoke_other, main::$_1&&) "
        "/usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/invoke.h:61:14 (lam+0xd4596)\n"
        "\n"
        "  Previous write of size 4 at 0x56 by thread T1:\n"
        "    #0 main::$_0::operator()() const /src/app/lam.cpp:4:26 (lam+0xd4536) (BuildId: bda5954a)\n"
        "\n"
        "SUMMARY: ThreadSanitizer: data race /src/app/lam.cpp:5:26 in main::$_1::operator()() const\n"
        "==================\n";
    const auto g = parse_sanitizer_output(gcc);
    const auto c = parse_sanitizer_output(clang);
    ASSERT_EQ(g.size(), 1u);
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(g[0].fingerprint, c[0].fingerprint);
    EXPECT_EQ(c[0].accesses[0].stack.frames[0].function, "main::$_1::operator()() const");
    EXPECT_EQ(c[0].accesses[0].stack.frames[0].column, 26);
    EXPECT_FALSE(c[0].accesses[0].stack.frames[1].user);  // a libstdc++ header reached through /usr/bin/..
}

// --- synthetic reports -----------------------------------------------------------------------

TEST(ReportParser, UnknownReportIsKeptWhole) {
    const std::string report =
        "==77==WARNING: MemorySanitizer: use-of-uninitialized-value\n"
        "    #0 0x4a1b2c in main /src/app/x.cpp:3:5\n"
        "    #1 0x7f0000 in __libc_start_main (/lib/x86_64-linux-gnu/libc.so.6+0x29d90)\n"
        "\n"
        "SUMMARY: MemorySanitizer: use-of-uninitialized-value /src/app/x.cpp:3:5 in main\n";
    const auto findings = parse_sanitizer_output("program output\n" + report + "Exiting\n");
    ASSERT_EQ(findings.size(), 1u);
    const auto& f = findings[0];
    EXPECT_EQ(f.kind, FindingKind::unrecognized);
    EXPECT_EQ(f.kind_name, "unrecognized");
    EXPECT_EQ(mechanism_of(f), "unrecognized");
    EXPECT_EQ(f.tool, "MemorySanitizer");
    EXPECT_EQ(f.raw, report);
    EXPECT_FALSE(f.fingerprint.empty());
    ASSERT_TRUE(f.user_frame.has_value());
    EXPECT_EQ(f.user_frame->file, "/src/app/x.cpp");
}

TEST(ReportParser, UnknownTsanWarningAndCheckFailureAreUnrecognized) {
    const std::string text =
        "==================\n"
        "WARNING: ThreadSanitizer: some future report (pid=5)\n"
        "    #0 foo /src/app/y.cpp:1 (y+0x10)\n"
        "\n"
        "SUMMARY: ThreadSanitizer: some future report /src/app/y.cpp:1 in foo\n"
        "==================\n"
        "==5==AddressSanitizer CHECK failed: asan_allocator.cpp:190 \"((m->chunk_state)) == ((CHUNK_QUARANTINE))\"\n"
        "    #0 0x1 in __asan::CheckUnwind() (/lib/libasan.so.8+0x1)\n"
        "==6==LeakSanitizer has encountered a fatal error.\n"
        "==6==HINT: LeakSanitizer does not work under ptrace (strace, gdb, etc)\n";
    const auto findings = parse_sanitizer_output(text);
    ASSERT_EQ(findings.size(), 3u);
    EXPECT_EQ(findings[0].kind, FindingKind::unrecognized);
    EXPECT_EQ(findings[0].tool, "ThreadSanitizer");
    EXPECT_FALSE(findings[0].truncated);
    EXPECT_TRUE(ends_with(findings[0].raw, "==================\n"));
    EXPECT_EQ(findings[1].kind, FindingKind::unrecognized);
    EXPECT_EQ(findings[1].tool, "AddressSanitizer");
    EXPECT_TRUE(contains(findings[1].raw, "CHECK failed"));
    EXPECT_FALSE(contains(findings[1].raw, "LeakSanitizer"));
    EXPECT_EQ(findings[2].kind, FindingKind::unrecognized);
    EXPECT_EQ(findings[2].tool, "LeakSanitizer");
    EXPECT_TRUE(contains(findings[2].raw, "HINT: LeakSanitizer does not work under ptrace"));
}

TEST(ReportParser, EmptyAndReportlessText) {
    EXPECT_TRUE(parse_sanitizer_output("").empty());
    EXPECT_TRUE(
        parse_sanitizer_output("hello\n==1==WARNING: AddressSanitizer failed to allocate 0x10 bytes\n").empty());
    EXPECT_TRUE(parse_suppression_uses("").empty());
}

TEST(ReportParser, FrameForms) {
    const std::string text =
        "=================================================================\n"
        "==9==ERROR: AddressSanitizer: heap-use-after-free on address 0x6020 at pc 0x1 bp 0x2 sp 0x3\n"
        "READ of size 8 at 0x6020 thread T3 (readers-1)\n"
        "    #0 0x55d0c1 in std::map<int, int>::at(int const&) /usr/include/c++/12/bits/stl_map.h:551:9\n"
        "    #1 0x55d0c2 in (anonymous namespace)::Cache::get(int) const /src/app/cache.cpp:40:12\n"
        "    #2 0x55d0c3 in foo (/lib/x86_64-linux-gnu/libc.so.6+0x29d90) (BuildId: 0123abcd)\n"
        "    #3 0x55d0c4  (<unknown module>)\n"
        "    #4 0x55d0c5 in bar /src/app/bar.c\n"
        "\n"
        "0x6020 is located 0 bytes inside of 8-byte region [0x6020,0x6028)\n"
        "freed by thread T1 (writers-0) here:\n"
        "    #0 0x1 in operator delete(void*) (/usr/lib/x86_64-linux-gnu/libasan.so.8+0xdb5b8)\n"
        "    #1 0x2 in threadmill::Runner::run() " TM_SOURCE_DIR "/worker/runner.cpp:120:7\n"
        "\n"
        "Thread T3 (readers-1) created by T0 here:\n"
        "    #0 0x3 in pthread_create (/tmp/bin+0x4)\n"
        "\n"
        "SUMMARY: AddressSanitizer: heap-use-after-free /src/app/cache.cpp:40:12 in (anonymous "
        "namespace)::Cache::get(int) const\n";
    const auto findings = parse_sanitizer_output(text);
    ASSERT_EQ(findings.size(), 1u);
    const auto& f = findings[0];
    ASSERT_EQ(f.accesses.size(), 1u);
    const auto& a = f.accesses[0];
    EXPECT_EQ(a.kind, "read");
    EXPECT_EQ(a.size, 8);
    EXPECT_EQ(a.thread, "T3");
    EXPECT_EQ(a.thread_name, "readers-1");
    const auto& fr = a.stack.frames;
    ASSERT_EQ(fr.size(), 5u);
    EXPECT_EQ(fr[0].address, "0x55d0c1");
    EXPECT_EQ(fr[0].function, "std::map<int, int>::at(int const&)");
    EXPECT_EQ(fr[0].file, "/usr/include/c++/12/bits/stl_map.h");
    EXPECT_FALSE(fr[0].user);
    EXPECT_EQ(fr[1].function, "(anonymous namespace)::Cache::get(int) const");
    EXPECT_EQ(fr[1].file, "/src/app/cache.cpp");
    EXPECT_EQ(fr[1].line, 40);
    EXPECT_EQ(fr[1].column, 12);
    EXPECT_TRUE(fr[1].user);
    EXPECT_EQ(fr[2].function, "foo");
    EXPECT_EQ(fr[2].file, "");
    EXPECT_EQ(fr[2].module, "/lib/x86_64-linux-gnu/libc.so.6+0x29d90");
    EXPECT_FALSE(fr[2].user);
    EXPECT_EQ(fr[3].function, "");
    EXPECT_EQ(fr[3].module, "<unknown module>");
    EXPECT_FALSE(fr[3].user);
    EXPECT_EQ(fr[4].function, "bar");
    EXPECT_EQ(fr[4].file, "/src/app/bar.c");
    EXPECT_EQ(fr[4].line, 0);
    ASSERT_TRUE(f.user_frame.has_value());
    EXPECT_EQ(f.user_frame->function, "(anonymous namespace)::Cache::get(int) const");
    // The harness frame in the freed-by stack is not user code.
    const auto* freed = block_titled(f, "freed by thread T1 (writers-0) here:");
    ASSERT_NE(freed, nullptr);
    EXPECT_FALSE(freed->frames.at(1).user);
    EXPECT_EQ(f.threads, (std::vector<std::string>{"T3", "T1"}));
}

TEST(ReportParser, UbsanWithoutStackUsesItsOwnLocation) {
    const auto findings = parse_sanitizer_output(
        "/src/app/math.cpp:7:14: runtime error: left shift of negative value -1\n"
        "/src/app/math.cpp:9:3: runtime error: load of misaligned address 0x000001 for type 'int', which "
        "requires 4 byte alignment\n"
        "0x000001: note: pointer points here\n"
        " 00 00 00 00 00\n"
        "              ^ \n"
        "next line of program output\n");
    ASSERT_EQ(findings.size(), 2u);
    EXPECT_EQ(findings[0].check, "invalid-shift-base");
    ASSERT_TRUE(findings[0].user_frame.has_value());
    EXPECT_EQ(findings[0].user_frame->file, "/src/app/math.cpp");
    EXPECT_EQ(findings[0].user_frame->line, 7);
    EXPECT_EQ(findings[0].user_frame->column, 14);
    EXPECT_EQ(findings[1].check, "misaligned-pointer-use");
    EXPECT_TRUE(ends_with(findings[1].raw, "^ \n"));
    EXPECT_FALSE(contains(findings[1].raw, "next line"));
    EXPECT_NE(findings[0].fingerprint, findings[1].fingerprint);
}

TEST(ReportParser, UbsanStackAfterAnUnreadableAddressIsKept) {
    // A corrupted container: the address cannot be read, so UBSan prints no dump, then the stack.
    const auto findings = parse_sanitizer_output(
        "/usr/include/c++/12/bits/hashtable.h:1937:23: runtime error: member access within misaligned address "
        "0x0001000002c7 for type 'struct __node_type', which requires 8 byte alignment\n"
        "0x0001000002c7: note: pointer points here\n"
        "<memory cannot be printed>\n"
        "    #0 0x5636e8c8676d in std::_Hashtable<unsigned long, int>::_M_find_before_node(unsigned long) const "
        "/usr/include/c++/12/bits/hashtable.h:1937\n"
        "    #1 0x5636e8c93714 in app::Cache::get(unsigned long) /src/app/cache.cpp:37\n"
        "    #2 0x5636e8bb7380 in main /src/app/main.cpp:5\n"
        "\n"
        "next line of program output\n");
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].check, "misaligned-pointer-use");
    ASSERT_TRUE(findings[0].user_frame.has_value());
    EXPECT_EQ(findings[0].user_frame->file, "/src/app/cache.cpp");
    EXPECT_EQ(findings[0].user_frame->line, 37);
    EXPECT_FALSE(contains(findings[0].raw, "next line"));
}

TEST(ReportParser, FrameFilter) {
    const FrameFilter filter;
    const auto frame = [](std::string function, std::string file, std::string module = {}) {
        Frame f;
        f.function = std::move(function);
        f.file = std::move(file);
        f.module = std::move(module);
        return f;
    };
    EXPECT_TRUE(filter.is_user(frame("push(int)", "/work/main/targets/queue/asan_queue.cpp")));
    EXPECT_TRUE(filter.is_user(frame("push(int)", "", "/work/main/build/threadmill-worker+0x10")));
    EXPECT_FALSE(filter.is_user(frame("malloc", "", "/work/main/build/threadmill-worker+0x10")));
    EXPECT_FALSE(
        filter.is_user(frame("__interceptor_free", "../../../../src/libsanitizer/asan/asan_malloc_linux.cpp")));
    EXPECT_FALSE(filter.is_user(frame("__tsan::CallUserSignalHandler(int)", "tsan_interceptors_posix.cpp.o")));
    EXPECT_FALSE(filter.is_user(
        frame("std::mutex::lock()", "/usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/mutex")));
    EXPECT_FALSE(filter.is_user(frame("threadmill::Runner::run()", TM_SOURCE_DIR "/worker/runner.cpp")));
    EXPECT_FALSE(filter.is_user(frame("__libc_start_call_main", "csu/../sysdeps/nptl/libc_start_call_main.h")));
    EXPECT_FALSE(filter.is_user(frame("", "")));
    FrameFilter custom;
    custom.non_user.push_back("/third_party/");
    EXPECT_FALSE(custom.is_user(frame("f()", "/src/third_party/lib.cpp")));
    EXPECT_TRUE(filter.is_user(frame("f()", "/src/third_party/lib.cpp")));
}

// Installed libraries are the user's; only threadmill, the standard library and the sanitizer runtimes fold.
TEST(ReportParser, FrameFilterInstalledLibrariesAreUserCode) {
    const FrameFilter filter;
    const auto frame = [](std::string function, std::string file, std::string module = {}) {
        Frame f;
        f.function = std::move(function);
        f.file = std::move(file);
        f.module = std::move(module);
        return f;
    };
    // Third-party headers and libraries, wherever they are installed.
    EXPECT_TRUE(filter.is_user(frame("tbb::concurrent_queue<int>::push(int const&)", "/usr/include/tbb/concurrent_queue.h")));
    EXPECT_TRUE(filter.is_user(frame("tbb::detail::d2::micro_queue<int>::push", "/usr/include/oneapi/tbb/detail/_concurrent_queue_base.h")));
    EXPECT_TRUE(filter.is_user(frame("boost::lockfree::queue<int>::push", "/usr/include/boost/lockfree/queue.hpp")));
    EXPECT_TRUE(filter.is_user(frame("libcuckoo::cuckoohash_map<int, int>::insert", "/usr/local/include/libcuckoo/cuckoohash_map.hh")));
    EXPECT_TRUE(filter.is_user(frame("zlib_inflate", "/usr/include/zlib.h")));
    EXPECT_TRUE(filter.is_user(frame("tbb::task_arena::execute", "", "/usr/lib/x86_64-linux-gnu/libtbb.so.12+0x2f10")));
    EXPECT_TRUE(filter.is_user(frame("push", "/src/app/bits/queue.hpp")));          // a user folder named bits
    EXPECT_TRUE(filter.is_user(frame("f", "/src/app/include/c/queue.hpp")));
    // libstdc++ and libc++ headers, however the path is spelled.
    EXPECT_FALSE(filter.is_user(frame("std::_Hashtable<int, int>::find", "/usr/include/c++/12/bits/hashtable.h")));
    EXPECT_FALSE(filter.is_user(frame("std::unordered_map<int, int>::find", "/usr/include/c++/12/bits/unordered_map.h")));
    EXPECT_FALSE(filter.is_user(frame("__gthread_mutex_lock", "/usr/include/x86_64-linux-gnu/c++/12/bits/gthr-default.h")));
    EXPECT_FALSE(filter.is_user(frame("std::__1::mutex::lock", "/usr/include/c++/v1/__mutex_base")));
    EXPECT_FALSE(filter.is_user(frame("std::__1::vector<int>::push_back", "/usr/lib/llvm-14/bin/../include/c++/v1/vector")));
    EXPECT_FALSE(filter.is_user(frame("_mm_pause", "/usr/lib/gcc/x86_64-linux-gnu/12/include/xmmintrin.h")));
    EXPECT_FALSE(filter.is_user(frame("__atomic_load", "/usr/lib/llvm-14/lib/clang/14.0.6/include/stdatomic.h")));
    EXPECT_FALSE(filter.is_user(frame("std::thread::join()", "../../../../src/libstdc++-v3/src/c++11/thread.cc")));
    // glibc: headers, its own sources as its debug information names them, and its shared objects.
    EXPECT_FALSE(filter.is_user(frame("pthread_mutex_lock", "/usr/include/pthread.h")));
    EXPECT_FALSE(filter.is_user(frame("memcpy", "/usr/include/x86_64-linux-gnu/bits/string_fortified.h")));
    EXPECT_FALSE(filter.is_user(frame("___pthread_mutex_lock", "./nptl/pthread_mutex_lock.c")));
    EXPECT_FALSE(filter.is_user(frame("__futex_abstimed_wait_common", "./nptl/futex-internal.c")));
    EXPECT_FALSE(filter.is_user(frame("clone3", "../sysdeps/unix/sysv/linux/x86_64/clone3.S")));
    EXPECT_FALSE(filter.is_user(frame("__GI___clock_nanosleep", "../sysdeps/unix/sysv/linux/clock_nanosleep.c")));
    EXPECT_FALSE(filter.is_user(frame("__lll_lock_wait", "", "/lib/x86_64-linux-gnu/libc.so.6+0x8a0f1")));
    EXPECT_FALSE(filter.is_user(frame("std::thread::join()", "", "/lib/x86_64-linux-gnu/libstdc++.so.6")));
    EXPECT_FALSE(filter.is_user(frame("_Unwind_RaiseException", "", "/lib/x86_64-linux-gnu/libgcc_s.so.1+0x1234")));
    EXPECT_FALSE(filter.is_user(frame("std::__1::thread::join()", "", "/usr/lib/llvm-14/lib/libc++.so.1+0x9")));
    // The sanitizer runtimes.
    EXPECT_FALSE(filter.is_user(frame("__tsan_read8", "", "/lib/x86_64-linux-gnu/libtsan.so.2+0x9")));
    EXPECT_FALSE(filter.is_user(frame("__interceptor_memcpy", "/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/../../../../../compiler-rt/lib/sanitizer_common/sanitizer_common_interceptors.inc")));
    EXPECT_FALSE(filter.is_user(frame("operator new(unsigned long)", "../../../../src/libsanitizer/asan/asan_new_delete.cpp")));
}

// A race inside an installed library is attributed to that library's line, not to the adapter that called it.
TEST(ReportParser, RaceInAnInstalledLibraryPointsIntoIt) {
    const std::string text =
        "==================\n"
        "WARNING: ThreadSanitizer: data race (pid=4242)\n"
        "  Write of size 8 at 0x7b0c00000010 by thread T2:\n"
        "    #0 std::_Hashtable<int, int>::_M_insert_unique_node(unsigned long) /usr/include/c++/12/bits/hashtable.h:2021 (w+0x10)\n"
        "    #1 tbb::concurrent_queue<int>::push(int const&) /usr/include/tbb/concurrent_queue.h:120 (w+0x20)\n"
        "    #2 app::Adapter::put(int) /src/app/adapter.cpp:14 (w+0x30)\n"
        "    #3 threadmill::Runner::one_op() " TM_SOURCE_DIR "/worker/runner.cpp:196 (w+0x40)\n"
        "\n"
        "  Previous read of size 8 at 0x7b0c00000010 by thread T1:\n"
        "    #0 tbb::concurrent_queue<int>::try_pop(int&) /usr/include/tbb/concurrent_queue.h:150 (w+0x50)\n"
        "    #1 app::Adapter::take() /src/app/adapter.cpp:20 (w+0x60)\n"
        "    #2 pthread_mutex_lock ./nptl/pthread_mutex_lock.c:80 (libc.so.6+0x70)\n"
        "\n"
        "SUMMARY: ThreadSanitizer: data race /usr/include/tbb/concurrent_queue.h:120 in tbb::concurrent_queue<int>::push(int const&)\n"
        "==================\n";
    const auto findings = parse_sanitizer_output(text);
    ASSERT_EQ(findings.size(), 1u);
    const auto& f = findings[0];
    ASSERT_TRUE(f.user_frame.has_value());
    EXPECT_EQ(f.user_frame->file, "/usr/include/tbb/concurrent_queue.h");
    EXPECT_EQ(f.user_frame->line, 120);
    ASSERT_EQ(f.accesses.size(), 2u);
    const auto& write = f.accesses[0].stack.frames;
    EXPECT_FALSE(write.at(0).user);  // libstdc++
    EXPECT_TRUE(write.at(1).user);   // tbb
    EXPECT_TRUE(write.at(2).user);   // the adapter
    EXPECT_FALSE(write.at(3).user);  // threadmill
    EXPECT_FALSE(f.accesses[1].stack.frames.at(2).user);  // glibc
    // The bug is keyed by the library's line: the same race reached from another adapter line is the same bug.
    std::string other = text;
    other.replace(other.find("/src/app/adapter.cpp:14"), 23, "/src/app/adapter.cpp:99");
    const auto again = parse_sanitizer_output(other);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].user_frame->file, f.user_frame->file);
    EXPECT_EQ(again[0].user_frame->line, f.user_frame->line);
    EXPECT_EQ(bug_key(f), "race|concurrent_queue.h|push");
    EXPECT_EQ(bug_key(again[0]), bug_key(f));
    EXPECT_EQ(again[0].fingerprint, f.fingerprint);
}

TEST(ReportParser, KindNamesRoundTrip) {
    for (int k = 0; k <= static_cast<int>(FindingKind::unrecognized); ++k) {
        Finding f;
        f.kind = static_cast<FindingKind>(k);
        const nlohmann::json j = f;
        EXPECT_EQ(j.at("kind").get<std::string>(), to_string(f.kind));
        EXPECT_EQ(j.get<Finding>().kind, f.kind);
    }
    nlohmann::json bad = Finding{};
    bad["kind"] = "no_such_kind";
    EXPECT_THROW(bad.get<Finding>(), std::runtime_error);

    const SuppressionUse use{"ThreadSanitizer", "race:foo", 3};
    const nlohmann::json j = use;
    const auto back = j.get<SuppressionUse>();
    EXPECT_EQ(back.tool, use.tool);
    EXPECT_EQ(back.pattern, use.pattern);
    EXPECT_EQ(back.count, use.count);
}

}  // namespace
}  // namespace threadmill
