// A target's own sequential model (SequentialModel) as the checker's Model (check/user_model),
// and the HistoryValue reading a model author does.
#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/target.hpp"
#include "check/linearizability.hpp"
#include "check/result_json.hpp"
#include "check/user_model.hpp"
#include "tests/support/history_ops.hpp"

namespace threadmill {
namespace {

using nlohmann::json;

using test::info;
using test::ok;

/// A register whose `write_any` writes one of the two values of its input, and `read` reads.
SequentialModel either_register(int* calls = nullptr) {
    return {.name = "either",
            .help = "write_any: [a, b] writes a or b; read: -> the value",
            .initial = nullptr,
            .step = [calls](const HistoryValue& state, const ModelOp& op) -> std::vector<HistoryValue> {
                if (calls != nullptr) ++*calls;
                if (op.op == "write_any") return op.input.items();
                if (op.op == "read") return !op.known || op.output == state ? std::vector{state} : std::vector<HistoryValue>{};
                throw std::invalid_argument("unknown op '" + op.op + "'");
            }};
}

TEST(UserModel, ANondeterministicStepIsExploredInEveryState) {
    const SequentialModel m = either_register();
    const auto model = make_user_model(m);
    for (const int v : {1, 2}) {
        const History h = {ok(0, "write_any", json::array({1, 2}), nullptr, 0, 10), ok(1, "read", nullptr, v, 20, 30)};
        EXPECT_EQ(check_linearizability(h, *model).verdict, LinVerdict::linearizable) << v;
    }
    const History three = {ok(0, "write_any", json::array({1, 2}), nullptr, 0, 10), ok(1, "read", nullptr, 3, 20, 30)};
    const LinResult r = check_linearizability(three, *model);
    EXPECT_EQ(r.verdict, LinVerdict::not_linearizable);
    ASSERT_EQ(r.unplaced.size(), 1u);
    EXPECT_EQ(r.unplaced[0], 1u);
    EXPECT_EQ(r.initial_state, "null");
}

TEST(UserModel, AnInfoOpMayHaveTakenEffectOrNot) {
    const SequentialModel m = either_register();
    const auto model = make_user_model(m);
    // The info write may have happened (read 7) or not (read null): both linearizable.
    for (const json& v : {json(7), json(nullptr)}) {
        const History h = {info(0, "write_any", json::array({7, 7}), 0), ok(1, "read", nullptr, v, 20, 30)};
        EXPECT_EQ(check_linearizability(h, *model).verdict, LinVerdict::linearizable) << v;
    }
    // The step sees an info op as not known, its output null.
    std::optional<ModelOp> seen;
    const SequentialModel spy{.name = "spy", .help = "", .initial = 0, .step = [&](const HistoryValue& s, const ModelOp& op) {
                                  if (!op.known) seen = op;
                                  return std::vector{s};
                              }};
    const History h = {info(0, "read", nullptr, 0, "k")};
    EXPECT_EQ(check_linearizability(h, *make_user_model(spy)).verdict, LinVerdict::linearizable);
    ASSERT_TRUE(seen);
    EXPECT_TRUE(seen->output.is_null());
    EXPECT_EQ(seen->key, std::optional<std::string>("k"));
}

TEST(UserModel, AStepThatThrowsIsAModelErrorNamingTheOp) {
    const SequentialModel m = either_register();
    const auto model = make_user_model(m);
    History h = {ok(0, "read", nullptr, nullptr, 0, 10), ok(1, "peek", nullptr, 1, 20, 30)};
    h[1].source_line = 2;
    try {
        check_ops_fit(h, *model);
        FAIL() << "no ModelError";
    } catch (const ModelError& e) {
        EXPECT_EQ(e.op_index(), 1u);
        EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("unknown op 'peek'"), std::string::npos) << e.what();
    }
    EXPECT_THROW(check_linearizability(h, *model), ModelError);

    // A wrong shape seen only in a later state (as_int on a string state) is a ModelError too.
    const SequentialModel later{.name = "later", .help = "", .initial = 0, .step = [](const HistoryValue& s, const ModelOp& op) {
                                    if (op.op == "set") return std::vector{op.input};
                                    return std::vector<HistoryValue>{s.as_int() + 1};
                                }};
    const History h2 = {ok(0, "set", "text", nullptr, 0, 10), ok(1, "bump", nullptr, nullptr, 20, 30)};
    try {
        check_linearizability(h2, *make_user_model(later));
        FAIL() << "no ModelError";
    } catch (const ModelError& e) {
        EXPECT_EQ(e.op_index(), 1u);
        EXPECT_NE(std::string(e.what()).find("expected an integer, got \"text\""), std::string::npos) << e.what();
    }
}

TEST(UserModel, PartitionsByKeyOnlyWhenItSaysSo) {
    SequentialModel m = either_register();
    const History h = {ok(0, "read", nullptr, nullptr, 0, 10, "a"), ok(1, "read", nullptr, nullptr, 0, 10, "b")};
    EXPECT_EQ(make_user_model(m)->partition(h).size(), 2u);
    m.by_key = false;
    const auto parts = make_user_model(m)->partition(h);
    ASSERT_EQ(parts.size(), 1u);
    EXPECT_EQ(parts[0].ops, (std::vector<std::size_t>{0, 1}));
}

TEST(UserModel, StatesAreKeptByTheirCanonicalTextAndEachTransitionStepsOnce) {
    int calls = 0;
    const SequentialModel m = either_register(&calls);
    const auto model = make_user_model(m);
    // Eight concurrent reads of null: the search tries them in many orders, the model sees each op
    // once per state (here one state), plus start()'s first look at each op.
    History h;
    for (int p = 0; p < 8; ++p) h.push_back(ok(p, "read", nullptr, nullptr, 0, 100));
    EXPECT_EQ(check_linearizability(h, *model).verdict, LinVerdict::linearizable);
    EXPECT_EQ(calls, 8);
    // [1, 2] built by hand and [1,2] read from a history are one state.
    const SequentialModel spaced{.name = "spaced", .help = "", .initial = HistoryValue::parse("[1, 2]"),
                                 .step = [](const HistoryValue& s, const ModelOp& op) {
                                     return op.known && op.output != s ? std::vector<HistoryValue>{} : std::vector{s};
                                 }};
    const History h2 = {ok(0, "read", nullptr, json::array({1, 2}), 0, 10)};
    EXPECT_EQ(check_linearizability(h2, *make_user_model(spaced)).verdict, LinVerdict::linearizable);
}

TEST(HistoryValueReading, ReadsWhatItWrites) {
    EXPECT_TRUE(HistoryValue().is_null());
    EXPECT_TRUE(HistoryValue(false).is_bool());
    EXPECT_FALSE(HistoryValue(true).as_bool() == false);
    EXPECT_EQ(HistoryValue(-42).as_int(), -42);
    EXPECT_EQ(HistoryValue(std::int64_t{-9223372036854775807LL - 1}).as_int(), -9223372036854775807LL - 1);
    EXPECT_FALSE(HistoryValue(std::uint64_t{18446744073709551615ULL}).is_int());  // past 64 signed bits
    EXPECT_EQ(HistoryValue("a\"b\\c\n\x01é").as_string(), "a\"b\\c\n\x01é");
    EXPECT_EQ(HistoryValue::parse("\"\\u00e9\\ud83d\\ude00\\/\"").as_string(), "é\xF0\x9F\x98\x80/");
    const auto items = HistoryValue::parse(" [1, [2, \"]\"], {\"a\": [3]}, null] ").items();
    ASSERT_EQ(items.size(), 4u);
    EXPECT_EQ(items[0].as_int(), 1);
    EXPECT_EQ(items[1].items()[1].as_string(), "]");
    EXPECT_EQ(items[2].json(), "{\"a\": [3]}");
    EXPECT_TRUE(items[3].is_null());
    EXPECT_TRUE(HistoryValue::parse("[]").items().empty());
    EXPECT_EQ(HistoryValue::array_of({1, "x"}).json(), "[1,\"x\"]");
    EXPECT_EQ(HistoryValue::array_of({}).json(), "[]");
    // The constructors write what nlohmann's dump() writes, so equal values compare equal.
    for (const HistoryValue& v : {HistoryValue("tab\there\x1f\"q\""), HistoryValue::array({1, "a", nullptr, true})})
        EXPECT_EQ(v.json(), json::parse(v.json()).dump());
}

TEST(HistoryValueReading, AWrongTypeOrBadTextThrowsSayingWhat) {
    try {
        (void)HistoryValue("a").as_int();
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "expected an integer, got \"a\"");
    }
    EXPECT_THROW((void)HistoryValue(1).as_string(), std::invalid_argument);
    EXPECT_THROW((void)HistoryValue(1).items(), std::invalid_argument);
    EXPECT_THROW((void)HistoryValue::parse("1.5").as_int(), std::invalid_argument);
    EXPECT_THROW((void)HistoryValue(nullptr).as_bool(), std::invalid_argument);
    for (const char* bad : {"", "[1,", "[1 2]", "\"open", "tru", "01", "{\"a\" 1}", "1 2", "\"\\x\"", "-"})
        EXPECT_THROW(HistoryValue::parse(bad), std::invalid_argument) << bad;
    EXPECT_THROW(HistoryValue::parse(std::string(1000, '[')), std::invalid_argument);
}

}  // namespace
}  // namespace threadmill
