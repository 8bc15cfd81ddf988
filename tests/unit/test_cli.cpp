// End-to-end tests of the `threadmill` binary: real scenario files, exit codes and output.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/support/command.hpp"

namespace {
namespace fs = std::filesystem;

using CliResult = threadmill::testing::SplitCommandResult;

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// Runs a whole command line (as a replay line prints it) from the tests/ folder.
CliResult cli_command(const std::string& command) {
    return threadmill::testing::run_command_split(fmt::format("cd '{}' && NO_COLOR=1 {}", TM_TEST_DATA_DIR, command));
}

/// Runs the driver from the tests/ folder with `args` (already shell-quoted where needed).
CliResult cli(const std::string& args) { return cli_command(fmt::format("'{}' {}", TM_DRIVER_PATH, args)); }

std::string out_dir(const std::string& name) {
    return (fs::temp_directory_path() / fmt::format("tm-cli-{}-{}", ::getpid(), name)).string();
}

const std::string k_selftest = fmt::format("--worker-dir '{}'", TM_SELFTEST_WORKER_DIR);

TEST(Cli, HelpExplainsCommandsAndExitCodes) {
    const auto r = cli("--help");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("run"), std::string::npos);
    EXPECT_NE(r.out.find("validate"), std::string::npos);
    EXPECT_NE(r.out.find("Exit codes: 0"), std::string::npos);
}

TEST(Cli, NoSubcommandIsAUsageError) { EXPECT_EQ(cli("").exit_code, 2); }

TEST(Cli, ListTargetsShowsTheCacheTarget) {
    const auto r = cli("list targets");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("cache"), std::string::npos);
    EXPECT_NE(r.out.find("double_dispatch"), std::string::npos);
    EXPECT_NE(r.out.find("queue_get_next"), std::string::npos);
    EXPECT_NE(r.out.find("default_ttl"), std::string::npos);
    // config_store declares a lockstep arbiter; cache does not.
    EXPECT_NE(r.out.find("  arbiter (lockstep scenarios): how much the counter grew this round"), std::string::npos) << r.out;
    const auto cache = r.out.find("cache — ");
    ASSERT_NE(cache, std::string::npos);
    EXPECT_EQ(r.out.substr(cache, r.out.find("\n\n", cache) - cache).find("arbiter"), std::string::npos);
}

TEST(Cli, ValidateReportsErrorsWithFileLineColumn) {
    const auto r = cli("validate scenarios/bad");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("scenarios/bad/"), std::string::npos);
    EXPECT_NE(r.err.find(": error: "), std::string::npos);
}

TEST(Cli, ValidateAcceptsTheBuiltInScenarios) {
    const auto r = cli(fmt::format("validate '{}/../scenarios'", TM_TEST_DATA_DIR));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("ok  "), std::string::npos);
}

TEST(Cli, MissingPathIsAUsageError) {
    const auto r = cli("run no/such/scenario.toml");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("threadmill: error: no such file or folder: no/such/scenario.toml"), std::string::npos);
}

TEST(Cli, UnknownVariantIsAUsageErrorWithASuggestion) {
    const auto r = cli(fmt::format("run {} scenarios/selftest/misbehave.toml --variant crsh", k_selftest));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("did you mean 'crash'?"), std::string::npos) << r.err;
}

TEST(Cli, CaughtMutantsMeetTheirExpectationsAndReadCaught) {
    const std::string out = out_dir("met");
    const auto r = cli(fmt::format("run {} scenarios/selftest/misbehave.toml --variant safe,crash,broken --seed 5 --out '{}' -v",
                                   k_selftest, out));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("3 jobs"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("1 ok, 2 caught (expected), 0 MISSED, 0 UNEXPECTED, 0 ERROR"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("misbehave · crash · plain · seed 5 · caught (expected)"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
    // Nothing needs a look, so nothing to replay.
    EXPECT_EQ(r.out.find("replay"), std::string::npos) << r.out;
    // SIGSEGV; in the harness's own sanitizer builds, ASan's SEGV report or UBSan's null store.
    EXPECT_TRUE(r.out.find("SEGV") != std::string::npos || r.out.find("null pointer") != std::string::npos) << r.out;
    EXPECT_NE(r.out.find("p99.9"), std::string::npos);  // -v: the latency table of the safe job
    EXPECT_TRUE(fs::exists(fs::path(out) / "results.jsonl"));
    fs::remove_all(out);
}

TEST(Cli, WithoutVerboseJobsThatMetTheirExpectationShareTheirGroupsLine) {
    const std::string out = out_dir("brief");
    const auto r = cli(fmt::format("run {} scenarios/selftest/misbehave.toml --variant safe,broken --seed 5 --out '{}'",
                                   k_selftest, out));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out.find("p99.9"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("invariants"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("] misbehave · plain · seed 5 · "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(" · safe ok · broken caught (expected) by invariant:"), std::string::npos) << r.out;
    fs::remove_all(out);
}

TEST(Cli, AMissIsListedForReplayAndItsPrintedCommandRuns) {
    const std::string out = out_dir("replay");
    const auto r = cli(fmt::format("run {} scenarios/selftest/wrong-expectation.toml scenarios/selftest/misbehave.toml "
                                   "--variant safe,crash --seed 1 --out '{}'",
                                   k_selftest, out));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("UNEXPECTED: expected timeout, but caught by crash"), std::string::npos) << r.out;
    // Only the miss is listed; it names the worker folder and the output folder of this run.
    const auto header = r.out.find("replay the jobs that need a look:\n");
    ASSERT_NE(header, std::string::npos) << r.out;
    std::istringstream lines(r.out.substr(header));
    std::string line, replay;
    std::getline(lines, line);
    int listed = 0;
    while (std::getline(lines, line) && line.starts_with("  ")) {
        ++listed;
        replay = line.substr(2, line.find("   # ") - 2);
    }
    EXPECT_EQ(listed, 1) << r.out;
    EXPECT_NE(replay.find(fmt::format("--worker-dir {}", TM_SELFTEST_WORKER_DIR)), std::string::npos) << replay;
    EXPECT_NE(replay.find(fmt::format("--out {}", out)), std::string::npos) << replay;
    EXPECT_NE(replay.find("wrong-expectation.toml --variant crash --flavor plain --seed 1"), std::string::npos) << replay;
    EXPECT_EQ(r.out.find("misbehave.toml --variant crash"), std::string::npos) << "a caught job was listed: " << r.out;

    // The command runs as printed, from the same folder: the same job, the same outcome.
    fs::remove_all(out);
    const auto again = cli_command(replay);
    EXPECT_EQ(again.exit_code, 1) << again.out << again.err;
    EXPECT_NE(again.out.find("1 job in"), std::string::npos) << again.out;
    EXPECT_NE(again.out.find("wrong-expectation · crash · plain · seed 1 · UNEXPECTED"), std::string::npos) << again.out;
    EXPECT_TRUE(fs::exists(fs::path(out) / "results.jsonl"));
    fs::remove_all(out);
}

// A scenario that names its workers (`worker = "..."`, relative to its own folder) runs on them
// whatever --worker-dir says, and its replay command needs no --worker-dir.
TEST(Cli, AScenarioRunsOnTheWorkersItNames) {
    const fs::path dir = out_dir("scenario-worker");
    fs::create_directories(dir / "scenarios");
    const std::string relative = fs::relative(TM_SELFTEST_WORKER_DIR, dir / "scenarios").string();
    const std::string text = slurp(fs::path(TM_TEST_DATA_DIR) / "scenarios" / "selftest" / "wrong-expectation.toml");
    std::ofstream(dir / "scenarios" / "mine.toml") << "worker = '" << relative << "'\n" << text;
    const fs::path out = dir / "out";
    // The run's own workers hold no `selftest` target: only the scenario's can run it.
    const auto r = cli(fmt::format("--worker-dir '{}' run '{}' --seed 1 --out '{}'",
                                   fs::path(TM_DRIVER_PATH).parent_path().string(), (dir / "scenarios").string(),
                                   out.string()));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("wrong-expectation · crash · plain · seed 1 · UNEXPECTED"), std::string::npos) << r.out;
    const std::string heading = "replay the jobs that need a look:\n  ";
    const auto header = r.out.find(heading);
    ASSERT_NE(header, std::string::npos) << r.out;
    const auto start = header + heading.size();
    const std::string replay = r.out.substr(start, r.out.find("   # ", start) - start);
    EXPECT_EQ(replay.find("--worker-dir"), std::string::npos) << replay;
    // The context records the worker that ran the jobs.
    const std::string results = slurp(out / "results.jsonl");
    EXPECT_NE(results.find(fs::path(TM_SELFTEST_WORKER_DIR).lexically_normal().string() + "/threadmill-worker"),
              std::string::npos)
        << results.substr(0, 2000);
    const auto again = cli_command(replay);
    EXPECT_EQ(again.exit_code, 1) << again.out << again.err;
    EXPECT_NE(again.out.find("wrong-expectation · crash · plain · seed 1 · UNEXPECTED"), std::string::npos) << again.out;

    const auto listed = cli(fmt::format("list scenarios '{}'", (dir / "scenarios").string()));
    EXPECT_EQ(listed.exit_code, 0) << listed.out << listed.err;
    EXPECT_NE(listed.out.find("· workers in " + fs::path(TM_SELFTEST_WORKER_DIR).lexically_normal().string()),
              std::string::npos)
        << listed.out;
    fs::remove_all(dir);
}

TEST(Cli, AScenarioNamingAFolderWithoutWorkersIsAnErrorAtTheKey) {
    const fs::path dir = out_dir("scenario-no-worker");
    fs::create_directories(dir);
    const std::string text = slurp(fs::path(TM_TEST_DATA_DIR) / "scenarios" / "selftest" / "misbehave.toml");
    std::ofstream(dir / "mine.toml") << "worker = \"nowhere\"\n" << text;
    const std::string scenario = (dir / "mine.toml").string();
    for (const std::string& args :
         {fmt::format("validate '{}'", scenario), fmt::format("run '{}' --out '{}'", scenario, (dir / "out").string())}) {
        const auto r = cli(args);
        EXPECT_EQ(r.exit_code, 2) << args << r.out << r.err;
        EXPECT_NE(r.err.find(fmt::format("{}:1:10: error: worker: {} holds no worker (threadmill-worker is missing)",
                                         scenario, (dir / "nowhere").string())),
                  std::string::npos)
            << args << r.err;
    }
    EXPECT_FALSE(fs::exists(dir / "out")) << "nothing runs when a scenario cannot be loaded";
    fs::remove_all(dir);
}

/// The job lines of a run's results.jsonl, by variant.
std::map<std::string, nlohmann::json> jobs_by_variant(const fs::path& out) {
    std::map<std::string, nlohmann::json> jobs;
    std::istringstream lines(slurp(out / "results.jsonl"));
    for (std::string line; std::getline(lines, line);) {
        const auto j = nlohmann::json::parse(line);
        if (j.value("type", "") == "job") jobs[j.value("variant", "")] = j;
    }
    return jobs;
}

TEST(Cli, ATargetsOwnModelChecksItsHistoriesAndCatchesTheBrokenVariant) {
    const auto out = out_dir("own-model");
    const auto r = cli(fmt::format("run {} scenarios/selftest/own-model.toml --seed 3 --out '{}'", k_selftest, out));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("safe ok"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("last_write caught (expected) by linearizability"), std::string::npos) << r.out;
    const auto jobs = jobs_by_variant(out);
    ASSERT_EQ(jobs.size(), 2u);
    const auto& safe = jobs.at("safe").at("linearizability");
    EXPECT_EQ(safe.value("model", ""), "max_register");
    EXPECT_EQ(safe.value("verdict", ""), "linearizable");
    EXPECT_GT(safe.value("partitions", 0), 1);  // partitioned by key: the model says by_key
    const auto& broken = jobs.at("last_write");
    EXPECT_EQ(broken.at("linearizability").value("verdict", ""), "not linearizable");
    EXPECT_FALSE(broken.at("linearizability").at("window").empty());
    ASSERT_FALSE(broken.at("detections").empty());
    EXPECT_EQ(broken.at("detections")[0].value("mechanism", ""), "linearizability");
    EXPECT_NE(broken.at("detections")[0].value("detail", "").find("against model 'max_register'"), std::string::npos);
    fs::remove_all(out);
}

TEST(Cli, AnOwnModelThatRefusesOrDiesOnTheHistoryIsAnErrorNotACrash) {
    const auto out = out_dir("own-model-errors");
    const auto r = cli(fmt::format("run {} scenarios/selftest/own-model-errors.toml --seed 3 --out '{}'", k_selftest, out));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    const auto jobs = jobs_by_variant(out);
    ASSERT_EQ(jobs.size(), 2u);
    for (const auto& [variant, job] : jobs) {
        EXPECT_EQ(job.value("verdict", ""), "error") << variant;
        EXPECT_EQ(job.at("linearizability").value("verdict", ""), "error") << variant;
    }
    EXPECT_NE(jobs.at("model_throws").at("linearizability").value("error", "").find(
                  "history.jsonl:1: error: op 0 (line 1, process 0, 'peek'): max_register: the model's step threw"),
              std::string::npos)
        << jobs.at("model_throws");
    EXPECT_NE(jobs.at("model_crashes").at("linearizability").value("error", "").find("was killed by SIGABRT"),
              std::string::npos)
        << jobs.at("model_crashes");
    fs::remove_all(out);
}

TEST(Cli, ValidateAcceptsATargetsOwnModelAndNamesItAmongTheChoices) {
    auto r = cli(fmt::format("list targets {}", k_selftest));
    EXPECT_NE(r.out.find("  history model (its own, checked by its plain worker): max_register — write: input n"),
              std::string::npos)
        << r.out;
    r = cli(fmt::format("validate {} scenarios/selftest/own-model.toml", k_selftest));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    const fs::path dir = out_dir("own-model-validate");
    fs::create_directories(dir);
    std::string text = slurp(fs::path(TM_TEST_DATA_DIR) / "scenarios" / "selftest" / "own-model.toml");
    text.replace(text.find("history_limit"), 0, "model = \"max_registr\"\n");
    std::ofstream(dir / "typo.toml") << text;
    r = cli(fmt::format("validate {} '{}'", k_selftest, (dir / "typo.toml").string()));
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("check.model 'max_registr' is neither a built-in model nor a model of target 'max_register'; "
                         "did you mean 'max_register'? (one of: register, kv, queue, set, counter, max_register)"),
              std::string::npos)
        << r.err;
    fs::remove_all(dir);
}

TEST(Cli, JsonOutputIsOneDocument) {
    const std::string out = out_dir("json");
    const auto r = cli(fmt::format("run {} scenarios/selftest/misbehave.toml --variant safe --iterations 100 --seed 2 "
                                   "--json --out '{}'",
                                   k_selftest, out));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc.at("summary").at("met"), 1);
    EXPECT_EQ(doc.at("jobs").at(0).at("seed"), 2);
    EXPECT_EQ(doc.at("jobs").at(0).at("measurement").at("total_ops"), 200);  // 2 threads x 100
    fs::remove_all(out);
}

// Each caught job says when its first detection happened and after how many operations, and the
// run's detection rates cover every scenario x variant x flavor over its seeds.
TEST(Cli, CaughtJobsAreTimedAndRepeatedJobsGetDetectionRates) {
    const std::string out = out_dir("rates");
    const auto r = cli(fmt::format("run {} scenarios/selftest/misbehave.toml --variant safe,throw,broken,crash --seed 7 "
                                   "--seeds 3 --json --out '{}'",
                                   k_selftest, out));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    int checked = 0;
    for (const auto& job : doc.at("jobs")) {
        const std::string variant = job.at("variant");
        if (variant == "safe") {
            EXPECT_FALSE(job.contains("first_detection")) << job.dump();
            EXPECT_GT(job.at("ops_run").get<std::uint64_t>(), 0u);
            continue;
        }
        ASSERT_TRUE(job.contains("first_detection")) << job.dump();
        const auto& first = job.at("first_detection");
        EXPECT_GE(first.at("seconds").get<double>(), 0.0);
        EXPECT_LE(first.at("seconds").get<double>(), job.at("elapsed_seconds").get<double>());
        const auto ops = first.at("ops").get<std::uint64_t>();
        if (variant == "throw") {
            // trigger_after = 50 ops over both threads: the 50th counted op throws, and at most
            // the other thread's one op is still in flight then.
            EXPECT_EQ(first.at("mechanism"), "exception");
            EXPECT_GE(ops, 49u);
            EXPECT_LE(ops, job.at("ops_run").get<std::uint64_t>());
        } else if (variant == "broken") {
            // Broken at the final check: after every operation.
            EXPECT_EQ(first.at("mechanism"), "invariant");
            EXPECT_EQ(ops, job.at("ops_run").get<std::uint64_t>());
            EXPECT_EQ(job.at("detection_events"), 1);
        } else {
            EXPECT_EQ(first.at("mechanism"), "crash");
            EXPECT_GE(ops, 49u);
        }
        ++checked;
    }
    EXPECT_EQ(checked, 9);
    const auto& rates = doc.at("summary").at("detection_rates");
    ASSERT_EQ(rates.size(), 4u) << rates.dump();
    for (const auto& rate : rates) {
        EXPECT_EQ(rate.at("jobs"), 3);
        if (rate.at("variant") == "safe") {
            EXPECT_EQ(rate.at("detected"), 0);
            EXPECT_NEAR(rate.at("zero_bound").get<double>(), 0.6316, 1e-4);  // 1 - 0.05^(1/3)
        } else {
            EXPECT_EQ(rate.at("detected"), 3);
            EXPECT_NEAR(rate.at("rate_low").get<double>(), 0.4385, 1e-4);  // Wilson, 3 of 3 at 95%
            EXPECT_EQ(rate.at("jobs_for_goal"), 8);  // 1 - (1 - 0.4385)^8 >= 0.99
            EXPECT_EQ(rate.at("timed"), 3);
        }
    }
    // The console and the HTML report say the same in words.
    const auto text = cli(fmt::format("report '{0}/results.jsonl' --console --report html='{0}/r.html'", out));
    EXPECT_EQ(text.exit_code, 0) << text.err;
    EXPECT_NE(text.out.find("detection rates (95% Wilson intervals"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("misbehave · safe · plain: flagged 0/3 jobs (0%-56.1%); rate under 63.2% per job (95%)"),
              std::string::npos)
        << text.out;
    EXPECT_NE(text.out.find("misbehave · throw · plain: detected 3/3 jobs (43.9%-100.0%); 8 jobs for 99%; first detection median "),
              std::string::npos)
        << text.out;
    const std::string html = slurp(fs::path(out) / "r.html");
    EXPECT_NE(html.find("Detection rates"), std::string::npos);
    EXPECT_NE(html.find("3/3 jobs (43.9%-100.0%)"), std::string::npos);
    EXPECT_NE(html.find("<dt>First detection</dt><dd>exception after "), std::string::npos);
    fs::remove_all(out);
}

// --confirm reruns a miss with its seed: a crash expected to be a timeout misses every time.
TEST(Cli, ConfirmCallsADeterministicMissDeterministicAndReplayRerunsTheRecordedJob) {
    const std::string out = out_dir("confirm");
    auto r = cli(fmt::format("run {} scenarios/selftest/wrong-expectation.toml --seed 4 --confirm 2 --out '{}'", k_selftest, out));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("deterministic: UNEXPECTED again in 2 of 2 reruns with the same seed"), std::string::npos) << r.out;
    const auto results = slurp(fs::path(out) / "results.jsonl");
    EXPECT_NE(results.find("\"confirmation\":{\"outcomes\":"), std::string::npos) << results;
    EXPECT_TRUE(fs::exists(fs::path(out) / "jobs"));

    // The recorded job, rerun from another folder: its scenario is found from the folder the run
    // started in, its workers from the run's record, and its seed is the same.
    const std::string replay_out = out + "-replay";
    r = cli_command(fmt::format("cd / && '{}' replay '{}/results.jsonl#1' --out '{}' --json", TM_DRIVER_PATH, out, replay_out));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;  // it fails again
    const auto doc = nlohmann::json::parse(r.out);
    ASSERT_EQ(doc.at("jobs").size(), 1u);
    const auto& job = doc.at("jobs").at(0);
    EXPECT_EQ(job.at("scenario"), "wrong-expectation");
    EXPECT_EQ(job.at("variant"), "crash");
    EXPECT_EQ(job.at("seed"), 4);
    EXPECT_EQ(job.at("outcome"), "unexpected");  // a crash where a timeout was expected
    EXPECT_FALSE(doc.at("context").contains("iterations_override"));

    r = cli(fmt::format("replay '{}/results.jsonl#9'", out));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("has no job 9: its jobs are 1 to 1"), std::string::npos) << r.err;
    r = cli(fmt::format("replay '{}/results.jsonl'", out));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("RESULTS.jsonl#INDEX"), std::string::npos) << r.err;
    fs::remove_all(out);
    fs::remove_all(replay_out);
}

// A safe variant that fails in every other run (the selftest `alternating`, counting its runs in a
// file) is flaky: one of three reruns fails again, and the report says it is a finding about the target.
TEST(Cli, ConfirmCallsAnIntermittentFailureOfASafeVariantFlakyAndAFinding) {
    const std::string out = out_dir("flaky");
    const std::string counter = out + "-runs";
    fs::remove(counter);
    const auto r = cli_command(fmt::format("TM_SELFTEST_RUN_COUNTER='{}' '{}' run {} scenarios/selftest/flaky.toml --seed 3 "
                                           "--confirm 3 --out '{}'",
                                           counter, TM_DRIVER_PATH, k_selftest, out));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("flaky: UNEXPECTED again in 1 of 3 reruns with the same seed (a safe variant that fails only "
                         "sometimes is a real finding about the target"),
              std::string::npos)
        << r.out;
    EXPECT_EQ(slurp(counter), "4\n");  // the run and its three reruns
    fs::remove_all(out);
    fs::remove(counter);
}

// --set changes every scenario's key for the run, the workers' too; replay commands and
// `threadmill replay` carry it.
TEST(Cli, SetOverridesScenarioKeysInTheWorkersAndReplaysCarryIt) {
    const std::string out = out_dir("set");
    auto r = cli(fmt::format("run {} scenarios/selftest/misbehave.toml --variant safe --seed 3 --iterations 400 "
                             "--set sync.mode=rounds --set sync.ops_per_round=10 --set chaos.strategy=portfolio --json --out '{}'",
                             k_selftest, out));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    auto doc = nlohmann::json::parse(r.out);
    const auto& m = doc.at("jobs").at(0).at("measurement");
    EXPECT_EQ(m.at("rounds"), 40);  // 400 ops per thread, 10 a round
    EXPECT_EQ(m.at("schedule").size(), 4u);  // a portfolio's four slices
    const std::string replay = doc.at("jobs").at(0).at("replay");
    EXPECT_NE(replay.find("--set sync.mode=rounds --set sync.ops_per_round=10 --set chaos.strategy=portfolio"),
              std::string::npos)
        << replay;
    r = cli(fmt::format("replay '{0}/results.jsonl#1' --json --out '{0}/again'", out));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc.at("jobs").at(0).at("measurement").at("rounds"), 40);

    // Without a start barrier (the naive loop a barrier is measured against) every op still runs.
    r = cli(fmt::format("run {} scenarios/selftest/misbehave.toml --variant safe --seed 3 --iterations 100 "
                        "--set sync.start_barrier=false --json --out '{}'",
                        k_selftest, out));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out).at("jobs").at(0).at("measurement").at("total_ops"), 200);

    r = cli(fmt::format("run {} scenarios/selftest/misbehave.toml --set keys.count=0 --out '{}'", k_selftest, out));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("keys.count"), std::string::npos) << r.err;
    r = cli(fmt::format("run {} scenarios/selftest/misbehave.toml --set nonsense --out '{}'", k_selftest, out));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("write KEY=VALUE"), std::string::npos) << r.err;
    fs::remove_all(out);
}

// Shrinking a deterministic failure (a throw where a hang was expected: UNEXPECTED): everything
// that is not needed for `throw` to throw goes, and the smaller scenario, which says what was
// removed, still fails the same way.
TEST(Cli, ShrinkRemovesWhatTheMissDoesNotNeedAndTheResultStillMisses) {
    const std::string out = out_dir("shrink");
    auto r = cli(fmt::format("run {} scenarios/selftest/shrinkable.toml --seed 9 --out '{}' -q", k_selftest, out));
    ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
    const std::string shrunk = out + "/small.toml";
    r = cli(fmt::format("shrink '{}/results.jsonl#1' --runs 2 -o '{}'", out, shrunk));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("the job as recorded: UNEXPECTED in 2 of 2 runs"), std::string::npos) << r.out;
    const std::string text = slurp(shrunk);
    EXPECT_NE(text.find("# Removed: "), std::string::npos) << text;
    EXPECT_NE(text.find("group 'idlers'"), std::string::npos) << text;
    EXPECT_NE(text.find("threads of 'workers' 3 -> 1"), std::string::npos) << text;
    EXPECT_NE(text.find("operation 'idle' from the mix of 'workers'"), std::string::npos) << text;
    EXPECT_NE(text.find("keys 64 -> 1"), std::string::npos) << text;
    EXPECT_NE(text.find("ends UNEXPECTED in 2 of 2 runs"), std::string::npos) << text;
    // `work` throws from its 10th op on: one thread needs at least 10 iterations, and halving
    // from 400 stops at 12 (6 would never throw).
    EXPECT_NE(text.find("iterations = 12"), std::string::npos) << text;
    EXPECT_NE(text.find("iterations 400 -> 12"), std::string::npos) << text;  // the halvings in one entry
    const auto first_group = text.find("[[group]]");
    ASSERT_NE(first_group, std::string::npos) << text;
    EXPECT_EQ(text.find("[[group]]", first_group + 1), std::string::npos) << text;  // one group left

    // The written file runs on its own and misses the same way.
    r = cli(fmt::format("run {} '{}' --out '{}/again' -q --json", k_selftest, shrunk, out));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    ASSERT_EQ(doc.at("jobs").size(), 1u);
    EXPECT_EQ(doc.at("jobs").at(0).at("outcome"), "unexpected");
    EXPECT_EQ(doc.at("jobs").at(0).at("seed"), 9);

    // A job that did what it should has nothing to shrink.
    r = cli(fmt::format("run {} scenarios/selftest/misbehave.toml --variant safe --seed 1 --out '{}/ok' -q", k_selftest, out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = cli(fmt::format("shrink '{}/ok/results.jsonl#1'", out));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("only a job that needs a look"), std::string::npos) << r.err;
    fs::remove_all(out);
}

bool flavor_workers_built() {
    return fs::exists(fs::path(TM_DRIVER_PATH).parent_path() / "threadmill-worker-tsan") &&
           fs::exists(fs::path(TM_DRIVER_PATH).parent_path() / "threadmill-worker-asan");
}

TEST(Cli, CanariesAreCaughtByTheSanitizerFlavors) {
    if (!flavor_workers_built()) GTEST_SKIP() << "this build has no sanitizer workers (TM_SANITIZER_FLAVORS=OFF)";
    const std::string out = out_dir("canary");
    const auto r = cli(fmt::format("run '{}/../scenarios/canary' --seed 1 --out '{}'", TM_TEST_DATA_DIR, out));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("every job did what its scenario expects"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("new bug ThreadSanitizer: data-race at "), std::string::npos) << r.out;  // its place, one line
    EXPECT_NE(r.out.find("targets/canary/canary_target.cpp"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("heap-use-after-free"), std::string::npos) << r.out;
    fs::remove_all(out);
}

// A user's suppressions silence a finding: the scenario's file and the project's file (beside the
// worker) are merged into the job's tsan.supp; the report counts each pattern per file and names
// the patterns that never matched.
TEST(Cli, UserSuppressionsSilenceTheCanaryRaceAndStalePatternsAreNamed) {
    if (!flavor_workers_built()) GTEST_SKIP() << "this build has no sanitizer workers (TM_SANITIZER_FLAVORS=OFF)";
    const fs::path dir = out_dir("suppressions");
    const fs::path workers = dir / "workers";
    fs::create_directories(workers);
    for (const char* worker : {"threadmill-worker", "threadmill-worker-tsan", "threadmill-worker-asan"})
        fs::create_symlink(fs::path(TM_DRIVER_PATH).parent_path() / worker, workers / worker);
    std::ofstream(workers / "threadmill-suppressions.txt") << "# the project's\nrace:ProjectNeverRuns\nleak:only_for_asan\n";
    std::ofstream(dir / "known-races.supp") << "race:canary_target.cpp\nrace:NoSuchFunctionAnywhere\n";
    std::ofstream(dir / "race.toml") << R"(name = "canary-race-suppressed"
target = "canary"
variants = ["race"]
flavors = ["tsan"]
iterations = 20000
timeout = "60s"

[[group]]
name = "bumpers"
threads = 2
mix = { bump = 1 }

[sanitizers]
suppressions = "known-races.supp"

[expect]
race = "pass"
)";
    // $THREADMILL_SANITIZER_DIR adds its per-runtime files to threadmill's own.
    fs::create_directories(dir / "env");
    std::ofstream(dir / "env" / "tsan.supp") << "race:EnvNeverMatches\n";
    const fs::path out = dir / "out";
    const auto r = cli_command(fmt::format(
        "THREADMILL_SANITIZER_DIR='{}' '{}' --worker-dir '{}' run '{}' --seed 1 --out '{}' --report json='{}' --report md='{}'",
        (dir / "env").string(), TM_DRIVER_PATH, workers.string(), (dir / "race.toml").string(), out.string(),
        (dir / "run.json").string(), (dir / "summary.md").string()));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;  // the race is suppressed: the job passes
    EXPECT_EQ(r.out.find("data-race"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("suppression ThreadSanitizer race:canary_target.cpp matched "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(fmt::format("stale suppression in {} (scenario): race:NoSuchFunctionAnywhere matched nothing "
                                     "in 1 job",
                                     (dir / "known-races.supp").string())),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("(project): race:ProjectNeverRuns matched nothing in 1 job"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("(environment): race:EnvNeverMatches matched nothing in 1 job"), std::string::npos) << r.out;

    // The job ran with the merged file, from both sources (the asan-only pattern left out).
    std::string merged;
    for (const auto& e : fs::directory_iterator(out / "jobs")) merged = slurp(e.path() / "suppressions" / "tsan.supp");
    EXPECT_NE(merged.find("\nrace:ProjectNeverRuns\n"), std::string::npos) << merged;
    EXPECT_NE(merged.find("\nrace:EnvNeverMatches\n"), std::string::npos) << merged;
    EXPECT_NE(merged.find("\nrace:canary_target.cpp\n"), std::string::npos) << merged;
    EXPECT_EQ(merged.find("leak:"), std::string::npos) << merged;

    const auto doc = nlohmann::json::parse(slurp(dir / "run.json"));
    const auto& files = doc.at("summary").at("suppression_files");
    ASSERT_EQ(files.size(), 3u) << files.dump();  // threadmill's own tsan.supp has no pattern: not listed
    EXPECT_EQ(files.at(0).at("origin"), "environment");
    EXPECT_EQ(files.at(1).at("origin"), "project");
    EXPECT_EQ(files.at(2).at("origin"), "scenario");
    const auto& rows = files.at(2).at("patterns");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows.at(0).at("pattern"), "race:canary_target.cpp");
    EXPECT_GT(rows.at(0).at("count").get<int>(), 0);
    EXPECT_FALSE(rows.at(0).at("stale").get<bool>());
    EXPECT_TRUE(rows.at(1).at("stale").get<bool>());
    const std::string md = slurp(dir / "summary.md");
    EXPECT_NE(md.find("| `race:NoSuchFunctionAnywhere` | **0 (stale)** |"), std::string::npos) << md;

    // The same file with a bad line stops the run before any job, naming the line.
    std::ofstream(dir / "known-races.supp") << "race:canary_target.cpp\nrcae:typo\n";
    const auto bad = cli(fmt::format("--worker-dir '{}' run '{}' --out '{}'", workers.string(),
                                     (dir / "race.toml").string(), out.string()));
    EXPECT_EQ(bad.exit_code, 2) << bad.err;
    EXPECT_NE(bad.err.find(fmt::format("{}:2:1: error: unknown suppression type 'rcae'; did you mean 'race'?",
                                       (dir / "known-races.supp").string())),
              std::string::npos)
        << bad.err;
    fs::remove_all(dir);
}

// `validate` checks the project's suppression file beside the worker (no sanitizer worker needed).
TEST(Cli, ValidateChecksTheProjectSuppressionFile) {
    const fs::path workers = out_dir("validate-suppressions");
    fs::create_directories(workers);
    fs::create_symlink(fs::path(TM_DRIVER_PATH).parent_path() / "threadmill-worker", workers / "threadmill-worker");
    std::ofstream(workers / "threadmill-suppressions.txt") << "race:Mine\nleak:alloc_forever\n";
    const std::string scenario = fmt::format("'{}/../scenarios/canary/race.toml'", TM_TEST_DATA_DIR);
    auto r = cli(fmt::format("--worker-dir '{}' validate {}", workers.string(), scenario));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find(fmt::format("ok  {}/threadmill-suppressions.txt (2 suppressions, project)", workers.string())),
              std::string::npos)
        << r.out;

    // threadmill_add_worker(... SUPPRESSIONS file) puts the project's file beside the worker.
    EXPECT_EQ(slurp(fs::path(TM_SELFTEST_WORKER_DIR) / "threadmill-suppressions.txt"),
              slurp(fs::path(TM_TEST_DATA_DIR) / "support" / "selftest-suppressions.txt"));
    r = cli(fmt::format("{} validate scenarios/selftest/budget.toml", k_selftest));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("threadmill-suppressions.txt (1 suppression, project)"), std::string::npos) << r.out;

    std::ofstream(workers / "threadmill-suppressions.txt") << "race:Mine\nraces:Typo\n";
    r = cli(fmt::format("--worker-dir '{}' validate {}", workers.string(), scenario));
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find(fmt::format("{}/threadmill-suppressions.txt:2:1: error: unknown suppression type 'races'; did "
                                     "you mean 'race'?",
                                     workers.string())),
              std::string::npos)
        << r.err;
    fs::remove_all(workers);
}

TEST(Cli, DoctorChecksTheWorkersAndTools) {
    const auto r = cli("doctor");
    EXPECT_NE(r.out.find("the plain worker runs"), std::string::npos) << r.out;
    // A driver in its build tree uses the source tree's suppression files.
    EXPECT_NE(r.out.find("ok    suppression files: " TM_SOURCE_DIR "/sanitizers\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("threadmill doctor:"), std::string::npos);
    EXPECT_EQ(r.exit_code, flavor_workers_built() ? 0 : 1) << r.out;
}

// A sanitizer worker without a line table (a Release build before the flavors got -g, or a stripped one): its
// findings cannot say where, and doctor says so with the fix.
TEST(Cli, DoctorNamesASanitizerWorkerWithoutLineInformation) {
    if (std::system("command -v objcopy >/dev/null 2>&1") != 0) GTEST_SKIP() << "no objcopy (binutils)";
    const fs::path dir = out_dir("stripped-workers");
    fs::create_directories(dir);
    const fs::path plain = fs::path(TM_WORKER_DIR) / "threadmill-worker";
    // Copies of the plain worker stand in for the sanitizer workers: doctor runs them and reads their sections.
    fs::copy_file(plain, dir / "threadmill-worker", fs::copy_options::overwrite_existing);
    fs::copy_file(plain, dir / "threadmill-worker-asan", fs::copy_options::overwrite_existing);
    ASSERT_EQ(std::system(fmt::format("objcopy --strip-debug '{}' '{}'", plain.string(),
                                      (dir / "threadmill-worker-tsan").string())
                              .c_str()),
              0);
    const auto r = cli(fmt::format("--worker-dir '{}' doctor", dir.string()));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("FAIL  the tsan worker has no line information (no .debug_line)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("fix: rebuild the worker with -g"), std::string::npos) << r.out;
    if (r.out.find("the plain worker has line information") != std::string::npos) {  // a build with -g
        EXPECT_NE(r.out.find("ok    the asan worker has line information"), std::string::npos) << r.out;
    }
    fs::remove_all(dir);
}

TEST(Cli, BadDurationOverrideIsAUsageError) {
    const auto r = cli(fmt::format("run {} scenarios/selftest/misbehave.toml --duration '2 s'", k_selftest));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--duration"), std::string::npos);
}



// --- reports, report, report merge, compare ---------------------------------------------

TEST(CliReports, RunWritesRequestedReportsAndQuietSilencesTheConsole) {
    const std::string out = out_dir("reports");
    fs::remove_all(out);
    const auto r = cli(fmt::format("{} run scenarios/selftest/budget.toml --seed 3 --out '{}' --quiet --report md='{}/ci/summary.md' "
                                   "--report json='{}/run.json'",
                                   k_selftest, out, out, out));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "");  // --quiet: no console report, no progress line
    const std::string md = slurp(fs::path(out) / "ci" / "summary.md");
    EXPECT_NE(md.find("## threadmill: passed"), std::string::npos) << md;
    EXPECT_NE(md.find("[results.jsonl](../results.jsonl)"), std::string::npos) << md;
    const auto doc = nlohmann::json::parse(slurp(fs::path(out) / "run.json"));
    EXPECT_EQ(doc.at("jobs").size(), 2u);
    EXPECT_EQ(doc.at("context").at("seeds"), nlohmann::json::array({3}));
    EXPECT_EQ(doc.at("context").at("schema_version"), 4);
    EXPECT_EQ(doc.at("context").at("planned"), 2);
    // The one worker the run used, with the build it reports, in the context and the summary.
    const auto& workers = doc.at("context").at("workers");
    ASSERT_EQ(workers.size(), 1u);
    EXPECT_EQ(workers[0].at("flavor"), "plain");
    EXPECT_EQ(workers[0].at("build").at("variant_build"), "");
    EXPECT_NE(md.find(fmt::format("- worker plain: `{}/threadmill-worker` · ", TM_SELFTEST_WORKER_DIR)), std::string::npos) << md;
    fs::remove_all(out);
}

TEST(CliReports, BadReportRequestsFailBeforeAnyJobRuns) {
    const std::string out = out_dir("badreport");
    fs::remove_all(out);
    auto r = cli(fmt::format("{} run scenarios/selftest/budget.toml --out '{}' --report htm=x.html", k_selftest, out));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("unknown format 'htm'"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(fs::path(out) / "results.jsonl"));  // nothing ran
    r = cli(fmt::format("{} run scenarios/selftest/budget.toml --out '{}' --report md", k_selftest, out));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("expected FORMAT=PATH"), std::string::npos) << r.err;
    r = cli(fmt::format("{} run scenarios/selftest/budget.toml --out '{}' --report md=/proc/no/summary.md", k_selftest, out));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("/proc/no"), std::string::npos) << r.err;
}

TEST(CliReports, ReportRebuildsFromSavedResults) {
    const std::string out = out_dir("rebuild");
    fs::remove_all(out);
    const auto r = cli(fmt::format("report reports/fixtures/run.jsonl --report md='{}/summary.md'", out));
    EXPECT_EQ(r.exit_code, 1) << r.err;  // the fixture holds one missed expectation
    EXPECT_NE(slurp(fs::path(out) / "summary.md").find("28 of 29 jobs did what their scenario expects"), std::string::npos);
    // Without --report: the console report of the saved run.
    const auto console = cli("report reports/fixtures/run.jsonl");
    EXPECT_EQ(console.exit_code, 1);
    EXPECT_NE(console.out.find("29 jobs"), std::string::npos) << console.out;
    EXPECT_NE(console.out.find("UNEXPECTED: expected timeout, but caught by crash"), std::string::npos) << console.out;
    EXPECT_EQ(console.out.find("p99.9"), std::string::npos);  // the tables only with -v
    const auto verbose = cli("report reports/fixtures/run.jsonl -v");
    EXPECT_NE(verbose.out.find("p99.9"), std::string::npos);
    const auto missing = cli("report no/such/results.jsonl");
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_NE(missing.err.find("no/such/results.jsonl: cannot read"), std::string::npos) << missing.err;
    fs::remove_all(out);
}

TEST(CliReports, MergeThenReport) {
    const std::string out = out_dir("merge");
    fs::remove_all(out);
    const auto r = cli(fmt::format("report merge reports/fixtures/compare-a.jsonl reports/fixtures/compare-b.jsonl -o '{}/all.jsonl'", out));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("merged 2 files, 12 jobs"), std::string::npos) << r.err;
    std::ifstream in(fs::path(out) / "all.jsonl");
    int lines = 0;
    for (std::string line; std::getline(in, line);) ++lines;
    EXPECT_EQ(lines, 14);  // the context line, 12 jobs and the closing line
    EXPECT_EQ(cli(fmt::format("report '{}/all.jsonl' --report md=-", out)).exit_code, 0);
    fs::remove_all(out);
}

TEST(CliReports, CompareExitsOneOnARegressionOnly) {
    // Three repeats a side: too few for the test, so nothing is judged and the gate passes.
    const auto few = cli("compare reports/fixtures/compare-a.jsonl reports/fixtures/compare-b.jsonl --base-variant safe "
                         "--new-variant reader_preferring");
    EXPECT_EQ(few.exit_code, 0) << few.out << few.err;
    EXPECT_NE(few.out.find("8 figures not judged, 3 samples per side: use --repeat 5 or more"), std::string::npos) << few.out;
    EXPECT_NE(few.out.find("2 operations compared, 8 figures: 0 regressions, 0 improvements, 0 unchanged, 8 not judged"),
              std::string::npos)
        << few.out;
    const auto asked = cli("compare reports/fixtures/compare-a.jsonl reports/fixtures/compare-b.jsonl --base-variant safe "
                           "--new-variant reader_preferring --judge-few-samples");
    EXPECT_EQ(asked.exit_code, 1) << asked.out << asked.err;
    EXPECT_NE(asked.out.find("tolerance only"), std::string::npos) << asked.out;
    // Five repeats a side: judged.
    const auto same = cli("compare reports/fixtures/compare-r5-a.jsonl reports/fixtures/compare-r5-b.jsonl");
    EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
    EXPECT_NE(same.out.find("4 operations compared, 16 figures: 0 regressions"), std::string::npos) << same.out;
    const auto mutant = cli("compare reports/fixtures/compare-r5-a.jsonl reports/fixtures/compare-r5-b.jsonl --base-variant safe "
                            "--new-variant reader_preferring");
    EXPECT_EQ(mutant.exit_code, 1) << mutant.out << mutant.err;
    EXPECT_NE(mutant.out.find("regressions, largest first:"), std::string::npos) << mutant.out;
    EXPECT_NE(mutant.out.find("set p99: "), std::string::npos) << mutant.out;
    EXPECT_EQ(mutant.out.find("worse by"), std::string::npos) << mutant.out;
    EXPECT_EQ(cli("compare reports/fixtures/compare-a.jsonl reports/fixtures/compare-b.jsonl --alpha 1").exit_code, 2);
    const std::string empty = out_dir("empty.jsonl");
    std::ofstream(empty) << R"({"type":"run","schema_version":2})" << "\n";
    const auto nothing = cli(fmt::format("compare reports/fixtures/compare-a.jsonl '{}'", empty));
    fs::remove(empty);
    EXPECT_EQ(nothing.exit_code, 2);
    EXPECT_NE(nothing.err.find("no scenario, variant, flavor and operation in common"), std::string::npos) << nothing.err;
    EXPECT_EQ(cli("compare reports/fixtures/compare-a.jsonl reports/fixtures/compare-b.jsonl --tolerance lots").exit_code, 2);
}

TEST(CliReports, RunWithBaselineAndRepeat) {
    const std::string out = out_dir("baseline");
    fs::remove_all(out);
    // Jobs of the base run: two repeats of each variant, in alternation.
    auto r = cli(fmt::format("{} run scenarios/selftest/budget.toml --seed 5 --repeat 2 --out '{}/base' -q", k_selftest, out));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::ifstream in(fs::path(out) / "base" / "results.jsonl");
    std::vector<std::string> order;
    for (std::string line; std::getline(in, line);) {
        const auto j = nlohmann::json::parse(line);
        if (j.at("type") == "job") order.push_back(fmt::format("{}#{}", j.at("variant").get<std::string>(), j.at("repeat").get<int>()));
    }
    EXPECT_EQ(order, (std::vector<std::string>{"safe#0", "slow#0", "safe#1", "slow#1"}));
    // The same build against its own saved run. Whether a figure regresses is timing, judged by
    // the unit tests on recorded runs; here: the baseline is read, matched and gates the exit code.
    r = cli(fmt::format("{} run scenarios/selftest/budget.toml --seed 5 --variant safe --out '{}/again' --baseline '{}/base/results.jsonl'",
                        k_selftest, out, out));
    EXPECT_NE(r.out.find("compared with the baseline"), std::string::npos) << r.out;
    // Two base samples against one: too few for the test, so nothing is judged.
    EXPECT_NE(r.out.find("1 operation compared, 4 figures: 0 regressions, 0 improvements, 0 unchanged, 4 not judged"),
              std::string::npos)
        << r.out;
    const bool regressed = r.out.find("REGRESSION") != std::string::npos;
    EXPECT_EQ(r.exit_code, regressed ? 1 : 0) << r.out << r.err;
    r = cli(fmt::format("{} run scenarios/selftest/budget.toml --out '{}/x' --baseline '{}/base/results.jsonl' --tolerance much",
                        k_selftest, out, out));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("'much' is not a tolerance"), std::string::npos) << r.err;
    fs::remove_all(out);
}

// ---- Faults of the driver itself -------------------------------------------------------------

/// Writes a selftest scenario into `dir` and returns its path.
std::string write_selftest_scenario(const fs::path& dir, const std::string& name, const std::string& variant,
                                    const std::string& run_length) {
    fs::create_directories(dir);
    const fs::path path = dir / "scenario.toml";
    std::ofstream(path) << fmt::format(
        "name = \"{}\"\ntarget = \"selftest\"\nvariants = [\"{}\"]\n{}\n"
        "[[group]]\nname = \"workers\"\nthreads = 1\nmix = {{ work = 1 }}\n{}",
        name, variant, run_length, variant == "safe" ? "" : fmt::format("[expect]\n{} = \"timeout\"\n", variant));
    return path.string();
}

TEST(CliFaults, NegativeOrMalformedSeedsAreErrors) {
    for (const std::string seed : {"-5", "1e3", "18446744073709551616", "12x"}) {
        const auto r = cli(fmt::format("{} run scenarios/selftest/budget.toml --seed {} --out '{}'", k_selftest, seed,
                                       out_dir("bad-seed")));
        EXPECT_EQ(r.exit_code, 2) << seed << ": " << r.out << r.err;
        EXPECT_NE(r.err.find("is not a whole number"), std::string::npos) << seed << ": " << r.err;
    }
    EXPECT_FALSE(fs::exists(fs::path(out_dir("bad-seed")) / "results.jsonl"));
}

TEST(CliFaults, AHugeScenarioNameThatValidatesAlsoRuns) {
    const fs::path dir = out_dir("huge-name");
    const std::string path = write_selftest_scenario(dir, std::string(100'000, 'n'), "safe", "iterations = 20");
    auto r = cli(fmt::format("{} validate '{}'", k_selftest, path));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = cli(fmt::format("{} run '{}' --seed 1 --quiet --out '{}/out'", k_selftest, path, dir.string()));
    EXPECT_EQ(r.exit_code, 0) << r.err.substr(0, 2000);
    std::size_t folders = 0;
    for (const auto& e : fs::directory_iterator(dir / "out" / "jobs")) {
        ++folders;
        EXPECT_LE(e.path().filename().string().size(), 128u);
        EXPECT_TRUE(fs::exists(e.path() / "result.json")) << e.path();
    }
    EXPECT_EQ(folders, 1u);
    fs::remove_all(dir);
}

/// The whole of a /proc file, or "" when it cannot be read. read(2), not an ifstream: a process
/// that exits between open and read makes read fail with ESRCH, which libstdc++'s filebuf turns
/// into an exception out of an istreambuf_iterator.
std::string read_proc_file(const std::string& path) {
    std::string text;
    if (const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
        char buf[4096];
        for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
        ::close(fd);
    }
    return text;
}

/// Whether process `pid` is gone or a zombie (dead, not yet reaped by whoever adopted it).
bool process_gone(pid_t pid) {
    const std::string text = read_proc_file(fmt::format("/proc/{}/stat", pid));
    if (text.empty()) return true;
    const auto paren = text.rfind(')');
    return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] == 'Z';
}

/// The pid of a process whose command line contains `needle`, or 0.
pid_t find_process(const std::string& needle) {
    std::error_code ec;  // processes come and go while the folder is read
    for (auto it = fs::directory_iterator("/proc", ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const auto& e = *it;
        const std::string name = e.path().filename().string();
        if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
        const std::string cmdline = read_proc_file((e.path() / "cmdline").string());
        if (cmdline.find(needle) != std::string::npos && !process_gone(std::stoi(name))) return std::stoi(name);
    }
    return 0;
}

/// Starts `threadmill --worker-dir <selftest> run <args...>` in a child with its output discarded;
/// returns the child's pid (or -1 when fork failed).
pid_t start_driver(const std::vector<std::string>& args) {
    const pid_t driver = ::fork();
    if (driver != 0) return driver;
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    std::vector<std::string> words = {TM_DRIVER_PATH, "--worker-dir", TM_SELFTEST_WORKER_DIR, "run"};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    ::execv(TM_DRIVER_PATH, argv.data());
    ::_exit(127);
}

/// The first process whose command line contains `needle`, waited for (0 if none appeared).
pid_t wait_for_process(const std::string& needle) {
    pid_t pid = 0;
    for (int i = 0; i < 1000 && pid == 0; ++i) {  // a bound for a stuck test, not a timing claim
        pid = find_process(needle);
        if (pid == 0) ::usleep(10'000);
    }
    return pid;
}

TEST(CliFaults, AWorkerDiesWithItsDriver) {
    const fs::path dir = out_dir("orphan");
    const std::string path = write_selftest_scenario(dir, "orphan", "hang", "duration = \"100ms\"\ntimeout = \"60s\"");
    const std::string out = (dir / "out").string();
    const pid_t driver = start_driver({path, "--seed", "1", "--out", out});
    ASSERT_GE(driver, 0);
    // The worker names its result file inside `out`: that finds it among this machine's processes.
    const pid_t worker = wait_for_process(out + "/jobs/");
    ASSERT_NE(worker, 0) << "the worker never started";
    ::kill(driver, SIGKILL);
    int status = 0;
    ::waitpid(driver, &status, 0);
    bool gone = false;
    for (int i = 0; i < 1000 && !gone; ++i) {  // a bound for a stuck test, not a timing claim
        gone = process_gone(worker);
        if (!gone) ::usleep(10'000);
    }
    if (!gone) ::kill(worker, SIGKILL);
    EXPECT_TRUE(gone) << "worker " << worker << " outlived its driver";
    fs::remove_all(dir);
}

TEST(CliFaults, JobsNotRunAfterCtrlCAreSkippedInJUnit) {
    const fs::path dir = out_dir("skipped");
    const std::string path = write_selftest_scenario(dir, "skip", "hang", "duration = \"100ms\"\ntimeout = \"60s\"");
    const std::string out = (dir / "out").string();
    const std::string junit = (dir / "junit.xml").string();
    const pid_t driver = start_driver({path, "--seeds", "3", "--seed", "1", "--out", out, "--report", "junit=" + junit});
    ASSERT_GE(driver, 0);
    const pid_t worker = wait_for_process(out + "/jobs/");
    ASSERT_NE(worker, 0) << "the worker never started";
    ::kill(driver, SIGINT);
    int status = 0;
    ::waitpid(driver, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 130) << status;
    const std::string xml = slurp(junit);
    // Three jobs planned, none finished: three skipped testcases under the names a full run gives.
    EXPECT_EQ(xml.find("<testcase name=\"hang · plain #4\""), std::string::npos) << xml;
    for (const char* name : {"hang · plain", "hang · plain #2", "hang · plain #3"})
        EXPECT_NE(xml.find(fmt::format("<testcase name=\"{}\" classname=\"selftest.skip\" time=\"0.000\">\n      <skipped ", name)),
                  std::string::npos)
            << name << "\n" << xml;
    EXPECT_NE(xml.find("skipped=\"3\""), std::string::npos) << xml;
    fs::remove_all(dir);
}

TEST(CliFaults, NoJobRunNeverPasses) {
    // A plan that selects nothing: not a pass, and not a usage error either.
    auto r = cli(fmt::format("{} run scenarios/selftest/budget.toml --filter no-such-job --out '{}'", k_selftest,
                             out_dir("empty-plan")));
    EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
    EXPECT_NE(r.err.find("nothing to run"), std::string::npos) << r.err;
    // A results file that holds a run without jobs.
    const std::string empty = out_dir("no-jobs.jsonl");
    std::ofstream(empty) << R"({"type":"run","schema_version":2})" << "\n";
    r = cli(fmt::format("report '{}'", empty));
    fs::remove(empty);
    EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
    EXPECT_NE(cli("run --help").out.find("5 no job ran"), std::string::npos);
}

TEST(CliFaults, AGarbageLineInResultsIsSkippedWithAWarningUnlessStrict) {
    const std::string path = out_dir("garbage.jsonl");
    {
        std::ifstream in(fmt::format("{}/reports/fixtures/run.jsonl", TM_TEST_DATA_DIR));
        std::ofstream out(path);
        std::string line;
        for (int n = 1; std::getline(in, line); ++n) out << (n == 3 ? "{not json\n" : "") << line << "\n";
    }
    auto r = cli(fmt::format("report '{}'", path));
    EXPECT_NE(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("garbage.jsonl:3: skipped a line that is not a job record"), std::string::npos) << r.err;
    EXPECT_NE(r.out.find("29 jobs"), std::string::npos) << r.out.substr(r.out.size() > 2000 ? r.out.size() - 2000 : 0);
    r = cli(fmt::format("report --strict '{}'", path));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("garbage.jsonl:3: not JSON"), std::string::npos) << r.err;
    fs::remove(path);
}

TEST(CliFaults, UnwritableOutputsAreRefusedBeforeAnyJobRuns) {
    // /proc takes no new file, not even from root, whose permission checks always pass.
    auto r = cli(fmt::format("{} run scenarios/selftest/budget.toml --seed 1 --out /proc/threadmill-out", k_selftest));
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("--out /proc/threadmill-out: cannot create folder"), std::string::npos) << r.err;
    EXPECT_EQ(r.out.find("verdict"), std::string::npos) << "a job ran: " << r.out;
    const std::string out = out_dir("proc-report");
    r = cli(fmt::format("{} run scenarios/selftest/budget.toml --seed 1 --out '{}' --report html=/proc/y.html", k_selftest, out));
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("--report /proc/y.html: cannot write in folder /proc"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(fs::path(out) / "results.jsonl"));
    fs::remove_all(out);
}

TEST(CliFaults, MistypedNamesGetASuggestion) {
    auto r = cli("rnu scenarios/selftest/budget.toml");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("unknown command 'rnu'; did you mean 'run'?"), std::string::npos) << r.err;
    r = cli(fmt::format("{} run scenarios/selftest/budget.toml --flavr tsan", k_selftest));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("unknown option '--flavr'; did you mean '--flavor'?"), std::string::npos) << r.err;
    r = cli(fmt::format("{} run scenarios/selftest/budget.toml --flavor nonsense --out '{}'", k_selftest, out_dir("flavor")));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("unknown flavor 'nonsense' (one of: plain, tsan, asan)"), std::string::npos) << r.err;
    r = cli(fmt::format("{} run scenarios/selftest/budget.toml --duration 0s --out '{}'", k_selftest, out_dir("zero")));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--duration: must be greater than 0, got '0s'"), std::string::npos) << r.err;
}

TEST(CliFaults, EverySubcommandsHelpStatesItsExitCodes) {
    for (const std::string command : {"run", "list", "validate", "report", "report merge", "compare", "doctor", "check-history", "replay", "shrink"}) {
        const auto r = cli(command + " --help");
        EXPECT_EQ(r.exit_code, 0) << command;
        EXPECT_TRUE(r.out.find("Exit codes: 0") != std::string::npos || r.out.find("Exit status: 0") != std::string::npos)
            << command << ":\n" << r.out;
    }
}

// ---- A full disk: results are never lost silently, and never blamed on the target ---------------

/// Runs the driver from the tests/ folder with `args`, its files (and its workers') limited to
/// `max_file_bytes` each (RLIMIT_FSIZE): what a full disk does to a write, on any machine and
/// without mounting anything. Its output goes through pipes, which the limit does not cover.
CliResult cli_with_file_limit(rlim_t max_file_bytes, const std::vector<std::string>& args) {
    int out_pipe[2], err_pipe[2];
    CliResult r;
    if (::pipe(out_pipe) != 0 || ::pipe(err_pipe) != 0) return r;
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(out_pipe[1], STDOUT_FILENO);
        ::dup2(err_pipe[1], STDERR_FILENO);
        ::close(out_pipe[0]);
        ::close(err_pipe[0]);
        if (::chdir(TM_TEST_DATA_DIR) != 0) ::_exit(126);
        const rlimit limit{max_file_bytes, max_file_bytes};
        ::setrlimit(RLIMIT_FSIZE, &limit);
        ::setenv("NO_COLOR", "1", 1);
        std::vector<char*> argv{const_cast<char*>(TM_DRIVER_PATH), const_cast<char*>("--worker-dir"),
                                const_cast<char*>(TM_SELFTEST_WORKER_DIR)};
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        ::execv(TM_DRIVER_PATH, argv.data());
        ::_exit(127);
    }
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    std::string* texts[2] = {&r.out, &r.err};
    for (int open = 2; open > 0;) {
        if (::poll(fds, 2, -1) < 0) break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            char buf[4096];
            const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                texts[i]->append(buf, static_cast<std::size_t>(n));
            } else {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open;
            }
        }
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

/// The lines of a file.
std::vector<std::string> lines_of(const fs::path& p) {
    std::vector<std::string> lines;
    std::ifstream in(p);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::string lowered(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

TEST(CliFaults, AJobLineThatCannotBeWrittenIsUnrecordedAndTheRunStopsWithExit3) {
    const fs::path dir = out_dir("full-results");
    const std::string path = write_selftest_scenario(dir, "full", "safe", "iterations = 1");
    const std::string out = (dir / "out").string();
    // First without a limit, to learn how long the lines are on this machine.
    auto r = cli(fmt::format("{} run '{}' --seed 1 --seeds 2 --quiet --out '{}'", k_selftest, path, out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto lines = lines_of(fs::path(out) / "results.jsonl");
    ASSERT_EQ(lines.size(), 4u);  // context, 2 jobs, closing line
    const std::size_t result_size = fs::file_size(fs::path(out) / "jobs" / "0001-full-safe-plain-1" / "result.json");
    // Room for the context line and half the first job's line: every worker file fits, the job line does not.
    const std::size_t limit = lines[0].size() + 1 + (lines[1].size() + 1) / 2;
    ASSERT_LT(result_size, limit);

    r = cli_with_file_limit(limit, {"run", path, "--seed", "1", "--seeds", "2", "--out", out});
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    EXPECT_NE(r.err.find(fmt::format("threadmill: error: job 1: cannot write {}/results.jsonl: File too large", out)),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.out.find("unrecorded: job 1 ran but is not in"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("incomplete run (1 job of 2 planned)"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("[2/2]"), std::string::npos) << "a job started after the results file failed:\n" << r.out;
    EXPECT_EQ(lowered(r.out).find("crash"), std::string::npos) << r.out;
    // The file holds whole lines: the context and a closing line naming the failure.
    lines = lines_of(fs::path(out) / "results.jsonl");
    ASSERT_EQ(lines.size(), 2u);
    const auto end = nlohmann::json::parse(lines[1]);
    EXPECT_EQ(end.at("type"), "run_end");
    EXPECT_EQ(end.at("ran"), 0);
    EXPECT_NE(end.at("error").get<std::string>().find("File too large"), std::string::npos);
    fs::remove_all(dir);
}

TEST(CliFaults, AWorkerThatCannotWriteItsFilesIsAnErrorNotACrash) {
    const fs::path dir = out_dir("full-worker");
    // 100 threads: the worker's activity board is 6,464 bytes, more than the 4 KiB limit below,
    // which still leaves room for every line of results.jsonl.
    const std::string path = dir / "scenario.toml";
    fs::create_directories(dir);
    std::ofstream(path) << "name = \"full\"\ntarget = \"selftest\"\nvariants = [\"safe\"]\niterations = 1\n"
                           "[[group]]\nname = \"workers\"\nthreads = 100\nmix = { work = 1 }\n";
    const std::string out = (dir / "out").string();
    const auto r = cli_with_file_limit(4096, {"run", path, "--seed", "1", "--seeds", "2", "--out", out});
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    const std::string board = fmt::format("{}/jobs/0001-full-safe-plain-1/activity.bin: File too large", out);
    EXPECT_NE(r.err.find("threadmill: error: job 1: the worker could not write " + board), std::string::npos) << r.err;
    EXPECT_NE(r.out.find("error the worker could not write " + board), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("[1/2] full · safe · plain · seed 1 · ERROR"), std::string::npos) << r.out;
    EXPECT_EQ(lowered(r.out).find("crash"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("[2/2]"), std::string::npos) << r.out;
    const auto lines = lines_of(fs::path(out) / "results.jsonl");
    ASSERT_EQ(lines.size(), 3u);  // context, the job (an error), closing line
    EXPECT_EQ(nlohmann::json::parse(lines[1]).at("verdict"), "error");
    EXPECT_EQ(nlohmann::json::parse(lines[2]).at("planned"), 2);
    fs::remove_all(dir);
}

TEST(CliFaults, AFullTmpfsIsAHarnessErrorNamingThePathAndTheOsError) {
    // The fault as users meet it, where this machine lets the test mount a 64 KiB tmpfs (root).
    const fs::path dir = out_dir("tmpfs");
    fs::create_directories(dir);
    if (std::system(fmt::format("mount -t tmpfs -o size=64k tmpfs '{}' 2>/dev/null", dir.string()).c_str()) != 0) {
        fs::remove_all(dir);
        GTEST_SKIP() << "cannot mount a tmpfs here; the RLIMIT_FSIZE tests cover the same paths";
    }
    // Quick jobs (no hang), more of them than the tmpfs has room for.
    const auto r = cli(fmt::format("{} run scenarios/selftest/misbehave.toml --variant safe,crash,abort,throw,broken --seed 3 "
                                   "--seeds 5 --out '{}/out'",
                                   k_selftest, dir.string()));
    const auto lines = lines_of(dir / "out" / "results.jsonl");
    [[maybe_unused]] const int unmounted = std::system(fmt::format("umount '{}'", dir.string()).c_str());
    fs::remove_all(dir);
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    EXPECT_NE(r.err.find("threadmill: warning: --out"), std::string::npos) << r.err;  // the free space check
    EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(dir.string()), std::string::npos) << r.err;
    EXPECT_EQ(r.out.find("SIGBUS"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("no sanitizer report"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("incomplete run"), std::string::npos) << r.out;
    // What was written is whole lines.
    for (const auto& line : lines) EXPECT_TRUE(nlohmann::json::accept(line)) << line;
}

// ---- The closing line: a run that did not finish says so ----------------------------------------

TEST(CliFaults, ARunWithoutItsClosingLineIsReportedIncompleteAndNeverPasses) {
    const std::string out = out_dir("closing");
    fs::remove_all(out);
    auto r = cli(fmt::format("{} run scenarios/selftest/budget.toml --seed 3 --quiet --out '{}/a'", k_selftest, out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = lines_of(fs::path(out) / "a" / "results.jsonl");
    ASSERT_EQ(lines.size(), 4u);
    const auto end = nlohmann::json::parse(lines.back());
    EXPECT_EQ(end.at("type"), "run_end");
    EXPECT_EQ(end.at("planned"), 2);
    EXPECT_EQ(end.at("ran"), 2);
    EXPECT_EQ(end.at("interrupted"), false);
    EXPECT_EQ(cli(fmt::format("report '{}/a/results.jsonl'", out)).exit_code, 0);

    // The same run as a driver killed before its second job would leave it.
    fs::create_directories(fs::path(out) / "cut");
    std::ofstream(fs::path(out) / "cut" / "results.jsonl") << lines[0] << "\n" << lines[1] << "\n";
    r = cli(fmt::format("report '{}/cut/results.jsonl' --report md='{}/cut/summary.md'  --console", out, out));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("threadmill: warning: " + out + "/cut/results.jsonl: incomplete run (1 job of 2 planned)"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.out.find("incomplete run (1 job of 2 planned)"), std::string::npos) << r.out;
    EXPECT_NE(slurp(fs::path(out) / "cut" / "summary.md").find("**Incomplete**: incomplete run (1 job of 2 planned)"),
              std::string::npos);
    r = cli(fmt::format("compare '{}/a/results.jsonl' '{}/cut/results.jsonl'", out, out));
    EXPECT_NE(r.err.find("incomplete run (1 job of 2 planned)"), std::string::npos) << r.err;

    // Merged shards: complete when every shard is.
    r = cli(fmt::format("report merge '{0}/a/results.jsonl' '{0}/a/results.jsonl' -o '{0}/all.jsonl'", out));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("incomplete"), std::string::npos) << r.err;
    EXPECT_EQ(cli(fmt::format("report '{}/all.jsonl'", out)).exit_code, 0);
    EXPECT_EQ(nlohmann::json::parse(lines_of(fs::path(out) / "all.jsonl").back()).at("planned"), 4);
    r = cli(fmt::format("report merge '{0}/a/results.jsonl' '{0}/cut/results.jsonl' -o '{0}/some.jsonl'", out));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("some.jsonl: incomplete run (3 jobs of 4 planned)"), std::string::npos) << r.err;
    r = cli(fmt::format("report '{}/some.jsonl'", out));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    fs::remove_all(out);
}

TEST(CliFaults, AnInterruptedRunClosesItsFileSayingSo) {
    const fs::path dir = out_dir("interrupt");
    fs::create_directories(dir);
    const std::string path = (dir / "scenario.toml").string();
    std::ofstream(path) << "name = \"stop\"\ntarget = \"selftest\"\nvariants = [\"safe\", \"hang\"]\nduration = \"50ms\"\n"
                           "timeout = \"60s\"\n[[group]]\nname = \"workers\"\nthreads = 1\nmix = { work = 1 }\n"
                           "[expect]\nhang = \"timeout\"\n";
    const std::string out = (dir / "out").string();
    const pid_t driver = start_driver({path, "--seed", "1", "--out", out});
    ASSERT_GE(driver, 0);
    // Ctrl-C once the second job's worker (the hang) runs.
    ASSERT_NE(wait_for_process(out + "/jobs/0002-"), 0) << "the second job never started";
    ::kill(driver, SIGINT);
    int status = 0;
    ::waitpid(driver, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 130);
    const auto lines = lines_of(fs::path(out) / "results.jsonl");
    ASSERT_EQ(lines.size(), 3u);  // context, the safe job, closing line
    const auto end = nlohmann::json::parse(lines.back());
    EXPECT_EQ(end.at("type"), "run_end");
    EXPECT_EQ(end.at("interrupted"), true);
    EXPECT_EQ(end.at("planned"), 2);
    EXPECT_EQ(end.at("ran"), 1);
    const auto r = cli(fmt::format("report '{}/results.jsonl'", out));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("incomplete run (1 job of 2 planned): it was interrupted"), std::string::npos) << r.err;
    fs::remove_all(dir);
}

// ---- Planning: filters, refused plans, numbers, order, the output folder ---------------------

/// Writes `<dir>/<name>.toml`, a fast selftest scenario running `variants` in `flavors`, with
/// `expect` as its [expect] body; returns the path.
std::string write_plan_scenario(const fs::path& dir, const std::string& name, const std::string& variants,
                                const std::string& flavors, const std::string& expect = "") {
    fs::create_directories(dir);
    const fs::path path = dir / (name + ".toml");
    std::ofstream(path) << fmt::format(
        "name = \"{}\"\ntarget = \"selftest\"\nvariants = {}\nflavors = {}\niterations = 20\n"
        "[[group]]\nname = \"workers\"\nthreads = 1\nmix = {{ work = 1 }}\n[expect]\n{}\n",
        name, variants, flavors, expect);
    return path.string();
}

/// The "scenario/variant/flavor/seed" of each job line of a results.jsonl, in file order.
std::vector<std::string> jobs_in(const fs::path& results) {
    std::vector<std::string> jobs;
    std::ifstream in(results);
    for (std::string line; std::getline(in, line);) {
        const auto j = nlohmann::json::parse(line);
        if (j.at("type") != "job") continue;
        jobs.push_back(fmt::format("{}/{}/{}/{}", j.at("scenario").get<std::string>(), j.at("variant").get<std::string>(),
                                   j.at("flavor").get<std::string>(), j.at("seed").get<std::uint64_t>()));
    }
    return jobs;
}

TEST(CliPlan, FlavorAndVariantSelectAmongEachScenariosOwn) {
    const fs::path dir = out_dir("flavor-filter");
    fs::remove_all(dir);
    write_plan_scenario(dir / "in", "plain-only", R"(["safe", "broken"])", R"(["plain"])", "broken = \"invariant\"");
    write_plan_scenario(dir / "in", "tsan-only", R"(["safe"])", R"(["tsan"])");
    // The tsan-only scenario declares no plain flavor: --flavor plain runs none of its jobs (this
    // build may have no tsan worker, which a tsan job would need).
    auto r = cli(fmt::format("{} run '{}/in' --flavor plain --variant safe --seed 4 -q --out '{}/out'", k_selftest,
                             dir.string(), dir.string()));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(jobs_in(dir / "out" / "results.jsonl"), (std::vector<std::string>{"plain-only/safe/plain/4"}));
    // A flavor that no scenario given declares is a usage error, as a mistyped one is.
    r = cli(fmt::format("{} run '{}/in' --flavor plain,asan --out '{}/out2'", k_selftest, dir.string(), dir.string()));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("--flavor 'asan' is not a flavor of any scenario given (they declare: plain, tsan)"),
              std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "out2" / "results.jsonl"));
    const auto help = cli("run --help");
    EXPECT_NE(help.out.find("run only the jobs of these flavors, among each scenario's own"), std::string::npos) << help.out;
    EXPECT_EQ(help.out.find("instead of the scenarios' own"), std::string::npos) << help.out;
    fs::remove_all(dir);
}

TEST(CliPlan, AnExpectationAFlavorCanNeverMeetIsRefusedByValidateAndRun) {
    const fs::path dir = out_dir("never-met");
    fs::remove_all(dir);
    const std::string path =
        write_plan_scenario(dir, "race-in-plain", R"(["safe", "crash"])", R"(["plain"])", "crash = \"race\"");
    auto r = cli(fmt::format("{} validate '{}'", k_selftest, path));
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    const std::string message = "expect.crash: race can never be met in flavor 'plain' ('race' is detected only in tsan)";
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("race-in-plain.toml:11:"), std::string::npos) << r.err;  // where the expectation is written
    r = cli(fmt::format("{} run '{}' --seed 1 --out '{}/out'", k_selftest, path, dir.string()));
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "out" / "results.jsonl"));
    fs::remove_all(dir);
}

TEST(CliPlan, NumbersOutOfRangeAreUsageErrors) {
    const std::string out = out_dir("bad-numbers");
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"--seeds 0", "--seeds: '0' is not a whole number from 1 to 1000"},
        {"--seeds -1", "'-1' is not a whole number from 1 to 1000"},
        {"--seeds 1e3", "'1e3' is not a whole number from 1 to 1000"},
        {"--seeds 1001", "'1001' is not a whole number from 1 to 1000"},
        {"--seeds 99999999999999999999", "is not a whole number from 1 to 1000"},
        {"--repeat 0", "--repeat: '0' is not a whole number from 1 to 100"},
        {"--repeat -2", "'-2' is not a whole number from 1 to 100"},
        {"--repeat 2.5", "'2.5' is not a whole number from 1 to 100"},
        {"--iterations 0", "--iterations: '0' is not a whole number from 1 to 1000000000"},
        {"--iterations -1", "'-1' is not a whole number from 1 to 1000000000"},
        {"--seed -5", "'-5' is not a whole number from 0 to 18446744073709551615"},
        {"--seed 18446744073709551615 --seeds 2", "the seeds would pass 18446744073709551615, the largest seed"},
    };
    for (const auto& [args, message] : cases) {
        const auto r = cli(fmt::format("{} run scenarios/selftest/budget.toml {} --out '{}'", k_selftest, args, out));
        EXPECT_EQ(r.exit_code, 2) << args << ": " << r.out << r.err;
        EXPECT_NE(r.err.find(message), std::string::npos) << args << ": " << r.err;
    }
    EXPECT_FALSE(fs::exists(fs::path(out) / "results.jsonl"));
    // The largest seed itself is fine, alone.
    const auto r = cli(fmt::format("{} run scenarios/selftest/budget.toml --variant safe --iterations 10 "
                                   "--seed 18446744073709551615 --seeds 1 -q --out '{}'",
                                   k_selftest, out));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    fs::remove_all(out);
}

TEST(CliPlan, JobsRunSeedBySeedThroughEveryScenario) {
    const fs::path dir = out_dir("interleave");
    fs::remove_all(dir);
    write_plan_scenario(dir / "in", "a", R"(["safe"])", R"(["plain"])");
    write_plan_scenario(dir / "in", "b", R"(["safe"])", R"(["plain"])");
    const auto r = cli(fmt::format("{} run '{}/in' --seed 10 --seeds 3 -q --out '{}/out'", k_selftest, dir.string(),
                                   dir.string()));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(jobs_in(dir / "out" / "results.jsonl"),
              (std::vector<std::string>{"a/safe/plain/10", "b/safe/plain/10", "a/safe/plain/11", "b/safe/plain/11",
                                        "a/safe/plain/12", "b/safe/plain/12"}));
    fs::remove_all(dir);
}

TEST(CliPlan, RunningIntoAPreviousRunSaysWhatItReplacesAndKeepsNothingOfIt) {
    const fs::path dir = out_dir("replace");
    fs::remove_all(dir);
    const std::string path =
        write_plan_scenario(dir / "in", "replace", R"(["safe", "broken"])", R"(["plain"])", "broken = \"invariant\"");
    const fs::path out = dir / "out";
    fs::create_directories(out);
    std::ofstream(out / "notes.txt") << "the user's own file\n";
    auto r = cli(fmt::format("{} run '{}' --seed 1 --seeds 2 -q --out '{}'", k_selftest, path, out.string()));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("replacing"), std::string::npos) << r.err;  // nothing of a run was there
    EXPECT_EQ(jobs_in(out / "results.jsonl").size(), 4u);

    r = cli(fmt::format("{} run '{}' --variant safe --seed 9 -q --out '{}'", k_selftest, path, out.string()));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find(fmt::format("threadmill: replacing the previous run in {} (results.jsonl, 4 job folders)\n",
                                     out.string())),
              std::string::npos)
        << r.err;
    EXPECT_EQ(jobs_in(out / "results.jsonl"), (std::vector<std::string>{"replace/safe/plain/9"}));
    std::vector<std::string> folders;
    for (const auto& e : fs::directory_iterator(out / "jobs")) folders.push_back(e.path().filename().string());
    ASSERT_EQ(folders.size(), 1u);  // no job folder of the previous run is left beside the new one
    EXPECT_NE(folders[0].find("-9"), std::string::npos) << folders[0];
    EXPECT_TRUE(fs::exists(out / "notes.txt"));
    fs::remove_all(dir);
}

// ---- Scale: jobs side by side, shards, --fail-fast, --dry-run --------------------------------

/// The job lines of a results.jsonl, parsed.
std::vector<nlohmann::json> job_lines(const fs::path& results) {
    std::vector<nlohmann::json> jobs;
    for (const auto& line : lines_of(results)) {
        auto j = nlohmann::json::parse(line);
        if (j.at("type") == "job") jobs.push_back(std::move(j));
    }
    return jobs;
}

/// "index scenario/variant/flavor/seed outcome" of each job, in file order.
std::vector<std::string> verdicts_in(const fs::path& results) {
    std::vector<std::string> out;
    for (const auto& j : job_lines(results))
        out.push_back(fmt::format("{} {}/{}/{}/{} {}", j.at("index").get<int>(), j.at("scenario").get<std::string>(),
                                  j.at("variant").get<std::string>(), j.at("flavor").get<std::string>(),
                                  j.at("seed").get<std::uint64_t>(), j.at("outcome").get<std::string>()));
    return out;
}

/// A 1-thread selftest scenario whose mutants are each caught the same way every time.
std::string write_scale_scenario(const fs::path& dir) {
    return write_plan_scenario(dir, "scale", R"(["safe", "broken", "throw", "crash"])", R"(["plain"])",
                               "broken = \"invariant\"\nthrow = \"exception\"\ncrash = \"crash\"");
}

TEST(CliScale, JobsSideBySideRunOnDisjointCpusAndGiveTheVerdictsOfASerialRun) {
    const fs::path dir = out_dir("jobs");
    fs::remove_all(dir);
    const std::string path = write_scale_scenario(dir / "in");
    const std::string common = fmt::format("{} run '{}' --seed 1 --seeds 4 --duration 100ms -q", k_selftest, path);
    auto r = cli(fmt::format("{} --out '{}'", common, (dir / "serial").string()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = cli(fmt::format("{} --jobs auto --out '{}'", common, (dir / "side").string()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(verdicts_in(dir / "side" / "results.jsonl"), verdicts_in(dir / "serial" / "results.jsonl"));
    const auto jobs = job_lines(dir / "side" / "results.jsonl");
    ASSERT_EQ(jobs.size(), 16u);
    struct Span {
        double from, to;
        std::set<int> cpus;
        int index;
    };
    std::vector<Span> spans;
    for (const auto& j : jobs) {
        ASSERT_TRUE(j.contains("cpus")) << j.dump();  // pinned by the driver
        const auto pinned = j.at("cpus").get<std::vector<int>>();
        ASSERT_EQ(pinned.size(), 1u) << j.dump();    // one thread, one CPU
        // What the worker itself read of its affinity: the CPUs it was pinned to.
        if (!j.at("measurement").is_null()) {
            EXPECT_EQ(j.at("measurement").at("cpus").get<std::vector<int>>(), pinned);
        }
        const double from = j.at("started_seconds").get<double>();
        spans.push_back({from, from + j.at("elapsed_seconds").get<double>(), {pinned.begin(), pinned.end()}, j.at("index")});
    }
    // No two jobs that ran at the same time shared a CPU.
    for (std::size_t a = 0; a < spans.size(); ++a) {
        for (std::size_t b = a + 1; b < spans.size(); ++b) {
            const bool overlap = spans[a].from < spans[b].to && spans[b].from < spans[a].to;
            if (!overlap) continue;
            for (const int c : spans[a].cpus)
                EXPECT_EQ(spans[b].cpus.count(c), 0u) << "jobs " << spans[a].index << " and " << spans[b].index << " on CPU " << c;
        }
    }
    fs::remove_all(dir);
}

TEST(CliScale, ThreeShardsMergedGiveTheJobsAndVerdictsOfOneRunAndAMissingShardIsNamed) {
    const fs::path dir = out_dir("shards");
    fs::remove_all(dir);
    const std::string path = write_scale_scenario(dir / "in");
    const std::string common = fmt::format("{} run '{}' --seed 5 --seeds 3 --duration 100ms -q", k_selftest, path);
    auto r = cli(fmt::format("{} --out '{}'", common, (dir / "whole").string()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> parts;
    std::size_t jobs = 0;
    for (int k = 1; k <= 3; ++k) {
        const fs::path out = dir / fmt::format("shard-{}", k);
        r = cli(fmt::format("{} --shard {}/3 --out '{}'", common, k, out.string()));
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const auto mine = job_lines(out / "results.jsonl");
        EXPECT_FALSE(mine.empty()) << k;  // 3 seeds: 3 groups, one a shard
        jobs += mine.size();
        parts.push_back("'" + (out / "results.jsonl").string() + "'");
    }
    EXPECT_EQ(jobs, 12u);
    const fs::path merged = dir / "merged" / "results.jsonl";
    r = cli(fmt::format("report merge -o '{}' {} {} {}", merged.string(), parts[2], parts[0], parts[1]));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(verdicts_in(merged), verdicts_in(dir / "whole" / "results.jsonl"));
    r = cli(fmt::format("report '{}'", merged.string()));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;

    // A shard left out, or one of another plan (another seed), makes the merged run incomplete.
    r = cli(fmt::format("report merge -o '{}' {} {}", merged.string(), parts[0], parts[2]));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = cli(fmt::format("report '{}'", merged.string()));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("shard 2 of 3 is missing"), std::string::npos) << r.err;
    const fs::path other = dir / "other";
    r = cli(fmt::format("{} run '{}' --seed 6 --seeds 3 --duration 100ms -q --shard 2/3 --out '{}'", k_selftest, path, other.string()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = cli(fmt::format("report merge -o '{}' {} '{}' {}", merged.string(), parts[0], (other / "results.jsonl").string(), parts[2]));
    r = cli(fmt::format("report '{}'", merged.string()));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("of another plan"), std::string::npos) << r.err;
    fs::remove_all(dir);
}

TEST(CliScale, ShardNumbersComeFromTheEnvironmentAndAShardWithoutASeedIsRefused) {
    const fs::path dir = out_dir("shard-auto");
    fs::remove_all(dir);
    const std::string path = write_scale_scenario(dir / "in");
    auto r = cli_command(fmt::format("env -u THREADMILL_SHARD -u CI_NODE_INDEX -u CI_NODE_TOTAL -u JOB_COMPLETION_INDEX "
                                     "-u SLURM_ARRAY_TASK_ID '{}' {} run '{}' --seed 1 --shard auto --dry-run",
                                     TM_DRIVER_PATH, k_selftest, path));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--shard auto: no shard found in the environment"), std::string::npos) << r.err;
    r = cli_command(fmt::format("CI_NODE_INDEX=2 CI_NODE_TOTAL=2 '{}' {} run '{}' --seed 1 --seeds 4 --shard auto --dry-run",
                                TM_DRIVER_PATH, k_selftest, path));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("(shard 2 of 2, of a plan of 16)"), std::string::npos) << r.out;
    r = cli(fmt::format("{} run '{}' --shard 1/2 --dry-run", k_selftest, path));  // no seed anywhere
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--shard: give --seed"), std::string::npos) << r.err;
    fs::remove_all(dir);
}

TEST(CliScale, DryRunListsThePlannedJobsAndRunsNothing) {
    const fs::path dir = out_dir("dry-run");
    fs::remove_all(dir);
    const std::string path = write_scale_scenario(dir / "in");
    const auto r = cli(fmt::format("{} run '{}' --seed 1 --seeds 2 --dry-run --jobs auto --cpus 8 --out '{}'", k_selftest, path,
                                   (dir / "out").string()));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("1  scale · safe · plain · seed 1"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("8  scale · crash · plain · seed 2"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("8 jobs; expected"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("up to 2 side by side on 8 CPUs"), std::string::npos) << r.out;  // 2 groups of 4 jobs
    EXPECT_FALSE(fs::exists(dir / "out")) << "a dry run wrote its output folder";
    fs::remove_all(dir);
}

TEST(CliScale, FailFastStartsNoJobAfterAMissAndTheRunIsIncomplete) {
    const fs::path dir = out_dir("fail-fast");
    fs::remove_all(dir);
    // The crash is expected to be a hang: every job misses.
    const std::string path = write_plan_scenario(dir / "in", "ff", R"(["crash"])", R"(["plain"])", "crash = \"timeout\"");
    const fs::path out = dir / "out";
    auto r = cli(fmt::format("{} run '{}' --seed 1 --seeds 5 --fail-fast -q --out '{}'", k_selftest, path, out.string()));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("--fail-fast: stopped after a job missed its expectation; 1 of 5 jobs ran"), std::string::npos) << r.err;
    EXPECT_EQ(job_lines(out / "results.jsonl").size(), 1u);
    const auto end = nlohmann::json::parse(lines_of(out / "results.jsonl").back());
    EXPECT_EQ(end.at("type"), "run_end");
    EXPECT_EQ(end.value("fail_fast", false), true);
    r = cli(fmt::format("report '{}'", (out / "results.jsonl").string()));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("--fail-fast stopped it"), std::string::npos) << r.err;
    // Without --fail-fast every job runs.
    r = cli(fmt::format("{} run '{}' --seed 1 --seeds 5 -q --out '{}'", k_selftest, path, out.string()));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(job_lines(out / "results.jsonl").size(), 5u);
    fs::remove_all(dir);
}

TEST(CliScale, ATimeBudgetScalesEveryDurationByOneFactorDownToEachJobsMinimum) {
    const fs::path dir = out_dir("time-budget");
    fs::remove_all(dir);
    const std::string path = write_plan_scenario(dir / "in", "tb", R"(["safe"])", R"(["plain"])");
    const std::string common = fmt::format("{} run '{}' --seed 1 --seeds 4 --duration 400ms", k_selftest, path);
    // 4 jobs of 400ms + 0.1 s start-up: 2 s; in 1 s each may take 150ms, 0.375 of 400ms.
    auto r = cli(fmt::format("{} --time-budget 1s --dry-run", common));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("--time-budget 1s: durations scaled to 0.37"), std::string::npos) << r.err;
    EXPECT_NE(r.out.find("~0.25s"), std::string::npos) << r.out;  // 150ms + 0.1 s a job
    // Below every job's minimum (a quarter of 400ms): a warning, and the minimums.
    r = cli(fmt::format("{} --time-budget 200ms --dry-run", common));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("warning: --time-budget 200ms: the plan needs about 0.8s even with every job at its minimum"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.out.find("~0.20s"), std::string::npos) << r.out;
    EXPECT_NE(cli(fmt::format("{} --time-budget soon --dry-run", common)).err.find("--time-budget: 'soon' is not a duration"),
              std::string::npos);
    // A real run: the workers ran the scaled duration, and the run says so.
    const fs::path out = dir / "out";
    r = cli(fmt::format("{} --time-budget 1s -q --out '{}'", common, out.string()));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto context = nlohmann::json::parse(lines_of(out / "results.jsonl").front());
    EXPECT_EQ(context.at("time_budget"), "1s");
    EXPECT_NEAR(context.at("duration_scale").get<double>(), 0.375, 0.001);
    for (const auto& j : job_lines(out / "results.jsonl")) {
        EXPECT_LT(j.at("measurement").at("wall_seconds").get<double>(), 0.4);  // the run length, not a timing claim
        EXPECT_TRUE(std::regex_search(j.at("replay").get<std::string>(), std::regex("--duration 1[45][0-9]{7}ns")))
            << j.at("replay");
    }
    fs::remove_all(dir);
}

}  // namespace
