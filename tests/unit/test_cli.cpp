// End-to-end tests of the `threadmill` binary: real scenario files, exit codes and output.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
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

TEST(Cli, BadDurationOverrideIsAUsageError) {
    const auto r = cli(fmt::format("run {} scenarios/selftest/misbehave.toml --duration '2 s'", k_selftest));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--duration"), std::string::npos);
}

}  // namespace
