// Unit tests of check/: the JSON Lines parser, the models, the generator, and the
// linearizability checker against hand-made histories and a brute-force checker.
#include "check/linearizability.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "api/rng.hpp"
#include "check/history.hpp"
#include "check/history_gen.hpp"
#include "check/history_jsonl.hpp"
#include "check/models.hpp"
#include "tests/support/history_ops.hpp"

namespace threadmill {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

using test::info;
using test::ok;

LinResult check(const History& h, const Model& model, CheckOptions options = {}) {
    return check_linearizability(h, model, options);
}

LinVerdict verdict(const History& h, const std::string& model_name) {
    const auto model = make_model(model_name);
    return check(h, *model).verdict;
}

constexpr LinVerdict k_yes = LinVerdict::linearizable;
constexpr LinVerdict k_no = LinVerdict::not_linearizable;

bool same_op(const Operation& a, const Operation& b) {
    return a.process == b.process && a.op == b.op && a.key == b.key && a.input == b.input && a.output == b.output &&
           a.call == b.call && a.ret == b.ret && a.status == b.status;
}

// ---- JSON Lines -----------------------------------------------------------------------------

TEST(CheckHistoryJsonl, ParsesTheDocumentedExample) {
    const History h = parse_history_jsonl(
        R"({"process": 3, "op": "cas", "key": "x", "input": [1, 4], "output": true, "call": 120, "return": 135, "status": "ok"})");
    ASSERT_EQ(h.size(), 1u);
    EXPECT_EQ(h[0].process, 3);
    EXPECT_EQ(h[0].op, "cas");
    EXPECT_EQ(h[0].key, "x");
    EXPECT_EQ(h[0].input, json::array({1, 4}));
    EXPECT_EQ(h[0].output, json(true));
    EXPECT_EQ(h[0].call, 120);
    EXPECT_EQ(h[0].ret, 135);
    EXPECT_EQ(h[0].status, OpStatus::ok);
    EXPECT_EQ(h[0].source_line, 1);
}

TEST(CheckHistoryJsonl, InfoMayOmitReturnAndOutputAndStaysOpen) {
    const History h = parse_history_jsonl(
        "\n"
        R"({"process": 1, "op": "write", "input": 2, "call": 5, "status": "info"})"
        "\r\n   \n"
        R"({"process": 2, "op": "read", "input": null, "output": 7, "call": 6, "return": 9, "status": "info"})"
        "\n");
    ASSERT_EQ(h.size(), 2u);
    EXPECT_EQ(h[0].source_line, 2);
    EXPECT_EQ(h[1].source_line, 4);
    for (const Operation& op : h) {
        EXPECT_TRUE(op.is_info());
        EXPECT_EQ(op.ret, k_never_returned);
        EXPECT_TRUE(op.output.is_null()) << "an info op's output is ignored";
    }
}

TEST(CheckHistoryJsonl, RoundTripsGeneratedHistories) {
    for (const char* model : {"register", "kv", "queue", "set", "counter"}) {
        GenOptions o;
        o.model = model;
        o.ops = 60;
        o.keys = 3;
        o.info_rate = 0.2;
        const History h = generate_history(o).history;
        const History back = parse_history_jsonl(to_jsonl(h));
        ASSERT_EQ(back.size(), h.size()) << model;
        for (std::size_t i = 0; i < h.size(); ++i) {
            EXPECT_TRUE(same_op(h[i], back[i])) << model << " op " << i << ": " << to_jsonl(h[i]);
        }
    }
}

TEST(CheckHistoryJsonl, ReadsAStream) {
    std::istringstream in(R"({"process": 0, "op": "read", "input": null, "output": null, "call": 1, "return": 2, "status": "ok"})");
    EXPECT_EQ(read_history_jsonl(in).size(), 1u);
}

struct BadLine {
    std::string text;
    std::string message;  // a part of the expected message
};

TEST(CheckHistoryJsonl, MalformedLinesAreErrorsWithTheirLineNumber) {
    const std::string good =
        R"({"process": 0, "op": "read", "input": null, "output": null, "call": 1, "return": 2, "status": "ok"})";
    const std::vector<BadLine> cases = {
        {R"({"process": 0, "op": "read", "input": null, "output": null, "return": 2, "status": "ok"})",
         "missing field 'call'"},
        {R"({"op": "read", "input": null, "output": null, "call": 1, "return": 2, "status": "ok"})",
         "missing field 'process'"},
        {R"({"process": 0, "input": null, "output": null, "call": 1, "return": 2, "status": "ok"})",
         "missing field 'op'"},
        {R"({"process": 0, "op": "read", "output": null, "call": 1, "return": 2, "status": "ok"})",
         "missing field 'input'"},
        {R"({"process": 0, "op": "read", "input": null, "call": 1, "return": 2, "status": "ok"})",
         "missing field 'output'"},
        {R"({"process": 0, "op": "read", "input": null, "output": null, "call": 1, "status": "ok"})",
         "missing field 'return' (required when status is \"ok\")"},
        {R"({"process": 0, "op": "read", "input": null, "output": null, "call": 1, "return": 2})",
         "missing field 'status'"},
        {R"({"process": 0, "op": "read", "input": null, "output": null, "call": "1", "return": 2, "status": "ok"})",
         "field 'call' must be an integer, got string \"1\""},
        {R"({"process": 0, "op": "read", "input": null, "output": null, "call": 1.5, "return": 2, "status": "ok"})",
         "field 'call' must be an integer, got number 1.5"},
        {R"({"process": "p0", "op": "read", "input": null, "output": null, "call": 1, "return": 2, "status": "ok"})",
         "field 'process' must be an integer"},
        {R"({"process": 0, "op": 7, "input": null, "output": null, "call": 1, "return": 2, "status": "ok"})",
         "field 'op' must be a string, got number 7"},
        {R"({"process": 0, "op": "", "input": null, "output": null, "call": 1, "return": 2, "status": "ok"})",
         "field 'op' must not be empty"},
        {R"({"process": 0, "op": "read", "key": 3, "input": null, "output": null, "call": 1, "return": 2, "status": "ok"})",
         "field 'key' must be a string"},
        {R"({"process": 0, "op": "read", "input": null, "output": null, "call": 5, "return": 4, "status": "ok"})",
         "'return' (4) is before 'call' (5)"},
        {R"({"process": 0, "op": "read", "input": null, "call": 5, "return": 4, "status": "info"})",
         "'return' (4) is before 'call' (5)"},
        {R"({"process": 0, "op": "read", "input": null, "output": null, "call": 1, "return": 2, "status": "fail"})",
         "unknown status 'fail' (expected \"ok\" or \"info\")"},
        {R"({"process": 0, "op": "read", "input": null, "output": null, "call": 1, "return": 2, "status": true})",
         "field 'status' must be a string"},
        {R"({"process": 0, "op": "read", "input": null, "output": null, "call": 1, "reutrn": 2, "status": "ok"})",
         "unknown field 'reutrn'"},
        {R"({"process": 0, "op": "read", "input": null, "output": null, "call": 18446744073709551615, "return": 2, "status": "ok"})",
         "field 'call' is out of range"},
        {R"({"process": 99999999999, "op": "read", "input": null, "output": null, "call": 1, "return": 2, "status": "ok"})",
         "field 'process' is out of range"},
        {R"({"process": 0, "op": "read",)", "not valid JSON"},
        {R"([1, 2, 3])", "expected a JSON object, got array"},
    };
    for (const BadLine& c : cases) {
        const std::string text = good + "\n\n" + c.text + "\n" + good + "\n";
        try {
            parse_history_jsonl(text);
            ADD_FAILURE() << "no error for: " << c.text;
        } catch (const HistoryParseError& e) {
            EXPECT_EQ(e.line(), 3) << c.text;
            EXPECT_NE(e.message().find(c.message), std::string::npos) << "got: " << e.message();
            EXPECT_EQ(std::string(e.what()).rfind("line 3: ", 0), 0u) << e.what();
        }
    }
}

TEST(CheckHistoryJsonl, NamedSourcesPointAtTheFile) {
    try {
        parse_history_jsonl("{}", "runs/h.jsonl");
        ADD_FAILURE();
    } catch (const HistoryParseError& e) {
        EXPECT_EQ(std::string(e.what()), "runs/h.jsonl:1: error: missing field 'status'");
        EXPECT_EQ(e.source(), "runs/h.jsonl");
    }
}

TEST(CheckHistory, MaxConcurrencyCountsOpenOpsAndInfoToTheEnd) {
    EXPECT_EQ(max_concurrency({}), 0u);
    History h = {ok(0, "read", nullptr, nullptr, 0, 10), ok(1, "read", nullptr, nullptr, 10, 20),
                 ok(2, "read", nullptr, nullptr, 21, 30)};
    EXPECT_EQ(max_concurrency(h), 2u) << "touching at 10: a call comes before a return";
    h.push_back(info(3, "write", 1, 1));
    EXPECT_EQ(max_concurrency(h), 3u);
}

// ---- models ---------------------------------------------------------------------------------

TEST(CheckModels, TableHasEveryBuiltInModel) {
    std::vector<std::string> names;
    for (const ModelInfo& m : builtin_models()) {
        names.emplace_back(m.name);
        const auto model = m.make();
        ASSERT_NE(model, nullptr);
        EXPECT_EQ(model->name(), m.name);
        EXPECT_FALSE(m.help.empty());
    }
    EXPECT_EQ(names, (std::vector<std::string>{"register", "kv", "queue", "set", "counter"}));
    EXPECT_EQ(make_model("stack"), nullptr);
}

TEST(CheckModels, DescribeOps) {
    const auto reg = make_model("register");
    EXPECT_EQ(reg->describe(ok(0, "cas", json::array({1, 4}), true, 0, 1, "x")), "cas(x, [1,4]) -> true");
    EXPECT_EQ(reg->describe(ok(0, "write", 3, nullptr, 0, 1)), "write(3)");
    EXPECT_EQ(reg->describe(ok(0, "read", nullptr, nullptr, 0, 1)), "read() -> null");
    EXPECT_EQ(reg->describe(info(0, "write", 3, 0)), "write(3) (info)");
    const auto queue = make_model("queue");
    EXPECT_EQ(queue->describe(info(0, "dequeue", nullptr, 0)), "dequeue() -> ?");
    EXPECT_EQ(make_model("kv")->describe(ok(0, "get", nullptr, "ab", 0, 1, "k")), "get(k) -> \"ab\"");
}

TEST(CheckModels, DefaultPartitionGroupsByKeyInFirstOpOrder) {
    const History h = {ok(0, "read", nullptr, nullptr, 0, 1, "b"), ok(0, "read", nullptr, nullptr, 2, 3),
                       ok(0, "read", nullptr, nullptr, 4, 5, "a"), ok(0, "read", nullptr, nullptr, 6, 7, "b"),
                       ok(0, "read", nullptr, nullptr, 8, 9)};
    const auto parts = make_model("register")->partition(h);
    ASSERT_EQ(parts.size(), 3u);
    EXPECT_EQ(parts[0].key, "b");
    EXPECT_EQ(parts[0].ops, (std::vector<std::size_t>{0, 3}));
    EXPECT_EQ(parts[1].key, std::nullopt);
    EXPECT_EQ(parts[1].ops, (std::vector<std::size_t>{1, 4}));
    EXPECT_EQ(parts[2].key, "a");
    EXPECT_EQ(parts[2].ops, (std::vector<std::size_t>{2}));
    EXPECT_TRUE(make_model("register")->partition({}).empty());
}

struct BadShape {
    std::string model;
    Operation op;
    std::string message;
};

TEST(CheckModels, WrongShapesAreModelErrors) {
    const std::vector<BadShape> cases = {
        {"register", ok(0, "cas", 5, true, 0, 1), "cas input must be [expected, new], got number 5"},
        {"register", ok(0, "cas", json::array({1, 2}), "yes", 0, 1), "cas output must be true or false"},
        {"register", ok(0, "incr", 1, nullptr, 0, 1), "unknown op 'incr' (this model has read, write, cas)"},
        {"kv", ok(0, "get", nullptr, "", 0, 1), "this op needs a key"},
        {"kv", ok(0, "put", 1, nullptr, 0, 1, "x"), "put input must be a string, got number 1"},
        {"kv", ok(0, "get", nullptr, 3, 0, 1, "x"), "get output must be a string"},
        {"queue", ok(0, "enqueue", nullptr, nullptr, 0, 1), "enqueue input must not be null"},
        {"set", ok(0, "add", 1, nullptr, 0, 1), "add output must be true or false, got null"},
        {"counter", ok(0, "add", "1", nullptr, 0, 1), "add input must be a 64-bit integer, got string \"1\""},
        {"counter", ok(0, "read", nullptr, 1.5, 0, 1), "read output must be a 64-bit integer"},
    };
    for (const BadShape& c : cases) {
        History h = {ok(0, "read", nullptr, nullptr, 0, 0), c.op};
        if (c.model == "kv") h[0] = ok(0, "get", nullptr, "", 0, 0, c.op.key.value_or("x"));
        if (c.model == "queue") h[0] = ok(0, "dequeue", nullptr, nullptr, 0, 0);
        if (c.model == "set") h[0] = ok(0, "contains", 1, false, 0, 0);
        if (c.model == "counter") h[0] = ok(0, "read", nullptr, 0, 0, 0);
        h[1].source_line = 7;
        const auto model = make_model(c.model);
        try {
            check(h, *model);
            ADD_FAILURE() << "no error for " << c.model << " " << to_jsonl(c.op);
        } catch (const ModelError& e) {
            EXPECT_EQ(e.op_index(), 1u);
            const std::string what = e.what();
            EXPECT_NE(what.find(c.message), std::string::npos) << what;
            EXPECT_NE(what.find("line 7"), std::string::npos) << what;
        }
    }
}

TEST(CheckModels, OneModelChecksHistoriesOnManyThreads) {
    const auto model = make_model("kv");
    std::vector<History> histories;
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
        GenOptions o;
        o.model = "kv";
        o.seed = seed;
        o.ops = 200;
        o.keys = 2;
        o.break_history = seed % 2 == 0;
        histories.push_back(generate_history(o).history);
    }
    std::vector<LinVerdict> alone;
    for (const History& h : histories) alone.push_back(check(h, *model).verdict);
    std::vector<LinVerdict> together(histories.size());
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < histories.size(); ++i) {
        threads.emplace_back([&, i] { together[i] = check(histories[i], *model).verdict; });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(together, alone);
}

TEST(CheckHistory, AnOkOpReturningBeforeItsCallIsRejected) {
    const History h = {ok(0, "read", nullptr, nullptr, 10, 5)};
    EXPECT_THROW(check(h, *make_model("register")), std::invalid_argument);
}

TEST(CheckModels, InfoOpsAreNotCheckedForOutputShape) {
    const History h = {info(0, "cas", json::array({nullptr, 1}), 0), info(1, "add", 1, 0)};
    EXPECT_EQ(verdict({h[0]}, "register"), k_yes);
    EXPECT_EQ(verdict({h[1]}, "set"), k_yes);
}

// ---- register -------------------------------------------------------------------------------

TEST(CheckRegister, SequentialReadsSeeTheLastWrite) {
    EXPECT_EQ(verdict({ok(0, "write", 1, nullptr, 0, 10), ok(1, "read", nullptr, 1, 11, 20)}, "register"), k_yes);
    EXPECT_EQ(verdict({ok(0, "write", 1, nullptr, 0, 10), ok(1, "read", nullptr, nullptr, 11, 20)}, "register"), k_no);
    EXPECT_EQ(verdict({ok(1, "read", nullptr, nullptr, 0, 5)}, "register"), k_yes) << "starts null";
    EXPECT_EQ(verdict({}, "register"), k_yes);
}

TEST(CheckRegister, AConcurrentReadMaySeeEitherValue) {
    for (const json& seen : {json(nullptr), json(1)}) {
        EXPECT_EQ(verdict({ok(0, "write", 1, nullptr, 0, 10), ok(1, "read", nullptr, seen, 5, 15)}, "register"), k_yes);
    }
    EXPECT_EQ(verdict({ok(0, "write", 1, nullptr, 0, 10), ok(1, "read", nullptr, 2, 5, 15)}, "register"), k_no);
}

TEST(CheckRegister, OpsThatTouchAreConcurrent) {
    // At equal times a call comes before a return: the read may precede the write.
    EXPECT_EQ(verdict({ok(0, "write", 1, nullptr, 0, 10), ok(1, "read", nullptr, nullptr, 10, 20)}, "register"), k_yes);
    EXPECT_EQ(verdict({ok(0, "write", 1, nullptr, 0, 10), ok(1, "read", nullptr, nullptr, 11, 20)}, "register"), k_no);
}

TEST(CheckRegister, ReadsDuringTheWritesMaySeeBoth) {
    const History h = {ok(0, "write", 1, nullptr, 0, 10), ok(1, "write", 2, nullptr, 0, 10),
                       ok(2, "read", nullptr, 1, 5, 30), ok(3, "read", nullptr, 2, 5, 30)};
    EXPECT_EQ(verdict(h, "register"), k_yes) << "write 1, read 1, write 2, read 2";
    History after = h;
    after[2].call = after[3].call = 20;
    EXPECT_EQ(verdict(after, "register"), k_no) << "after both writes the value is settled";
}

TEST(CheckRegister, ReadersAfterBothWritesCannotDisagree) {
    const History h = {ok(0, "write", 1, nullptr, 0, 10), ok(1, "write", 2, nullptr, 0, 10),
                       ok(2, "read", nullptr, 1, 20, 30), ok(3, "read", nullptr, 2, 31, 40),
                       ok(2, "read", nullptr, 1, 41, 50)};
    EXPECT_EQ(verdict(h, "register"), k_no);
}

TEST(CheckRegister, CompareAndSet) {
    const History good = {ok(0, "write", 1, nullptr, 0, 10), ok(1, "cas", json::array({1, 2}), true, 11, 20),
                          ok(2, "cas", json::array({1, 3}), false, 21, 30), ok(0, "read", nullptr, 2, 31, 40)};
    EXPECT_EQ(verdict(good, "register"), k_yes);
    History bad = good;
    bad[2].output = true;
    EXPECT_EQ(verdict(bad, "register"), k_no);
    EXPECT_EQ(verdict({ok(0, "cas", json::array({nullptr, 5}), true, 0, 1)}, "register"), k_yes);
}

TEST(CheckRegister, InitialValue) {
    const History h = {ok(0, "read", nullptr, 0, 0, 1)};
    EXPECT_EQ(check(h, *make_register_model(0)).verdict, k_yes);
    EXPECT_EQ(check(h, *make_register_model()).verdict, k_no);
}

TEST(CheckRegister, InfoWriteMayTakeEffectLateOrNever) {
    EXPECT_EQ(verdict({info(0, "write", 1, 0), ok(1, "read", nullptr, 1, 5, 10)}, "register"), k_yes);
    EXPECT_EQ(verdict({info(0, "write", 1, 0), ok(1, "read", nullptr, nullptr, 5, 10), ok(1, "read", nullptr, 1, 100, 110)},
                      "register"),
              k_yes)
        << "an info op stays open: it may take effect long after its call";
    EXPECT_EQ(verdict({info(0, "write", 1, 0), ok(1, "read", nullptr, nullptr, 5, 10)}, "register"), k_yes)
        << "or never";
    EXPECT_EQ(verdict({info(0, "write", 1, 0), ok(1, "read", nullptr, 1, 5, 10), ok(1, "read", nullptr, nullptr, 20, 30)},
                      "register"),
              k_no)
        << "once seen, it took effect";
    EXPECT_EQ(verdict({ok(1, "read", nullptr, 1, 0, 10), info(0, "write", 1, 20)}, "register"), k_no)
        << "it cannot take effect before its call";
    EXPECT_EQ(verdict({info(0, "write", 1, 0), info(1, "write", 2, 0)}, "register"), k_yes) << "only info ops";
}

TEST(CheckRegister, ConcurrentReadsDoNotMultiplyTheSearch) {
    // A long write of 1 and 24 reads of 1 during it, then one read of a value never written.
    // Without the read-only rule the search would linearize every subset of the 24 reads (2^24
    // configurations) before it could say no; with it each read is taken once, as soon as it fits.
    History h = {ok(0, "write", 1, nullptr, 0, 1000)};
    for (int p = 1; p <= 24; ++p) h.push_back(ok(p, "read", nullptr, 1, 1, 1000));
    h.push_back(ok(25, "read", nullptr, 2, 1, 1000));
    const auto model = make_model("register");
    const LinResult no = check(h, *model);
    EXPECT_EQ(no.verdict, k_no);
    EXPECT_LT(no.steps, 10'000u);
    h.pop_back();
    const LinResult yes = check(h, *model);
    EXPECT_EQ(yes.verdict, k_yes);
    EXPECT_LT(yes.steps, 10'000u);
}

TEST(CheckModels, ReadOnlyOpsAreTheOnesThatNeverChangeTheState) {
    const History h = {ok(0, "read", nullptr, 1, 0, 1), ok(0, "cas", json::array({1, 2}), false, 2, 3),
                       ok(0, "cas", json::array({1, 2}), true, 4, 5), ok(0, "write", 3, nullptr, 6, 7),
                       info(0, "cas", json::array({1, 2}), 8)};
    const std::vector<std::size_t> ops = {0, 1, 2, 3, 4};
    const auto session = make_model("register")->start(h, ops);
    EXPECT_TRUE(session->read_only(0)) << "read";
    EXPECT_TRUE(session->read_only(1)) << "a cas that failed";
    EXPECT_FALSE(session->read_only(2)) << "a cas that swapped";
    EXPECT_FALSE(session->read_only(3)) << "write";
    EXPECT_FALSE(session->read_only(4)) << "a cas of unknown outcome";
    const History q = {ok(0, "dequeue", nullptr, nullptr, 0, 1), ok(0, "dequeue", nullptr, 5, 2, 3),
                       ok(0, "enqueue", 5, nullptr, 4, 5)};
    const std::vector<std::size_t> q_ops = {0, 1, 2};
    const auto queue = make_model("queue")->start(q, q_ops);
    EXPECT_TRUE(queue->read_only(0)) << "a dequeue that found the queue empty";
    EXPECT_FALSE(queue->read_only(1));
    EXPECT_FALSE(queue->read_only(2));
}

TEST(CheckRegister, OpenInfoOpsDoNotMultiplyTheSearch) {
    // 24 timed-out writes of 1, then a read of a value never written. Without the memo's
    // covering rule for info ops the search would try every subset of the 24 writes.
    History h;
    for (int p = 0; p < 24; ++p) h.push_back(info(p, "write", 1, 0));
    h.push_back(ok(24, "read", nullptr, 1, 10, 20));
    h.push_back(ok(24, "read", nullptr, 2, 30, 40));
    const auto model = make_model("register");
    const LinResult r = check(h, *model);
    EXPECT_EQ(r.verdict, k_no);
    EXPECT_LT(r.steps, 10'000u);
    EXPECT_LT(r.peak_memo_entries, 1'000u);
}

TEST(CheckRegister, DiagnosisShowsTheLongestPrefixAndWhatCouldNotFollow) {
    const History h = {ok(0, "write", 1, nullptr, 0, 10), ok(1, "write", 2, nullptr, 20, 30),
                       ok(2, "read", nullptr, 1, 40, 50), ok(3, "read", nullptr, 2, 45, 55)};
    const auto model = make_model("register");
    const LinResult r = check(h, *model);
    ASSERT_EQ(r.verdict, k_no);
    EXPECT_EQ(r.key, std::nullopt);
    EXPECT_EQ(r.partition_ops, (std::vector<std::size_t>{0, 1, 2, 3}));
    EXPECT_TRUE(r.diagnosed);
    EXPECT_TRUE(r.diagnosis_complete);
    EXPECT_EQ(r.initial_state, "null");
    EXPECT_EQ(r.longest_prefix, (std::vector<std::size_t>{0, 1, 3}));
    EXPECT_EQ(r.prefix_states, (std::vector<std::string>{"1", "2", "2"}));
    EXPECT_EQ(r.unplaced, (std::vector<std::size_t>{2}));
    EXPECT_EQ(r.partitions, 1u);
    EXPECT_EQ(r.partitions_decided, 1u);

    CheckOptions no_diagnosis;
    no_diagnosis.diagnosis_time_limit = 0ms;
    const LinResult quick = check(h, *model, no_diagnosis);
    EXPECT_EQ(quick.verdict, k_no);
    EXPECT_FALSE(quick.diagnosed);
    EXPECT_TRUE(quick.longest_prefix.empty());
}

// ---- kv -------------------------------------------------------------------------------------

TEST(CheckKv, PutAppendGetDelete) {
    const History good = {ok(0, "put", "a", nullptr, 0, 10, "x"), ok(1, "append", "b", nullptr, 11, 20, "x"),
                          ok(2, "get", nullptr, "ab", 21, 30, "x"), ok(0, "delete", nullptr, nullptr, 31, 40, "x"),
                          ok(1, "get", nullptr, "", 41, 50, "x"), ok(2, "get", nullptr, nullptr, 51, 60, "x")};
    EXPECT_EQ(verdict(good, "kv"), k_yes);
    History bad = good;
    bad[2].output = "ba";
    EXPECT_EQ(verdict(bad, "kv"), k_no);
    EXPECT_EQ(verdict({ok(0, "get", nullptr, "", 0, 1, "y")}, "kv"), k_yes) << "every key starts as \"\"";
}

TEST(CheckKv, ConcurrentAppendsInEitherOrder) {
    for (const char* seen : {"ab", "ba"}) {
        const History h = {ok(0, "append", "a", nullptr, 0, 10, "x"), ok(1, "append", "b", nullptr, 0, 10, "x"),
                           ok(2, "get", nullptr, seen, 20, 30, "x")};
        EXPECT_EQ(verdict(h, "kv"), k_yes) << seen;
    }
    const History torn = {ok(0, "append", "a", nullptr, 0, 10, "x"), ok(1, "append", "b", nullptr, 0, 10, "x"),
                          ok(2, "get", nullptr, "ab", 20, 30, "x"), ok(3, "get", nullptr, "ba", 31, 40, "x")};
    EXPECT_EQ(verdict(torn, "kv"), k_no);
}

TEST(CheckKv, KeysArePartitionsAndTheFailingOneIsReported) {
    const History h = {ok(0, "put", "a", nullptr, 0, 10, "x"), ok(1, "put", "b", nullptr, 0, 10, "y"),
                       ok(2, "get", nullptr, "a", 20, 30, "x"), ok(3, "get", nullptr, "a", 20, 30, "y"),
                       ok(3, "get", nullptr, "b", 31, 40, "y")};
    const auto model = make_model("kv");
    const LinResult r = check(h, *model);
    ASSERT_EQ(r.verdict, k_no);
    EXPECT_EQ(r.key, "y");
    EXPECT_EQ(r.partition_ops, (std::vector<std::size_t>{1, 3, 4}));
    EXPECT_EQ(r.partitions, 2u);
    EXPECT_EQ(r.longest_prefix, (std::vector<std::size_t>{1}));
    EXPECT_EQ(r.prefix_states, (std::vector<std::string>{"\"b\""}));
    EXPECT_EQ(r.unplaced, (std::vector<std::size_t>{3}));
}

// ---- queue ----------------------------------------------------------------------------------

TEST(CheckQueue, FifoOrder) {
    const History seq = {ok(0, "enqueue", 1, nullptr, 0, 10), ok(0, "enqueue", 2, nullptr, 11, 20),
                         ok(1, "dequeue", nullptr, 1, 21, 30), ok(1, "dequeue", nullptr, 2, 31, 40),
                         ok(1, "dequeue", nullptr, nullptr, 41, 50)};
    EXPECT_EQ(verdict(seq, "queue"), k_yes);
    History lifo = seq;
    lifo[2].output = 2;
    lifo[3].output = 1;
    EXPECT_EQ(verdict(lifo, "queue"), k_no);
    History empty_but_not = seq;
    empty_but_not[2].output = nullptr;
    EXPECT_EQ(verdict(empty_but_not, "queue"), k_no);
}

TEST(CheckQueue, ConcurrentEnqueuesInEitherOrder) {
    const History h = {ok(0, "enqueue", 1, nullptr, 0, 10), ok(1, "enqueue", 2, nullptr, 0, 10),
                       ok(2, "dequeue", nullptr, 2, 20, 30), ok(2, "dequeue", nullptr, 1, 31, 40)};
    EXPECT_EQ(verdict(h, "queue"), k_yes);
    EXPECT_EQ(verdict({ok(0, "dequeue", nullptr, 7, 0, 10)}, "queue"), k_no);
}

TEST(CheckQueue, InfoDequeueMayHaveTakenAValue) {
    const History h = {ok(0, "enqueue", 1, nullptr, 0, 10), ok(0, "enqueue", 2, nullptr, 11, 20),
                       info(1, "dequeue", nullptr, 21), ok(2, "dequeue", nullptr, 2, 30, 40)};
    EXPECT_EQ(verdict(h, "queue"), k_yes);
    History h2 = h;
    h2[3].output = 1;
    EXPECT_EQ(verdict(h2, "queue"), k_yes) << "or not";
}

// ---- set ------------------------------------------------------------------------------------

TEST(CheckSet, AddRemoveContains) {
    const History good = {ok(0, "add", 1, true, 0, 10), ok(0, "add", 1, false, 11, 20),
                          ok(1, "contains", 1, true, 21, 30), ok(1, "remove", 1, true, 31, 40),
                          ok(1, "remove", 1, false, 41, 50), ok(2, "contains", 1, false, 51, 60)};
    EXPECT_EQ(verdict(good, "set"), k_yes);
    History bad = good;
    bad[1].output = true;
    EXPECT_EQ(verdict(bad, "set"), k_no);
}

TEST(CheckSet, MoreThanSixtyFourValuesUseInternedStates) {
    History h;
    for (int v = 0; v < 100; ++v) h.push_back(ok(v % 4, "add", v, true, v * 10, v * 10 + 15));
    h.push_back(ok(0, "contains", 70, true, 2000, 2010));
    h.push_back(ok(0, "remove", 99, true, 2020, 2030));
    h.push_back(ok(0, "contains", 99, false, 2040, 2050));
    EXPECT_EQ(verdict(h, "set"), k_yes);
    h.push_back(ok(0, "contains", 3, false, 2060, 2070));
    EXPECT_EQ(verdict(h, "set"), k_no);
}

// ---- counter --------------------------------------------------------------------------------

TEST(CheckCounter, ReadsSeeSumsOfAdds) {
    const History h = {ok(0, "add", 1, nullptr, 0, 10), ok(1, "add", 2, nullptr, 0, 10),
                       ok(2, "read", nullptr, 1, 0, 10), ok(2, "read", nullptr, 3, 11, 20)};
    EXPECT_EQ(verdict(h, "counter"), k_yes);
    History bad = h;
    bad[2].output = 4;
    EXPECT_EQ(verdict(bad, "counter"), k_no);
    bad = h;
    bad[3].output = 2;
    EXPECT_EQ(verdict(bad, "counter"), k_no);
}

// ---- a nondeterministic model ---------------------------------------------------------------

/// A register whose `write_any` input [a, b] stores a or b (the model does not know which);
/// read outputs the value; values are small integers, the state is the value.
class ChoiceRegister : public Model {
public:
    std::string_view name() const override { return "choice-register"; }
    std::unique_ptr<ModelSession> start(const History& history, std::span<const std::size_t> ops) const override {
        auto s = std::make_unique<Session>();
        for (const std::size_t i : ops) s->ops.push_back(history[i]);
        return s;
    }

private:
    struct Session : ModelSession {
        std::vector<Operation> ops;
        StateId initial() override { return 0; }
        void step(StateId state, std::uint32_t i, std::vector<StateId>& next) override {
            const Operation& op = ops[i];
            if (op.op == "write_any") {
                next.push_back(op.input[0].get<StateId>());
                next.push_back(op.input[1].get<StateId>());
            } else if (op.is_info() || op.output.get<StateId>() == state) {
                next.push_back(state);
            }
        }
        std::string describe_state(StateId state) const override { return std::to_string(state); }
    };
};

TEST(CheckNondeterministic, EveryPossibleStateIsExplored) {
    const ChoiceRegister model;
    for (const int v : {1, 2}) {
        const History h = {ok(0, "write_any", json::array({1, 2}), nullptr, 0, 10), ok(1, "read", nullptr, v, 20, 30),
                           ok(1, "read", nullptr, v, 40, 50)};
        EXPECT_EQ(check(h, model).verdict, k_yes) << v;
    }
    const History flip = {ok(0, "write_any", json::array({1, 2}), nullptr, 0, 10), ok(1, "read", nullptr, 1, 20, 30),
                          ok(1, "read", nullptr, 2, 40, 50)};
    EXPECT_EQ(check(flip, model).verdict, k_no);
    const History three = {ok(0, "write_any", json::array({1, 2}), nullptr, 0, 10), ok(1, "read", nullptr, 3, 20, 30)};
    EXPECT_EQ(check(three, model).verdict, k_no);
    // Concurrent with a read of the initial value, and two nondeterministic steps in a row.
    const History two = {ok(0, "write_any", json::array({1, 2}), nullptr, 0, 10),
                         ok(1, "read", nullptr, 0, 0, 10),
                         ok(0, "write_any", json::array({3, 4}), nullptr, 20, 30),
                         ok(1, "read", nullptr, 2, 15, 25),
                         ok(1, "read", nullptr, 4, 40, 50)};
    EXPECT_EQ(check(two, model).verdict, k_yes);
}

// ---- brute force ----------------------------------------------------------------------------

/// Whether one partition has an order of its ops, consistent with real time, that the model
/// accepts: depth-first over every permutation of the ok ops and any subset of the info ops,
/// placing an op next only if no unplaced op returned before its call, and carrying the set of
/// states the model may be in. No memo, no event list.
bool brute_force_partition(const History& h, const std::vector<std::size_t>& ops, ModelSession& session,
                           std::uint32_t placed, const std::vector<StateId>& states) {
    bool all_ok_placed = true;
    for (std::uint32_t i = 0; i < ops.size(); ++i) {
        if (!(placed >> i & 1) && !h[ops[i]].is_info()) all_ok_placed = false;
    }
    if (all_ok_placed) return true;
    for (std::uint32_t i = 0; i < ops.size(); ++i) {
        if (placed >> i & 1) continue;
        bool minimal = true;
        for (std::uint32_t j = 0; j < ops.size(); ++j) {
            if (j != i && !(placed >> j & 1) && !h[ops[j]].is_info() && h[ops[j]].ret < h[ops[i]].call) minimal = false;
        }
        if (!minimal) continue;
        std::vector<StateId> next;
        for (const StateId s : states) session.step(s, i, next);
        std::sort(next.begin(), next.end());
        next.erase(std::unique(next.begin(), next.end()), next.end());
        if (!next.empty() && brute_force_partition(h, ops, session, placed | (1u << i), next)) return true;
    }
    return false;
}

bool brute_force(const History& h, const Model& model) {
    for (const Partition& p : model.partition(h)) {
        const auto session = model.start(h, p.ops);
        if (!brute_force_partition(h, p.ops, *session, 0, {session->initial()})) return false;
    }
    return true;
}

TEST(CheckBruteForce, AgreesWithTheCheckerOnThousandsOfSmallHistories) {
    int checked = 0;
    int broken_and_not_linearizable = 0;
    int broken_but_linearizable = 0;
    Rng rng(20240611);
    for (const ModelInfo& m : builtin_models()) {
        const auto model = m.make();
        for (int i = 0; i < 800; ++i) {
            GenOptions o;
            o.model = std::string(m.name);
            o.seed = rng.next();
            o.ops = 1 + static_cast<int>(rng.below(7));
            o.processes = 1 + static_cast<int>(rng.below(4));
            o.keys = 1 + static_cast<int>(rng.below(2));
            o.values = 1 + static_cast<int>(rng.below(4));
            o.info_rate = 0.25 * static_cast<double>(rng.below(3));  // 0, 0.25 or 0.5
            o.break_history = rng.chance(0.5);
            o.unique_values = rng.chance(0.25);
            o.max_duration = static_cast<int>(rng.below(12));
            o.max_gap = 1 + static_cast<int>(rng.below(4));
            const GeneratedHistory g = generate_history(o);
            const bool expected = brute_force(g.history, *model);
            const LinResult r = check(g.history, *model);
            ASSERT_NE(r.verdict, LinVerdict::unknown);
            ASSERT_EQ(r.verdict == k_yes, expected) << m.name << " seed " << o.seed << "\n" << to_jsonl(g.history);
            if (!g.corrupted) {
                ASSERT_TRUE(expected) << "linearizable by construction: " << m.name << "\n" << to_jsonl(g.history);
            } else if (expected) {
                ++broken_but_linearizable;
            } else {
                ++broken_and_not_linearizable;
            }
            if (r.verdict == k_no) {
                ASSERT_TRUE(r.diagnosis_complete);
                ASSERT_FALSE(r.unplaced.empty()) << "something had to come next and could not";
            }
            ++checked;
        }
    }
    EXPECT_EQ(checked, 4000);
    EXPECT_GT(broken_and_not_linearizable, 1000) << "break almost always breaks";
    EXPECT_GT(broken_but_linearizable, 0) << "and not always: the brute force is needed to tell";
}

// ---- the generator --------------------------------------------------------------------------

TEST(CheckGenerator, SameSeedSameHistory) {
    GenOptions o;
    o.model = "kv";
    o.ops = 200;
    o.keys = 4;
    o.info_rate = 0.1;
    o.break_history = true;
    const GeneratedHistory a = generate_history(o);
    const GeneratedHistory b = generate_history(o);
    EXPECT_EQ(to_jsonl(a.history), to_jsonl(b.history));
    EXPECT_EQ(a.corrupted, b.corrupted);
    o.seed = 2;
    EXPECT_NE(to_jsonl(generate_history(o).history), to_jsonl(a.history));
    EXPECT_THROW(generate_history(GenOptions{.model = "stack"}), std::invalid_argument);
    EXPECT_THROW(generate_history(GenOptions{.processes = 0}), std::invalid_argument);
}

TEST(CheckGenerator, LargerHistoriesAreLinearizableUnlessBroken) {
    for (const ModelInfo& m : builtin_models()) {
        const auto model = m.make();
        for (std::uint64_t seed = 1; seed <= 5; ++seed) {
            GenOptions o;
            o.model = std::string(m.name);
            o.seed = seed;
            o.ops = 300;
            o.processes = 6;
            o.keys = 3;
            o.info_rate = 0.05;
            const History h = generate_history(o).history;
            EXPECT_EQ(check(h, *model).verdict, k_yes) << m.name << " seed " << seed;
            EXPECT_GE(max_concurrency(h), 2u);
        }
    }
}

TEST(CheckPartition, EachKeyAloneGivesTheSameVerdict) {
    for (const ModelInfo& m : builtin_models()) {
        const auto model = m.make();
        for (std::uint64_t seed = 1; seed <= 40; ++seed) {
            GenOptions o;
            o.model = std::string(m.name);
            o.seed = seed;
            o.ops = 40;
            o.processes = 4;
            o.keys = 3;
            o.info_rate = 0.1;
            o.break_history = seed % 2 == 0;
            const History h = generate_history(o).history;
            std::map<std::optional<std::string>, History> by_key;
            for (const Operation& op : h) by_key[op.key].push_back(op);
            bool all = true;
            for (const auto& [key, sub] : by_key) all = all && check(sub, *model).verdict == k_yes;
            EXPECT_EQ(check(h, *model).verdict == k_yes, all) << m.name << " seed " << seed;
        }
    }
}

TEST(CheckPartition, IndependentKeysDoNotConstrainEachOther) {
    // As one register this is not linearizable (the reads after both writes disagree); as two
    // registers x and y it is.
    const History h = {ok(0, "write", 1, nullptr, 0, 10, "x"), ok(1, "write", 2, nullptr, 0, 10, "y"),
                       ok(2, "read", nullptr, 1, 20, 30, "x"), ok(3, "read", nullptr, 2, 31, 40, "y"),
                       ok(2, "read", nullptr, 1, 41, 50, "x")};
    const auto model = make_model("register");
    const LinResult r = check(h, *model);
    EXPECT_EQ(r.verdict, k_yes);
    EXPECT_EQ(r.partitions, 2u);
    EXPECT_EQ(r.partitions_decided, 2u);
    History merged = h;
    for (Operation& op : merged) op.key.reset();
    EXPECT_EQ(check(merged, *model).verdict, k_no);
}

// ---- limits ---------------------------------------------------------------------------------

/// 28 concurrent enqueues of distinct values, then dequeues in order 0, 1, ... with one value
/// that was never enqueued at the end: not linearizable, but Wing and Gong's search must try
/// every order of the enqueues to find out (the memo cannot merge distinct queue contents).
History hard_queue_history() {
    History h;
    const int n = 28;
    for (int v = 0; v < n; ++v) h.push_back(ok(v, "enqueue", v, nullptr, 0, 100));
    for (int v = 0; v < n; ++v) h.push_back(ok(n, "dequeue", nullptr, v, 200 + 10 * v, 205 + 10 * v));
    h.push_back(ok(n, "dequeue", nullptr, 999, 1000, 1010));
    return h;
}

TEST(CheckLimits, TimeLimitGivesUnknownOrTheRightAnswer) {
    const History h = hard_queue_history();
    const auto model = make_model("queue");
    CheckOptions o;
    o.time_limit = 10ms;
    o.diagnosis_time_limit = 10ms;
    const LinResult r = check(h, *model, o);
    EXPECT_NE(r.verdict, k_yes);
    if (r.verdict == LinVerdict::unknown) {
        EXPECT_EQ(r.unknown_reason, UnknownReason::time_limit);
        EXPECT_EQ(r.partition_ops.size(), h.size());
        EXPECT_EQ(r.partitions_decided, 0u);
    }
}

TEST(CheckLimits, MemoryLimitGivesUnknown) {
    const History h = hard_queue_history();
    const auto model = make_model("queue");
    CheckOptions o;
    o.time_limit = 60s;
    o.memory_limit_bytes = 1 << 20;
    const LinResult r = check(h, *model, o);
    EXPECT_EQ(r.verdict, LinVerdict::unknown);
    EXPECT_EQ(r.unknown_reason, UnknownReason::memory_limit);
    // Model states are counted at clock reads, so the limit may be passed by what they added since.
    EXPECT_LE(r.peak_memory_bytes, std::size_t{2} << 20);
    EXPECT_GT(r.peak_memo_entries, 0u);
}

TEST(CheckLimits, AFailingPartitionWinsOverAnUnknownOne) {
    History h = hard_queue_history();
    for (Operation& op : h) op.key = "hard";
    h.push_back(ok(0, "dequeue", nullptr, 5, 0, 1, "easy"));
    const auto model = make_model("queue");
    CheckOptions o;
    o.memory_limit_bytes = 1 << 20;
    const LinResult r = check(h, *model, o);
    EXPECT_EQ(r.verdict, k_no);
    EXPECT_EQ(r.key, "easy");
    EXPECT_EQ(r.unknown_reason, UnknownReason::none);
}

TEST(CheckLimits, VerdictsHaveWords) {
    EXPECT_EQ(fmt::format("{}", LinVerdict::not_linearizable), "not linearizable");
    EXPECT_EQ(fmt::format("{}", UnknownReason::time_limit), "time limit");
    EXPECT_EQ(fmt::format("{}", OpStatus::info), "info");
}

}  // namespace
}  // namespace threadmill
