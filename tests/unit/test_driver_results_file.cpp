// Tests of reading, merging and writing results.jsonl (driver/results_file.cpp).
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "driver/results_file.hpp"
#include "model/paths.hpp"

namespace threadmill {
namespace {

namespace fs = std::filesystem;

class ResultsFileTest : public ::testing::Test {
protected:
    fs::path dir = fs::temp_directory_path() /
                   ("tm-results-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name());
    void SetUp() override { fs::create_directories(dir); }
    void TearDown() override { fs::remove_all(dir); }
    std::string write(const std::string& name, const std::string& text) {
        const auto p = dir / name;
        fs::create_directories(p.parent_path());
        std::ofstream(p) << text;
        return p.string();
    }
    static std::string message_of(const std::string& path, bool strict = true) {
        try {
            read_results_file(path, strict);
        } catch (const std::runtime_error& e) {
            return e.what();
        }
        return "(no error)";
    }
};

std::string testing_read(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

const char* k_context = R"({"type":"run","schema_version":2,"tool_version":"0.1.0","seeds":[7],"flavors":[{"name":"plain","flags":""}]})";
std::string job_line(int index, const std::string& dir = "") {
    return R"({"type":"job","index":)" + std::to_string(index) +
           R"(,"scenario":"s","target":"t","variant":"safe","flavor":"plain","seed":7,"verdict":"pass","job_dir":")" + dir +
           R"("})";
}

TEST_F(ResultsFileTest, ReadsTheRecordedFixture) {
    const auto run = read_results_file(std::string(TM_TEST_DATA_DIR) + "/reports/fixtures/run.jsonl");
    EXPECT_EQ(run.context.schema_version, 2);
    EXPECT_EQ(run.context.merged_from.size(), 2u);
    EXPECT_EQ(run.jobs.size(), 29u);
    EXPECT_TRUE(run.warnings.empty());
    for (std::size_t i = 0; i < run.jobs.size(); ++i) EXPECT_EQ(run.jobs[i].index, static_cast<int>(i + 1));
}

TEST_F(ResultsFileTest, ALastLineCutShortIsSkippedWithAWarning) {
    const auto p = write("r.jsonl", std::string(k_context) + "\n" + job_line(1) + "\n" + R"({"type":"job","ind)");
    const auto run = read_results_file(p);
    EXPECT_EQ(run.jobs.size(), 1u);
    ASSERT_EQ(run.warnings.size(), 1u);
    EXPECT_NE(run.warnings[0].find("r.jsonl:3: skipped a line cut short"), std::string::npos) << run.warnings[0];
}

TEST_F(ResultsFileTest, ErrorsNameTheLine) {
    EXPECT_NE(message_of(write("a.jsonl", std::string(k_context) + "\n{oops\n" + job_line(2) + "\n")).find("a.jsonl:2: not JSON"),
              std::string::npos);
    EXPECT_NE(message_of(write("b.jsonl", job_line(1) + "\n")).find("b.jsonl:1: a job line before the context line"),
              std::string::npos);
    EXPECT_NE(message_of(write("c.jsonl", R"({"type":"run","schema_version":99})" "\n")).find("schema version 99 is newer"),
              std::string::npos);
    EXPECT_NE(message_of(write("d.jsonl", std::string(k_context) + "\n" + k_context + "\n")).find("d.jsonl:2: a second context line"),
              std::string::npos);
    EXPECT_NE(message_of(write("e.jsonl", "")).find("empty file"), std::string::npos);
    EXPECT_NE(message_of((dir / "missing.jsonl").string()).find("cannot read"), std::string::npos);
    EXPECT_NE(message_of(write("f.jsonl", std::string(k_context) + "\n" + R"({"type":"job","index":1})" + "\n")).find("f.jsonl:2:"),
              std::string::npos);
}

TEST_F(ResultsFileTest, ABadLineInTheMiddleIsSkippedWithALocatedWarningUnlessStrict) {
    const std::string text = std::string(k_context) + "\n" + job_line(1) + "\n{garbage\n" + job_line(2) + "\n" +
                             R"({"type":"job","index":3})" + "\n" + R"({"type":"mystery"})" + "\n" + job_line(4) + "\n";
    const auto p = write("g.jsonl", text);
    const auto run = read_results_file(p);
    ASSERT_EQ(run.jobs.size(), 3u);
    EXPECT_EQ(run.jobs[2].index, 4);
    ASSERT_EQ(run.warnings.size(), 3u);
    EXPECT_NE(run.warnings[0].find("g.jsonl:3: skipped a line that is not a job record (not JSON"), std::string::npos)
        << run.warnings[0];
    EXPECT_NE(run.warnings[1].find("g.jsonl:5: skipped"), std::string::npos) << run.warnings[1];
    EXPECT_NE(run.warnings[2].find("g.jsonl:6: skipped a line that is not a job record (unknown line type 'mystery')"),
              std::string::npos)
        << run.warnings[2];
    EXPECT_NE(message_of(p, true).find("g.jsonl:3: not JSON"), std::string::npos);
    // Lines before the context line are never skipped: the file may not be a results file at all.
    EXPECT_NE(message_of(write("h.jsonl", "{garbage\n" + std::string(k_context) + "\n"), false).find("h.jsonl:1: not JSON"),
              std::string::npos);
}

// Found by fuzz_results_reader (fuzz/regressions/fuzz_results_reader/histogram-bucket-out-of-range.jsonl):
// a job line whose histogram names a bucket past the last one escaped as std::out_of_range.
TEST_F(ResultsFileTest, AHistogramBucketOutOfRangeIsABadJobLine) {
    const std::string bad = R"({"type":"job","index":2,"scenario":"s","target":"t","variant":"safe","flavor":"plain",)"
                            R"("seed":7,"verdict":"pass","measurement":{"wall_seconds":1,"total_ops":1,"ops":[{"name":"get",)"
                            R"("count":1,"histogram":{"buckets":[[68537,1]],"sum":1}}]}})";
    const auto p = write("i.jsonl", std::string(k_context) + "\n" + job_line(1) + "\n" + bad + "\n" + job_line(3) + "\n");
    const auto run = read_results_file(p);
    EXPECT_EQ(run.jobs.size(), 2u);
    ASSERT_EQ(run.warnings.size(), 1u);
    EXPECT_NE(run.warnings[0].find("i.jsonl:3: skipped a line that is not a job record (histogram bucket 68537 is out of range"),
              std::string::npos)
        << run.warnings[0];
    EXPECT_NE(message_of(p, true).find("i.jsonl:3: histogram bucket 68537"), std::string::npos) << message_of(p, true);
}

// Found by fuzz_results_reader (fuzz/regressions/fuzz_results_reader/*-float-out-of-range.jsonl): a
// floating-point number read into an integer field that cannot hold it (undefined behaviour).
TEST_F(ResultsFileTest, ANumberOutOfRangeForItsFieldIsRefused) {
    EXPECT_NE(message_of(write("j.jsonl", R"({"type":"run","schema_version":1e300,"seeds":[7]})" "\n"), false)
                  .find("j.jsonl:1: 'schema_version': the number 1e+300 is out of range"),
              std::string::npos);
    const std::string bad_index = R"({"type":"job","index":1e10,"scenario":"s","verdict":"pass"})";
    const auto p = write("k.jsonl", std::string(k_context) + "\n" + bad_index + "\n" + job_line(2) + "\n");
    const auto run = read_results_file(p);
    EXPECT_EQ(run.jobs.size(), 1u);
    ASSERT_EQ(run.warnings.size(), 1u);
    EXPECT_NE(run.warnings[0].find("k.jsonl:2: skipped a line that is not a job record ('index': the number 10000000000 is out of range)"),
              std::string::npos)
        << run.warnings[0];
    // Large floating-point figures where the model holds a double are kept.
    const std::string big_sum = R"({"type":"job","index":3,"scenario":"s","target":"t","variant":"safe","flavor":"plain",)"
                                R"("seed":7,"verdict":"pass","measurement":{"wall_seconds":1,)"
                                R"("total_ops":1,"throughput":5e12,"ops":[{"name":"get","count":1,"histogram":{"buckets":[[1,1]],"sum":3e15}}]}})";
    EXPECT_EQ(read_results_file(write("l.jsonl", std::string(k_context) + "\n" + big_sum + "\n")).jobs.size(), 1u);
}

// Found by fuzz_results_reader (fuzz/regressions/fuzz_results_reader/number-overflow.jsonl): a number
// too large for a double (30E7986369) made the JSON parser throw out_of_range, not parse_error, and the
// reader let it escape.
TEST_F(ResultsFileTest, ANumberNoDoubleHoldsIsABadLine) {
    const std::string huge = R"({"type":"job","index":2,"scenario":"s","seed":30E7986369,"verdict":"pass"})";
    const auto p = write("m.jsonl", std::string(k_context) + "\n" + huge + "\n" + job_line(3) + "\n");
    const auto run = read_results_file(p);
    EXPECT_EQ(run.jobs.size(), 1u);
    ASSERT_EQ(run.warnings.size(), 1u);
    EXPECT_NE(run.warnings[0].find("m.jsonl:2: skipped a line that is not a job record (not JSON: "), std::string::npos)
        << run.warnings[0];
    EXPECT_NE(message_of(p, true).find("m.jsonl:2: not JSON"), std::string::npos) << message_of(p, true);
}

TEST_F(ResultsFileTest, MergeRenumbersAndKeepsJobFoldersReachable) {
    const auto a = write("shard1/results.jsonl", std::string(k_context) + "\n" + job_line(1, "jobs/0001-x") + "\n");
    const auto b = write("shard2/results.jsonl",
                         std::string(R"({"type":"run","schema_version":2,"seeds":[8],"flavors":[{"name":"tsan","flags":"-fsanitize=thread"}]})") +
                             "\n" + job_line(1, "jobs/0001-y") + "\n" + job_line(2, "jobs/0002-z") + "\n");
    const auto merged = merge_results({read_results_file(a), read_results_file(b)}, (dir / "all").string());
    ASSERT_EQ(merged.jobs.size(), 3u);
    EXPECT_EQ(merged.jobs[2].index, 3);
    EXPECT_EQ(merged.jobs[0].job_dir, "../shard1/jobs/0001-x");
    EXPECT_EQ(merged.jobs[2].job_dir, "../shard2/jobs/0002-z");
    EXPECT_EQ(merged.context.seeds, (std::vector<std::uint64_t>{7, 8}));
    EXPECT_EQ(merged.context.flavors.size(), 2u);
    EXPECT_EQ(merged.context.merged_from, (std::vector<std::string>{a, b}));

    const auto out = (dir / "all" / "results.jsonl").string();
    write_results_file(merged, out);
    const auto back = read_results_file(out);
    EXPECT_EQ(back.jobs.size(), 3u);
    EXPECT_EQ(back.context.merged_from.size(), 2u);
    EXPECT_EQ(back.jobs[1].job_dir, "../shard2/jobs/0001-y");
    fs::create_directories(dir / "shard1" / "jobs" / "0001-x");
    EXPECT_TRUE(fs::is_directory(fs::path(out).parent_path() / back.jobs[0].job_dir));
}

TEST_F(ResultsFileTest, TheContextRecordsEveryWorkerBuildAndOlderFilesStillRead) {
    // Schema 3 knew nothing of the workers: its files read, with none listed.
    const auto old = write("old/results.jsonl", R"({"type":"run","schema_version":3,"planned":1,"seeds":[7]})"
                                                "\n" + job_line(1) + "\n");
    const auto old_run = read_results_file(old);
    EXPECT_EQ(old_run.context.schema_version, 3);
    EXPECT_TRUE(old_run.context.workers.empty());

    RunContext c;
    c.seeds = {7};
    WorkerBuild build{"GNU 12.2.0", "-O2 -g -fsanitize=thread", "RelWithDebInfo", "tsan", "buggy"};
    c.workers = {{"/w/threadmill-worker", "plain", "", std::nullopt},
                 {"/w/variants/buggy/threadmill-worker-tsan", "tsan", "buggy", build}};
    const auto path = (dir / "new" / "results.jsonl").string();
    fs::create_directories(dir / "new");
    {
        ResultsWriter writer(path, c);
    }
    const auto run = read_results_file(path);
    EXPECT_EQ(run.context.schema_version, k_results_schema_version);
    ASSERT_EQ(run.context.workers.size(), 2u);
    EXPECT_EQ(run.context.workers[0].path, "/w/threadmill-worker");
    EXPECT_FALSE(run.context.workers[0].build.has_value());
    const WorkerUse& w = run.context.workers[1];
    EXPECT_EQ(w.variant_build, "buggy");
    EXPECT_EQ(w.flavor, "tsan");
    ASSERT_TRUE(w.build.has_value());
    EXPECT_EQ(w.build->compiler, "GNU 12.2.0");
    EXPECT_EQ(w.build->compile_flags, "-O2 -g -fsanitize=thread");
    EXPECT_EQ(w.build->variant_build, "buggy");

    // A merge lists the workers of every file, each once.
    const auto merged = merge_results({old_run, run, run}, (dir / "all").string());
    EXPECT_EQ(merged.context.workers.size(), 2u);
}

TEST_F(ResultsFileTest, LockstepOutcomesRoundTripAndOtherJobsGoWithout) {
    JobResult lockstep;
    lockstep.index = 1;
    lockstep.scenario = "litmus";
    lockstep.target = "t";
    lockstep.variant = "lossy";
    lockstep.flavor = "plain";
    lockstep.verdict = Verdict::fail;
    lockstep.measurement = Measurement{};
    lockstep.measurement->rounds = 100;
    lockstep.measurement->outcomes = {{"2", 97}, {"1", 3}};
    lockstep.measurement->outcomes_uncounted = 4;
    lockstep.outcomes = {{"2", 97, 0.97, OutcomeGrade::acceptable, "both"},
                         {"1", 3, 0.03, OutcomeGrade::forbidden, "one lost"},
                         {"0", 0, 0, OutcomeGrade::interesting, ""}};
    JobResult plain = lockstep;
    plain.index = 2;
    plain.measurement->outcomes.clear();
    plain.measurement->outcomes_uncounted = 0;
    plain.outcomes.clear();
    const auto path = (dir / "results.jsonl").string();
    {
        ResultsWriter writer(path, RunContext{});
        writer.append(lockstep);
        writer.append(plain);
    }
    const auto run = read_results_file(path);
    ASSERT_EQ(run.jobs.size(), 2u);
    const JobResult& back = run.jobs[0];
    ASSERT_EQ(back.outcomes.size(), 3u);
    EXPECT_EQ(back.outcomes[1].result, "1");
    EXPECT_EQ(back.outcomes[1].count, 3u);
    EXPECT_DOUBLE_EQ(back.outcomes[1].frequency, 0.03);
    EXPECT_EQ(back.outcomes[1].grade, OutcomeGrade::forbidden);
    EXPECT_EQ(back.outcomes[1].desc, "one lost");
    EXPECT_EQ(back.outcomes[2].grade, OutcomeGrade::interesting);
    ASSERT_TRUE(back.measurement);
    ASSERT_EQ(back.measurement->outcomes.size(), 2u);
    EXPECT_EQ(back.measurement->outcomes[0].result, "2");
    EXPECT_EQ(back.measurement->outcomes[0].count, 97u);
    EXPECT_EQ(back.measurement->outcomes_uncounted, 4u);
    EXPECT_EQ(nlohmann::json(back), nlohmann::json(lockstep));
    // A job that is not lockstep writes no outcome keys at all.
    const std::string text = testing_read(path);
    const auto second = text.find("\"index\":2");
    ASSERT_NE(second, std::string::npos);
    EXPECT_EQ(text.find("outcomes", second), std::string::npos) << text.substr(second);
    // An unknown grade is a bad line.
    const auto bad = write("bad.jsonl", std::string(k_context) + "\n" +
                                            R"({"type":"job","index":1,"scenario":"s","target":"t","variant":"safe",)"
                                            R"("flavor":"plain","seed":7,"verdict":"pass","outcomes":[{"result":"1",)"
                                            R"("count":1,"frequency":1,"grade":"fine","desc":""}]})" "\n");
    EXPECT_NE(message_of(bad).find("unknown outcome grade 'fine'"), std::string::npos) << message_of(bad);
}

TEST_F(ResultsFileTest, TheScheduleOfAJobRoundTripsAndOlderLinesReadWithout) {
    JobResult job;
    job.index = 1;
    job.scenario = "s";
    job.target = "t";
    job.variant = "safe";
    job.flavor = "plain";
    job.verdict = Verdict::pass;
    job.measurement = Measurement{};
    job.measurement->schedule = {{"pct", 0, 0}, {"none", 0.25, 1200}, {"uniform+spread", 0.5, 2400}};
    const auto path = (dir / "results.jsonl").string();
    {
        ResultsWriter writer(path, RunContext{});
        writer.append(job);
    }
    const auto run = read_results_file(path);
    ASSERT_EQ(run.jobs.size(), 1u);
    ASSERT_TRUE(run.jobs[0].measurement);
    const auto& schedule = run.jobs[0].measurement->schedule;
    ASSERT_EQ(schedule.size(), 3u);
    EXPECT_EQ(schedule[1].strategy, "none");
    EXPECT_DOUBLE_EQ(schedule[1].start_seconds, 0.25);
    EXPECT_EQ(schedule[2].start_ops, 2400u);
    EXPECT_EQ(nlohmann::json(run.jobs[0]), nlohmann::json(job));
    // A measurement written before schedules existed reads with none.
    const auto old = nlohmann::json::parse(R"({"wall_seconds": 1, "total_ops": 5})").get<Measurement>();
    EXPECT_TRUE(old.schedule.empty());
}

const char* k_context3 = R"({"type":"run","schema_version":3,"planned":3,"seeds":[7]})";
std::string end_line(int planned, int ran, bool interrupted = false, const std::string& error = "") {
    return R"({"type":"run_end","planned":)" + std::to_string(planned) + R"(,"ran":)" + std::to_string(ran) +
           R"(,"interrupted":)" + (interrupted ? "true" : "false") + R"(,"error":")" + error +
           R"(","elapsed_seconds":1.5,"end_time":"2026-01-01T00:00:00Z"})";
}

TEST_F(ResultsFileTest, TheClosingLineTellsACompleteRunFromAnIncompleteOne) {
    const std::string jobs = job_line(1) + "\n" + job_line(2) + "\n";
    auto run = read_results_file(write("done.jsonl", std::string(k_context3) + "\n" + jobs + end_line(2, 2) + "\n"));
    ASSERT_TRUE(run.end.has_value());
    EXPECT_EQ(run.end->ran, 2);
    EXPECT_EQ(run.end->elapsed_seconds, 1.5);
    EXPECT_EQ(incomplete_run(run), std::nullopt);

    // Schema 3 without its closing line: the driver never got to the end.
    run = read_results_file(write("cut.jsonl", std::string(k_context3) + "\n" + jobs));
    EXPECT_FALSE(run.end.has_value());
    EXPECT_EQ(planned_jobs(run), 3);
    ASSERT_TRUE(incomplete_run(run).has_value());
    EXPECT_NE(incomplete_run(run)->find("incomplete run (2 jobs of 3 planned): the file has no closing line"), std::string::npos)
        << *incomplete_run(run);

    run = read_results_file(write("int.jsonl", std::string(k_context3) + "\n" + jobs + end_line(3, 2, true) + "\n"));
    EXPECT_EQ(incomplete_run(run).value_or(""), "incomplete run (2 jobs of 3 planned): it was interrupted");
    run = read_results_file(write("err.jsonl", std::string(k_context3) + "\n" + jobs + end_line(3, 2, false, "disk full") + "\n"));
    EXPECT_EQ(incomplete_run(run).value_or(""), "incomplete run (2 jobs of 3 planned): disk full");

    // A file from before closing lines cannot say, so it is not called incomplete.
    run = read_results_file(write("old.jsonl", std::string(k_context) + "\n" + jobs));
    EXPECT_EQ(incomplete_run(run), std::nullopt);
    EXPECT_EQ(planned_jobs(run), 2);

    // A job after the closing line is skipped with a warning (refused with strict).
    run = read_results_file(write("after.jsonl", std::string(k_context3) + "\n" + job_line(1) + "\n" + end_line(1, 1) + "\n" +
                                                 job_line(2) + "\n"));
    EXPECT_EQ(run.jobs.size(), 1u);
    ASSERT_EQ(run.warnings.size(), 1u);
    EXPECT_NE(run.warnings[0].find("after.jsonl:4: skipped a line that is not a job record (a job line after the closing line)"),
              std::string::npos)
        << run.warnings[0];
    EXPECT_NE(message_of((dir / "after.jsonl").string()).find("after.jsonl:4: a job line after the closing line"),
              std::string::npos);
}

TEST_F(ResultsFileTest, AMergeOfCompleteRunsIsCompleteAndOfAnIncompleteOneIsNot) {
    const auto a = write("a/results.jsonl", std::string(k_context3) + "\n" + job_line(1) + "\n" + end_line(1, 1) + "\n");
    const auto b = write("b/results.jsonl",
                         std::string(k_context3) + "\n" + job_line(1) + "\n" + job_line(2) + "\n" + end_line(2, 2) + "\n");
    const auto cut = write("c/results.jsonl", std::string(k_context3) + "\n" + job_line(1) + "\n");
    // k_context3 says 3 planned: the closing lines are what make a and b complete.
    auto merged = merge_results({read_results_file(a), read_results_file(b)}, (dir / "all").string());
    ASSERT_TRUE(merged.end.has_value());
    EXPECT_EQ(incomplete_run(merged), std::nullopt);
    EXPECT_EQ(merged.context.planned, 6);
    EXPECT_EQ(merged.end->ran, 3);
    EXPECT_EQ(merged.end->elapsed_seconds, 3.0);

    const auto out = (dir / "all" / "results.jsonl").string();
    write_results_file(merged, out);
    const auto back = read_results_file(out, true);
    ASSERT_TRUE(back.end.has_value());
    EXPECT_EQ(incomplete_run(back), std::nullopt);
    EXPECT_EQ(back.end->ran, 3);

    merged = merge_results({read_results_file(a), read_results_file(cut)}, (dir / "all").string());
    ASSERT_TRUE(incomplete_run(merged).has_value());
    EXPECT_NE(incomplete_run(merged)->find("incomplete run (2 jobs of 6 planned): merged " + cut + ", an incomplete run (1 job of 3 planned)"),
              std::string::npos)
        << *incomplete_run(merged);
}

TEST_F(ResultsFileTest, AWriteThatFailsNamesTheFileAndTheOsError) {
    try {
        ResultsWriter w("/dev/full", RunContext{});
        ADD_FAILURE() << "/dev/full took the context line";
    } catch (const WriteError& e) {
        EXPECT_STREQ(e.what(), "cannot write /dev/full: No space left on device");
    }
}

TEST_F(ResultsFileTest, ALineCutShortByAFileSizeLimitIsTakenBackAndTheRunStillCloses) {
    const std::string path = (dir / "limited.jsonl").string();
    JobResult small;
    small.index = 1;
    JobResult big = small;
    big.index = 2;
    big.worker_log = std::string(8192, 'x');
    // In a child process: the file may not grow past 4 KiB, as on a nearly full disk.
    const auto write_under_limit = [&] {
        ::signal(SIGXFSZ, SIG_IGN);
        rlimit limit{};
        limit.rlim_cur = limit.rlim_max = 4096;
        ::setrlimit(RLIMIT_FSIZE, &limit);
        ResultsWriter w(path, RunContext{});
        w.append(small);
        try {
            w.append(big);
        } catch (const WriteError& e) {
            std::fprintf(stderr, "%s\n", e.what());
            RunEnd end;
            end.planned = 2;
            end.ran = 1;
            end.error = e.what();
            w.finish(end);
            std::_Exit(0);  // no exit handlers (a leak check) in the child
        }
        std::_Exit(1);
    };
    EXPECT_EXIT(write_under_limit(), ::testing::ExitedWithCode(0), "cannot write .*limited.jsonl: File too large");
    // Whole lines only: the context, the first job and the closing line, read strictly.
    const auto run = read_results_file(path, true);
    ASSERT_EQ(run.jobs.size(), 1u);
    ASSERT_TRUE(run.end.has_value());
    EXPECT_NE(incomplete_run(run).value_or("").find("limited.jsonl: File too large"), std::string::npos);
}

}  // namespace
}  // namespace threadmill
