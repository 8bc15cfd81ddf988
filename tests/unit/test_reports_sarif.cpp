// Tests of the SARIF 2.1.0 report (reports/sarif.cpp), validated with python3-jsonschema against
// the OASIS schema vendored in tests/reports/schemas/.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "model/bugs.hpp"
#include "reports/sarif.hpp"
#include "tests/support/command.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/hang.hpp"
#include "driver/summary.hpp"
#include "sanitizers/parser.hpp"

namespace threadmill {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string k_schema = std::string(TM_TEST_DATA_DIR) + "/reports/schemas/sarif-schema-2.1.0.json";
const std::string k_key(k_sarif_fingerprint_key);

using testing::CommandResult;
using testing::run_command;

/// Validates `sarif` against the OASIS SARIF 2.1.0 schema with tests/reports/validate_json.py
/// (python3-jsonschema, draft 4 as the schema declares); prints each error's path and message. Fails the test
/// (never skips) when python3-jsonschema is missing.
CommandResult validate(const std::string& sarif) {
    static int counter = 0;
    if (run_command("/usr/bin/python3 -c 'import jsonschema'").status != 0) {
        ADD_FAILURE() << "/usr/bin/python3 cannot import jsonschema: install python3-jsonschema (ci/setup.sh does) "
                         "to validate SARIF reports";
        return {};
    }
    const fs::path file = fs::temp_directory_path() / fmt::format("threadmill-sarif-{}-{}.sarif", ::getpid(), ++counter);
    std::ofstream(file, std::ios::binary) << sarif;
    CommandResult r = run_command(fmt::format("/usr/bin/python3 '{}/reports/validate_json.py' '{}' '{}'", TM_TEST_DATA_DIR,
                                              k_schema, file.string()));
    fs::remove(file);
    return r;
}

const json& result_for(const json& sarif, const std::string& rule_id) {
    static const json none;
    for (const auto& r : sarif["runs"][0]["results"]) {
        if (r["ruleId"] == rule_id) return r;
    }
    return none;
}

/// A job that reported the findings of a captured sanitizer log.
JobResult job_with_findings(const std::string& fixture, const std::string& variant) {
    JobResult j;
    j.scenario = "fixture";
    j.target = "programs";
    j.variant = variant;
    j.flavor = "tsan";
    j.seed = 3;
    j.replay = "threadmill run fixture.toml --variant " + variant;
    j.verdict = Verdict::fail;
    j.findings = parse_sanitizer_output(
        testing::read_text(fs::path(TM_TEST_DATA_DIR) / "sanitizers" / "fixtures" / "gcc" / (fixture + ".txt")));
    return j;
}

TEST(ReportSarif, MatchesGolden) {
    const testing::Fixture f;
    testing::expect_golden(render_sarif(f.input("out/threadmill.sarif")), "threadmill.sarif");
}

TEST(ReportSarif, ValidAgainstOasisSchema) {
    const testing::Fixture f;
    const auto r = validate(render_sarif(f.input("out/threadmill.sarif")));
    EXPECT_EQ(r.status, 0) << r.output;
}

TEST(ReportSarif, OneResultPerDistinctBug) {
    const testing::Fixture f;
    const json sarif = json::parse(render_sarif(f.input("out/threadmill.sarif")));
    EXPECT_EQ(sarif["version"], "2.1.0");
    ASSERT_EQ(sarif["runs"].size(), 1u);
    ASSERT_EQ(f.summary.distinct_bugs, 2);
    EXPECT_EQ(sarif["runs"][0]["results"].size(), 2u) << sarif.dump(2);

    // The same race reported again by another seed and flavor is still one result.
    std::vector<JobResult> jobs = f.run.jobs;
    const auto race = std::find_if(jobs.begin(), jobs.end(), [](const JobResult& j) { return j.variant == "race"; });
    ASSERT_NE(race, jobs.end());
    JobResult again = *race;
    again.seed = 8;
    again.replay = "threadmill run scenarios/canary/race.toml --variant race --flavor tsan --seed 8";
    jobs.push_back(again);
    const RunSummary summary = summarize_run(jobs, static_cast<int>(jobs.size()), false, 0, "");
    const json twice = json::parse(render_sarif(ReportInput{f.run.context, jobs, summary, "-", f.input("-").settings}));
    ASSERT_EQ(twice["runs"][0]["results"].size(), 2u);
    const json& r = result_for(twice, "data-race");
    EXPECT_EQ(r["occurrenceCount"], 2);
    ASSERT_EQ(r["properties"]["jobs"].size(), 2u);
    EXPECT_EQ(r["properties"]["jobs"][0]["seed"], 7);
    EXPECT_EQ(r["properties"]["jobs"][1]["seed"], 8);
    EXPECT_EQ(r["properties"]["jobs"][1]["scenario"], "canary-race");
    EXPECT_EQ(r["properties"]["jobs"][1]["flavor"], "tsan");
    EXPECT_EQ(r["properties"]["jobs"][1]["replay"], again.replay);
}

TEST(ReportSarif, OneRulePerKind) {
    const testing::Fixture f;
    const json sarif = json::parse(render_sarif(f.input("out/threadmill.sarif")));
    const json& driver = sarif["runs"][0]["tool"]["driver"];
    EXPECT_EQ(driver["name"], "threadmill");
    EXPECT_EQ(driver["version"], f.run.context.tool_version);
    EXPECT_FALSE(driver.contains("informationUri"));  // no public home page yet: none made up
    const json& rules = driver["rules"];
    ASSERT_EQ(rules.size(), 2u);
    EXPECT_EQ(rules[0]["id"], "data-race");
    EXPECT_EQ(rules[1]["id"], "heap-use-after-free");
    for (const auto& rule : rules) {
        EXPECT_FALSE(rule["shortDescription"]["text"].get<std::string>().empty());
        EXPECT_FALSE(rule["help"]["text"].get<std::string>().empty());
    }
    for (const auto& r : sarif["runs"][0]["results"]) {
        EXPECT_EQ(rules[r["ruleIndex"].get<std::size_t>()]["id"], r["ruleId"]);
        EXPECT_EQ(r["level"], "error");  // races and memory errors
    }
}

TEST(ReportSarif, RaceHasOneThreadFlowPerThread) {
    const testing::Fixture f;
    const json sarif = json::parse(render_sarif(f.input("out/threadmill.sarif")));
    const json& race = result_for(sarif, "data-race");
    ASSERT_TRUE(race.is_object()) << sarif.dump(2);
    ASSERT_EQ(race["codeFlows"].size(), 1u) << race.dump(2);
    const json& flows = race["codeFlows"][0]["threadFlows"];
    ASSERT_EQ(flows.size(), 2u) << race.dump(2);
    EXPECT_EQ(flows[0]["id"], "T1");
    EXPECT_EQ(flows[1]["id"], "T2");
    EXPECT_EQ(flows[0]["message"]["text"], "read of size 8 by thread T1");
    EXPECT_EQ(flows[1]["message"]["text"], "write of size 8 by thread T2");
    for (const auto& flow : flows) {
        const json& last = flow["locations"].back()["location"]["physicalLocation"];
        EXPECT_EQ(last["artifactLocation"]["uri"], "targets/canary/canary_target.cpp");
        EXPECT_EQ(last["region"]["startLine"], 22);
    }
    // The use-after-free has no code flow; where the memory was freed and allocated are related locations.
    const json& uaf = result_for(sarif, "heap-use-after-free");
    EXPECT_FALSE(uaf.contains("codeFlows"));
    ASSERT_EQ(uaf["relatedLocations"].size(), 2u) << uaf.dump(2);
    EXPECT_EQ(uaf["relatedLocations"][0]["message"]["text"], "freed by thread T1");
    EXPECT_EQ(uaf["relatedLocations"][0]["physicalLocation"]["region"]["startLine"], 31);
    EXPECT_EQ(uaf["relatedLocations"][1]["message"]["text"], "previously allocated by thread T1");
}

TEST(ReportSarif, ThreadFlowFallsBackToTheFirstFramesWithoutUserCode) {
    const testing::Fixture f;
    std::vector<JobResult> jobs = {*std::find_if(f.run.jobs.begin(), f.run.jobs.end(),
                                                 [](const JobResult& j) { return j.variant == "race"; })};
    Finding& race = jobs[0].findings.at(0);
    race.user_frame.reset();
    for (auto& a : race.accesses)
        for (auto& fr : a.stack.frames) fr.user = false;
    const RunSummary summary = summarize_run(jobs, 1, false, 0, "");
    const std::string text = render_sarif(ReportInput{f.run.context, jobs, summary, "-", f.input("-").settings});
    const json flows = json::parse(text)["runs"][0]["results"][0]["codeFlows"][0]["threadFlows"];
    ASSERT_EQ(flows.size(), 2u);
    // The three innermost frames, oldest call first: thread_main, one_op, then run where the access was.
    const json& steps = flows[0]["locations"];
    ASSERT_EQ(steps.size(), 3u) << flows.dump(2);
    EXPECT_EQ(steps[0]["location"]["logicalLocations"][0]["name"], "thread_main");
    EXPECT_EQ(steps[2]["location"]["logicalLocations"][0]["name"], "run");
    EXPECT_EQ(steps[2]["location"]["message"]["text"], "read of size 8 by thread T1");
    const auto r = validate(text);
    EXPECT_EQ(r.status, 0) << r.output;
}

TEST(ReportSarif, LockCycleHasOneThreadFlowPerThread) {
    const std::vector<JobResult> jobs = {job_with_findings("lock_order_inversion", "inverted")};
    ASSERT_EQ(jobs[0].findings.size(), 1u);
    const RunContext context;
    const RunSummary summary = summarize_run(jobs, 1, false, 0, "");
    ReportSettings settings;
    settings.source_root = "/work/main";
    const std::string text = render_sarif(ReportInput{context, jobs, summary, "-", settings});
    const json sarif = json::parse(text);
    const json& cycle = result_for(sarif, "lock-order-inversion");
    ASSERT_TRUE(cycle.is_object()) << sarif.dump(2);
    const json& flows = cycle["codeFlows"][0]["threadFlows"];
    ASSERT_EQ(flows.size(), 2u) << cycle.dump(2);
    EXPECT_EQ(flows[0]["id"], "T1");
    EXPECT_EQ(flows[1]["id"], "T2");
    // Each thread takes one mutex, then the other: lines 9 then 10, and 14 then 15.
    const auto lines = [](const json& flow) {
        std::vector<int> out;
        for (const auto& step : flow["locations"]) out.push_back(step["location"]["physicalLocation"]["region"]["startLine"]);
        return out;
    };
    EXPECT_EQ(lines(flows[0]), (std::vector<int>{9, 10}));
    EXPECT_EQ(lines(flows[1]), (std::vector<int>{14, 15}));
    EXPECT_EQ(flows[0]["locations"][1]["location"]["message"]["text"],
              "Mutex M10 acquired here while holding mutex M9 in thread T1");
    EXPECT_EQ(flows[0]["locations"][0]["location"]["physicalLocation"]["artifactLocation"]["uri"],
              "tests/sanitizers/programs/lock_order_inversion.cpp");
    const auto r = validate(text);
    EXPECT_EQ(r.status, 0) << r.output;
}

TEST(ReportSarif, UrisRelativeToTheSourceRoot) {
    const testing::Fixture f;
    const std::string text = render_sarif(f.input("out/threadmill.sarif"));
    const json sarif = json::parse(text);
    const json& run = sarif["runs"][0];
    EXPECT_EQ(run["originalUriBaseIds"]["SRCROOT"]["uri"], "file:///src/threadmill/");
    for (const auto& r : run["results"]) {
        const json& artifact = r["locations"][0]["physicalLocation"]["artifactLocation"];
        EXPECT_EQ(artifact["uri"], "targets/canary/canary_target.cpp") << r.dump(2);
        EXPECT_EQ(artifact["uriBaseId"], "SRCROOT");
    }
    EXPECT_EQ(text.find("\"uri\": \"file:///src/threadmill/targets"), std::string::npos);

    // A file outside the root is an absolute file:// URI without a base.
    ReportInput elsewhere = f.input("out/threadmill.sarif");
    elsewhere.settings.source_root = "/somewhere/else";
    const json outside = json::parse(render_sarif(elsewhere));
    const json& artifact = outside["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    EXPECT_EQ(artifact["uri"], "file:///src/threadmill/targets/canary/canary_target.cpp");
    EXPECT_FALSE(artifact.contains("uriBaseId"));
    const auto r = validate(outside.dump());
    EXPECT_EQ(r.status, 0) << r.output;
}

TEST(ReportSarif, PartialFingerprintsPresentAndStable) {
    const testing::Fixture f;
    const std::string text = render_sarif(f.input("out/threadmill.sarif"));
    EXPECT_EQ(text, render_sarif(f.input("out/threadmill.sarif")));  // deterministic
    const json sarif = json::parse(text);
    const auto bugs = distinct_bugs(f.run.jobs);
    const json& results = sarif["runs"][0]["results"];
    ASSERT_EQ(results.size(), bugs.size());
    for (std::size_t i = 0; i < bugs.size(); ++i) {
        ASSERT_TRUE(results[i]["partialFingerprints"].contains(k_key)) << results[i].dump(2);
        EXPECT_EQ(results[i]["partialFingerprints"][k_key], bug_id(bugs[i].key));
        EXPECT_EQ(results[i]["properties"]["fingerprints"], bugs[i].fingerprints);
        EXPECT_EQ(results[i]["properties"]["kinds"], bugs[i].kinds);
    }
    // Another run of the same bugs (other seeds, jobs in another order) gives the same fingerprints.
    std::vector<JobResult> jobs(f.run.jobs.rbegin(), f.run.jobs.rend());
    for (auto& j : jobs) j.seed += 1000;
    const RunSummary summary = summarize_run(jobs, static_cast<int>(jobs.size()), false, 0, "");
    const json other = json::parse(render_sarif(ReportInput{f.run.context, jobs, summary, "-", f.input("-").settings}));
    EXPECT_EQ(result_for(other, "data-race")["partialFingerprints"], result_for(sarif, "data-race")["partialFingerprints"]);
    EXPECT_EQ(result_for(other, "heap-use-after-free")["partialFingerprints"],
              result_for(sarif, "heap-use-after-free")["partialFingerprints"]);
}

// A hang that needs a look is a `timeout` result at the first blocked thread's first user frame, one thread flow
// per thread in the code under test; a hang that was expected is not.
TEST(ReportSarif, HangThatNeedsALookPointsAtTheBlockedThreads) {
    RunContext context;
    const std::vector<JobResult> jobs = {testing::hung_job("crash"), testing::hung_job("timeout")};
    const RunSummary summary = summarize_run(jobs, 2, false, 0, "");
    ReportSettings settings;
    settings.source_root = testing::k_hang_source_root;
    const std::string text = render_sarif(ReportInput{context, jobs, summary, "-", settings});
    const json sarif = json::parse(text);
    ASSERT_EQ(sarif["runs"][0]["results"].size(), 1u) << text;
    const json& hang = result_for(sarif, "timeout");
    ASSERT_FALSE(hang.is_null()) << text;
    EXPECT_EQ(sarif["runs"][0]["tool"]["driver"]["rules"][hang["ruleIndex"].get<int>()]["id"], "timeout");
    const json& at = hang["locations"][0]["physicalLocation"];
    EXPECT_EQ(at["artifactLocation"]["uri"], "cache.cpp");
    EXPECT_EQ(at["region"]["startLine"], 11);
    EXPECT_EQ(hang["locations"][0]["logicalLocations"][0]["name"], "Cache::get");
    EXPECT_NE(hang["message"]["text"].get<std::string>().find("thread 2 \"reader\" blocked in Cache::get at cache.cpp:11"),
              std::string::npos)
        << hang.dump(2);
    const json& flows = hang["codeFlows"][0]["threadFlows"];
    ASSERT_EQ(flows.size(), 3u);  // two waiters and the joining main thread
    EXPECT_EQ(flows[1]["id"], "thread 2 \"reader\"");
    // The user frames, oldest call first: the lambda, then Cache::get where the thread waits.
    ASSERT_EQ(flows[1]["locations"].size(), 2u);
    EXPECT_EQ(flows[1]["locations"][1]["location"]["logicalLocations"][0]["name"], "Cache::get");
    EXPECT_EQ(hang["partialFingerprints"][k_key].get<std::string>().size(), 16u);
    const auto r = validate(text);
    EXPECT_EQ(r.status, 0) << r.output;
}

TEST(ReportSarif, EmptyRunIsValid) {
    const RunContext context;
    const std::vector<JobResult> jobs;
    const RunSummary summary = summarize_run(jobs, 0, false, 0, "");
    const std::string text = render_sarif(ReportInput{context, jobs, summary, "-", ReportSettings{}});
    const json sarif = json::parse(text);
    EXPECT_TRUE(sarif["runs"][0]["results"].empty());
    EXPECT_FALSE(sarif["runs"][0].contains("originalUriBaseIds"));
    const auto r = validate(text);
    EXPECT_EQ(r.status, 0) << r.output;
}

TEST(ReportSarif, ValidatorRejectsInvalidDocuments) {
    const testing::Fixture f;
    json sarif = json::parse(render_sarif(f.input("out/threadmill.sarif")));
    sarif["runs"][0]["results"][0]["level"] = "fatal";  // not a SARIF level
    const auto bad_level = validate(sarif.dump());
    EXPECT_NE(bad_level.status, 0) << bad_level.output;
    EXPECT_NE(bad_level.output.find("'fatal' is not one of"), std::string::npos) << bad_level.output;

    sarif = json::parse(render_sarif(f.input("out/threadmill.sarif")));
    sarif["runs"][0].erase("tool");  // required
    sarif["runs"][0]["results"][0]["codeFlows"][0]["threadFlows"] = json::array();  // minItems 1
    const auto missing = validate(sarif.dump());
    EXPECT_NE(missing.status, 0) << missing.output;
    EXPECT_NE(missing.output.find("'tool' is a required property"), std::string::npos) << missing.output;
    EXPECT_NE(missing.output.find("threadFlows"), std::string::npos) << missing.output;
}

}  // namespace
}  // namespace threadmill
