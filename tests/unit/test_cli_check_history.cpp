// End-to-end tests of `threadmill check-history`: the real binary on the histories in
// tests/histories/, its exit codes, its text and its --json.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/support/command.hpp"

namespace {
namespace fs = std::filesystem;
using nlohmann::json;

using CliResult = threadmill::testing::SplitCommandResult;

/// Runs the driver from the tests/ folder with `args` (already shell-quoted where needed).
CliResult cli(const std::string& args) {
    return threadmill::testing::run_command_split(
        fmt::format("cd '{}' && NO_COLOR=1 '{}' {}", TM_TEST_DATA_DIR, TM_DRIVER_PATH, args));
}

/// `check-history --json` on `args`, its stdout parsed (a failed test when it is not one JSON object).
json cli_json(const std::string& args, int expected_exit) {
    const auto r = cli("check-history --json " + args);
    EXPECT_EQ(r.exit_code, expected_exit) << r.out << r.err;
    try {
        json j = json::parse(r.out);
        EXPECT_TRUE(j.is_object()) << r.out;
        return j;
    } catch (const json::exception& e) {
        ADD_FAILURE() << "not JSON: " << e.what() << "\n" << r.out << r.err;
        return json::object();
    }
}

struct Sample {
    std::string model;
    std::string linearizable;      ///< a history file that is
    std::string not_linearizable;  ///< one that is not
    json failing_key;              ///< the key of the partition that fails (null: the ops without a key)
    std::vector<int> unplaced_lines;
};

const std::vector<Sample> k_samples = {
    {"register", "register-linearizable", "register-stale-read", "x", {5}},
    {"kv", "kv-linearizable", "kv-lost-append", "k", {3}},
    {"queue", "queue-linearizable", "queue-out-of-order", nullptr, {3}},
    {"set", "set-linearizable", "set-resurrected", nullptr, {3}},
    {"counter", "counter-linearizable", "counter-lost-add", nullptr, {3}},
};

std::string history(const std::string& name) { return fmt::format("histories/{}.jsonl", name); }

TEST(CliCheckHistory, EveryModelTellsALinearizableHistoryFromOneThatIsNot) {
    for (const Sample& s : k_samples) {
        SCOPED_TRACE(s.model);
        const auto yes = cli(fmt::format("check-history {} --model {}", history(s.linearizable), s.model));
        EXPECT_EQ(yes.exit_code, 0) << yes.out << yes.err;
        EXPECT_EQ(yes.out.rfind(fmt::format("{}: linearizable ({}: ", history(s.linearizable), s.model), 0), 0u) << yes.out;
        EXPECT_EQ(yes.err, "");

        const auto no = cli(fmt::format("check-history {} --model {}", history(s.not_linearizable), s.model));
        EXPECT_EQ(no.exit_code, 1) << no.out << no.err;
        EXPECT_EQ(no.out.rfind(fmt::format("{}: not linearizable ({}: ", history(s.not_linearizable), s.model), 0), 0u)
            << no.out;
        EXPECT_NE(no.out.find("longest linearizable prefix"), std::string::npos) << no.out;
        EXPECT_EQ(no.err, "");

        const json j = cli_json(fmt::format("{} --model {}", history(s.not_linearizable), s.model), 1);
        EXPECT_EQ(j.value("verdict", ""), "not linearizable");
        EXPECT_EQ(j.value("model", ""), s.model);
        EXPECT_EQ(j["key"], s.failing_key);
        EXPECT_TRUE(j.value("diagnosed", false));
        EXPECT_TRUE(j.value("diagnosis_complete", false));
        std::vector<int> unplaced_lines;
        for (const auto& k : j["unplaced"]) unplaced_lines.push_back(j["partition_ops"][k.get<std::size_t>()]["line"]);
        EXPECT_EQ(unplaced_lines, s.unplaced_lines) << j.dump(2);
    }
}

// The history quoted in docs/check-history.md: two writes, then two reads that disagree.
TEST(CliCheckHistory, AFailingPartitionIsPrintedWithItsLongestPrefixAndTheOpsThatCannotFollow) {
    const auto r = cli("check-history histories/register-stale-read.jsonl --model register");
    ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("(register: 6 ops in 2 partitions, 2 decided; "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("partition 'x': 4 ops, no order of them is legal and consistent with real time\n"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("  line  process  call  return  op\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("     3        0    10      20  write(x, 1)\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("✗    5        2    50      60  read(x) -> 1\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("longest linearizable prefix: 3 of the 4 ops, from the initial state null\n"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("  #  line  op            state after\n"
                         "  1     3  write(x, 1)   1\n"
                         "  2     4  write(x, 2)   2\n"
                         "  3     6  read(x) -> 2  2\n"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("  ✗ line 5, process 2, [50, 60]: read(x) -> 1\n"), std::string::npos) << r.out;
    // The ops of the other partition are not shown.
    EXPECT_EQ(r.out.find("write(y"), std::string::npos) << r.out;
}

TEST(CliCheckHistory, JsonHasTheVerdictTheFiguresAndTheFailingPartition) {
    const json yes = cli_json("histories/register-linearizable.jsonl --model register", 0);
    EXPECT_EQ(yes.value("verdict", ""), "linearizable");
    EXPECT_TRUE(yes["unknown_reason"].is_null());
    EXPECT_EQ(yes.value("ops", 0), 8);
    EXPECT_EQ(yes.value("partitions", 0), 2);
    EXPECT_EQ(yes.value("partitions_decided", 0), 2);
    EXPECT_GT(yes.value("steps", 0), 0);
    EXPECT_GT(yes.value("peak_memory_bytes", 0), 0);
    EXPECT_TRUE(yes["elapsed_ms"].is_number());
    EXPECT_FALSE(yes.contains("partition_ops"));

    const json no = cli_json("histories/register-stale-read.jsonl --model register", 1);
    EXPECT_EQ(no["key"], "x");
    ASSERT_EQ(no["partition_ops"].size(), 4u) << no.dump(2);
    const json& stale = no["partition_ops"][2];
    EXPECT_EQ(stale["line"], 5);
    EXPECT_EQ(stale["process"], 2);
    EXPECT_EQ(stale["op"], "read");
    EXPECT_EQ(stale["key"], "x");
    EXPECT_TRUE(stale["input"].is_null());
    EXPECT_EQ(stale["output"], 1);
    EXPECT_EQ(stale["call"], 50);
    EXPECT_EQ(stale["return"], 60);
    EXPECT_EQ(stale["status"], "ok");
    EXPECT_EQ(stale["description"], "read(x) -> 1");
    EXPECT_EQ(no["initial_state"], "null");
    EXPECT_EQ(no["longest_prefix"], json::parse(R"([{"op": 0, "line": 3, "state": "1"}, {"op": 1, "line": 4, "state": "2"},
                                                   {"op": 3, "line": 6, "state": "2"}])"));
    EXPECT_EQ(no["unplaced"], json::array({2}));
}

TEST(CliCheckHistory, InfoOpsStayOpenAndAreShownAsSuch) {
    const json j = cli_json("histories/counter-lost-add.jsonl --model counter", 1);
    ASSERT_EQ(j["partition_ops"].size(), 4u) << j.dump(2);
    const json& info = j["partition_ops"][3];
    EXPECT_EQ(info["status"], "info");
    EXPECT_TRUE(info["return"].is_null());
    EXPECT_TRUE(info["output"].is_null());
    EXPECT_EQ(info["description"], "read() -> ?");
    const auto r = cli("check-history histories/counter-lost-add.jsonl --model counter");
    EXPECT_NE(r.out.find("     4        3    25       -  read() -> ?\n"), std::string::npos) << r.out;
}

TEST(CliCheckHistory, WithoutADiagnosisOnlyThePartitionIsShown) {
    const auto r = cli("check-history histories/register-stale-read.jsonl --model register --diagnosis-time-limit 0s");
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("no diagnosis (--diagnosis-time-limit 0s)"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("longest linearizable prefix"), std::string::npos) << r.out;
    const json j = cli_json("histories/register-stale-read.jsonl --model register --diagnosis-time-limit 0s", 1);
    EXPECT_FALSE(j.value("diagnosed", true));
    EXPECT_EQ(j["longest_prefix"], json::array());
}

TEST(CliCheckHistory, ReadsStdin) {
    const auto r = cli("check-history - --model kv < histories/kv-linearizable.jsonl");
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out.rfind("<stdin>: linearizable (kv: 7 ops in 2 partitions, 2 decided; ", 0), 0u) << r.out;
}

TEST(CliCheckHistory, TheRegistersInitialValueIsJsonAndForTheRegisterOnly) {
    auto r = cli("check-history - --model register --initial 5 < /dev/null");
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out.rfind("<stdin>: linearizable (register: 0 ops in 0 partitions", 0), 0u) << r.out;
    // register-initial-5.jsonl reads 5 before anything is written.
    r = cli("check-history histories/register-initial-5.jsonl --model register --initial 5");
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    r = cli("check-history histories/register-initial-5.jsonl --model register");
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("from the initial state null"), std::string::npos) << r.out;
    r = cli("check-history histories/register-initial-5.jsonl --model register --initial '\"5\"'");
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("from the initial state \"5\""), std::string::npos) << r.out;

    r = cli("check-history histories/kv-linearizable.jsonl --model kv --initial 5");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("threadmill: error: --initial applies to --model register only, not kv"), std::string::npos) << r.err;
    r = cli("check-history histories/register-linearizable.jsonl --model register --initial '{oops'");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--initial: '{oops' is not a JSON value"), std::string::npos) << r.err;
}

TEST(CliCheckHistory, AMalformedLineIsAnErrorAtItsLine) {
    const auto r = cli("check-history histories/bad/missing-field.jsonl --model register");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind("histories/bad/missing-field.jsonl:3: error: missing field 'output'", 0), 0u) << r.err;
}

TEST(CliCheckHistory, AnOpThatDoesNotFitTheModelIsAnErrorAtItsLine) {
    const auto r = cli("check-history histories/bad/unknown-op.jsonl --model queue");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind("histories/bad/unknown-op.jsonl:3: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find("unknown op 'pop' (this model has enqueue, dequeue)"), std::string::npos) << r.err;
    // Whatever the verdict: the register model knows no enqueue, at line 1.
    const auto other = cli("check-history histories/queue-linearizable.jsonl --model register");
    EXPECT_EQ(other.exit_code, 2);
    EXPECT_EQ(other.err.rfind("histories/queue-linearizable.jsonl:1: error: ", 0), 0u) << other.err;
}

TEST(CliCheckHistory, UsageErrorsNameTheModelsAndTheFile) {
    auto r = cli("check-history histories/kv-linearizable.jsonl --model regster");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("threadmill: error: --model: unknown model 'regster' (one of: register, kv, queue, set, "
                         "counter); did you mean 'register'?"),
              std::string::npos)
        << r.err;
    r = cli("check-history histories/kv-linearizable.jsonl");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--model is required (one of: register, kv, queue, set, counter"), std::string::npos) << r.err;
    r = cli("check-history histories/no-such-file.jsonl --model kv");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("threadmill: error: cannot read histories/no-such-file.jsonl: No such file or directory"),
              std::string::npos)
        << r.err;
    r = cli("check-history histories --model kv");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("histories is a folder"), std::string::npos) << r.err;
    r = cli("check-history --model kv");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("no history file given"), std::string::npos) << r.err;
    for (const std::string bad : {"--time-limit 0s", "--time-limit soon", "--diagnosis-time-limit -1s",
                                  "--memory-limit-mib 0", "--memory-limit-mib 1.5"}) {
        r = cli("check-history histories/kv-linearizable.jsonl --model kv " + bad);
        EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.out << r.err;
    }
}

TEST(CliCheckHistory, ListsTheModelsWithTheirShapes) {
    for (const std::string args : {"--list-models", "--model help"}) {
        const auto r = cli("check-history " + args);
        EXPECT_EQ(r.exit_code, 0) << args << r.err;
        for (const std::string name : {"register", "kv", "queue", "set", "counter"})
            EXPECT_NE(r.out.find(fmt::format("\n  {} ", name)), std::string::npos) << name << " in:\n" << r.out;
        EXPECT_NE(r.out.find("cas input [expected, new]"), std::string::npos) << r.out;
        EXPECT_NE(r.out.find("docs/check-history.md"), std::string::npos) << r.out;
    }
}

TEST(CliCheckHistory, HelpExplainsTheFormatAndTheExitCodes) {
    const auto r = cli("check-history --help");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find(R"({"process": 3, "op": "cas")"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("docs/check-history.md"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Exit codes: 0 linearizable; 1 not linearizable"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("4 unknown"), std::string::npos) << r.out;
    const auto top = cli("--help");
    EXPECT_NE(top.out.find("check-history"), std::string::npos) << top.out;
    EXPECT_NE(top.out.find("; 4 check-history only: unknown"), std::string::npos) << top.out;
}

// queue-hard.jsonl: a two-op partition "easy", then "hard": 20 concurrent enqueues of distinct values
// and dequeues in order that end with a value never enqueued. Deciding "hard" means trying the
// enqueues' orders: far more than 4,096 search steps (when the clock is first read) and than 1 MiB
// of memo, so both limits give `unknown` whatever the machine's speed.
TEST(CliCheckHistory, ALimitThatRunsOutGivesUnknownWithExit4) {
    auto r = cli("check-history histories/queue-hard.jsonl --model queue --memory-limit-mib 1");
    EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
    EXPECT_EQ(r.out.rfind("histories/queue-hard.jsonl: unknown (queue: 43 ops in 2 partitions, 1 decided; ", 0), 0u)
        << r.out;
    EXPECT_NE(r.out.find("the memory limit (1.0 MiB per partition) ran out in partition 'hard' (41 ops); 1 of the 2 "
                         "partitions was decided, and it is linearizable\nraise --memory-limit-mib to decide it\n"),
              std::string::npos)
        << r.out;

    r = cli("check-history histories/queue-hard.jsonl --model queue --time-limit 1ns");
    EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
    EXPECT_NE(r.out.find("the time limit (1ns) ran out in partition 'hard' (41 ops)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("raise --time-limit"), std::string::npos) << r.out;

    const json j = cli_json("histories/queue-hard.jsonl --model queue --memory-limit-mib 1", 4);
    EXPECT_EQ(j.value("verdict", ""), "unknown");
    EXPECT_EQ(j.value("unknown_reason", ""), "memory limit");
    EXPECT_EQ(j["key"], "hard");
    EXPECT_EQ(j.value("partition_size", 0), 41);
    EXPECT_EQ(j.value("partitions", 0), 2);
    EXPECT_EQ(j.value("partitions_decided", 0), 1);
    const json t = cli_json("histories/queue-hard.jsonl --model queue --time-limit 1ns", 4);
    EXPECT_EQ(t.value("unknown_reason", ""), "time limit");
}

}  // namespace

// ---- a target's own model, checked by its plain worker (--target, --worker-dir / --worker) -----

const std::string k_own = fmt::format("--target max_register --worker-dir '{}'", TM_SELFTEST_WORKER_DIR);

TEST(CliCheckHistoryOwnModel, ATargetsOwnModelTellsALinearizableHistoryFromOneThatIsNot) {
    const json yes = cli_json("histories/max-register-linearizable.jsonl " + k_own, 0);
    EXPECT_EQ(yes.value("model", ""), "max_register");
    EXPECT_EQ(yes.value("file", ""), "histories/max-register-linearizable.jsonl");
    EXPECT_EQ(yes.value("partitions", 0), 2);

    const json no = cli_json("histories/max-register-lost-max.jsonl " + k_own, 1);
    EXPECT_EQ(no.value("verdict", ""), "not linearizable");
    EXPECT_EQ(no.at("key"), "a");
    EXPECT_EQ(no.at("unplaced"), json::array({2}));
    EXPECT_EQ(no.at("longest_prefix").back().value("state", ""), "5");

    // The same text as for a built-in model, from the worker's answer.
    const auto r = cli("check-history histories/max-register-lost-max.jsonl " + k_own);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.out.rfind("histories/max-register-lost-max.jsonl: not linearizable (max_register: 3 ops in 1 partition", 0), 0u)
        << r.out;
    EXPECT_NE(r.out.find("✗ line 3, process 2, [40, 50]: read(a) -> 3"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("from the initial state 0"), std::string::npos) << r.out;
}

TEST(CliCheckHistoryOwnModel, WorkerNamesTheExecutableAndStdinIsRead) {
    const auto r = cli(fmt::format("check-history - --target max_register --worker '{}/threadmill-worker' "
                                   "< histories/max-register-lost-max.jsonl",
                                   TM_SELFTEST_WORKER_DIR));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_EQ(r.out.rfind("<stdin>: not linearizable (max_register", 0), 0u) << r.out;
}

TEST(CliCheckHistoryOwnModel, AnOpTheModelRefusesIsAnErrorAtItsLine) {
    const auto r = cli("check-history histories/max-register-unknown-op.jsonl " + k_own);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_EQ(r.err.rfind("histories/max-register-unknown-op.jsonl:2: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find("unknown op 'peek' (this model has write and read)"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(CliCheckHistoryOwnModel, UsageErrorsNameWhatIsWrong) {
    auto r = cli(fmt::format("check-history histories/max-register-lost-max.jsonl --target max_registr --worker-dir '{}'",
                             TM_SELFTEST_WORKER_DIR));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("holds no target 'max_registr'; did you mean 'max_register'? (it has: selftest, max_register)"), std::string::npos) << r.err;
    r = cli(fmt::format("check-history histories/max-register-lost-max.jsonl --target selftest --worker-dir '{}'",
                        TM_SELFTEST_WORKER_DIR));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("target 'selftest' declares no model"), std::string::npos) << r.err;
    r = cli("check-history histories/max-register-lost-max.jsonl --worker /nonexistent");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("give --target too"), std::string::npos) << r.err;
    r = cli("check-history histories/max-register-lost-max.jsonl --initial 5 " + k_own);
    EXPECT_EQ(r.exit_code, 2);
    // A built-in model named instead of the target's own is checked here, as usual.
    r = cli("check-history histories/register-stale-read.jsonl --model register " + k_own);
    EXPECT_EQ(r.exit_code, 1) << r.err;
}

TEST(CliCheckHistoryOwnModel, TheWorkersCheckModeAnswersLikeCheckHistory) {
    const auto r = threadmill::testing::run_command_split(
        fmt::format("cd '{}' && '{}/threadmill-worker' --check-history histories/max-register-lost-max.jsonl "
                    "--target max_register --diagnosis-time-limit 0s",
                    TM_TEST_DATA_DIR, TM_SELFTEST_WORKER_DIR));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const json j = json::parse(r.out);
    EXPECT_EQ(j.value("verdict", ""), "not linearizable");
    EXPECT_FALSE(j.value("diagnosed", true));
    const auto no_model = threadmill::testing::run_command_split(
        fmt::format("cd '{}' && '{}/threadmill-worker' --check-history histories/max-register-lost-max.jsonl --target selftest",
                    TM_TEST_DATA_DIR, TM_SELFTEST_WORKER_DIR));
    EXPECT_EQ(no_model.exit_code, 2);
    EXPECT_NE(no_model.err.find("target 'selftest' has no sequential model of its own"), std::string::npos) << no_model.err;
}
