// End-to-end tests of the `threadmill` binary: real scenario files, exit codes and output.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace {
namespace fs = std::filesystem;

struct CliResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// Runs the driver from the tests/ folder with `args` (already shell-quoted where needed).
CliResult cli(const std::string& args) {
    const fs::path err = fs::temp_directory_path() / fmt::format("tm-cli-{}-stderr.txt", ::getpid());
    const std::string cmd = fmt::format("cd '{}' && NO_COLOR=1 '{}' {} 2>'{}'", TM_TEST_DATA_DIR, TM_DRIVER_PATH, args, err.string());
    CliResult r;
    FILE* pipe = ::popen(cmd.c_str(), "r");
    if (pipe == nullptr) return r;
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) r.out.append(buf, n);
    const int status = ::pclose(pipe);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = slurp(err);
    fs::remove(err);
    return r;
}

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

TEST(Cli, CaughtMutantsMeetTheirExpectationsAndPrintReplayLines) {
    const std::string out = out_dir("met");
    const auto r = cli(fmt::format("run {} scenarios/selftest/misbehave.toml --variant safe,crash,broken --seed 5 --out '{}'",
                                   k_selftest, out));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("3 jobs"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("3 met"), std::string::npos);
    EXPECT_NE(r.out.find("run scenarios/selftest/misbehave.toml --variant crash --flavor plain --seed 5"), std::string::npos);
    // SIGSEGV; in the harness's own sanitizer builds, ASan's SEGV report or UBSan's null store.
    EXPECT_TRUE(r.out.find("SEGV") != std::string::npos || r.out.find("null pointer") != std::string::npos) << r.out;
    EXPECT_NE(r.out.find("p99.9"), std::string::npos);  // the latency table of the safe job
    EXPECT_TRUE(fs::exists(fs::path(out) / "results.jsonl"));
    fs::remove_all(out);
}

TEST(Cli, AMissedExpectationExitsOne) {
    const std::string out = out_dir("missed");
    const auto r = cli(fmt::format("run {} scenarios/selftest/wrong-expectation.toml --seed 1 --out '{}'", k_selftest, out));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("EXPECTATION MISSED"), std::string::npos);
    fs::remove_all(out);
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

bool flavor_workers_built() {
    return fs::exists(fs::path(TM_DRIVER_PATH).parent_path() / "threadmill-worker-tsan") &&
           fs::exists(fs::path(TM_DRIVER_PATH).parent_path() / "threadmill-worker-asan");
}

TEST(Cli, CanariesAreCaughtByTheSanitizerFlavors) {
    if (!flavor_workers_built()) GTEST_SKIP() << "this build has no sanitizer workers (TM_SANITIZER_FLAVORS=OFF)";
    const std::string out = out_dir("canary");
    const auto r = cli(fmt::format("run '{}/../scenarios/canary' --seed 1 --out '{}'", TM_TEST_DATA_DIR, out));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("4 met, 0 missed"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("FINDING ThreadSanitizer: data-race"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("targets/canary/canary_target.cpp"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("heap-use-after-free"), std::string::npos) << r.out;
    fs::remove_all(out);
}

TEST(Cli, DoctorChecksTheWorkersAndTools) {
    const auto r = cli("doctor");
    EXPECT_NE(r.out.find("the plain worker runs"), std::string::npos) << r.out;
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
    EXPECT_EQ(doc.at("context").at("schema_version"), 2);
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
    EXPECT_NE(slurp(fs::path(out) / "summary.md").find("28 of 29 expectations met"), std::string::npos);
    // Without --report: the console report of the saved run.
    const auto console = cli("report reports/fixtures/run.jsonl");
    EXPECT_EQ(console.exit_code, 1);
    EXPECT_NE(console.out.find("29 jobs"), std::string::npos) << console.out;
    EXPECT_NE(console.out.find("EXPECTATION MISSED"), std::string::npos);
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
    EXPECT_EQ(lines, 13);  // the context line and 12 jobs
    EXPECT_EQ(cli(fmt::format("report '{}/all.jsonl' --report md=-", out)).exit_code, 0);
    fs::remove_all(out);
}

TEST(CliReports, CompareExitsOneOnARegressionOnly) {
    const auto same = cli("compare reports/fixtures/compare-a.jsonl reports/fixtures/compare-b.jsonl");
    EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
    EXPECT_NE(same.out.find("no regression"), std::string::npos) << same.out;
    const auto mutant = cli("compare reports/fixtures/compare-a.jsonl reports/fixtures/compare-b.jsonl --base-variant safe "
                            "--new-variant reader_preferring");
    EXPECT_EQ(mutant.exit_code, 1) << mutant.out << mutant.err;
    EXPECT_NE(mutant.out.find("REGRESSION"), std::string::npos) << mutant.out;
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
    EXPECT_NE(r.out.find("1 operation compared, tolerance 10%"), std::string::npos) << r.out;
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

/// Whether process `pid` is gone or a zombie (dead, not yet reaped by whoever adopted it).
bool process_gone(pid_t pid) {
    std::ifstream stat(fmt::format("/proc/{}/stat", pid));
    std::string text;
    if (!std::getline(stat, text)) return true;
    const auto paren = text.rfind(')');
    return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] == 'Z';
}

/// The pid of a process whose command line contains `needle`, or 0.
pid_t find_process(const std::string& needle) {
    for (const auto& e : fs::directory_iterator("/proc")) {
        const std::string name = e.path().filename().string();
        if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
        std::ifstream in(e.path() / "cmdline", std::ios::binary);
        std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (cmdline.find(needle) != std::string::npos && !process_gone(std::stoi(name))) return std::stoi(name);
    }
    return 0;
}

TEST(CliFaults, AWorkerDiesWithItsDriver) {
    const fs::path dir = out_dir("orphan");
    const std::string path = write_selftest_scenario(dir, "orphan", "hang", "duration = \"100ms\"\ntimeout = \"60s\"");
    const std::string out = (dir / "out").string();
    const pid_t driver = ::fork();
    ASSERT_GE(driver, 0);
    if (driver == 0) {
        const int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, STDOUT_FILENO);
        ::dup2(null, STDERR_FILENO);
        ::execl(TM_DRIVER_PATH, TM_DRIVER_PATH, "--worker-dir", TM_SELFTEST_WORKER_DIR, "run", path.c_str(), "--seed", "1",
                "--out", out.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    // The worker names its result file inside `out`: that finds it among this machine's processes.
    pid_t worker = 0;
    for (int i = 0; i < 1000 && worker == 0; ++i) {
        worker = find_process(out + "/jobs/");
        if (worker == 0) ::usleep(10'000);
    }
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
    for (const std::string command : {"run", "list", "validate", "report", "report merge", "compare", "doctor"}) {
        const auto r = cli(command + " --help");
        EXPECT_EQ(r.exit_code, 0) << command;
        EXPECT_TRUE(r.out.find("Exit codes: 0") != std::string::npos || r.out.find("Exit status: 0") != std::string::npos)
            << command << ":\n" << r.out;
    }
}

}  // namespace
