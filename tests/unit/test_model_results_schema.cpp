// results.jsonl against its published schema (docs/results-schema.json), with python3-jsonschema.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "tests/support/command.hpp"

namespace {

namespace fs = std::filesystem;

/// Runs tests/reports/validate_json.py on a results.jsonl (every line validated).
threadmill::testing::CommandResult validate(const std::string& file) {
    return threadmill::testing::run_command(
        fmt::format("/usr/bin/python3 '{0}/reports/validate_json.py' '{0}/../docs/results-schema.json' '{1}' --lines",
                    TM_TEST_DATA_DIR, file));
}

TEST(ResultsSchema, RecordedRunsAreValid) {
    for (const char* name : {"run.jsonl", "compare-a.jsonl", "compare-b.jsonl"}) {
        const auto v = validate(fmt::format("{}/reports/fixtures/{}", TM_TEST_DATA_DIR, name));
        EXPECT_EQ(v.status, 0) << name << ":\n" << v.output;
    }
}

TEST(ResultsSchema, AFreshRunIsValid) {
    const fs::path out = fs::temp_directory_path() / fmt::format("tm-schema-{}", ::getpid());
    fs::remove_all(out);
    const std::string cmd = fmt::format("cd '{}' && '{}' --worker-dir '{}' run scenarios/selftest --seed 9 --out '{}' -q >/dev/null 2>&1",
                                        TM_TEST_DATA_DIR, TM_DRIVER_PATH, TM_SELFTEST_WORKER_DIR, out.string());
    const int status = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 1);  // selftest/wrong-expectation misses on purpose
    const auto v = validate((out / "results.jsonl").string());
    EXPECT_EQ(v.status, 0) << v.output;
    fs::remove_all(out);
}

TEST(ResultsSchema, TheValidatorRejectsABrokenLine) {
    const fs::path bad = fs::temp_directory_path() / fmt::format("tm-schema-bad-{}.jsonl", ::getpid());
    std::ofstream(bad) << R"({"type":"run","schema_version":2})" << "\n"
                       << R"({"type":"job","index":0,"scenario":"s","target":"t","variant":"v","flavor":"plain","seed":1,)"
                       << R"("verdict":"maybe","expectation_met":true})" << "\n";
    const auto v = validate(bad.string());
    EXPECT_EQ(v.status, 1) << v.output;
    EXPECT_NE(v.output.find("document 1: at /: 'tool_version' is a required property"), std::string::npos) << v.output;
    EXPECT_NE(v.output.find("document 2: at /verdict"), std::string::npos) << v.output;
    EXPECT_NE(v.output.find("document 2: at /index"), std::string::npos) << v.output;
    fs::remove(bad);
}

}  // namespace
