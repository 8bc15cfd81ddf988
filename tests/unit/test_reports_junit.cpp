// Tests of the JUnit XML report (reports/junit.cpp), validated with xmllint against the Jenkins
// JUnit schema vendored in tests/reports/schemas/.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "reports/junit.hpp"
#include "tests/support/command.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/hang.hpp"
#include "driver/summary.hpp"

namespace threadmill {
namespace {

namespace fs = std::filesystem;

const std::string k_schema = std::string(TM_TEST_DATA_DIR) + "/reports/schemas/junit-10.xsd";

using testing::CommandResult;
using testing::run_command;

/// Validates `xml` against the Jenkins JUnit schema with xmllint. Fails the test (never skips)
/// when xmllint is missing.
CommandResult validate(const std::string& xml) {
    static int counter = 0;
    if (run_command("command -v xmllint").status != 0) {
        ADD_FAILURE() << "xmllint is not installed: install libxml2-utils (ci/setup.sh does) to validate JUnit reports";
        return {};
    }
    const fs::path file = fs::temp_directory_path() / fmt::format("threadmill-junit-{}-{}.xml", ::getpid(), ++counter);
    std::ofstream(file, std::ios::binary) << xml;
    CommandResult r = run_command(fmt::format("xmllint --noout --schema '{}' '{}'", k_schema, file.string()));
    fs::remove(file);
    return r;
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
    return n;
}

/// The value of attribute `name` in the first element starting with `open` (e.g. "<testsuites ").
std::string attribute(const std::string& xml, const std::string& open, const std::string& name) {
    const auto start = xml.find(open);
    if (start == std::string::npos) return "<no " + open + ">";
    const auto end = xml.find('>', start);
    const std::string tag = xml.substr(start, end - start);
    const std::string key = " " + name + "=\"";
    const auto at = tag.find(key);
    if (at == std::string::npos) return "<no " + name + ">";
    const auto value = at + key.size();
    const auto close = tag.find('"', value);
    if (close == std::string::npos) return "<no " + name + ">";
    return tag.substr(value, close - value);
}

/// The XML of the testcase named `name` in the testsuite named `suite`.
std::string testcase(const std::string& xml, const std::string& suite, const std::string& name) {
    const auto in_suite = xml.find("<testsuite name=\"" + suite + "\"");
    if (in_suite == std::string::npos) return "";
    const auto start = xml.find("<testcase name=\"" + name + "\"", in_suite);
    if (start == std::string::npos) return "";
    return xml.substr(start, xml.find("</testcase>", start) - start);
}

/// A job whose worker could not run: the harness's error, not the target's.
JobResult harness_error_job() {
    JobResult j;
    j.index = 1;
    j.scenario = "broken-setup";
    j.scenario_path = "scenarios/broken-setup.toml";
    j.target = "cache";
    j.variant = "safe";
    j.flavor = "plain";
    j.seed = 42;
    j.replay = "threadmill run scenarios/broken-setup.toml --variant safe --flavor plain --seed 42";
    j.exit_code = 70;
    j.elapsed_seconds = 0.25;
    j.detections = {{"error", "worker exited with status 70 (harness error): cannot open key file"}};
    j.verdict = Verdict::error;
    j.expected = {"pass"};
    j.expectation_met = false;
    j.expectation_detail = "error: the harness could not run the job";
    return j;
}

struct SyntheticRun {
    RunContext context;
    std::vector<JobResult> jobs;
    RunSummary summary;
    explicit SyntheticRun(std::vector<JobResult> j) : jobs(std::move(j)) {
        context.tool_version = "0.1.0";
        context.host = "test-host";
        context.start_time = "2026-01-02T03:04:05Z";
        summary = summarize_run(jobs, static_cast<int>(jobs.size()), false, 1.5, "out/results.jsonl");
    }
    ReportInput input() const { return ReportInput{context, jobs, summary, "out/junit.xml", ReportSettings{}}; }
};

TEST(ReportJunit, MatchesGolden) {
    const testing::Fixture f;
    testing::expect_golden(render_junit(f.input("out/junit.xml")), "junit.xml");
}

TEST(ReportJunit, ValidAgainstJenkinsSchema) {
    const testing::Fixture f;
    const auto r = validate(render_junit(f.input("out/junit.xml")));
    EXPECT_EQ(r.status, 0) << r.output;
}

TEST(ReportJunit, OneTestsuitePerScenario) {
    const testing::Fixture f;
    const std::string xml = render_junit(f.input("out/junit.xml"));
    std::set<std::string> scenarios;
    for (const auto& j : f.run.jobs) scenarios.insert(j.scenario);
    ASSERT_GT(scenarios.size(), 5u);
    EXPECT_EQ(count(xml, "<testsuite "), scenarios.size()) << xml;
    for (const auto& s : scenarios) EXPECT_EQ(count(xml, fmt::format("<testsuite name=\"{}\"", s)), 1u) << s;
    EXPECT_EQ(count(xml, "<testcase "), f.run.jobs.size());
    EXPECT_EQ(attribute(xml, "<testsuites ", "tests"), std::to_string(f.run.jobs.size()));
    // The canary race scenario ran a safe job and the race mutant, both under tsan, seed 7.
    EXPECT_EQ(attribute(xml, "<testsuite name=\"canary-race\"", "tests"), "2");
    EXPECT_NE(testcase(xml, "canary-race", "race · tsan").find("classname=\"canary.canary-race\""), std::string::npos) << xml;
    EXPECT_NE(xml.find("<property name=\"seed\" value=\"7\"/>"), std::string::npos);
    EXPECT_NE(xml.find("<property name=\"flavor\" value=\"plain, tsan, asan\"/>"), std::string::npos) << xml;
}

TEST(ReportJunit, FailuresAreMissedExpectationsOnly) {
    const testing::Fixture f;
    const std::string xml = render_junit(f.input("out/junit.xml"));
    ASSERT_EQ(f.summary.count(Outcome::unexpected), 1);
    ASSERT_GT(f.summary.count(Outcome::caught), 10);  // most jobs are mutants caught as expected
    EXPECT_EQ(attribute(xml, "<testsuites ", "failures"), "1");
    EXPECT_EQ(attribute(xml, "<testsuites ", "errors"), "0");
    EXPECT_EQ(count(xml, "<failure "), 1u);
    EXPECT_EQ(attribute(xml, "<testsuite name=\"wrong-expectation\"", "failures"), "1");
    const std::string missed = testcase(xml, "wrong-expectation", "crash · plain");
    EXPECT_NE(missed.find("<failure type=\"unexpected\" message=\"expected timeout, but caught by crash\">"),
              std::string::npos)
        << missed;
    // A mutant caught as expected is a passing testcase, with what caught it and how to replay it.
    const std::string caught = testcase(xml, "canary-race", "race · tsan");
    ASSERT_FALSE(caught.empty()) << xml;
    EXPECT_EQ(caught.find("<failure"), std::string::npos) << caught;
    EXPECT_NE(caught.find("replay: threadmill run scenarios/canary/race.toml --variant race --flavor tsan --seed 7"),
              std::string::npos)
        << caught;
    EXPECT_NE(caught.find("data-race at targets/canary/canary_target.cpp:22 in run"), std::string::npos) << caught;
}

TEST(ReportJunit, HarnessErrorIsAnError) {
    const testing::Fixture f;
    std::vector<JobResult> jobs = f.run.jobs;
    jobs.push_back(harness_error_job());
    const SyntheticRun run(jobs);
    const std::string xml = render_junit(run.input());
    EXPECT_EQ(attribute(xml, "<testsuites ", "errors"), "1");
    EXPECT_EQ(attribute(xml, "<testsuites ", "failures"), "1");  // the error is not also a failure
    EXPECT_EQ(attribute(xml, "<testsuite name=\"broken-setup\"", "errors"), "1");
    EXPECT_EQ(attribute(xml, "<testsuite name=\"broken-setup\"", "failures"), "0");
    const std::string tc = testcase(xml, "broken-setup", "safe · plain");
    EXPECT_NE(tc.find("<error type=\"harness-error\" message=\"worker exited with status 70 (harness error): cannot "
                      "open key file\">"),
              std::string::npos)
        << tc;
    EXPECT_EQ(tc.find("<failure"), std::string::npos) << tc;
    const auto r = validate(xml);
    EXPECT_EQ(r.status, 0) << r.output;
}

// A hang's failure names the threads blocked in the code under test, with their frames.
TEST(ReportJunit, HangFailureListsTheBlockedThreads) {
    const SyntheticRun run({testing::hung_job("crash")});
    const std::string xml = render_junit(run.input());
    const std::string tc = testcase(xml, "cache-hang", "deadlock · plain");
    const auto failure = tc.find("<failure");
    ASSERT_NE(failure, std::string::npos) << tc;
    const std::string text = tc.substr(failure);
    EXPECT_NE(text.find("threads in the code under test at the timeout:\n"
                        "  - thread 3 \"cache\"\n"
                        "      /tmp/i12g/cache.cpp:11 in Cache::get\n"
                        "      /tmp/i12g/cache.cpp:18 in operator()\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("thread 2 \"reader\" blocked in Cache::get at cache.cpp:11"), std::string::npos) << text;
    const auto r = validate(xml);
    EXPECT_EQ(r.status, 0) << r.output;
}

TEST(ReportJunit, EscapesMarkupAndControlCharacters) {
    JobResult j = harness_error_job();
    j.variant = "a<b & \"c\"";
    j.expectation_detail = "expected 'pass' & <nothing>";
    j.detections = {{"error", "bad \"quote\" <tag>"}};
    j.worker_log = std::string("line <1> & \"two\" 'three'\n\x1b[31mred\x1b[0m\x01 nul:") + std::string(1, '\0') +
                   " bad utf-8:\xff\xfe end\r\n";
    const SyntheticRun run({j});
    const std::string xml = render_junit(run.input());
    EXPECT_NE(xml.find("name=\"a&lt;b &amp; &quot;c&quot; · plain\""), std::string::npos) << xml;
    EXPECT_NE(xml.find("message=\"bad &quot;quote&quot; &lt;tag&gt;\""), std::string::npos) << xml;
    EXPECT_NE(xml.find("<system-err>line &lt;1&gt; &amp; \"two\" 'three'\n\\x1B[31mred\\x1B[0m\\x01 nul:\\x00 bad "
                       "utf-8:\xEF\xBF\xBD\xEF\xBF\xBD end&#13;\n</system-err>"),
              std::string::npos)
        << xml;
    for (const char c : xml) {
        const auto u = static_cast<unsigned char>(c);
        EXPECT_FALSE(u < 0x20 && c != '\n' && c != '\t') << "control character " << int(u) << " in the XML";
    }
    const auto r = validate(xml);
    EXPECT_EQ(r.status, 0) << r.output << "\n" << xml;
}

TEST(ReportJunit, XmlEscape) {
    EXPECT_EQ(xml_escape("a<b>&\"'"), "a&lt;b&gt;&amp;\"'");
    EXPECT_EQ(xml_escape("a<b>&\"'", true), "a&lt;b&gt;&amp;&quot;&apos;");
    EXPECT_EQ(xml_escape("tab\tline\n", true), "tab&#9;line&#10;");
    EXPECT_EQ(xml_escape("tab\tline\n"), "tab\tline\n");
    EXPECT_EQ(xml_escape("\x07\x1f"), "\\x07\\x1F");
    EXPECT_EQ(xml_escape("seed · 7 — ok"), "seed · 7 — ok");                 // UTF-8 kept
    EXPECT_EQ(xml_escape("\xc3\x28 \xe2\x82"), "\xEF\xBF\xBD( \xEF\xBF\xBD\xEF\xBF\xBD");  // invalid sequences
    EXPECT_EQ(xml_escape("\xef\xbf\xbe"), "\xEF\xBF\xBD");                   // U+FFFE is not an XML character
    EXPECT_EQ(xml_escape("\xed\xa0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a UTF-16 surrogate
}

TEST(ReportJunit, ValidatorRejectsInvalidDocuments) {
    // Required attributes missing (testsuite tests/failures/errors, testcase name).
    const auto missing = validate("<?xml version=\"1.0\"?>\n<testsuites><testsuite name=\"x\"><testcase/></testsuite></testsuites>\n");
    EXPECT_NE(missing.status, 0) << missing.output;
    EXPECT_NE(missing.output.find("fails to validate"), std::string::npos) << missing.output;
    // A real report with an element the schema does not allow.
    const testing::Fixture f;
    std::string xml = render_junit(f.input("out/junit.xml"));
    const auto at = xml.find("<testsuite ");
    ASSERT_NE(at, std::string::npos);
    xml.insert(at, "<bogus/>\n");
    const auto extra = validate(xml);
    EXPECT_NE(extra.status, 0) << extra.output;
    EXPECT_NE(extra.output.find("bogus"), std::string::npos) << extra.output;
    // Not even well-formed.
    const auto broken = validate("<testsuites><testsuite name=\"a & b\"></testsuites>");
    EXPECT_NE(broken.status, 0) << broken.output;
}

}  // namespace
}  // namespace threadmill

namespace threadmill {
namespace {

/// The testcase names of a document, in order.
std::vector<std::string> testcase_names(const std::string& xml) {
    std::vector<std::string> names;
    const std::string key = "<testcase name=\"";
    for (auto at = xml.find(key); at != std::string::npos; at = xml.find(key, at + 1)) {
        const auto value = at + key.size();
        const auto close = xml.find('"', value);
        if (close == std::string::npos) break;
        names.push_back(xml.substr(value, close - value));
    }
    return names;
}

/// Two seeds of one job, each run twice (`--seeds 2 --repeat 2`), starting at `first_seed`.
std::vector<JobResult> repeated_jobs(std::uint64_t first_seed) {
    std::vector<JobResult> jobs;
    int index = 0;
    for (std::uint64_t seed = first_seed; seed < first_seed + 2; ++seed) {
        for (int repeat = 0; repeat < 2; ++repeat) {
            JobResult j = harness_error_job();
            j.index = ++index;
            j.seed = seed;
            j.repeat = repeat;
            j.verdict = Verdict::pass;
            j.detections.clear();
            j.expectation_met = true;
            jobs.push_back(j);
        }
    }
    return jobs;
}

TEST(ReportJunit, NamesAreStableAcrossSeedsAndUniqueAcrossRepeats) {
    const std::string a = render_junit(SyntheticRun(repeated_jobs(7)).input());
    const std::string b = render_junit(SyntheticRun(repeated_jobs(123456789)).input());
    const auto names = testcase_names(a);
    EXPECT_EQ(names, testcase_names(b));  // another seed, the same names: CI history follows them
    EXPECT_EQ(names, (std::vector<std::string>{"safe · plain", "safe · plain #2", "safe · plain #3", "safe · plain #4"}));
    EXPECT_EQ(a.find("name=\"safe · plain · seed"), std::string::npos);
    EXPECT_NE(a.find("<system-out>seed: 7\n"), std::string::npos) << a;  // the seed is in the output
    EXPECT_NE(b.find("seed: 123456790 (repeat 2)"), std::string::npos) << b;
}

TEST(ReportJunit, JobsNotRunAfterAnInterruptAreSkipped) {
    auto jobs = repeated_jobs(7);
    const JobResult last = jobs.back();
    jobs.pop_back();
    SyntheticRun run(jobs);
    run.summary.interrupted = true;
    run.summary.not_run.push_back({last.index, last.scenario, last.scenario_path, last.target, last.variant, last.flavor,
                                   last.seed, last.repeat});
    const std::string xml = render_junit(run.input());
    EXPECT_EQ(attribute(xml, "<testsuites ", "tests"), "4");
    EXPECT_EQ(attribute(xml, "<testsuite name=\"broken-setup\"", "skipped"), "1");
    const std::string skipped = testcase(xml, "broken-setup", "safe · plain #4");
    EXPECT_NE(skipped.find("<skipped message=\"not run: the run was interrupted\"/>"), std::string::npos) << xml;
    // The same name as in the run that was not interrupted.
    EXPECT_EQ(testcase_names(xml), testcase_names(render_junit(SyntheticRun(repeated_jobs(7)).input())));
    const auto r = validate(xml);
    EXPECT_EQ(r.status, 0) << r.output;
}

}  // namespace
}  // namespace threadmill
