// Tests of model/bugs: reports grouped into distinct bugs by kind family and user location, fingerprints kept.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "model/bugs.hpp"
#include "sanitizers/parser.hpp"

namespace threadmill {
namespace {
namespace fs = std::filesystem;

std::string fixture(const std::string& compiler, const std::string& name) {
    std::ifstream in(fs::path(TM_TEST_DATA_DIR) / "sanitizers" / "fixtures" / compiler / (name + ".txt"));
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

JobResult job_with(std::vector<Finding> findings, std::uint64_t seed = 1) {
    JobResult j;
    j.scenario = "fixture";
    j.variant = "v";
    j.flavor = "asan";
    j.seed = seed;
    j.findings = std::move(findings);
    return j;
}

Frame user_frame(const std::string& file, int line, const std::string& function) {
    Frame f;
    f.file = file;
    f.line = line;
    f.function = function;
    f.user = true;
    return f;
}

Finding finding(FindingKind kind, const std::string& kind_name, const std::string& fingerprint,
                std::optional<Frame> where) {
    Finding f;
    f.kind = kind;
    f.kind_name = kind_name;
    f.check = kind_name.starts_with("ub:") ? kind_name.substr(3) : "";
    f.fingerprint = fingerprint;
    f.user_frame = std::move(where);
    return f;
}

class BugsFixtures : public ::testing::TestWithParam<std::string> {};
INSTANTIATE_TEST_SUITE_P(Compilers, BugsFixtures, ::testing::Values("gcc", "clang"),
                         [](const auto& info) { return info.param; });

// One misplaced std::vector: gcc's UBSan reports it 68 times from inside libstdc++ (vector, allocator,
// construct, ...), clang's 3 times from the program's own lines; either way it is one place to fix.
TEST_P(BugsFixtures, ReportsInLibraryFramesAtOneUserLocationAreOneBug) {
    const auto findings = parse_sanitizer_output(fixture(GetParam(), "ub_in_library"));
    ASSERT_GE(findings.size(), 3u);
    std::vector<std::string> fingerprints;
    for (const auto& f : findings) {
        ASSERT_TRUE(f.user_frame) << f.raw;
        EXPECT_EQ(f.user_frame->function, "fill_list(int)");
        if (std::find(fingerprints.begin(), fingerprints.end(), f.fingerprint) == fingerprints.end())
            fingerprints.push_back(f.fingerprint);
    }
    const std::vector<JobResult> jobs = {job_with(findings)};
    const auto bugs = distinct_bugs(jobs);
    ASSERT_EQ(bugs.size(), 1u);
    EXPECT_EQ(bugs[0].reports, static_cast<int>(findings.size()));
    EXPECT_EQ(bugs[0].fingerprints, fingerprints);  // every sub-fingerprint kept, in order
    EXPECT_EQ(bugs[0].kinds.front(), "ub:misaligned-pointer-use");
    EXPECT_EQ(bugs[0].first, &jobs[0].findings[0]);
    // gcc's reports point into many places of libstdc++ (stl_vector.h:526, :312, new_allocator.h, ...).
    std::set<std::string> library_lines;
    for (const auto& f : findings) {
        if (f.headline.starts_with("/usr/")) library_lines.insert(f.headline.substr(0, f.headline.find(": runtime error")));
    }
    if (GetParam() == "gcc") {
        EXPECT_GT(library_lines.size(), 10u);
    }
}

TEST(Bugs, DifferentUserLocationsAreDifferentBugs) {
    const auto findings = parse_sanitizer_output(fixture("gcc", "ub_with_asan"));
    ASSERT_EQ(findings.size(), 2u);
    const std::vector<JobResult> jobs = {job_with(findings)};
    EXPECT_EQ(distinct_bugs(jobs).size(), 2u);
}

TEST(Bugs, TheKindFamilyIsPartOfTheKey) {
    const Frame at = user_frame("/src/q.cpp", 12, "Queue::push(int)");
    const std::vector<JobResult> jobs = {job_with({
        finding(FindingKind::data_race, "data-race", "aaaa", at),
        finding(FindingKind::heap_use_after_free, "heap-use-after-free", "bbbb", at),
        finding(FindingKind::undefined_behavior, "ub:misaligned-pointer-use", "cccc", at),
        finding(FindingKind::undefined_behavior, "ub:null-pointer-use", "dddd", at),
        finding(FindingKind::double_free, "double-free", "eeee", at),
    })};
    const auto bugs = distinct_bugs(jobs);
    ASSERT_EQ(bugs.size(), 3u);  // the race; the memory errors; the undefined behavior
    EXPECT_EQ(bugs[0].kinds, std::vector<std::string>{"data-race"});
    EXPECT_EQ(bugs[1].kinds, (std::vector<std::string>{"heap-use-after-free", "double-free"}));
    EXPECT_EQ(bugs[2].kinds, (std::vector<std::string>{"ub:misaligned-pointer-use", "ub:null-pointer-use"}));
    EXPECT_EQ(bugs[2].fingerprints, (std::vector<std::string>{"cccc", "dddd"}));
    EXPECT_EQ(bug_family(*bugs[0].first), "race");
    EXPECT_EQ(bug_family(*bugs[1].first), "memory");
    EXPECT_EQ(bug_family(*bugs[2].first), "ub");
}

TEST(Bugs, TheKeyIgnoresLinesArgumentsAndWhereTheTreeIsCheckedOut) {
    const auto a = finding(FindingKind::data_race, "data-race", "1", user_frame("/home/a/src/q.cpp", 12, "ns::Queue::size() const"));
    const auto b = finding(FindingKind::data_race, "data-race", "2", user_frame("/ci/build/src/q.cpp", 40, "ns::Queue::size()"));
    const auto c = finding(FindingKind::data_race, "data-race", "3", user_frame("/ci/build/src/q.cpp", 12, "ns::Queue::push(int)"));
    EXPECT_EQ(bug_key(a), bug_key(b));
    EXPECT_NE(bug_key(a), bug_key(c));
    EXPECT_EQ(bug_key(a), "race|q.cpp|size");
    EXPECT_EQ(bug_id(bug_key(a)).size(), 16u);
    EXPECT_EQ(bug_id(bug_key(a)), bug_id(bug_key(b)));
}

TEST(Bugs, WithoutLineInformationTheModuleAndFunctionLocateTheBug) {
    Frame release;
    release.function = "ns::Queue::size()";
    release.module = "/opt/w/threadmill-worker-tsan+0x1234";
    release.user = true;
    Frame other = release;
    other.module = "/opt/w/threadmill-worker-tsan+0x99";
    EXPECT_EQ(bug_key(finding(FindingKind::data_race, "data-race", "1", release)), "race|threadmill-worker-tsan|size");
    EXPECT_EQ(bug_key(finding(FindingKind::data_race, "data-race", "1", release)),
              bug_key(finding(FindingKind::data_race, "data-race", "2", other)));
}

TEST(Bugs, AReportWithoutAUserFrameIsItsOwnBug) {
    const std::vector<JobResult> jobs = {job_with({
        finding(FindingKind::undefined_behavior, "ub:misaligned-pointer-use", "f1", std::nullopt),
        finding(FindingKind::undefined_behavior, "ub:misaligned-pointer-use", "f2", std::nullopt),
        finding(FindingKind::undefined_behavior, "ub:misaligned-pointer-use", "f1", std::nullopt),
    })};
    const auto bugs = distinct_bugs(jobs);
    ASSERT_EQ(bugs.size(), 2u);
    EXPECT_EQ(bugs[0].reports, 2);
    EXPECT_EQ(bugs[0].key, "ub|f1");
}

Access access(const std::string& kind, std::vector<std::string> mutexes, Frame top) {
    Access a;
    a.kind = kind;
    a.mutexes = std::move(mutexes);
    Frame runtime;
    runtime.function = "__tsan_read8";
    a.stack.frames = {runtime, std::move(top)};
    return a;
}

// One unlocked size() racing with locked writers, printed in either order and with different writers: one
// bug, at size(), whatever the fingerprints say.
TEST(Bugs, ARaceIsLocatedAtItsOnlyUnlockedAccess) {
    const Frame size = user_frame("/src/third_party/channel.hpp", 30, "Channel::size() const");
    const Frame push = user_frame("/src/third_party/channel.hpp", 20, "Channel::push(int)");
    const Frame pop = user_frame("/src/third_party/channel.hpp", 25, "Channel::pop()");
    std::vector<Finding> reports;
    for (const auto& [writer, writer_first, fp] : {std::tuple{push, false, "f1"}, std::tuple{push, true, "f2"},
                                                   std::tuple{pop, false, "f3"}, std::tuple{pop, true, "f4"}}) {
        Finding f = finding(FindingKind::data_race, "data-race", fp, std::nullopt);
        f.accesses = {access("read", {}, size), access("write", {"M1"}, writer)};
        if (writer_first) std::swap(f.accesses[0], f.accesses[1]);
        f.user_frame = f.accesses[0].stack.frames[1];
        reports.push_back(std::move(f));
    }
    const std::vector<JobResult> jobs = {job_with(reports)};
    const auto bugs = distinct_bugs(jobs);
    ASSERT_EQ(bugs.size(), 1u);
    EXPECT_EQ(bugs[0].key, "race|channel.hpp|size");
    ASSERT_NE(bugs[0].where, nullptr);
    EXPECT_EQ(bugs[0].where->line, 30);
    EXPECT_EQ(bugs[0].fingerprints.size(), 4u);

    // Both accesses unlocked (or both locked): the access the runtime printed first.
    Finding both = reports[1];
    both.accesses[0].mutexes.clear();
    EXPECT_EQ(bug_location(both)->function, "Channel::push(int)");
}

TEST(Bugs, CountsReportsAndJobsOverTheRun) {
    const Frame at = user_frame("/src/q.cpp", 12, "Queue::size()");
    const std::vector<JobResult> jobs = {
        job_with({finding(FindingKind::data_race, "data-race", "x", at), finding(FindingKind::data_race, "data-race", "y", at)}, 1),
        job_with({}, 2),
        job_with({finding(FindingKind::data_race, "data-race", "x", at)}, 3),
    };
    const auto bugs = distinct_bugs(jobs);
    ASSERT_EQ(bugs.size(), 1u);
    EXPECT_EQ(bugs[0].reports, 3);
    ASSERT_EQ(bugs[0].jobs.size(), 2u);
    EXPECT_EQ(bugs[0].jobs[1], &jobs[2]);
    EXPECT_EQ(bugs[0].first_job, &jobs[0]);
    EXPECT_EQ(bugs[0].fingerprints.size(), 2u);
}

}  // namespace
}  // namespace threadmill
