// `threadmill doctor`: checks what makes sanitizer runs fail or lie on this machine.
#include "cli/cmd_doctor.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "model/catalog_json.hpp"
#include "driver/debug_info.hpp"
#include "driver/describe.hpp"
#include "driver/supervisor.hpp"
#include "model/flavor.hpp"
#include "scenario/loader.hpp"

namespace threadmill::cli {
namespace {
namespace fs = std::filesystem;

struct Doctor {
    int failures = 0;
    int warnings = 0;
    void ok(const std::string& what) { fmt::print("ok    {}\n", what); }
    void warn(const std::string& what, const std::string& fix) {
        ++warnings;
        fmt::print("warn  {}\n      fix: {}\n", what, fix);
    }
    void fail(const std::string& what, const std::string& fix) {
        ++failures;
        fmt::print("FAIL  {}\n      fix: {}\n", what, fix);
    }
};

/// Runs a command, returning its exit status and its combined output.
std::pair<int, std::string> capture(const std::string& cmd) {
    std::string out;
    FILE* pipe = ::popen((cmd + " 2>&1").c_str(), "r");
    if (pipe == nullptr) return {-1, "cannot run " + cmd};
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
    const int status = ::pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

bool on_path(const std::string& program) {
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        const auto end = std::min(dirs.find(':', start), dirs.size());
        if (::access((fs::path(dirs.substr(start, end - start)) / program).c_str(), X_OK) == 0) return true;
        start = end + 1;
    }
    return false;
}

/// A sanitizer worker without a line table turns every finding into "function, no file:line": a problem.
/// The plain worker is the optimized one and reports no sanitizer findings: only a warning there.
void check_line_info(Doctor& d, Flavor flavor, const std::string& worker) {
    const std::string name(info(flavor).name);
    const LineInfoCheck check = line_info_of(worker);
    const std::string fix = "rebuild the worker with -g (CMAKE_BUILD_TYPE=RelWithDebInfo or Debug; the sanitizer "
                            "workers get -g whatever the build type) and do not strip it";
    switch (check.state) {
        case LineInfo::present:
            d.ok(fmt::format("the {} worker has line information (findings get file:line)", name));
            break;
        case LineInfo::unreadable:
            d.warn(fmt::format("cannot tell whether the {} worker has line information: {}", name, check.detail), fix);
            break;
        case LineInfo::absent:
            if (!info(flavor).flags.empty()) {  // a sanitizer flavor
                d.fail(fmt::format("the {} worker has no line information (no .debug_line): its findings cannot say "
                                   "which file and line",
                                   name),
                       fix);
            } else {
                d.warn(fmt::format("the {} worker has no line information: a crash's backtrace will not say which "
                                   "file and line",
                                   name),
                       fix);
            }
            break;
    }
}

void check_workers(Doctor& d, const std::string& worker_dir) {
    for (const auto& row : all_flavors()) {
        const std::string flavor(row.name);
        const std::string w = worker_path(worker_dir, flavor);
        if (!fs::exists(w)) {
            d.fail(fmt::format("the {} worker is not built ({})", flavor, w),
                   "cmake --preset default && cmake --build --preset default (sanitizer workers need the CMake "
                   "option TM_SANITIZER_FLAVORS=ON, the default)");
            continue;
        }
        const auto [status, out] = capture(fmt::format("'{}' --describe", w));
        if (status != 0) {
            std::string fix = "run the worker by hand to see why";
            if (out.find("unexpected memory mapping") != std::string::npos)
                fix = "ThreadSanitizer cannot map its shadow memory: sudo sysctl vm.mmap_rnd_bits=28";
            d.fail(fmt::format("the {} worker does not start: {}", flavor, first_line(out)), fix);
        } else {
            d.ok(fmt::format("the {} worker runs ({})", flavor, w));
        }
        check_line_info(d, row.flavor, w);
    }
}

/// Each variant build in `<worker_dir>/variants/` (threadmill_add_worker(... VARIANT_BUILD ...)):
/// a worker for every flavor the default build has, each saying it was built for that variant.
void check_variant_builds(Doctor& d, const std::string& worker_dir) {
    const fs::path root = fs::path(worker_dir) / "variants";
    std::error_code ec;
    if (!fs::is_directory(root, ec)) return;
    std::vector<std::string> variants;
    for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->is_directory(ec)) variants.push_back(it->path().filename().string());
    }
    std::sort(variants.begin(), variants.end());
    for (const auto& variant : variants) {
        const std::string dir = variant_build_dir(worker_dir, variant);
        std::vector<std::string> flavors, problems;
        for (const auto& row : all_flavors()) {
            const std::string flavor(row.name);
            if (!fs::exists(worker_path(worker_dir, flavor))) continue;  // reported above
            const std::string w = worker_path(dir, flavor);
            if (!fs::exists(w)) {
                problems.push_back(fmt::format("no {} worker ({})", flavor, w));
                continue;
            }
            try {
                const auto build = describe_worker_build(w).build;
                if (!build) problems.push_back(fmt::format("{} does not say how it was built", w));
                else if (build->variant_build != variant)
                    problems.push_back(fmt::format("{} says it was built for {}", w,
                                                   build->variant_build.empty() ? std::string("the default build")
                                                                                : "variant '" + build->variant_build + "'"));
                else flavors.push_back(flavor);
            } catch (const std::exception& e) {
                problems.push_back(first_line(e.what()));
            }
        }
        if (problems.empty()) {
            d.ok(fmt::format("variant '{}' is a build of its own ({}): {}", variant, fmt::join(flavors, ", "), dir));
        } else {
            d.fail(fmt::format("the build of variant '{}' in {}: {}", variant, dir, fmt::join(problems, "; ")),
                   fmt::format("rebuild it with threadmill_add_worker(... VARIANT_BUILD {} ...), or remove the folder",
                               variant));
        }
    }
}

void check_mmap_rnd_bits(Doctor& d) {
    std::ifstream in("/proc/sys/vm/mmap_rnd_bits");
    int bits = 0;
    if (!(in >> bits)) {
        d.ok("vm.mmap_rnd_bits is not readable here (nothing to check)");
    } else if (bits > 28) {
        d.warn(fmt::format("vm.mmap_rnd_bits = {}: the TSan runtimes of g++ 12 and clang 14 may abort with "
                           "'unexpected memory mapping'",
                           bits),
               "sudo sysctl vm.mmap_rnd_bits=28");
    } else {
        d.ok(fmt::format("vm.mmap_rnd_bits = {} (TSan can map its shadow memory)", bits));
    }
}

/// Names threadmill's folder of suppression files (installed or source tree), or warns that
/// there is none, and the folder $THREADMILL_SANITIZER_DIR adds.
void check_suppressions(Doctor& d) {
    const std::string dir = resolve_sanitizer_dir();
    if (dir.empty()) {
        d.warn("no folder of threadmill's suppression files: sanitizer runs use only yours",
               "reinstall threadmill (<prefix>/share/threadmill/sanitizers)");
    } else {
        d.ok(fmt::format("suppression files: {}", dir));
    }
    if (const std::string extra = environment_sanitizer_dir(); !extra.empty())
        d.ok(fmt::format("more suppression files ($THREADMILL_SANITIZER_DIR): {}", extra));
}

void check_tools(Doctor& d) {
    if (on_path("llvm-symbolizer")) {
        d.ok("llvm-symbolizer found (sanitizer stacks get file:line)");
    } else {
        d.warn("no llvm-symbolizer on PATH: clang-built workers print stacks without file:line, and findings lose "
               "their location",
               "apt-get install llvm");
    }
    if (::access("/usr/bin/gdb", X_OK) == 0) {
        d.ok("gdb found (a hung job gets backtraces of every thread)");
        std::ifstream in("/proc/sys/kernel/yama/ptrace_scope");
        int scope = 0;
        if ((in >> scope) && scope > 1 && ::geteuid() != 0)
            d.warn(fmt::format("kernel.yama.ptrace_scope = {}: gdb cannot attach to a hung worker", scope),
                   "sudo sysctl kernel.yama.ptrace_scope=1");
    } else {
        d.warn("no gdb: a hung job is reported with each thread's operation but without backtraces",
               "apt-get install gdb");
    }
}

void check_cores(Doctor& d, const GlobalOptions& g, const std::vector<std::string>& paths) {
    const unsigned cores = std::thread::hardware_concurrency();
    d.ok(fmt::format("{} CPU core{}", cores, cores == 1 ? "" : "s"));
    if (paths.empty()) return;
    WorkerCatalogs catalogs(g);
    for (const auto& f : collect_scenario_files(paths)) {
        try {
            const Scenario sc = load_scenario(f, catalogs.for_file(f));
            if (static_cast<unsigned>(sc.thread_count()) > cores) {
                d.warn(fmt::format("{}: {} threads on {} cores: races are still found, but latency figures include "
                                   "time spent waiting for a core",
                                   f, sc.thread_count(), cores),
                       "fewer threads, or judge its latency only against a budget relative to the safe variant");
            }
        } catch (const ScenarioError& e) {
            d.fail(fmt::format("{} does not load", f), fmt::format("threadmill validate {}", f));
        }
    }
}

}  // namespace

void setup_doctor(CLI::App& app, DoctorOptions& o) {
    app.add_option("paths", o.paths, "scenarios to compare with this machine's cores (optional)");
    app.footer("Exit codes: 0 nothing would make sanitizer runs fail or lie here (warnings may remain); 1 at least one "
               "problem, each with its fix.");
}

ExitCode run_doctor(const DoctorOptions& o, const GlobalOptions& global) {
    Doctor d;
    check_workers(d, resolve_worker_dir(global));
    check_variant_builds(d, resolve_worker_dir(global));
    check_suppressions(d);
    check_mmap_rnd_bits(d);
    check_tools(d);
    check_cores(d, global, o.paths);
    fmt::print("threadmill doctor: {} problem{}, {} warning{}\n", d.failures, d.failures == 1 ? "" : "s", d.warnings,
               d.warnings == 1 ? "" : "s");
    return d.failures > 0 ? ExitCode::failed : ExitCode::ok;
}

}  // namespace threadmill::cli
