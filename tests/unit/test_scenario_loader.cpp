// Unit tests of scenario/loader: the bad-scenario corpus, good scenarios and durations.
#include "model/scenario.hpp"
#include "model/flavor.hpp"
#include "scenario/loader.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#ifndef TM_TEST_DATA_DIR
#define TM_TEST_DATA_DIR "tests"
#endif

namespace threadmill {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

/// A catalog entry shaped like the built-in `cache` target, so that these tests do not depend
/// on the real targets.
TargetInfo fake_cache() {
    TargetInfo t;
    t.name = "cache";
    t.description = "TTL cache, sharded cache and memory queue (fake, for the loader tests)";
    t.seed = "004";
    t.variants = {{"safe", "", ""},
                  {"double_dispatch", "", "invariant:exactly_once_dispatch"},
                  {"expired_read", "", "invariant:no_expired_read"},
                  {"unlocked_dict", "", "race"}};
    for (const char* op : {"get", "set", "set_short", "delete", "cleanup", "size", "queue_add", "queue_get_next",
                           "queue_remove_done", "queue_count", "queue_snapshot"}) {
        t.ops.push_back({op, ""});
    }
    ParamSpec capacity{"capacity", ParamType::integer, std::int64_t{1024}, "", 1, 16777216, {}};
    ParamSpec ttl{"default_ttl", ParamType::duration, Nanos(1s), "", 1000, std::numeric_limits<double>::max(), {}};
    ParamSpec shards{"shards", ParamType::integer, std::int64_t{0}, "", 0, 256, {}};
    t.params = {capacity, ttl, shards};
    for (const char* inv : {"size_within_capacity", "cache_structure", "status_counts_sum", "exactly_once_dispatch",
                            "legal_transitions", "no_expired_read"}) {
        t.invariants.push_back({inv, ""});
    }
    return t;
}

/// A target with an arbiter: the only kind that may run lockstep scenarios.
TargetInfo fake_litmus() {
    TargetInfo t;
    t.name = "litmus";
    t.description = "two counters and an arbiter (fake, for the lockstep tests)";
    t.variants = {{"safe", "", ""}, {"lossy", "", "outcome"}};
    t.ops = {{"inc", ""}, {"read", ""}};
    t.invariants = {{"sum_right", ""}};
    t.has_arbiter = true;
    t.arbiter_help = "both counters";
    return t;
}

const Catalog& catalog() {
    static const Catalog c{{fake_cache(), fake_litmus()}};
    return c;
}

const fs::path k_data_dir = TM_TEST_DATA_DIR;

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

/// Every diagnostic of loading `relative` (a path under the tests folder), one per line.
std::string error_output(const std::string& relative) {
    try {
        parse_scenario(read_text(k_data_dir / relative), relative, catalog());
    } catch (const ScenarioError& e) {
        std::string out;
        for (const auto& d : e.diagnostics) out += d.format() + "\n";
        EXPECT_EQ(out, std::string(e.what()) + "\n") << "what() differs from the diagnostics";
        return out;
    }
    return "(loaded without error)\n";
}

Scenario load_good(const std::string& name) {
    const std::string relative = "scenarios/good/" + name;
    try {
        return parse_scenario(read_text(k_data_dir / relative), relative, catalog());
    } catch (const ScenarioError& e) {
        ADD_FAILURE() << e.what();
        throw;
    }
}

std::vector<std::string> mechanisms_of(const Scenario& s, const std::string& variant, const std::string& flavor) {
    const Expectation* e = s.expectation(variant, flavor);
    return e == nullptr ? std::vector<std::string>{"(none)"} : e->mechanisms;
}

// ---- The bad-scenario corpus -----------------------------------------------------------------

// Each tests/scenarios/bad/NN-name.toml must fail with exactly the text of NN-name.expected.
// Set TM_UPDATE_EXPECTED=1 to rewrite the .expected files (then review the diff).
TEST(ScenarioLoader, EveryBadScenarioGivesItsExpectedMessages) {
    const fs::path dir = k_data_dir / "scenarios" / "bad";
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() == ".toml") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    EXPECT_GE(files.size(), 24u);
    const bool update = std::getenv("TM_UPDATE_EXPECTED") != nullptr;
    for (const auto& file : files) {
        SCOPED_TRACE(file.filename().string());
        const std::string actual = error_output("scenarios/bad/" + file.filename().string());
        fs::path expected_path = file;
        expected_path.replace_extension(".expected");
        if (update) std::ofstream(expected_path, std::ios::binary) << actual;
        ASSERT_TRUE(fs::exists(expected_path)) << "missing " << expected_path;
        EXPECT_EQ(actual, read_text(expected_path));
    }
}

TEST(ScenarioLoader, EveryExpectedFileHasItsScenario) {
    for (const auto& entry : fs::directory_iterator(k_data_dir / "scenarios" / "bad")) {
        if (entry.path().extension() != ".expected") continue;
        fs::path toml = entry.path();
        toml.replace_extension(".toml");
        EXPECT_TRUE(fs::exists(toml)) << entry.path() << " has no scenario";
    }
}

TEST(ScenarioLoader, DiagnosticsAreInFileOrder) {
    try {
        parse_scenario("name = 'x'\ntarget = 'cache'\nvariants = ['safe']\nseed = -1\n[[group]]\nname = 'g'\n"
                       "threads = 0\nmix = { gett = 1 }\n[keys]\ncount = 0\n",
                       "t.toml", catalog());
        FAIL() << "loaded";
    } catch (const ScenarioError& e) {
        ASSERT_EQ(e.diagnostics.size(), 4u);
        for (std::size_t i = 1; i < e.diagnostics.size(); ++i) {
            EXPECT_LT(e.diagnostics[i - 1].where.line, e.diagnostics[i].where.line);
        }
    }
}

TEST(ScenarioLoader, MissingFileIsAScenarioError) {
    try {
        load_scenario("/nonexistent/threadmill/scenario.toml", catalog());
        FAIL() << "loaded";
    } catch (const ScenarioError& e) {
        ASSERT_EQ(e.diagnostics.size(), 1u);
        EXPECT_EQ(e.diagnostics[0].format(),
                  "/nonexistent/threadmill/scenario.toml: error: cannot open the scenario file");
    }
}

TEST(ScenarioLoader, DiagnosticFormat) {
    EXPECT_EQ((Diagnostic{{"a.toml", 12, 5}, "boom"}.format()), "a.toml:12:5: error: boom");
    EXPECT_EQ((Diagnostic{{"a.toml", 12, 0}, "boom"}.format()), "a.toml:12: error: boom");
    EXPECT_EQ((Diagnostic{{"a.toml", 0, 0}, "boom"}.format()), "a.toml: error: boom");
}

// ---- Good scenarios --------------------------------------------------------------------------

TEST(ScenarioLoader, LoadScenarioReadsAFile) {
    const std::string path = (k_data_dir / "scenarios" / "good" / "minimal.toml").string();
    const Scenario s = load_scenario(path, catalog());
    EXPECT_EQ(s.path, path);
    EXPECT_EQ(s.name, "minimal");
}

TEST(ScenarioLoader, MinimalScenarioGetsEveryDefault) {
    const Scenario s = load_good("minimal.toml");
    EXPECT_EQ(s.path, "scenarios/good/minimal.toml");
    EXPECT_EQ(s.name, "minimal");
    EXPECT_EQ(s.description, "");
    EXPECT_EQ(s.target, "cache");
    EXPECT_EQ(s.variants, std::vector<std::string>{"safe"});
    EXPECT_EQ(s.flavors, std::vector<std::string>{"plain"});
    EXPECT_FALSE(s.seed.has_value());
    ASSERT_TRUE(s.duration.has_value());
    EXPECT_EQ(*s.duration, 1s);
    EXPECT_FALSE(s.iterations.has_value());
    EXPECT_EQ(s.timeout, 30s);
    EXPECT_EQ(s.params.integer("capacity"), 1024);
    EXPECT_EQ(s.params.duration("default_ttl"), 1s);
    EXPECT_EQ(s.params.integer("shards"), 0);
    EXPECT_EQ(s.keys.count, 1024u);
    EXPECT_EQ(s.keys.distribution, KeyDistribution::uniform);
    EXPECT_DOUBLE_EQ(s.keys.zipf_theta, 0.99);
    EXPECT_EQ(s.sync.mode, SyncMode::start);
    EXPECT_EQ(s.sync.ops_per_round, 64u);
    EXPECT_EQ(s.sync.checkpoint_every, 1u);
    ASSERT_EQ(s.groups.size(), 1u);
    EXPECT_EQ(s.groups[0].name, "readers");
    EXPECT_EQ(s.groups[0].threads, 1);
    EXPECT_EQ(s.groups[0].where.line, 6);
    EXPECT_EQ(s.groups[0].where.column, 1);
    ASSERT_EQ(s.groups[0].mix.size(), 1u);
    EXPECT_EQ(s.groups[0].mix[0].op, 0);
    EXPECT_DOUBLE_EQ(s.groups[0].mix[0].weight, 1);
    EXPECT_EQ(s.thread_count(), 1);
    EXPECT_FALSE(s.chaos.enabled());
    EXPECT_EQ(s.check.invariants, (std::vector<int>{0, 1, 2, 3, 4, 5}));
    EXPECT_EQ(mechanisms_of(s, "safe", "plain"), std::vector<std::string>{"pass"});
    EXPECT_TRUE(s.slo.empty());
}

TEST(ScenarioLoader, FullScenarioReadsEverySection) {
    const Scenario s = load_good("full.toml");
    EXPECT_EQ(s.name, "cache-hot-keys");
    EXPECT_EQ(s.description, "Writers and readers hammer a small hot key set.");
    EXPECT_EQ(s.variants, (std::vector<std::string>{"safe", "double_dispatch", "expired_read"}));
    EXPECT_EQ(s.flavors, std::vector<std::string>{"plain"});
    EXPECT_EQ(s.seed, std::optional<std::uint64_t>(42));
    EXPECT_EQ(s.duration, std::optional<Nanos>(2s));
    EXPECT_EQ(s.timeout, 45s);
    EXPECT_EQ(s.params.integer("capacity"), 128);
    EXPECT_EQ(s.params.duration("default_ttl"), 50ms);
    EXPECT_EQ(s.params.integer("shards"), 8);
    EXPECT_EQ(s.keys.count, 64u);
    EXPECT_EQ(s.keys.distribution, KeyDistribution::zipf);
    EXPECT_DOUBLE_EQ(s.keys.zipf_theta, 1.2);
    EXPECT_EQ(s.sync.mode, SyncMode::rounds);
    EXPECT_EQ(s.sync.ops_per_round, 32u);
    EXPECT_EQ(s.sync.checkpoint_every, 4u);

    ASSERT_EQ(s.groups.size(), 3u);
    EXPECT_EQ(s.groups[0].name, "writers");
    EXPECT_EQ(s.groups[0].threads, 2);
    // The mix keeps the order of the file (set, delete), not the alphabetical one.
    ASSERT_EQ(s.groups[0].mix.size(), 2u);
    EXPECT_EQ(s.groups[0].mix[0].op, 1);
    EXPECT_DOUBLE_EQ(s.groups[0].mix[0].weight, 3);
    EXPECT_EQ(s.groups[0].mix[1].op, 3);
    EXPECT_DOUBLE_EQ(s.groups[0].mix[1].weight, 1);
    EXPECT_EQ(s.groups[1].name, "readers");
    EXPECT_EQ(s.groups[1].threads, 6);
    ASSERT_EQ(s.groups[1].mix.size(), 2u);
    EXPECT_EQ(s.groups[1].mix[0].op, 0);
    EXPECT_DOUBLE_EQ(s.groups[1].mix[0].weight, 1.5);
    EXPECT_EQ(s.groups[1].mix[1].op, 5);
    EXPECT_DOUBLE_EQ(s.groups[1].mix[1].weight, 0.5);
    EXPECT_EQ(s.groups[2].name, "queue");
    EXPECT_EQ(s.groups[2].mix.size(), 3u);
    EXPECT_EQ(s.thread_count(), 10);

    EXPECT_TRUE(s.chaos.enabled());
    EXPECT_DOUBLE_EQ(s.chaos.yield_probability, 0.02);
    EXPECT_DOUBLE_EQ(s.chaos.delay_probability, 0.01);
    EXPECT_EQ(s.chaos.delay_min, 0ns);
    EXPECT_EQ(s.chaos.delay_max, 20us);

    EXPECT_EQ(s.check.invariants, (std::vector<int>{1, 3, 5}));

    EXPECT_EQ(mechanisms_of(s, "safe", "plain"), std::vector<std::string>{"pass"});
    EXPECT_EQ(mechanisms_of(s, "double_dispatch", "plain"),
              std::vector<std::string>{"invariant:exactly_once_dispatch"});
    EXPECT_EQ(mechanisms_of(s, "expired_read", "plain"),
              (std::vector<std::string>{"invariant:no_expired_read", "invariant"}));
    const Expectation* e = s.expectation("double_dispatch", "plain");
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->where.line, 51);
    EXPECT_EQ(e->where.column, 19);

    ASSERT_EQ(s.slo.size(), 4u);
    EXPECT_EQ(s.slo[0].key, "get.p99");
    EXPECT_EQ(s.slo[0].op, "get");
    EXPECT_EQ(s.slo[0].statistic, "p99");
    EXPECT_DOUBLE_EQ(s.slo[0].absolute, 20'000);
    EXPECT_DOUBLE_EQ(s.slo[0].relative, 0);
    EXPECT_EQ(s.slo[0].text, "20us");
    EXPECT_FALSE(s.slo[0].is_throughput());
    EXPECT_EQ(s.slo[1].key, "set.p999");
    EXPECT_DOUBLE_EQ(s.slo[1].absolute, 200'000);
    EXPECT_EQ(s.slo[2].key, "get.throughput");
    EXPECT_EQ(s.slo[2].op, "get");
    EXPECT_TRUE(s.slo[2].is_throughput());
    EXPECT_DOUBLE_EQ(s.slo[2].relative, 0.5);
    EXPECT_DOUBLE_EQ(s.slo[2].absolute, 0);
    EXPECT_EQ(s.slo[3].key, "throughput");
    EXPECT_EQ(s.slo[3].op, "");
    EXPECT_DOUBLE_EQ(s.slo[3].absolute, 1e6);
    EXPECT_EQ(s.slo[3].where.line, 58);
}

TEST(ScenarioLoader, EveryVariantByDefaultAndTheOtherSpellings) {
    const Scenario s = load_good("every-variant.toml");
    EXPECT_EQ(s.variants, (std::vector<std::string>{"safe", "double_dispatch", "expired_read", "unlocked_dict"}));
    EXPECT_FALSE(s.duration.has_value());
    EXPECT_EQ(s.iterations, std::optional<std::uint64_t>(5000));
    EXPECT_EQ(s.timeout, 2min);
    EXPECT_EQ(s.params.integer("capacity"), 1024);
    EXPECT_EQ(s.params.duration("default_ttl"), 1500us);
    EXPECT_EQ(s.keys.distribution, KeyDistribution::sequential);
    EXPECT_EQ(s.keys.count, 1000u);
    EXPECT_EQ(s.sync.mode, SyncMode::rounds);
    EXPECT_EQ(s.sync.ops_per_round, 64u);
    EXPECT_EQ(s.sync.checkpoint_every, 0u);
    EXPECT_EQ(s.thread_count(), 4 + 2);
    EXPECT_EQ(s.chaos.delay_min, 5us);
    EXPECT_EQ(s.chaos.delay_max, 5us);
    EXPECT_DOUBLE_EQ(s.chaos.yield_probability, 0);
    EXPECT_EQ(s.check.invariants.size(), 6u);

    EXPECT_EQ(mechanisms_of(s, "safe", "plain"), std::vector<std::string>{"pass"});
    EXPECT_EQ(mechanisms_of(s, "double_dispatch", "plain"),
              std::vector<std::string>{"invariant:exactly_once_dispatch"});
    EXPECT_EQ(mechanisms_of(s, "expired_read", "plain"),
              (std::vector<std::string>{"invariant:no_expired_read", "crash"}));
    EXPECT_EQ(mechanisms_of(s, "unlocked_dict", "plain"), std::vector<std::string>{"any"});
    // A per-flavor table with no default says nothing of other flavors; `default` does.
    EXPECT_EQ(s.expectation("expired_read", "tsan"), nullptr);
    EXPECT_EQ(mechanisms_of(s, "double_dispatch", "tsan"),
              std::vector<std::string>{"invariant:exactly_once_dispatch"});
    EXPECT_EQ(s.expectation("no_such_variant", "plain"), nullptr);

    ASSERT_EQ(s.slo.size(), 4u);
    EXPECT_EQ(s.slo[0].key, "get.p50");
    EXPECT_DOUBLE_EQ(s.slo[0].absolute, 5'000);
    EXPECT_EQ(s.slo[1].key, "get.max");
    EXPECT_DOUBLE_EQ(s.slo[1].relative, 10);
    EXPECT_EQ(s.slo[2].key, "set.mean");
    EXPECT_DOUBLE_EQ(s.slo[2].absolute, 1.5e6);
    EXPECT_EQ(s.slo[3].key, "throughput");
    EXPECT_DOUBLE_EQ(s.slo[3].absolute, 250e3);
}

TEST(ScenarioLoader, DefaultTimeoutCoversLongDurations) {
    const auto load = [](const std::string& run_length) {
        return parse_scenario("name = 'x'\ntarget = 'cache'\nvariants = ['safe']\n" + run_length +
                                  "\n[[group]]\nname = 'g'\nmix = { get = 1 }\n",
                              "t.toml", catalog());
    };
    EXPECT_EQ(load("duration = '2s'").timeout, 30s);
    EXPECT_EQ(load("duration = '1m'").timeout, 2min);
    EXPECT_EQ(load("iterations = 100").timeout, 30s);
    EXPECT_EQ(load("duration = '1m'\ntimeout = '61s'").timeout, 61s);
}

TEST(ScenarioLoader, OtherSpellingsOfMixAndInvariants) {
    const auto load = [](const std::string& tail) {
        return parse_scenario("name = 'x'\ntarget = 'cache'\nvariants = ['safe']\n" + tail, "t.toml", catalog());
    };
    const Scenario a = load("[[group]]\nname = 'g'\n[group.mix]\nset = 2\nget = 1\n[check]\ninvariants = 'none'\n");
    ASSERT_EQ(a.groups.size(), 1u);
    ASSERT_EQ(a.groups[0].mix.size(), 2u);
    EXPECT_EQ(a.groups[0].mix[0].op, 1);
    EXPECT_EQ(a.groups[0].mix[1].op, 0);
    EXPECT_TRUE(a.check.invariants.empty());
    const Scenario b = load("[[group]]\nname = 'g'\nmix.delete = 0.25\n[check]\ninvariants = []\n");
    ASSERT_EQ(b.groups[0].mix.size(), 1u);
    EXPECT_EQ(b.groups[0].mix[0].op, 3);
    EXPECT_DOUBLE_EQ(b.groups[0].mix[0].weight, 0.25);
    EXPECT_TRUE(b.check.invariants.empty());
}

TEST(ScenarioLoader, ChaosStrategyDefaultsToUniformAndReadsPctAndSpread) {
    const auto load = [](const std::string& chaos) {
        return parse_scenario("name = 'x'\ntarget = 'cache'\nvariants = ['safe']\n[[group]]\nname = 'g'\n"
                              "mix = { get = 1 }\n[chaos]\n" + chaos,
                              "t.toml", catalog());
    };
    const Scenario plain = load("yield = 0.1\n");
    EXPECT_EQ(plain.chaos.strategy, Strategy::uniform);
    EXPECT_EQ(plain.chaos.pct_depth, 3);
    EXPECT_EQ(plain.chaos.start_spread, 0ns);
    const Scenario pct = load("strategy = 'pct'\npct_depth = 5\nstart_spread = '20us'\n");
    EXPECT_EQ(pct.chaos.strategy, Strategy::pct);
    EXPECT_EQ(pct.chaos.pct_depth, 5);
    EXPECT_EQ(pct.chaos.start_spread, 20us);
    EXPECT_FALSE(pct.chaos.enabled());  // no yields or delays: PCT's priorities alone
    const Scenario portfolio = load("strategy = 'portfolio'\npct_depth = 1\n");
    EXPECT_EQ(portfolio.chaos.strategy, Strategy::portfolio);
    EXPECT_EQ(portfolio.chaos.pct_depth, 1);
    // A spread needs no other strategy than the default.
    EXPECT_EQ(load("start_spread = '50us'\n").chaos.start_spread, 50us);
    // Only the table's selectable rows: the portfolio's own slices are not strategies of their own.
    EXPECT_THROW(load("strategy = 'none'\n"), ScenarioError);
    EXPECT_THROW(load("strategy = 'uniform+spread'\n"), ScenarioError);
}

// --set overrides a key before the scenario is checked: tables made on the way, TOML values or
// bare words, and a value the loader refuses is refused as the file's own would be.
TEST(ScenarioLoader, SetOverridesAKeyBeforeTheScenarioIsChecked) {
    const std::string text = "name = 'x'\ntarget = 'cache'\nvariants = ['safe']\nduration = '1s'\n[[group]]\nname = 'g'\n"
                             "mix = { get = 1 }\n";
    const auto load = [&](std::vector<std::string> sets) {
        std::vector<KeyOverride> parsed;
        for (const auto& s : sets) parsed.push_back(parse_key_override(s));
        return parse_scenario(text, "t.toml", catalog(), parsed);
    };
    const Scenario sc = load({"chaos.strategy=pct", "chaos.pct_depth=4", "keys.count=8", "duration=\"20ms\"",
                              "sync.mode=rounds"});
    EXPECT_EQ(sc.chaos.strategy, Strategy::pct);
    EXPECT_EQ(sc.chaos.pct_depth, 4);
    EXPECT_EQ(sc.keys.count, 8u);
    EXPECT_EQ(sc.duration, std::chrono::milliseconds(20));
    EXPECT_EQ(sc.sync.mode, SyncMode::rounds);
    EXPECT_EQ(load({"keys.count=1", "keys.count=3"}).keys.count, 3u);  // the last one wins
    EXPECT_THROW(load({"keys.count=0"}), ScenarioError);                // checked like the file's own
    EXPECT_THROW(load({"chaos.strategy=sometimes"}), ScenarioError);
    EXPECT_THROW(load({"group.threads=2"}), ScenarioError);  // [[group]] is an array, not a table
    EXPECT_FALSE(load({"sync.start_barrier=false"}).sync.start_barrier);
    EXPECT_TRUE(load({}).sync.start_barrier);
    EXPECT_THROW(load({"sync.mode=rounds", "sync.start_barrier=false"}), ScenarioError);  // rounds are barriers
    // KEY= removes the key: the default comes back; removing what is not there changes nothing.
    const Scenario removed = load({"duration=", "iterations=500"});
    EXPECT_FALSE(removed.duration.has_value());
    EXPECT_EQ(removed.iterations, 500u);
    EXPECT_EQ(load({"chaos.strategy=pct", "chaos.strategy="}).chaos.strategy, Strategy::uniform);
    EXPECT_EQ(load({"sync.ops_per_round=", "nowhere.at_all="}).sync.mode, SyncMode::start);
    EXPECT_THROW(load({"duration=\"\""}), ScenarioError);  // an empty string is a value, and not a duration
    EXPECT_THROW(parse_key_override("chaos.strategy"), std::invalid_argument);
    EXPECT_THROW(parse_key_override("=3"), std::invalid_argument);
    EXPECT_THROW(parse_key_override("chaos..yield=1"), std::invalid_argument);
}

TEST(ScenarioLoader, SloBudgetSetTwice) {
    try {
        parse_scenario("name = 'x'\ntarget = 'cache'\nvariants = ['safe']\n[[group]]\nname = 'g'\n"
                       "mix = { get = 1 }\n[slo]\n'get.p99' = '1ms'\nget.p99 = '2ms'\n",
                       "t.toml", catalog());
        FAIL() << "loaded";
    } catch (const ScenarioError& e) {
        ASSERT_EQ(e.diagnostics.size(), 1u);
        EXPECT_EQ(e.diagnostics[0].format(), "t.toml:9:5: error: [slo] budget 'get.p99' is set twice");
    }
}

// ---- Lockstep and [[outcome]] ------------------------------------------------------------------

const char* k_lockstep = R"(name = "l"
target = "litmus"
iterations = 1000
[sync]
mode = "lockstep"
[[group]]
name = "writers"
threads = 2
mix = { inc = 1 }
[[group]]
name = "reader"
mix = { read = 1 }
[[outcome]]
match = "1, 1"
grade = "acceptable"
desc = "both seen"
[[outcome]]
match = "0, *"
grade = "interesting"
[[outcome]]
match = "*"
grade = "forbidden"
desc = "anything else"
[expect]
lossy = "outcome"
)";

TEST(ScenarioLoader, LockstepReadsOutcomesInFileOrder) {
    const Scenario s = parse_scenario(k_lockstep, "l.toml", catalog());
    EXPECT_EQ(s.sync.mode, SyncMode::lockstep);
    ASSERT_TRUE(s.iterations.has_value());
    EXPECT_EQ(*s.iterations, 1000u);  // rounds: one op per thread in each
    EXPECT_EQ(s.thread_count(), 3);
    ASSERT_EQ(s.outcomes.size(), 3u);
    EXPECT_EQ(s.outcomes[0].match, "1, 1");
    EXPECT_EQ(s.outcomes[0].grade, OutcomeGrade::acceptable);
    EXPECT_EQ(s.outcomes[0].desc, "both seen");
    EXPECT_EQ(s.outcomes[0].where.line, 13);
    EXPECT_EQ(s.outcomes[1].grade, OutcomeGrade::interesting);
    EXPECT_EQ(s.outcomes[1].desc, "");  // desc is optional
    EXPECT_EQ(s.outcomes[2].grade, OutcomeGrade::forbidden);
    EXPECT_EQ(mechanisms_of(s, "lossy", "plain"), std::vector<std::string>{"outcome"});
    // The first entry that matches grades a result: "0, 1" is interesting, not forbidden.
    ASSERT_NE(s.outcome_rule("0, 1"), nullptr);
    EXPECT_EQ(s.outcome_rule("0, 1")->grade, OutcomeGrade::interesting);
    EXPECT_EQ(s.outcome_rule("1, 1"), &s.outcomes[0]);
    EXPECT_EQ(s.outcome_rule("2, 2"), &s.outcomes[2]);
}

TEST(ScenarioLoader, NoOutcomeRuleMatchesOutsideItsPattern) {
    std::string text = k_lockstep;
    const std::string catch_all = "[[outcome]]\nmatch = \"*\"\ngrade = \"forbidden\"\ndesc = \"anything else\"\n";
    ASSERT_NE(text.find(catch_all), std::string::npos);
    text.erase(text.find(catch_all), catch_all.size());
    const Scenario s = parse_scenario(text, "l.toml", catalog());
    ASSERT_EQ(s.outcomes.size(), 2u);
    EXPECT_EQ(s.outcome_rule("2, 2"), nullptr);  // forbidden, with no entry
    EXPECT_EQ(s.outcome_rule("1, 1, 1"), nullptr);
}

TEST(ScenarioLoader, OutcomePatternsUseOnlyTheStar) {
    EXPECT_TRUE(outcome_pattern_matches("1, 2", "1, 2"));
    EXPECT_FALSE(outcome_pattern_matches("1, 2", "1, 20"));
    EXPECT_FALSE(outcome_pattern_matches("1, 2", "1,2"));
    EXPECT_TRUE(outcome_pattern_matches("*", ""));
    EXPECT_TRUE(outcome_pattern_matches("*", "anything, at all"));
    EXPECT_TRUE(outcome_pattern_matches("1, *", "1, 7"));
    EXPECT_FALSE(outcome_pattern_matches("1, *", "2, 1"));
    EXPECT_TRUE(outcome_pattern_matches("*, 0", "12, 0"));
    EXPECT_FALSE(outcome_pattern_matches("*, 0", "12, 01"));
    EXPECT_TRUE(outcome_pattern_matches("a*b*c", "aXbYbZc"));
    EXPECT_FALSE(outcome_pattern_matches("a*b*c", "aXbYbZ"));
    EXPECT_TRUE(outcome_pattern_matches("[1]?", "[1]?"));  // no other wildcard
    EXPECT_FALSE(outcome_pattern_matches("?", "x"));
}

// ---- Durations -------------------------------------------------------------------------------

TEST(Durations, ParseGood) {
    const std::pair<const char*, Nanos> table[] = {
        {"250ns", 250ns},     {"20us", 20us},         {"20µs", 20us},      {"1.5ms", 1500us},
        {"2s", 2s},           {"1m", 1min},           {"1h", 1h},          {"0.5s", 500ms},
        {"1.25us", 1250ns},   {"0.0000000015s", 2ns}, {"2562047h", 2562047h},
    };
    for (const auto& [text, expected] : table) {
        SCOPED_TRACE(text);
        const auto d = parse_duration(text);
        ASSERT_TRUE(d.has_value());
        EXPECT_EQ(*d, expected);
    }
}

TEST(Durations, ParseBad) {
    for (const char* text : {"2 s", "-1ms", "", "5", "1x", "ms", "1.ms", ".5ms", "1e3ms", "+1s", "1s ", " 1s",
                             "1S", "1sec", "1.5.5s", "2562048h", "99999999999999999999ns",
                             "18446744073709551616s"}) {
        SCOPED_TRACE(text);
        EXPECT_FALSE(parse_duration(text).has_value());
    }
}

TEST(Durations, ZeroOnlyWhenAllowed) {
    EXPECT_FALSE(parse_duration("0s").has_value());
    EXPECT_FALSE(parse_duration("0.1ns").has_value());
    EXPECT_EQ(parse_duration("0s", true), std::optional<Nanos>(0ns));
    EXPECT_EQ(parse_duration("0ns", true), std::optional<Nanos>(0ns));
}

TEST(Durations, FormatWithThreeSignificantDigits) {
    const std::pair<Nanos, const char*> table[] = {
        {0ns, "0ns"},          {5ns, "5ns"},           {812ns, "812ns"},       {999ns, "999ns"},
        {1000ns, "1.00us"},    {20400ns, "20.4us"},    {999'499ns, "999us"},   {999'500ns, "1.00ms"},
        {1500ms, "1.50s"},     {59s, "59.0s"},         {60s, "1.00m"},         {90s, "1.50m"},
        {1h, "1.00h"},         {100h, "100h"},         {-20400ns, "-20.4us"},
    };
    for (const auto& [d, expected] : table) EXPECT_EQ(format_duration(d), expected);
    EXPECT_EQ(format_duration_ns(812.4), "812ns");
    EXPECT_EQ(format_duration_ns(12.34), "12.3ns");
    EXPECT_EQ(format_duration_ns(0.5), "0.50ns");
    EXPECT_EQ(format_duration_ns(9.996e3), "10.0us");
    EXPECT_EQ(format_duration_ns(99.96e6), "100ms");
}

TEST(Durations, FormattedDurationsParseBack) {
    for (const Nanos d : {Nanos(812), Nanos(20'400), Nanos(1'500'000'000), Nanos(90'000'000'000)}) {
        const auto back = parse_duration(format_duration(d));
        ASSERT_TRUE(back.has_value()) << format_duration(d);
        EXPECT_EQ(*back, d);
    }
}

TEST(Flavors, PlainAndTheSanitizers) { EXPECT_EQ(flavor_names(), (std::vector<std::string>{"plain", "tsan", "asan"})); }

// ---- [sanitizers] suppressions ---------------------------------------------------------------

/// A folder holding `scenario.toml` (a small valid scenario ending in `sanitizers`) and the
/// suppression files given; removed at the end of the test.
struct SuppressionScenario {
    fs::path dir = fs::temp_directory_path() /
                   ("tm-loader-supp-" + std::to_string(::getpid()) + "-" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name());
    explicit SuppressionScenario(const std::string& sanitizers) {
        fs::create_directories(dir / "supp");
        std::ofstream(dir / "scenario.toml") << "name = 'x'\ntarget = 'cache'\nvariants = ['safe']\n[[group]]\n"
                                                "name = 'g'\nthreads = 1\nmix = { get = 1 }\n[sanitizers]\n"
                                             << sanitizers;
    }
    ~SuppressionScenario() { fs::remove_all(dir); }
    void file(const std::string& name, const std::string& text) const { std::ofstream(dir / name) << text; }
    std::string path() const { return (dir / "scenario.toml").string(); }
    std::string errors() const {
        try {
            load_scenario(path(), catalog());
        } catch (const ScenarioError& e) {
            return e.what();
        }
        return "(loaded without error)";
    }
};

TEST(ScenarioSuppressions, FilesAreReadRelativeToTheScenario) {
    SuppressionScenario s("suppressions = \"known.supp\"\ntsan = \"history_size=7\"\n");
    s.file("known.supp", "# races we live with\nrace:Cache::get\nleak:make_node\n");
    const Scenario sc = load_scenario(s.path(), catalog());
    ASSERT_EQ(sc.suppressions.size(), 1u);
    EXPECT_EQ(sc.suppressions[0].origin, "scenario");
    EXPECT_EQ(sc.suppressions[0].path, (s.dir / "known.supp").string());
    ASSERT_EQ(sc.suppressions[0].patterns.size(), 2u);
    EXPECT_EQ(sc.suppressions[0].patterns[0].text, "race:Cache::get");
    EXPECT_EQ(sc.suppressions[0].patterns[0].runtime, "tsan");
    EXPECT_EQ(sc.suppressions[0].patterns[0].line, 2);
    EXPECT_EQ(sc.suppressions[0].patterns[1].runtime, "lsan");
    EXPECT_EQ(sc.sanitizer_options.at("tsan"), "history_size=7");

    SuppressionScenario list("suppressions = [\"a.supp\", \"supp/b.supp\"]\n");
    list.file("a.supp", "race:A\n");
    list.file("supp/b.supp", "deadlock:B\n");
    const Scenario two = load_scenario(list.path(), catalog());
    ASSERT_EQ(two.suppressions.size(), 2u);
    EXPECT_EQ(two.suppressions[1].path, (list.dir / "supp" / "b.supp").string());
}

TEST(ScenarioSuppressions, AMissingFileIsAnErrorAtTheKey) {
    SuppressionScenario s("suppressions = [\"nope.supp\", \"nope.supp\"]\n");
    EXPECT_EQ(s.errors(), fmt::format("{0}:9:17: error: sanitizers.suppressions: cannot read 'nope.supp' ({1}): no such "
                                      "file; the path is relative to the scenario's folder\n"
                                      "{0}:9:30: error: sanitizers.suppressions: 'nope.supp' is listed twice",
                                      s.path(), (s.dir / "nope.supp").string()));
    SuppressionScenario folder("suppressions = \"supp\"\n");
    EXPECT_NE(folder.errors().find("it is a folder, not a file"), std::string::npos) << folder.errors();
    SuppressionScenario number("suppressions = 3\n");
    EXPECT_EQ(number.errors(), number.path() + ":9:16: error: sanitizers.suppressions must be a file name or an array "
                                               "of file names, got an integer");
}

TEST(ScenarioSuppressions, ABadLineIsAnErrorAtItsLineInTheSuppressionFile) {
    SuppressionScenario s("suppressions = \"known.supp\"\nasan = 'nonsense'\n");
    s.file("known.supp", "race:fine\nrase:Cache::get\n");
    const std::string supp = (s.dir / "known.supp").string();
    // The scenario file's own errors first, then the suppression file's, each at its line.
    EXPECT_EQ(s.errors(), fmt::format("{}:10:8: error: sanitizers.asan must be runtime options like "
                                      "\"history_size=7:report_thread_leaks=0\", got 'nonsense'\n"
                                      "{}:2:1: error: unknown suppression type 'rase'; did you mean 'race'?",
                                      s.path(), supp));
}

TEST(ScenarioSuppressions, UnknownKeysStillSuggest) {
    SuppressionScenario s("suppresions = \"x.supp\"\n");
    EXPECT_NE(s.errors().find("unknown key 'suppresions' in [sanitizers]; did you mean 'suppressions'?"), std::string::npos)
        << s.errors();
}

// ---- worker = "folder" ------------------------------------------------------------------------

/// A folder holding `scenarios/scenario.toml` (a small valid scenario whose second line is
/// `worker_line`) and the files given; removed at the end of the test.
struct WorkerScenario {
    fs::path dir = fs::temp_directory_path() /
                   ("tm-loader-worker-" + std::to_string(::getpid()) + "-" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name());
    explicit WorkerScenario(const std::string& worker_line) {
        fs::create_directories(dir / "scenarios");
        std::ofstream(dir / "scenarios" / "scenario.toml")
            << "name = 'x'\n" << worker_line << "\ntarget = 'cache'\nvariants = ['safe']\n[[group]]\n"
            << "name = 'g'\nthreads = 1\nmix = { get = 1 }\n";
    }
    ~WorkerScenario() { fs::remove_all(dir); }
    void file(const std::string& name, const std::string& text) const {
        fs::create_directories((dir / name).parent_path());
        std::ofstream(dir / name) << text;
    }
    std::string path() const { return (dir / "scenarios" / "scenario.toml").string(); }
    std::string errors() const {
        try {
            load_scenario(path(), catalog());
        } catch (const ScenarioError& e) {
            return e.what();
        }
        return "(loaded without error)";
    }
};

TEST(ScenarioWorker, AFolderIsResolvedAgainstTheScenariosFolder) {
    const WorkerScenario s("worker = '../build/workers/'");
    const std::string expected = (s.dir / "build" / "workers").string();
    EXPECT_EQ(load_scenario(s.path(), catalog()).worker_dir, expected);
    const auto named = scenario_worker(s.path());
    ASSERT_TRUE(named.has_value());
    EXPECT_EQ(named->dir, expected);
    EXPECT_EQ(named->where.file, s.path());
    EXPECT_EQ(named->where.line, 2);
    EXPECT_EQ(named->where.column, 10);

    const WorkerScenario absolute("worker = '/opt/team/workers'");
    EXPECT_EQ(load_scenario(absolute.path(), catalog()).worker_dir, "/opt/team/workers");

    const WorkerScenario none("# no worker key");
    EXPECT_EQ(load_scenario(none.path(), catalog()).worker_dir, "");
    EXPECT_FALSE(scenario_worker(none.path()).has_value());
}

TEST(ScenarioWorker, TheKeyMustNameAFolder) {
    const WorkerScenario empty("worker = ''");
    EXPECT_EQ(empty.errors(), empty.path() + ":2:10: error: worker must name a folder of worker executables (relative "
                                             "to the scenario's folder); leave it out to run on the run's workers "
                                             "(--worker-dir)");
    EXPECT_FALSE(scenario_worker(empty.path()).has_value());
    const WorkerScenario number("worker = 3");
    EXPECT_EQ(number.errors(), number.path() + ":2:10: error: worker must be a string, got an integer");
    EXPECT_FALSE(scenario_worker(number.path()).has_value());
    const WorkerScenario misspelt("workers = 'build'");
    EXPECT_NE(misspelt.errors().find("unknown key 'workers'; did you mean 'worker'?"), std::string::npos)
        << misspelt.errors();
}

TEST(ScenarioWorker, TheWorkerFoldersProjectSuppressionFileApplies) {
    const WorkerScenario s("worker = '../build'");
    s.file("build/threadmill-suppressions.txt", "# ours\nrace:Pool::~Pool\n");
    const Scenario sc = load_scenario(s.path(), catalog());
    ASSERT_EQ(sc.suppressions.size(), 1u);
    EXPECT_EQ(sc.suppressions[0].origin, "project");
    EXPECT_EQ(sc.suppressions[0].path, (s.dir / "build" / "threadmill-suppressions.txt").string());
    ASSERT_EQ(sc.suppressions[0].patterns.size(), 1u);
    EXPECT_EQ(sc.suppressions[0].patterns[0].text, "race:Pool::~Pool");

    s.file("build/threadmill-suppressions.txt", "race:fine\nrase:typo\n");
    EXPECT_EQ(s.errors(), fmt::format("{}:2:1: error: unknown suppression type 'rase'; did you mean 'race'?",
                                      (s.dir / "build" / "threadmill-suppressions.txt").string()));
}

}  // namespace
}  // namespace threadmill
