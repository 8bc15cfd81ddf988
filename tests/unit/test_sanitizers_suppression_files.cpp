// Tests of sanitizers/suppression_files: the run's files (threadmill's, the project's), the
// files a job keeps for its flavor, and the merged files written into its folder.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "sanitizers/suppression_files.hpp"

namespace threadmill {
namespace {
namespace fs = std::filesystem;

struct TempDir {
    fs::path path = fs::temp_directory_path() / fmt::format("tm-supp-files-{}-{}", ::getpid(),
                                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    TempDir() { fs::create_directories(path); }
    ~TempDir() { fs::remove_all(path); }
    std::string write(const std::string& name, const std::string& text) const {
        std::ofstream(path / name) << text;
        return (path / name).string();
    }
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

TEST(SuppressionFiles, ThreadmillsOwnFilesAreCheckedPerRuntime) {
    const auto own = read_runtime_suppressions(TM_SOURCE_DIR "/sanitizers", k_origin_threadmill);
    EXPECT_EQ(own.size(), 4u);  // tsan, asan, ubsan and lsan .supp: each reads cleanly
    for (const auto& s : own) EXPECT_EQ(s.origin, "threadmill");

    const TempDir dir;
    dir.write("tsan.supp", "race:ok\nleak:misplaced\n");
    try {
        read_runtime_suppressions(dir.path.string(), k_origin_environment);
        FAIL() << "a leak pattern in tsan.supp must be refused";
    } catch (const SuppressionFileError& e) {
        EXPECT_EQ(std::string(e.what()),
                  fmt::format("{}:2:1: error: 'leak' suppresses lsan reports, and this file is read by tsan only; "
                              "move the line to lsan.supp",
                              (dir.path / "tsan.supp").string()));
    }
}

TEST(SuppressionFiles, TheProjectFileIsFoundBesideTheWorker) {
    const TempDir dir;
    EXPECT_TRUE(read_project_suppressions(dir.path.string()).empty());
    const auto path = dir.write("threadmill-suppressions.txt", "race:Mine\nleak:alloc_forever\n");
    const auto found = read_project_suppressions(dir.path.string());
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].origin, "project");
    EXPECT_EQ(found[0].path, path);
    EXPECT_EQ(found[0].patterns.size(), 2u);

    dir.write("threadmill-suppressions.txt", "race:Mine\nrcae:typo\n");
    EXPECT_THROW(read_project_suppressions(dir.path.string()), SuppressionFileError);
}

TEST(SuppressionFiles, AJobKeepsTheFilesForItsFlavorsRuntimesAndWritesThemMerged) {
    const TempDir dir;
    const std::vector<SuppressionSource> run = {
        {"project", "/w/threadmill-suppressions.txt", {{"tsan", "race:Mine", 1}, {"lsan", "leak:alloc", 2}}},
        {"threadmill", "/share/ubsan.supp", {{"ubsan", "alignment:packed.cpp", 3}}},
    };
    Scenario sc;
    sc.suppressions = {{"scenario", "/s/x.supp", {{"tsan", "race:Theirs", 1}}}};

    const auto tsan = job_suppressions(run, sc, "tsan");
    ASSERT_EQ(tsan.size(), 2u);  // the ubsan-only file is not the tsan job's
    EXPECT_EQ(tsan[0].patterns.size(), 1u);  // leak:alloc is not for tsan
    EXPECT_EQ(tsan[1].origin, "scenario");
    EXPECT_TRUE(job_suppressions(run, sc, "plain").empty());

    write_job_suppressions((dir.path / "suppressions").string(), "tsan", tsan);
    const std::string merged = slurp(dir.path / "suppressions" / "tsan.supp");
    EXPECT_NE(merged.find("\nrace:Mine\n"), std::string::npos) << merged;
    EXPECT_NE(merged.find("\nrace:Theirs\n"), std::string::npos) << merged;
    EXPECT_FALSE(fs::exists(dir.path / "suppressions" / "lsan.supp"));

    const auto asan = job_suppressions(run, sc, "asan");
    write_job_suppressions((dir.path / "asan").string(), "asan", asan);
    for (const char* name : {"asan.supp", "ubsan.supp", "lsan.supp"}) EXPECT_TRUE(fs::exists(dir.path / "asan" / name)) << name;
    EXPECT_NE(slurp(dir.path / "asan" / "lsan.supp").find("\nleak:alloc\n"), std::string::npos);
}

// A scenario whose worker folder is also the run's (by another spelling) merges its project file once.
TEST(SuppressionFiles, AProjectFileTheRunHasAlreadyIsMergedOnce) {
    const TempDir dir;
    const auto path = dir.write("threadmill-suppressions.txt", "race:Mine\n");
    fs::create_directories(dir.path / "sub");
    const std::vector<SuppressionSource> run = {{"project", path, {{"tsan", "race:Mine", 1}}}};
    Scenario sc;
    sc.suppressions = {{"project", (dir.path / "sub" / ".." / "threadmill-suppressions.txt").string(), {{"tsan", "race:Mine", 1}}}};
    EXPECT_EQ(job_suppressions(run, sc, "tsan").size(), 1u);
    sc.suppressions[0].path = (dir.path / "sub" / "threadmill-suppressions.txt").string();  // another folder's
    EXPECT_EQ(job_suppressions(run, sc, "tsan").size(), 2u);
}

}  // namespace
}  // namespace threadmill
