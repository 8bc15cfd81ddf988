// Unit tests of sanitizers/gdb_backtraces: gdb's `thread apply all bt` into per-thread stacks with user frames.
#include "sanitizers/gdb_backtraces.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "model/result.hpp"

#ifndef TM_TEST_DATA_DIR
#define TM_TEST_DATA_DIR "/work/main/tests"
#endif

namespace threadmill {
namespace {

// Captured from gdb 13 attached to a program whose two threads wait forever on a condition variable in
// Cache::get (/tmp/i12g/cache.cpp, g++ 12 -g -O1), the main thread joining them.
std::string fixture(const std::string& name) {
    std::ifstream in(std::filesystem::path(TM_TEST_DATA_DIR) / "sanitizers" / "gdb" / name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

TEST(GdbBacktraces, CapturedDeadlockGivesEachThreadItsFrames) {
    const auto text = fixture("condition_variable_wait.txt");
    ASSERT_FALSE(text.empty());
    const auto threads = parse_gdb_backtraces(text);
    ASSERT_EQ(threads.size(), 3u);
    EXPECT_EQ(threads[0].thread, 3);
    EXPECT_EQ(threads[0].lwp, 7380);
    EXPECT_EQ(threads[0].name, "cache");
    EXPECT_EQ(threads[1].thread, 2);
    EXPECT_EQ(threads[1].name, "reader");
    EXPECT_EQ(threads[2].thread, 1);

    const auto& waiter = threads[1].frames;
    ASSERT_EQ(waiter.size(), 16u);
    for (std::size_t k = 0; k < waiter.size(); ++k) EXPECT_EQ(waiter[k].index, static_cast<int>(k));
    // An inlined frame: no address, arguments dropped, the location kept.
    EXPECT_EQ(waiter[0].function, "__futex_abstimed_wait_common64");
    EXPECT_EQ(waiter[0].address, "");
    EXPECT_EQ(waiter[0].file, "./nptl/futex-internal.c");
    EXPECT_EQ(waiter[0].line, 57);
    EXPECT_FALSE(waiter[0].user);
    EXPECT_EQ(waiter[2].address, "0x00007f59cf0a3f7b");
    EXPECT_EQ(waiter[2].function, "__GI___futex_abstimed_wait_cancelable64");
    // A function name with its own parentheses, then gdb's argument list.
    EXPECT_EQ(waiter[5].function,
              "std::condition_variable::wait<Cache::get()::{lambda()#1}>(std::unique_lock<std::mutex>&, "
              "Cache::get()::{lambda()#1})");
    EXPECT_EQ(waiter[5].file, "/usr/include/c++/12/condition_variable");
    EXPECT_EQ(waiter[5].line, 102);
    EXPECT_FALSE(waiter[5].user);
    EXPECT_EQ(waiter[6].function, "Cache::get");
    EXPECT_EQ(waiter[6].file, "/tmp/i12g/cache.cpp");
    EXPECT_EQ(waiter[6].line, 11);
    EXPECT_TRUE(waiter[6].user);
    EXPECT_EQ(waiter[7].function, "operator()");
    EXPECT_TRUE(waiter[7].user);
    EXPECT_FALSE(waiter[8].user);  // std::__invoke_impl in a libstdc++ header
    // "?? () from <library>": no function, the module kept.
    EXPECT_EQ(waiter[13].function, "");
    EXPECT_EQ(waiter[13].module, "/lib/x86_64-linux-gnu/libstdc++.so.6");
    EXPECT_FALSE(waiter[13].user);
    EXPECT_EQ(waiter[15].function, "clone3");
    EXPECT_FALSE(waiter[15].user);

    const Frame* first = first_user_frame(threads[1]);
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(first, &waiter[6]);

    const auto& joiner = threads[2].frames;
    ASSERT_EQ(joiner.size(), 6u);
    EXPECT_EQ(joiner[4].function, "std::thread::join()");
    EXPECT_EQ(joiner[4].module, "/lib/x86_64-linux-gnu/libstdc++.so.6");
    EXPECT_FALSE(joiner[4].user);
    EXPECT_EQ(joiner[5].function, "main");
    EXPECT_EQ(joiner[5].line, 19);
    EXPECT_TRUE(joiner[5].user);

    EXPECT_EQ(describe_hang(threads, ""),
              (std::vector<std::string>{"thread 3 \"cache\" blocked in Cache::get at /tmp/i12g/cache.cpp:11",
                                        "thread 2 \"reader\" blocked in Cache::get at /tmp/i12g/cache.cpp:11",
                                        "thread 1 \"cache\" blocked in main at /tmp/i12g/cache.cpp:19"}));
    EXPECT_EQ(describe_hang(threads, "/tmp/i12g").at(0), "thread 3 \"cache\" blocked in Cache::get at cache.cpp:11");
}

TEST(GdbBacktraces, HarnessAndInstalledLibraryFrames) {
    const std::string text =
        "Thread 4 (Thread 0x7f00 (LWP 12) \"threadmill-work\"):\n"
        "#0  0x00007f01 in __lll_lock_wait () from /lib/x86_64-linux-gnu/libc.so.6\n"
        "#1  0x00007f02 in tbb::detail::r1::concurrent_monitor::wait (this=0x1, pred=\"a (b) \\\" c\") at "
        "/usr/include/oneapi/tbb/detail/_concurrent_queue_base.h:210\n"
        "#2  0x00005501 in app::Queue::pop (this=0x2) at /src/app/queue.cpp:41\n"
        "#3  0x00005502 in threadmill::Runner::one_op (this=0x3) at " TM_SOURCE_DIR "/worker/runner.cpp:196\n"
        "#4  <signal handler called>\n"
        "Backtrace stopped: previous frame inner to this frame (corrupt stack?)\n"
        "\n"
        "Thread 1 (Thread 0x7f10 (LWP 10) \"threadmill-work\"):\n"
        "#0  0x00007f11 in __futex_abstimed_wait_common () from /lib/x86_64-linux-gnu/libc.so.6\n"
        "#1  0x00005511 in threadmill::run_job (job=...) at " TM_SOURCE_DIR "/worker/runner.cpp:120\n"
        "#2  0x00005512 in main (argc=3, argv=0x7ffd) at " TM_SOURCE_DIR "/cli/worker_main.cpp:66\n";
    const auto threads = parse_gdb_backtraces(text);
    ASSERT_EQ(threads.size(), 2u);
    EXPECT_EQ(threads[0].name, "threadmill-work");
    ASSERT_EQ(threads[0].frames.size(), 5u);
    EXPECT_EQ(threads[0].frames[0].module, "/lib/x86_64-linux-gnu/libc.so.6");
    EXPECT_FALSE(threads[0].frames[0].user);
    // A quoted argument with parentheses does not end the argument list early.
    EXPECT_EQ(threads[0].frames[1].function, "tbb::detail::r1::concurrent_monitor::wait");
    EXPECT_EQ(threads[0].frames[1].line, 210);
    EXPECT_TRUE(threads[0].frames[1].user);  // an installed library is the user's
    EXPECT_TRUE(threads[0].frames[2].user);
    EXPECT_FALSE(threads[0].frames[3].user);  // threadmill's own worker
    EXPECT_EQ(threads[0].frames[4].function, "<signal handler called>");
    EXPECT_EQ(first_user_frame(threads[0]), &threads[0].frames[1]);
    // The harness's main thread has no user frame and is left out of the description.
    EXPECT_EQ(first_user_frame(threads[1]), nullptr);
    EXPECT_EQ(describe_hang(threads, "/src/app"),
              (std::vector<std::string>{"thread 4 \"threadmill-work\" blocked in tbb::detail::r1::concurrent_monitor::wait "
                                        "at /usr/include/oneapi/tbb/detail/_concurrent_queue_base.h:210"}));
}

TEST(GdbBacktraces, NoThreadsWithoutAHeader) {
    EXPECT_TRUE(parse_gdb_backtraces("").empty());
    EXPECT_TRUE(parse_gdb_backtraces("ptrace: Operation not permitted.\n#0  main () at x.cpp:1\n").empty());
    // A text cut at its start (the tail of a long file) keeps the threads whose header survived.
    const auto threads = parse_gdb_backtraces("ction (a=1) at /src/a.cpp:3\n\nThread 1 (LWP 9 \"w\"):\n#0  f () at /src/a.cpp:4\n");
    ASSERT_EQ(threads.size(), 1u);
    EXPECT_EQ(threads[0].lwp, 9);
    EXPECT_EQ(threads[0].name, "w");
    ASSERT_EQ(threads[0].frames.size(), 1u);
    EXPECT_EQ(threads[0].frames[0].function, "f");
    EXPECT_TRUE(threads[0].frames[0].user);
}

// Sanitizer logs name threads too ("Thread T1 (tid=42, running) created by main thread at:"): none is a gdb thread.
TEST(GdbBacktraces, SanitizerLogsHaveNoGdbThreads) {
    int files = 0;
    for (const char* compiler : {"gcc", "clang"}) {
        for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(TM_TEST_DATA_DIR) / "sanitizers" /
                                                                 "fixtures" / compiler)) {
            std::ifstream in(e.path());
            std::stringstream ss;
            ss << in.rdbuf();
            EXPECT_TRUE(parse_gdb_backtraces(ss.str()).empty()) << e.path();
            ++files;
        }
    }
    EXPECT_GT(files, 20);
}

TEST(GdbBacktraces, HangStacksSurviveJsonAndOldFilesReadWithout) {
    JobResult r;
    r.index = 1;
    r.timed_out = true;
    r.hang_stacks = parse_gdb_backtraces(fixture("condition_variable_wait.txt"));
    const nlohmann::json j = r;
    ASSERT_TRUE(j.contains("hang_stacks"));
    const auto back = j.get<JobResult>();
    ASSERT_EQ(back.hang_stacks.size(), 3u);
    EXPECT_EQ(back.hang_stacks[1].name, "reader");
    EXPECT_EQ(back.hang_stacks[1].frames.size(), 16u);
    EXPECT_TRUE(back.hang_stacks[1].frames[6].user);
    // A job that did not hang writes no key, and a file without one reads as no stacks.
    JobResult plain;
    const nlohmann::json pj = plain;
    EXPECT_FALSE(pj.contains("hang_stacks"));
    EXPECT_TRUE(pj.get<JobResult>().hang_stacks.empty());
}

}  // namespace
}  // namespace threadmill
