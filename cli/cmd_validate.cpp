// `threadmill validate`: check scenario files against the targets without running anything.
#include "cli/cmd_validate.hpp"
#include "driver/history_check.hpp"
#include "scenario/loader.hpp"

#include <fmt/format.h>

namespace threadmill::cli {

void setup_validate(CLI::App& app, ValidateOptions& o) {
    app.add_option("paths", o.paths, "scenario files, or folders searched for *.toml")->required();
    app.footer("Also checks the project's suppression file (threadmill-suppressions.txt beside the worker) and "
               "$THREADMILL_SANITIZER_DIR's.\nExit codes: 0 every scenario is valid; 2 a scenario or suppression file "
               "has errors (each printed as file:line:col) or a path does not exist; 3 the worker could not be asked "
               "for its targets.");
}

ExitCode run_validate(const ValidateOptions& o, const GlobalOptions& global) {
    WorkerCatalogs catalogs(global);
    int bad = 0;
    const auto files = collect_scenario_files(o.paths);
    for (const auto& f : files) {
        try {
            const Catalog& catalog = catalogs.for_file(f);
            const Scenario sc = load_scenario(f, catalog);
            if (const auto why = check_model_problem(sc, catalog.find(sc.target)); !why.empty()) {
                fmt::print(stderr, "{}\n", why);
                ++bad;
                continue;
            }
            fmt::print("ok  {} ({} · {} variant{} · {} flavor{}{})\n", f, sc.target, sc.variants.size(),
                       sc.variants.size() == 1 ? "" : "s", sc.flavors.size(), sc.flavors.size() == 1 ? "" : "s",
                       sc.worker_dir.empty() ? "" : fmt::format(" · workers in {}", sc.worker_dir));
        } catch (const ScenarioError& e) {
            print_diagnostics(e);
            ++bad;
        }
    }
    // The project's suppression file (beside the worker) and $THREADMILL_SANITIZER_DIR's are
    // checked too: every sanitizer job would read them.
    for (const auto& src : run_suppressions(resolve_worker_dir(global))) {
        if (src.origin != k_origin_threadmill)
            fmt::print("ok  {} ({} suppression{}, {})\n", src.path, src.patterns.size(),
                       src.patterns.size() == 1 ? "" : "s", src.origin);
    }
    if (bad > 0) {
        fmt::print(stderr, "threadmill: {} of {} scenario file{} invalid\n", bad, files.size(), files.size() == 1 ? "" : "s");
        return ExitCode::usage;
    }
    return ExitCode::ok;
}

}  // namespace threadmill::cli
