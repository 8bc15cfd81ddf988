// The sanitizer runtimes' options for a worker of each flavor.
#include "sanitizers/environment.hpp"

#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

#include "model/flavor.hpp"
#include "model/worker_protocol.hpp"

namespace threadmill {
namespace fs = std::filesystem;

std::vector<std::pair<std::string, std::string>> sanitizer_environment(const std::string& flavor,
                                                                      const std::string& job_dir,
                                                                      const std::string& suppression_dir,
                                                                      const Scenario& scenario) {
    std::vector<std::pair<std::string, std::string>> env;
    const std::string log = fmt::format("log_path={}/sanitizer", job_dir);
    // One runtime's options: threadmill's defaults, its suppression file, then the scenario's.
    auto add = [&](std::string_view runtime, std::string_view variable, const std::string& defaults) {
        std::string value = defaults;
        if (!suppression_dir.empty()) {
            const auto path = fs::path(suppression_dir) / fmt::format("{}.supp", runtime);
            if (fs::exists(path)) value += fmt::format(":suppressions={}", path.string());
        }
        if (const auto it = scenario.sanitizer_options.find(std::string(runtime)); it != scenario.sanitizer_options.end())
            value += ":" + it->second;
        env.emplace_back(variable, std::move(value));
    };
    // Collect every report (halt_on_error=0) and exit 66 after reporting, so a status tells a
    // report from a crash; the verdict still comes from the reports themselves.
    const std::string common = fmt::format("halt_on_error=0:exitcode={}:{}:print_suppressions=1:symbolize=1",
                                           k_worker_exit_sanitizer, log);
    switch (flavor_of(flavor)) {
        case Flavor::plain: return env;
        case Flavor::tsan:
            add("tsan", "TSAN_OPTIONS", common + ":report_signal_unsafe=1:second_deadlock_stack=1");
            break;
        case Flavor::asan:
            add("asan", "ASAN_OPTIONS",
                common + ":detect_stack_use_after_return=1:detect_leaks=1:abort_on_error=0:check_initialization_order=1");
            add("ubsan", "UBSAN_OPTIONS", common + ":print_stacktrace=1");
            add("lsan", "LSAN_OPTIONS", fmt::format("exitcode={}:print_suppressions=1", k_worker_exit_sanitizer));
            break;
    }
    if (::access("/usr/bin/llvm-symbolizer", X_OK) == 0) {
        env.emplace_back("ASAN_SYMBOLIZER_PATH", "/usr/bin/llvm-symbolizer");
    }
    return env;
}

}  // namespace threadmill
