// Crash consistency of config_store's file: a child process commits multi-field transactions to a
// persisted ConfigStore as fast as it can; the parent kills it with SIGKILL at a random instant,
// then reads the file as the next start would. The file must always hold one whole committed
// state: it parses (parse() accepts only what serialize() wrote, up to its `end` line) and its
// fields agree (a == b == c, each commit writes all three). seed 001 promises atomic writes
// (temporary file, then rename); the `torn_write` fault (rewrite in place) must fail this.
//
// usage: threadmill-crash-consistency [--kills N] [--seed S] [--max-delay-us U] [--torn] [--dir D]
// Exit: 0 when the correct store kept every file whole (or, with --torn, when some kill tore one:
// the check can see the fault); 1 otherwise; 2 for bad arguments or a harness failure.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <thread>

#include "targets/config_store/config_store.hpp"

namespace {

namespace cs = threadmill::config_store;
namespace fs = std::filesystem;

struct Options {
    int kills = 100;
    std::uint64_t seed = 1;
    int max_delay_us = 3000;
    bool torn = false;
    std::string dir;
};

[[noreturn]] void usage(const std::string& why) {
    std::fprintf(stderr,
                 "threadmill-crash-consistency: %s\nusage: threadmill-crash-consistency [--kills N] [--seed S] "
                 "[--max-delay-us U] [--torn] [--dir D]\n",
                 why.c_str());
    std::exit(2);
}

Options parse_args(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(std::string(a) + " needs a value");
            return argv[++i];
        };
        try {
            if (a == "--kills") o.kills = std::stoi(value());
            else if (a == "--seed") o.seed = std::stoull(value());
            else if (a == "--max-delay-us") o.max_delay_us = std::stoi(value());
            else if (a == "--torn") o.torn = true;
            else if (a == "--dir") o.dir = value();
            else usage("unknown argument " + std::string(a));
        } catch (const std::logic_error&) {
            usage("bad number after " + std::string(a));
        }
    }
    if (o.kills < 1 || o.max_delay_us < 1) usage("--kills and --max-delay-us must be at least 1");
    return o;
}

/// The child: commits a = b = c = n for n = 1, 2, ... until it is killed.
[[noreturn]] void commit_forever(const std::string& path, bool torn) {
    cs::ConfigStoreOptions o;
    o.path = path;
    o.thread_cache_ttl = cs::Nanos(0);
    o.faults.torn_write = torn;
    cs::Config initial;
    initial.values = {{"a", 0}, {"b", 0}, {"c", 0}};
    for (int i = 0; i < 32; ++i) initial.values["filler" + std::to_string(i)] = i;  // a file of some length
    cs::ConfigStore store(o, initial);
    for (std::int64_t n = 1;; ++n) {
        store.transaction([n](cs::Config& c) {
            c.values["a"] = n;
            c.values["b"] = n;
            c.values["c"] = n;
            return true;
        });
    }
}

/// Why the file at `path` is not one whole committed state; empty when it is.
std::string judge(const std::string& path) {
    const auto text = cs::read_file(path);
    if (!text) return "the file is gone";
    const auto config = cs::parse(*text);
    if (!config) return "the file does not parse (" + std::to_string(text->size()) + " bytes): torn";
    const auto a = config->value_or("a", -1), b = config->value_or("b", -1), c = config->value_or("c", -1);
    if (a != b || b != c)
        return "fields disagree: a=" + std::to_string(a) + " b=" + std::to_string(b) + " c=" + std::to_string(c);
    return {};
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse_args(argc, argv);
    const fs::path dir = o.dir.empty() ? fs::temp_directory_path() / ("tm-crash-" + std::to_string(::getpid())) : fs::path(o.dir);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) usage("cannot create " + dir.string() + ": " + ec.message());
    const std::string path = (dir / "config.txt").string();

    std::mt19937_64 rng(o.seed);
    std::uniform_int_distribution<int> delay(0, o.max_delay_us);
    int torn = 0, started = 0;
    std::string first;
    for (int k = 0; k < o.kills; ++k) {
        fs::remove(path, ec);
        const pid_t pid = ::fork();
        if (pid < 0) usage("fork failed");
        if (pid == 0) commit_forever(path, o.torn);
        // Let it start (the constructor writes the first file), then kill it at a random instant.
        while (!fs::exists(path, ec)) std::this_thread::yield();
        std::this_thread::sleep_for(std::chrono::microseconds(delay(rng)));
        ::kill(pid, SIGKILL);
        int status = 0;
        if (::waitpid(pid, &status, 0) != pid) usage("waitpid failed");
        if (!WIFSIGNALED(status)) {
            std::fprintf(stderr, "kill %d: the child ended on its own (status %d)\n", k + 1, status);
            return 2;
        }
        ++started;
        if (const std::string why = judge(path); !why.empty()) {
            ++torn;
            if (first.empty()) first = "kill " + std::to_string(k + 1) + ": " + why;
        }
    }
    fs::remove_all(dir, ec);
    std::printf("%s store: %d kills, %d files whole, %d not%s%s\n", o.torn ? "torn_write" : "correct", started,
                started - torn, torn, first.empty() ? "" : "; first: ", first.c_str());
    return (o.torn ? torn > 0 : torn == 0) ? 0 : 1;
}
