// `threadmill list`: the targets a worker holds, or the scenarios under some paths.
#include "cli/cmd_list.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "driver/supervisor.hpp"
#include "model/catalog_json.hpp"
#include "scenario/loader.hpp"

namespace threadmill::cli {
namespace {

std::string bounds(const ParamSpec& p) {
    auto show = [&](double v) {
        if (p.type == ParamType::duration) return format_duration(Nanos(static_cast<std::int64_t>(v)));
        if (p.type == ParamType::integer) return fmt::format("{}", static_cast<std::int64_t>(v));
        return fmt::format("{:g}", v);
    };
    const bool has_min = p.min > std::numeric_limits<double>::lowest();
    const bool has_max = p.max < std::numeric_limits<double>::max();
    if (!p.choices.empty()) return fmt::format("one of {}", fmt::join(p.choices, ", "));
    if (has_min && has_max) return fmt::format("{}..{}", show(p.min), show(p.max));
    if (has_min) return fmt::format(">= {}", show(p.min));
    if (has_max) return fmt::format("<= {}", show(p.max));
    return "";
}

/// The variants are listed with what catches them, and those that are builds of their own
/// (threadmill_add_worker(... VARIANT_BUILD ...)) with their build folder in `worker_dir`.
void list_targets(const Catalog& catalog, const std::string& worker_dir) {
    for (const auto& t : catalog.targets) {
        fmt::print("{} — {}\n", t.name, t.description);
        if (!t.seed.empty()) fmt::print("  seed document: {}\n", t.seed);
        fmt::print("  variants:\n");
        for (const auto& v : t.variants) {
            fmt::print("    {:<24} {}{}{}\n", v.name, v.help, v.is_safe() ? " [safe]" : fmt::format(" [caught by {}]", v.caught_by),
                       is_variant_build(worker_dir, v.name)
                           ? fmt::format(" [own build: {}]", variant_build_dir(worker_dir, v.name))
                           : "");
        }
        fmt::print("  operations:\n");
        for (const auto& op : t.ops) {
            fmt::print("    {:<24} {}{}\n", op.name, op.help, op.args.empty() ? "" : fmt::format(" · arg {}", op.args));
        }
        if (!t.params.empty()) fmt::print("  parameters ([params]):\n");
        for (const auto& p : t.params) {
            const std::string range = bounds(p);
            fmt::print("    {:<24} {} = {}{} · {}\n", p.name, to_string(p.type), format_param_value(p.default_value),
                       range.empty() ? "" : fmt::format(" ({})", range), p.help);
        }
        fmt::print("  invariants:\n");
        for (const auto& inv : t.invariants) fmt::print("    {:<24} {}\n", inv.name, inv.help);
        if (t.own_model) {
            fmt::print("  history model (its own, checked by its plain worker): {}{}\n", t.model,
                       t.model_help.empty() ? "" : fmt::format(" — {}", t.model_help));
        } else if (!t.model.empty()) {
            fmt::print("  history model: {}\n", t.model);
        }
        if (t.has_arbiter) fmt::print("  arbiter (lockstep scenarios): {}\n", t.arbiter_help.empty() ? "declared" : t.arbiter_help);
        fmt::print("\n");
    }
}

/// Without paths: ./scenarios when there is one, else an installed driver's <prefix>/share/threadmill/scenarios.
std::vector<std::string> default_scenario_paths() {
    std::error_code ec;
    if (!std::filesystem::is_directory("scenarios", ec)) {
        if (const auto layout = installed_layout(); layout && std::filesystem::is_directory(layout->scenarios, ec))
            return {layout->scenarios.string()};
    }
    return {"scenarios"};
}

ExitCode list_scenarios(WorkerCatalogs& catalogs, const std::vector<std::string>& paths) {
    int bad = 0;
    for (const auto& f : collect_scenario_files(paths.empty() ? default_scenario_paths() : paths)) {
        try {
            const Scenario sc = load_scenario(f, catalogs.for_file(f));
            fmt::print("{:<44} {:<18} target {:<16} variants {} · flavors {}{}\n", f, sc.name, sc.target,
                       fmt::join(sc.variants, ","), fmt::join(sc.flavors, ","),
                       sc.worker_dir.empty() ? "" : fmt::format(" · workers in {}", sc.worker_dir));
        } catch (const ScenarioError& e) {
            fmt::print("{:<44} INVALID (run `threadmill validate {}`)\n", f, f);
            ++bad;
        }
    }
    return bad == 0 ? ExitCode::ok : ExitCode::usage;
}

}  // namespace

void setup_list(CLI::App& app, ListOptions& o) {
    app.add_option("what", o.what, "what to list")->check(CLI::IsMember({"targets", "scenarios"}))->capture_default_str();
    app.add_option("paths", o.paths, "for `scenarios`: files or folders (default: ./scenarios, else the installed built-in scenarios)");
    app.footer("Exit codes: 0 listed; 2 a scenario does not load or a path does not exist; 3 the worker could not be "
               "asked for its targets.");
}

ExitCode run_list(const ListOptions& o, const GlobalOptions& global) {
    WorkerCatalogs catalogs(global);
    if (o.what == "targets") {
        if (!o.paths.empty()) throw CliError(ExitCode::usage, "`list targets` takes no paths");
        list_targets(catalogs.run_catalog(), resolve_worker_dir(global));
        return ExitCode::ok;
    }
    return list_scenarios(catalogs, o.paths);
}

}  // namespace threadmill::cli
