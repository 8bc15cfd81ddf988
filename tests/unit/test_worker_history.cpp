// History recording (`[check] linearizability`): what Call::invoke/ok/info write, how a history
// is cut at its limit, and that the checker reads the runner's file back.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "api/threadmill.hpp"
#include "check/history_jsonl.hpp"
#include "check/linearizability.hpp"
#include "check/models.hpp"
#include "scenario/loader.hpp"
#include "worker/runner.hpp"

namespace threadmill {
namespace {

namespace fs = std::filesystem;

/// A register with `read` and `write`. Variant `lagging` reads the value written before the
/// latest one: wrong even on one thread. Variant `throws` fails every third write after it took
/// effect, so its outcome is unknown to the caller.
class HistoryRegister {
public:
    explicit HistoryRegister(const Setup& setup) : m_variant(setup.variant()) {}

    void read(Call& call) {
        call.invoke({.op = "read", .input = nullptr});
        std::optional<std::int64_t> v;
        {
            std::lock_guard lock(m_mutex);
            v = m_variant == "lagging" ? m_previous : m_value;
        }
        if (v) {
            call.ok(*v);
        } else {
            call.ok();  // never written: null, as the register model starts
        }
    }
    void write(Call& call) {
        const auto v = static_cast<std::int64_t>(call.bits() % 1000);
        call.invoke({.op = "write", .input = v});
        {
            std::lock_guard lock(m_mutex);
            m_previous = m_value;
            m_value = v;
        }
        if (m_variant == "throws" && m_writes.fetch_add(1) % 3 == 2) throw std::runtime_error("lost the answer");
    }
    /// Two model operations in one: a write, then a read of the same value.
    void write_read(Call& call) {
        write(call);
        read(call);
    }

private:
    std::string m_variant;
    std::mutex m_mutex;
    std::optional<std::int64_t> m_value;
    std::optional<std::int64_t> m_previous;
    std::atomic<int> m_writes{0};
};

THREADMILL_TARGET(target<HistoryRegister>("history-register")
                      .model("register")
                      .variant("safe", "a register behind a mutex")
                      .mutant("lagging", "linearizability", "reads return the value written before the last one")
                      .mutant("throws", "exception", "every third write throws after it took effect")
                      .op("read", &HistoryRegister::read, "read")
                      .op("write", &HistoryRegister::write, "write(arg % 1000)")
                      .op("write_read", &HistoryRegister::write_read, "write then read"));

class HistoryFile : public ::testing::Test {
protected:
    void TearDown() override {
        if (!HasFailure()) fs::remove(m_path);
    }

    /// Runs a job of `history-register` with the given [check] lines and group lines.
    Measurement run(const std::string& variant, const std::string& check, const std::string& body,
                    std::uint64_t seed = 5) {
        const Scenario sc = parse_scenario(fmt::format(R"(
name = "history"
target = "history-register"
variants = ["{}"]
{}
[check]
linearizability = true
{}
[expect]
{} = "any"
)",
                                                       variant, body, check, variant),
                                           "history.toml", Registry::instance().catalog());
        RunnerOptions options;
        options.history_path = m_path.string();
        return run_job(sc, *Registry::instance().find("history-register"), variant, seed, options);
    }

    History read_back() const {
        std::ifstream in(m_path);
        return read_history_jsonl(in, m_path.string());
    }

    fs::path m_path = fs::temp_directory_path() / fmt::format("tm-history-{}.jsonl", ::getpid());
};

TEST_F(HistoryFile, EveryOperationIsWrittenAndASafeRegisterIsLinearizable) {
    const Measurement m = run("safe", "", "iterations = 400\n[[group]]\nname = \"g\"\nthreads = 3\nmix = { read = 1, write = 1 }");
    ASSERT_TRUE(m.history.has_value());
    EXPECT_EQ(m.history->ops, 1200u);
    EXPECT_FALSE(m.history->cut);
    const History h = read_back();
    ASSERT_EQ(h.size(), 1200u);
    for (const auto& op : h) {
        EXPECT_TRUE(op.process >= 0 && op.process < 3);
        EXPECT_LE(op.call, op.ret);
        EXPECT_EQ(op.status, OpStatus::ok);
        EXPECT_FALSE(op.key.has_value());
    }
    const auto model = make_model("register");
    const LinResult r = check_linearizability(h, *model, {});
    EXPECT_EQ(r.verdict, LinVerdict::linearizable);
}

TEST_F(HistoryFile, AStaleReadIsNotLinearizable) {
    // One thread: the read after two writes returns the first one's value.
    run("lagging", "", "iterations = 50\n[[group]]\nname = \"g\"\nthreads = 1\nmix = { write = 1, read = 1 }");
    const auto model = make_model("register");
    const LinResult r = check_linearizability(read_back(), *model, {});
    EXPECT_EQ(r.verdict, LinVerdict::not_linearizable);
    EXPECT_FALSE(r.unplaced.empty());
}

TEST_F(HistoryFile, AnOperationThatThrowsAfterInvokeHasAnUnknownOutcome) {
    run("throws", "", "iterations = 30\n[[group]]\nname = \"g\"\nthreads = 1\nmix = { write = 1 }");
    const History h = read_back();
    ASSERT_EQ(h.size(), 30u);
    int info = 0;
    for (const auto& op : h) info += op.is_info() ? 1 : 0;
    EXPECT_EQ(info, 10);  // every third write threw
}

TEST_F(HistoryFile, OneOperationMayRecordSeveralModelOperationsWithItsTimes) {
    run("safe", "", "iterations = 20\n[[group]]\nname = \"g\"\nthreads = 1\nmix = { write_read = 1 }");
    const History h = read_back();
    ASSERT_EQ(h.size(), 40u);
    for (std::size_t i = 0; i < h.size(); i += 2) {
        EXPECT_EQ(h[i].op, "write");
        EXPECT_EQ(h[i + 1].op, "read");
        EXPECT_EQ(h[i].call, h[i + 1].call);
        EXPECT_EQ(h[i].ret, h[i + 1].ret);
        EXPECT_EQ(h[i].input, h[i + 1].output);  // one thread: the read sees its own write
    }
}

TEST_F(HistoryFile, AHistoryPastItsLimitIsCutConsistentlyAndStillChecks) {
    const Measurement m = run("safe", "history_limit = 300",
                              "iterations = 1000\n[[group]]\nname = \"g\"\nthreads = 3\nmix = { read = 1, write = 1 }");
    ASSERT_TRUE(m.history.has_value());
    EXPECT_TRUE(m.history->cut);
    EXPECT_LE(m.history->ops, 300u);
    EXPECT_GT(m.history->ops, 0u);
    const History h = read_back();
    EXPECT_EQ(h.size(), m.history->ops);
    // Nothing called at or after the cut is in the file.
    const auto cut_ns = static_cast<std::int64_t>(m.history->cut_at_seconds * 1e9);
    for (const auto& op : h) EXPECT_LT(op.call, cut_ns + 1);
    std::uint64_t open = 0;
    for (const auto& op : h) open += op.is_info() ? 1 : 0;
    EXPECT_EQ(open, m.history->open_at_cut);
    const auto model = make_model("register");
    EXPECT_EQ(check_linearizability(h, *model, {}).verdict, LinVerdict::linearizable);
}

TEST(HistoryValue, WritesJsonText) {
    EXPECT_EQ(HistoryValue().json(), "null");
    EXPECT_EQ(HistoryValue(true).json(), "true");
    EXPECT_EQ(HistoryValue(-12).json(), "-12");
    EXPECT_EQ(HistoryValue(std::uint64_t{18446744073709551615ULL}).json(), "18446744073709551615");
    EXPECT_EQ(HistoryValue("a\"b\\c\n\x01").json(), "\"a\\\"b\\\\c\\n\\u0001\"");
    EXPECT_EQ(HistoryValue::array({1, "x", nullptr}).json(), "[1,\"x\",null]");
}

TEST(HistoryLoader, TheCheckNeedsAModelAndItsKeysNeedTheCheck) {
    const auto load = [](const std::string& check) {
        return parse_scenario("name = \"h\"\ntarget = \"history-register\"\nvariants = [\"safe\"]\niterations = 1\n[[group]]\nname = \"g\"\n"
                              "threads = 1\nmix = { read = 1 }\n[check]\n" + check,
                              "h.toml", Registry::instance().catalog());
    };
    EXPECT_EQ(load("linearizability = true").check.model, "register");  // the target's
    EXPECT_EQ(load("linearizability = true\nmodel = \"kv\"").check.model, "kv");
    EXPECT_EQ(load("linearizability = true\nhistory_limit = 7").check.history_limit, 7u);
    EXPECT_THROW(load("model = \"kv\""), ScenarioError);
    EXPECT_THROW(load("linearizability = true\nhistory_limit = 0"), ScenarioError);
    EXPECT_THROW(load("linearizability = true\ntime_limit = \"fast\""), ScenarioError);
}

}  // namespace
}  // namespace threadmill
