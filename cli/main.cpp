// threadmill: the command-line driver. Parses flags and hands each subcommand to its file.
#include <csignal>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/cmd_check_history.hpp"
#include "cli/cmd_compare.hpp"
#include "cli/cmd_doctor.hpp"
#include "cli/cmd_list.hpp"
#include "cli/cmd_report.hpp"
#include "cli/cmd_replay.hpp"
#include "cli/cmd_run.hpp"
#include "cli/cmd_shrink.hpp"
#include "cli/cmd_validate.hpp"
#include "cli/common.hpp"
#include "model/text.hpp"

using namespace threadmill;
using namespace threadmill::cli;

namespace {

/// After a command line CLI11 refused: "did you mean" for each word that names no subcommand
/// or option of `app` but is close to one (`threadmill rnu`, `run --flavr tsan`).
void suggest_names(const CLI::App& app, int argc, char** argv) {
    std::vector<std::string> commands;
    std::vector<std::string> options;
    const std::function<void(const CLI::App&)> collect = [&](const CLI::App& a) {
        for (const auto* o : a.get_options()) {
            for (const auto& n : o->get_lnames()) options.push_back("--" + n);
        }
        for (const auto* sub : a.get_subcommands([](const CLI::App*) { return true; })) {
            commands.push_back(sub->get_name());
            collect(*sub);
        }
    };
    collect(app);
    for (int i = 1; i < argc; ++i) {
        const std::string word = argv[i];
        if (word.starts_with("--")) {
            const std::string name = word.substr(0, word.find('='));
            if (contains(options, name)) continue;
            if (const auto dym = did_you_mean(name, options); !dym.empty())
                std::fprintf(stderr, "threadmill: unknown option '%s'%s\n", name.c_str(), dym.c_str());
        } else if (i == 1 && !word.starts_with("-") && !contains(commands, word)) {
            std::fprintf(stderr, "threadmill: unknown command '%s'%s\n", word.c_str(), suggestion(word, commands).c_str());
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    // Past a file-size limit (RLIMIT_FSIZE) a write fails with EFBIG, which names the file, instead
    // of a signal killing the driver with its results half written.
    std::signal(SIGXFSZ, SIG_IGN);
    CLI::App app{"threadmill: concurrency stress and race-detection harness for C++ components.\n"
                 "Runs TOML scenarios of barrier-synchronized threads against a target, one worker process per\n"
                 "job, and reports latency percentiles, throughput and correctness (invariants, crashes, hangs)."};
    app.footer(exit_code_help());
    app.require_subcommand(1);
    app.fallthrough();  // global options may follow the subcommand
    GlobalOptions global;
    if (argc > 0 && argv[0][0] != '\0') global.program = argv[0];
    app.add_option("--worker-dir", global.worker_dir,
                   "folder holding threadmill-worker (default: $THREADMILL_WORKER_DIR, else this program's folder)");
    app.set_version_flag("--version", std::string("threadmill ") + TM_VERSION);

    RunOptions run;
    auto* run_cmd = app.add_subcommand("run", "run scenarios and gate on their expectations");
    setup_run(*run_cmd, run);

    ReplayOptions replay;
    auto* replay_cmd = app.add_subcommand("replay", "rerun one recorded job exactly (RESULTS.jsonl#INDEX), optionally K times");
    setup_replay(*replay_cmd, replay);

    ShrinkOptions shrink;
    auto* shrink_cmd = app.add_subcommand("shrink", "make a failing job's scenario smaller while it still fails (RESULTS.jsonl#INDEX)");
    setup_shrink(*shrink_cmd, shrink);

    ListOptions list;
    auto* list_cmd = app.add_subcommand("list", "list targets (variants, operations, parameters) or scenarios");
    setup_list(*list_cmd, list);

    ValidateOptions validate;
    auto* validate_cmd = app.add_subcommand("validate", "check scenario files without running them");
    setup_validate(*validate_cmd, validate);

    ReportOptions report;
    auto* report_cmd = app.add_subcommand("report", "rebuild reports (HTML, JUnit, SARIF, Markdown, JSON) from saved results");
    auto* merge_cmd = setup_report(*report_cmd, report);

    CompareCliOptions compare;
    auto* compare_cmd = app.add_subcommand("compare", "compare the latency and throughput of two saved runs");
    setup_compare(*compare_cmd, compare);

    CheckHistoryOptions check_history;
    auto* check_history_cmd =
        app.add_subcommand("check-history", "check a recorded history (JSON Lines) for linearizability against a model");
    setup_check_history(*check_history_cmd, check_history);

    DoctorOptions doctor;
    auto* doctor_cmd = app.add_subcommand("doctor", "check what makes sanitizer runs fail or lie on this machine");
    setup_doctor(*doctor_cmd, doctor);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        if (code != 0) suggest_names(app, argc, argv);
        return exit_status(code == 0 ? ExitCode::ok : ExitCode::usage);
    }

    std::string command_line;
    for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);
    try {
        if (*run_cmd) return exit_status(run_run(run, global, command_line));
        if (*replay_cmd) return exit_status(run_replay(replay, global, command_line));
        if (*shrink_cmd) return exit_status(run_shrink(shrink, global));
        if (*list_cmd) return exit_status(run_list(list, global));
        if (*merge_cmd) return exit_status(run_report_merge(report));
        if (*report_cmd) return exit_status(run_report(report));
        if (*compare_cmd) return exit_status(run_compare(compare));
        if (*validate_cmd) return exit_status(run_validate(validate, global));
        if (*doctor_cmd) return exit_status(run_doctor(doctor, global));
        if (*check_history_cmd) return exit_status(run_check_history(check_history, global));
        return exit_status(ExitCode::usage);
    } catch (const CliError& e) {
        std::fprintf(stderr, "threadmill: error: %s\n", e.what());
        return exit_status(e.exit_code);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "threadmill: internal error: %s\n", e.what());
        return exit_status(ExitCode::internal);
    }
}
