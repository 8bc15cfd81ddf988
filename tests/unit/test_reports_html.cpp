// Tests of the HTML report (reports/html.cpp, reports/html_chart.cpp): golden file, escaping,
// self-containment, charts, and the page in a real headless Chromium (no console errors, the
// filters work, screenshots saved for a human to look at).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "model/bugs.hpp"
#include "reports/html.hpp"
#include "reports/html_chart.hpp"
#include "reports/registry.hpp"
#include "tests/support/browser.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/hang.hpp"
#include "driver/summary.hpp"

namespace threadmill {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
    return n;
}

/// The <details> of job N: from its opening tag to the next job's (or the end of the list).
std::string job_section(const std::string& html, int index) {
    const auto begin = html.find(fmt::format("id=\"job-{}\">", index));
    if (begin == std::string::npos) return "";
    auto end = html.find("<details class=\"job ", begin);
    if (end == std::string::npos) end = html.find("</section>\n<footer>", begin);
    return html.substr(begin, end - begin);
}

bool has_measured_ops(const JobResult& j) { return j.measurement && j.measurement->total_ops > 0; }

TEST(ReportHtml, MatchesGolden) {
    const testing::Fixture f;
    testing::expect_golden(render_html(f.input("out/index.html")), "index.html");
}

// A hung job's page shows where each thread in the code under test was blocked, user frames highlighted.
TEST(ReportHtml, HangShowsTheBlockedThreads) {
    const RunContext context;
    const std::vector<JobResult> jobs = {testing::hung_job("crash")};
    const RunSummary summary = summarize_run(jobs, 1, false, 0, "");
    ReportSettings settings;
    settings.source_root = testing::k_hang_source_root;
    const std::string html = render_html(ReportInput{context, jobs, summary, "out/index.html", settings});
    const auto section = html.find("<h3>Where the threads were blocked (gdb)</h3>");
    ASSERT_NE(section, std::string::npos);
    const std::string rest = html.substr(section);
    EXPECT_NE(rest.find("<div class=\"st\">thread 2 &quot;reader&quot;</div>"), std::string::npos) << rest.substr(0, 3000);
    EXPECT_NE(rest.find("<div class=\"fr user\">#6 Cache::get <span class=\"loc\">cache.cpp:11</span></div>"),
              std::string::npos)
        << rest.substr(0, 3000);
    EXPECT_NE(rest.find("Backtraces of every thread at the timeout (gdb)"), std::string::npos);
}

TEST(ReportHtml, SuppressionPatternsPerFileWithStaleOnes) {
    testing::Fixture f;
    f.summary.suppression_files = {{"project", "/w/threadmill-suppressions.txt", 2,
                                    {{"tsan", "race:Used<T>", 4, true}, {"tsan", "race:Gone", 0, true},
                                     {"asan", "interceptor_via_fun:f", 0, false}}}};
    const std::string html = render_html(f.input("out/index.html"));
    EXPECT_NE(html.find("<tr><td><code>/w/threadmill-suppressions.txt</code></td><td>project</td><td><code>"
                        "race:Used&lt;T&gt;</code></td><td class=\"num\">4</td></tr>"),
              std::string::npos);
    EXPECT_NE(html.find("<code>race:Gone</code></td><td class=\"num\">0 <span class=\"badge fail\">stale</span>"),
              std::string::npos);
    EXPECT_NE(html.find("<code>interceptor_via_fun:f</code></td><td class=\"num\">not counted</td>"), std::string::npos);
}

TEST(ReportHtml, IsARegisteredFormat) {
    const ReportFormat* format = find_report_format("html");
    ASSERT_NE(format, nullptr);
    EXPECT_EQ(format->render, &render_html);
}

TEST(ReportHtml, Deterministic) {
    const testing::Fixture f;
    EXPECT_EQ(render_html(f.input("out/index.html")), render_html(f.input("out/index.html")));
}

TEST(ReportHtml, EveryJobIsInTheTableWithItsDetails) {
    const testing::Fixture f;
    const std::string html = render_html(f.input("out/index.html"));
    ASSERT_EQ(f.run.jobs.size(), 29u);
    EXPECT_EQ(count_of(html, "<tr class=\"ok") + count_of(html, "<tr class=\"caught") + count_of(html, "<tr class=\"missed") +
                  count_of(html, "<tr class=\"unexpected") + count_of(html, "<tr class=\"error"),
              f.run.jobs.size());
    for (const auto& j : f.run.jobs) {
        const auto o = info(outcome_of(j)).name;
        // <tr class="O( miss)?" data-index="I" data-outcome="O" data-flavor="F"[^>]*><td ...>I</td><td><a ...>S</a>
        const std::string tail = fmt::format("\" data-index=\"{}\" data-outcome=\"{}\" data-flavor=\"{}\"", j.index, o, j.flavor);
        const std::string cells = fmt::format("><td class=\"num muted\">{}</td><td><a href=\"#job-{}\">{}</a>", j.index,
                                              j.index, j.scenario);
        bool found = false;
        for (const std::string& cls : {std::string(o), std::string(o) + " miss"}) {
            const std::string head = "<tr class=\"" + cls + tail;
            for (auto at = html.find(head); at != std::string::npos && !found; at = html.find(head, at + 1)) {
                const auto close = html.find('>', at + head.size());
                found = close != std::string::npos && html.compare(close, cells.size(), cells) == 0;
            }
        }
        EXPECT_TRUE(found) << "no table row for " << job_title(j);
        EXPECT_FALSE(job_section(html, j.index).empty()) << "no details for " << job_title(j);
    }
    EXPECT_NE(html.find("<span class=\"count\" id=\"f-count\">29 jobs</span>"), std::string::npos);
    // Every flavor of the run can be chosen in the flavor filter.
    for (const char* flavor : {"plain", "tsan", "asan"})
        EXPECT_NE(html.find(fmt::format("<option value=\"{0}\">{0}</option>", flavor)), std::string::npos) << flavor;
}

TEST(ReportHtml, SummaryCounts) {
    const testing::Fixture f;
    const std::string html = render_html(f.input("out/index.html"));
    EXPECT_NE(html.find("28 of 29 jobs did what their scenario expects"), std::string::npos);
    EXPECT_NE(html.find("<div class=\"n\">12</div><div class=\"l\">ok</div>"), std::string::npos);
    EXPECT_NE(html.find("<div class=\"n\">16</div><div class=\"l\">caught (expected)</div>"), std::string::npos);
    EXPECT_NE(html.find("<div class=\"n\">1</div><div class=\"l\">UNEXPECTED</div>"), std::string::npos);
    EXPECT_NE(html.find("<div class=\"n\">0</div><div class=\"l\">MISSED</div>"), std::string::npos);
    EXPECT_NE(html.find(fmt::format("<div class=\"n\">{}</div><div class=\"l\">distinct bugs</div>", f.summary.distinct_bugs)),
              std::string::npos);
    EXPECT_NE(html.find("<span class=\"status bad\">FAILED</span>"), std::string::npos);
    EXPECT_NE(html.find("<h2>Jobs that need a look <span class=\"sub\">1 · "), std::string::npos);
}

TEST(ReportHtml, AMetExpectationShowsNoFail) {
    const testing::Fixture f;
    // The jobs that met their expectation: safe variants and mutants caught as expected.
    std::vector<JobResult> jobs;
    for (const auto& j : f.run.jobs) {
        if (j.expectation_met) jobs.push_back(j);
    }
    ASSERT_GT(jobs.size(), 20u);
    const RunSummary s = summarize_run(jobs, static_cast<int>(jobs.size()), false, 1, "out/results.jsonl");
    const std::string html = render_html(ReportInput{f.run.context, jobs, s, "out/index.html", ReportSettings{}});
    EXPECT_EQ(html.find("FAIL"), std::string::npos);
    EXPECT_EQ(html.find(">fail<"), std::string::npos);
    EXPECT_EQ(html.find(">pass<"), std::string::npos);
    EXPECT_NE(html.find("<span class=\"status ok\">PASSED</span>"), std::string::npos);
    const std::string race = job_section(html, 2);  // canary-race · race · tsan: caught by the race it expects
    EXPECT_NE(race.find(">caught (expected)</span>"), std::string::npos) << race;
    EXPECT_NE(html.find(fmt::format("<div class=\"n\">{}</div><div class=\"l\">caught (expected)</div>",
                                    s.count(Outcome::caught))),
              std::string::npos);
}

TEST(ReportHtml, EscapesTextFromResults) {
    const testing::Fixture f;
    std::vector<JobResult> jobs = {f.run.jobs[1]};  // the race under tsan: a finding with stacks
    JobResult& j = jobs.front();
    j.scenario = "<script>alert('scenario')</script>";
    j.variant = "std::map<int, int>";
    j.replay = "threadmill run \"a b.toml\" --variant 'x' && echo <done>";
    j.expectation_detail = "expected <race> & \"more\"";
    j.worker_log = "<img src=x onerror=alert(1)>\x1b[31mred\x1b[0m";
    j.measurement->ops[0].name = "get<T>";
    j.measurement->invariants.push_back({"sum<&>", false, 1, 1, {"<b>bold</b> detail"}});
    j.detections.push_back({"invariant:sum<&>", "<i>x</i>"});
    Frame& frame = j.findings[0].accesses[0].stack.frames[0];
    frame.function = "std::map<int, int>::operator[](int const&)";
    j.findings[0].headline = "WARNING: <race> & 'quotes'";
    j.budgets.push_back({"get<T>.p99", "5x <safe>", "ns", 100, 50, true});
    RunContext context = f.run.context;
    context.command_line = "threadmill run <script>";
    const RunSummary summary = summarize_run(jobs, 1, false, 0, "out/results.jsonl");
    const std::string html = render_html(ReportInput{context, jobs, summary, "out/index.html", {}});

    for (const char* raw : {"<script>alert", "std::map<int, int>", "<done>", "<race>", "<img src=x", "get<T>", "<b>bold",
                            "sum<&>", "<i>x</i>", "5x <safe>", "run <script>", "\x1b"}) {
        EXPECT_EQ(html.find(raw), std::string::npos) << "unescaped: " << raw;
    }
    for (const char* escaped : {"&lt;script&gt;alert(&#39;scenario&#39;)&lt;/script&gt;", "std::map&lt;int, int&gt;",
                                "&quot;a b.toml&quot; --variant &#39;x&#39; &amp;&amp; echo &lt;done&gt;",
                                "expected &lt;race&gt; &amp; &quot;more&quot;", "&lt;img src=x onerror=alert(1)&gt;\\x1b[31mred",
                                "<code>get&lt;T&gt;</code>", "&lt;b&gt;bold&lt;/b&gt; detail",
                                "std::map&lt;int, int&gt;::operator[](int const&amp;)", "WARNING: &lt;race&gt; &amp; &#39;quotes&#39;"}) {
        EXPECT_NE(html.find(escaped), std::string::npos) << "missing: " << escaped;
    }
    // The only <script> element is the report's own.
    EXPECT_EQ(count_of(html, "<script"), 1u);
}

TEST(ReportHtml, TheRunContextShowsEachWorkersOwnBuild) {
    const testing::Fixture f;
    RunContext context = f.run.context;
    context.workers = {{"/w/threadmill-worker", "plain", "", std::nullopt},
                       {"/w/variants/buggy/threadmill-worker-tsan", "tsan", "buggy",
                        WorkerBuild{"GNU 12.2.0", "-O2 -g -fsanitize=thread -DX=\"<y>\"", "RelWithDebInfo", "tsan", "buggy"}}};
    const std::string html = render_html(ReportInput{context, f.run.jobs, f.summary, "out/index.html", {}});
    EXPECT_NE(html.find("<dt>Worker plain</dt><dd><code>/w/threadmill-worker</code> · (it does not report its build)</dd>"),
              std::string::npos);
    EXPECT_NE(html.find("<dt>Worker tsan · variant build buggy</dt><dd><code>/w/variants/buggy/threadmill-worker-tsan</code>"
                        " · GNU 12.2.0 · RelWithDebInfo · <code>-O2 -g -fsanitize=thread -DX=&quot;&lt;y&gt;&quot;</code></dd>"),
              std::string::npos);
}

TEST(ReportHtml, SelfContained) {
    const testing::Fixture f;
    const std::string html = render_html(f.input("out/index.html"));
    // No attribute that loads from elsewhere: src, href, xlink:href or action = ["']? (http(s):)?//
    std::string lower = html;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto space = [&](std::size_t& i) {
        while (i < lower.size() && std::isspace(static_cast<unsigned char>(lower[i])) != 0) ++i;
    };
    for (const std::string_view attribute : {"src", "href", "action"}) {  // "href" also finds xlink:href
        for (auto at = lower.find(attribute); at != std::string::npos; at = lower.find(attribute, at + 1)) {
            std::size_t i = at + attribute.size();
            space(i);
            if (i >= lower.size() || lower[i] != '=') continue;
            ++i;
            space(i);
            if (i < lower.size() && (lower[i] == '"' || lower[i] == '\'')) ++i;
            space(i);
            if (lower.compare(i, 6, "https:") == 0) i += 6;
            else if (lower.compare(i, 5, "http:") == 0) i += 5;
            EXPECT_NE(lower.compare(i, 2, "//"), 0) << "a remote " << attribute << " at " << at;
        }
    }
    EXPECT_EQ(html.find("<link"), std::string::npos);
    EXPECT_EQ(html.find("<script src"), std::string::npos);
    EXPECT_EQ(html.find("<iframe"), std::string::npos);
    EXPECT_EQ(html.find("@import"), std::string::npos);
    EXPECT_EQ(html.find("url("), std::string::npos);
    EXPECT_NE(html.find("http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"), std::string::npos);
    // Links to the run's files are relative to the report.
    EXPECT_NE(html.find("<a href=\"summary.md\">md</a>"), std::string::npos);
    EXPECT_NE(html.find("<a href=\"../run1/jobs/0002-canary-race-race-tsan-7/\">"), std::string::npos);
}

TEST(ReportHtml, OneLatencyChartPerMeasuredJob) {
    const testing::Fixture f;
    const std::string html = render_html(f.input("out/index.html"));
    std::size_t measured = 0;
    for (const auto& j : f.run.jobs) {
        const std::string section = job_section(html, j.index);
        const std::size_t charts = count_of(section, "<svg class=\"chart chart-ops\"");
        if (has_measured_ops(j)) {
            ++measured;
            EXPECT_EQ(charts, 1u) << job_title(j);
            // A line per operation, each titled with its name.
            for (const auto& op : j.measurement->ops)
                EXPECT_NE(section.find(fmt::format("<title>{}</title></path>", op.name)), std::string::npos) << op.name;
        } else {
            EXPECT_EQ(charts, 0u) << job_title(j);
        }
    }
    EXPECT_EQ(measured, 21u);
    EXPECT_EQ(count_of(html, "<svg class=\"chart chart-ops\""), measured);
    // Charts are only in the folded job details, not in the page's always-open part.
    EXPECT_GT(html.find("<svg"), html.find("<section id=\"details\">"));
}

TEST(ReportHtml, FlavorComparisonForTheSameScenarioVariantAndSeed) {
    const testing::Fixture f;
    const std::string html = render_html(f.input("out/index.html"));
    // cache-queue · safe: jobs 5 (plain), 7 (tsan), 9 (asan).
    const std::string plain = job_section(html, 5);
    EXPECT_EQ(count_of(plain, "<svg class=\"chart chart-flavors\""), 1u);
    EXPECT_NE(plain.find("<b>plain</b> (this job)"), std::string::npos);
    EXPECT_NE(plain.find("<a href=\"#job-7\">tsan</a>"), std::string::npos);
    EXPECT_NE(plain.find("<a href=\"#job-9\">asan</a>"), std::string::npos);
    EXPECT_NE(plain.find("× slower"), std::string::npos);
    // A job measured in one flavor only has nothing to compare.
    EXPECT_EQ(job_section(html, 21).find("chart-flavors"), std::string::npos);
}

TEST(ReportHtml, ReplayCommandInEveryJob) {
    const testing::Fixture f;
    const std::string html = render_html(f.input("out/index.html"));
    for (const auto& j : f.run.jobs) {
        ASSERT_FALSE(j.replay.empty());
        EXPECT_NE(job_section(html, j.index).find(fmt::format("<pre class=\"replay\"><code>{}</code></pre>", html_escape(j.replay))),
                  std::string::npos)
            << job_title(j);
    }
}

TEST(ReportHtml, StacksShowUserFramesAndFoldTheRest) {
    const testing::Fixture f;
    const std::string html = render_html(f.input("out/index.html"));
    const std::string race = job_section(html, 2);
    EXPECT_NE(race.find("<div class=\"fr user\">#0 run <span class=\"loc\">targets/canary/canary_target.cpp:22</span></div>"),
              std::string::npos)
        << race;
    EXPECT_NE(race.find("<details><summary>9 frames in the harness, the standard library or the runtime</summary>"),
              std::string::npos);
    // Paths relative to the source root, except in the report's text as the sanitizer printed it.
    EXPECT_EQ(race.substr(0, race.find("Full report text")).find("/src/threadmill/"), std::string::npos);
    // The use-after-free's free stack: runtime and library frames, the user frame, the harness.
    const std::string uaf = job_section(html, 4);
    EXPECT_NE(uaf.find("<details><summary>4 frames in the harness"), std::string::npos);
    EXPECT_NE(uaf.find("<div class=\"fr user\">#4 run"), std::string::npos);
}

TEST(ReportHtml, AFrameWithoutLineInformationSaysSoInWords) {
    testing::Fixture f;
    ASSERT_GT(strip_line_info(f), 0);
    const std::string html = render_html(f.input("out/index.html"));
    const std::string race = job_section(html, 2);
    EXPECT_NE(race.find("<div class=\"fr user\">#0 run <span class=\"loc\">/opt/tm/threadmill-worker-tsan+0x1234 (no "
                        "line information: the worker was built without -g)</span></div>"),
              std::string::npos)
        << race;
    // The finding's headline and the table of distinct bugs: the function and the words, never ":0".
    EXPECT_NE(race.find("at <code>run</code> <span class=\"muted\">(no line information: the worker was built without "
                        "-g)</span>"),
              std::string::npos)
        << race;
    EXPECT_EQ(html.find("</code>:0"), std::string::npos);
    EXPECT_EQ(html.find(":0</code>"), std::string::npos);
}

TEST(ReportHtml, BudgetsInvariantsAndTimeouts) {
    const testing::Fixture f;
    const std::string html = render_html(f.input("out/index.html"));
    const std::string slow = job_section(html, 21);
    EXPECT_NE(slow.find("<code>work.p99 = 10x safe</code></td><td class=\"num\">376us</td><td class=\"num\">400ns</td>"),
              std::string::npos)
        << slow;
    EXPECT_NE(slow.find("<span class=\"badge over\">over</span>"), std::string::npos);
    const std::string broken = job_section(html, 28);
    EXPECT_NE(broken.find("<span class=\"badge broken\">BROKEN</span>"), std::string::npos);
    EXPECT_NE(broken.find("reported broken on purpose after 786124 ops"), std::string::npos);
    const std::string hang = job_section(html, 25);
    EXPECT_NE(hang.find("<h3>Threads at the timeout</h3>"), std::string::npos);
    EXPECT_NE(hang.find("Backtraces of every thread at the timeout"), std::string::npos);
    EXPECT_EQ(hang.find("-timeline\""), std::string::npos);  // it recorded no history
}

TEST(ReportHtml, ANonLinearizableHistoryIsATimelineWithTheOpsThatCannotBePlacedInRed) {
    testing::Fixture f;
    JobResult& j = f.run.jobs.at(27);
    LinearizabilityResult& r = j.linearizability.emplace();
    r.model = "kv";
    r.verdict = "not linearizable";
    r.ops = 1200;
    r.partitions = 8;
    r.partitions_decided = 8;
    r.key = "k3";
    r.partition_ops = 3;
    r.prefix_length = 1;
    r.diagnosis_complete = true;
    r.initial_state = "\"\"";
    const auto op = [](std::size_t line, int process, std::string text, std::int64_t call, std::optional<std::int64_t> ret) {
        LinOp o;
        o.line = line;
        o.process = process;
        o.text = std::move(text);
        o.call = call;
        o.ret = ret;
        o.info = !ret;
        return o;
    };
    r.window = {op(10, 0, "put(k3, \"7\")", 1000, 5000), op(12, 1, "get(k3) -> \"\"", 6000, 7000),
                op(11, 2, "put(k3, \"9\")", 2000, std::nullopt)};
    r.window[0].order = 0;
    r.window[0].state = "\"7\"";
    r.window[1].unplaced = true;
    const std::string html = render_html(f.input("out/index.html"));
    const std::string section = job_section(html, j.index);
    EXPECT_NE(section.find(fmt::format("id=\"job-{}-timeline\"", j.index)), std::string::npos) << section;
    EXPECT_NE(section.find("<span class=\"badge broken\">not linearizable</span>"), std::string::npos) << section;
    EXPECT_NE(section.find("Partition &quot;k3&quot; (3 operations)"), std::string::npos) << section;
    // One lane per thread, one bar per operation; the unplaced one marked, the info one hatched.
    for (const char* lane : {">thread 0<", ">thread 1<", ">thread 2<"}) EXPECT_NE(section.find(lane), std::string::npos) << lane;
    EXPECT_NE(section.find("<g class=\"op unplaced\"><title>get(k3) -&gt; &quot;&quot; · thread 1 · history line 12"),
              std::string::npos)
        << section;
    EXPECT_NE(section.find("<g class=\"op info\">"), std::string::npos);
    EXPECT_NE(section.find("<g class=\"op placed\"><title>put(k3, &quot;7&quot;) · thread 0"), std::string::npos);
    EXPECT_NE(section.find("cannot be placed"), std::string::npos);
}

TEST(ReportHtml, ALockstepJobHasItsOutcomeTableInItsDetails) {
    testing::Fixture f;
    f.run.jobs[4].outcomes = {{"1, 1", 900, 0.9, OutcomeGrade::acceptable, "both <seen>"},
                              {"0, 1", 97, 0.097, OutcomeGrade::interesting, "a stale read"},
                              {"0, 0", 3, 0.003, OutcomeGrade::forbidden, "both lost"},
                              {"1, 0", 0, 0, OutcomeGrade::forbidden, "never"}};
    const std::string html = render_html(f.input("out/index.html"));
    const std::string job = job_section(html, f.run.jobs[4].index);
    ASSERT_NE(job.find("<h3>Outcomes"), std::string::npos) << job;
    EXPECT_EQ(count_of(job, "<tr class=\"forbidden-seen\">"), 1u);  // seen forbidden rows only
    EXPECT_NE(job.find("<tr class=\"forbidden-seen\"><td><code>0, 0</code></td><td class=\"num\">3</td><td "
                       "class=\"num\">0.300%</td><td><span class=\"badge forbidden seen\">FORBIDDEN</span></td><td>both "
                       "lost</td></tr>"),
              std::string::npos)
        << job;
    EXPECT_NE(job.find("<span class=\"badge interesting\">interesting</span>"), std::string::npos);
    EXPECT_NE(job.find("<span class=\"badge forbidden\">forbidden</span></td><td>never</td>"), std::string::npos);
    EXPECT_NE(job.find("both &lt;seen&gt;"), std::string::npos);
    EXPECT_EQ(job_section(html, f.run.jobs[3].index).find("<h3>Outcomes"), std::string::npos);
}

TEST(ReportHtml, BigRunStaysCompact) {
    // 580 jobs (the fixture twenty times): details stay folded, charts a few KB each.
    const testing::Fixture f;
    std::vector<JobResult> jobs;
    for (int copy = 0; copy < 20; ++copy) {
        for (JobResult j : f.run.jobs) {
            j.index = static_cast<int>(jobs.size()) + 1;
            j.seed += static_cast<std::uint64_t>(copy);
            jobs.push_back(std::move(j));
        }
    }
    const RunSummary summary = summarize_run(jobs, static_cast<int>(jobs.size()), false, 0, "out/results.jsonl");
    const std::string html = render_html(ReportInput{f.run.context, jobs, summary, "out/index.html", {}});
    std::cout << "HTML for " << jobs.size() << " jobs: " << html.size() / 1024 << " KiB\n";
    EXPECT_LT(html.size() / jobs.size(), 48u * 1024) << "bytes per job";
    EXPECT_EQ(count_of(html, "<details class=\"job "), jobs.size());
    for (auto at = html.find("<details class=\"job "); at != std::string::npos; at = html.find("<details class=\"job ", at + 1)) {
        const std::string tag = html.substr(at, html.find('>', at) - at);
        ASSERT_EQ(tag.find("open"), std::string::npos) << "a job's details are folded until asked: " << tag;
    }
}

TEST(ReportHtmlChart, AxesAndLines) {
    Histogram a, b;
    for (std::uint64_t v = 100; v < 100000; v += 37) a.record(v);
    b.record(5'000'000);
    const std::string svg = render_latency_chart({{"a", &a, "#111111", "", 1.8}, {"b<&>", &b, "#222222", "7 3", 2}},
                                                 {{20'000'000, 0.01, "b.p99 budget <20ms>", false}}, "chart x", "label \"q\"");
    EXPECT_TRUE(svg.starts_with("<svg class=\"chart x\" viewBox=\"0 0 600 252\""));
    EXPECT_NE(svg.find("aria-label=\"label &quot;q&quot;\""), std::string::npos);
    for (const char* tick : {">100ns<", ">1us<", ">10us<", ">100us<", ">1ms<", ">10ms<", ">100%<", ">10%<", ">1%<", ">0.1%<",
                             ">0.01%<", ">p99<", ">p99.9<", ">p99.99<", ">latency (log scale)<"})
        EXPECT_NE(svg.find(tick), std::string::npos) << tick;
    EXPECT_EQ(svg.find(">10ns<"), std::string::npos);
    EXPECT_NE(svg.find(">100ms<"), std::string::npos) << "the axis reaches the budget's limit";
    EXPECT_NE(svg.find("<g stroke=\"#dc2626\" fill=\"#dc2626\">"), std::string::npos) << "a budget over its limit is red";
    EXPECT_NE(svg.find(">b.p99 budget &lt;20ms&gt;</text>"), std::string::npos);
    EXPECT_NE(svg.find("stroke=\"#222222\" stroke-width=\"2\" stroke-dasharray=\"7 3\""), std::string::npos);
    EXPECT_NE(svg.find("<title>b&lt;&amp;&gt;</title>"), std::string::npos);
    // Thousands of buckets, but only about a point per pixel.
    EXPECT_LT(svg.size(), 20000u);
    Histogram empty;
    EXPECT_EQ(render_latency_chart({{"none", &empty, "#000", "", 1}}, {}, "c", "x"), "");
}

TEST(ReportHtmlChart, EscapeHtml) {
    EXPECT_EQ(html_escape("a<b>&\"c\"'d'"), "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;");
    EXPECT_EQ(html_escape("tab\tline\n\x01"), "tab\tline\n\\x01");
    EXPECT_EQ(html_escape("µs · ×"), "µs · ×");
}

// ---------------------------------------------------------------------------------------------
// The page in a real browser (tests/support/browser.hpp).

using testing::Browser;
using testing::file_url;

fs::path browser_output_dir() {
    const fs::path dir = fs::path(TM_DRIVER_PATH).parent_path() / "report-html";
    fs::create_directories(dir);
    return dir;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += "\n  " + l;
    return out;
}

TEST(ReportHtmlBrowser, FixtureReportHasNoConsoleErrorsAndItsFiltersWork) {
    const testing::Fixture f;
    const fs::path dir = browser_output_dir();
    const fs::path page = dir / "index.html";
    std::ofstream(page, std::ios::binary) << render_html(f.input("out/index.html"));
    std::optional<Browser> browser;
    try {
        browser.emplace(browser_output_dir(), "fixture");
    } catch (const std::exception& e) {
        FAIL() << e.what();
    }
    Browser& b = *browser;
    b.open(file_url(page));
    auto visible_rows = [&] {
        return b.eval("document.querySelectorAll('#jobs-table tbody tr:not([hidden])').length").get<int>();
    };
    EXPECT_EQ(visible_rows(), 29);
    const double height = b.eval("document.documentElement.scrollHeight").get<double>();
    EXPECT_EQ(b.eval("document.documentElement.scrollWidth").get<int>(), 1280) << "the page scrolls sideways at 1280 px";
    b.screenshot(dir / "overview.png", 0, 0, 1280, std::min(height, 8000.0));
    std::cout << "screenshot: " << (dir / "overview.png").string() << "\n";

    // The filters: by outcome, by flavor, by text, misses only; each also hides the job's details.
    auto set = [&](const std::string& id, const std::string& property, const std::string& value) {
        b.eval(fmt::format("(function () {{ var e = document.getElementById('{}'); e.{} = {}; "
                           "e.dispatchEvent(new Event('change')); }})()",
                           id, property, value));
    };
    set("f-outcome", "value", "'caught'");
    EXPECT_EQ(visible_rows(), f.summary.count(Outcome::caught));
    EXPECT_EQ(b.eval("document.querySelectorAll('details.job:not([hidden])').length").get<int>(),
              f.summary.count(Outcome::caught));
    set("f-outcome", "value", "''");
    set("f-flavor", "value", "'tsan'");
    EXPECT_EQ(visible_rows(), 6);
    set("f-flavor", "value", "''");
    set("f-text", "value", "'canary use'");
    EXPECT_EQ(visible_rows(), 2);
    EXPECT_EQ(b.eval("document.getElementById('f-count').textContent").get<std::string>(), "2 of 29 jobs");
    set("f-text", "value", "''");
    set("f-misses", "checked", "true");
    EXPECT_EQ(visible_rows(), 1);
    set("f-misses", "checked", "false");
    EXPECT_EQ(visible_rows(), 29);

    // A click on a row opens its job; so does #job-N in the address (tested on a fresh load).
    b.eval("document.querySelector('#jobs-table tr[data-index=\"12\"] td.reason').click()");
    b.settle();
    EXPECT_TRUE(b.eval("document.getElementById('job-12').open").get<bool>());
    b.open("about:blank");
    b.open(file_url(page) + "#job-2");
    EXPECT_TRUE(b.eval("document.getElementById('job-2').open").get<bool>());
    EXPECT_EQ(b.eval("document.querySelectorAll('#job-2 svg.chart-ops path[stroke-linejoin]').length").get<int>(), 1);
    const json box = b.eval("(function () { var r = document.getElementById('job-2').getBoundingClientRect(); "
                            "return [r.top + window.scrollY, r.height]; })()");
    b.screenshot(dir / "job-detail.png", 0, box[0].get<double>() - 8, 1280, std::min(box[1].get<double>() + 16, 6000.0));
    std::cout << "screenshot: " << (dir / "job-detail.png").string() << "\n";
    // The plain cache-queue job with its flavor comparison, opened from the hash after load.
    b.eval("location.hash = 'job-5'");
    b.settle();
    EXPECT_TRUE(b.eval("document.getElementById('job-5').open").get<bool>());
    const json box5 = b.eval("(function () { var r = document.getElementById('job-5').getBoundingClientRect(); "
                             "return [r.top + window.scrollY, r.height]; })()");
    b.screenshot(dir / "job-flavors.png", 0, box5[0].get<double>() - 8, 1280, std::min(box5[1].get<double>() + 16, 6000.0));
    std::cout << "screenshot: " << (dir / "job-flavors.png").string() << "\n";

    const auto errors = b.take_errors();
    EXPECT_TRUE(errors.empty()) << "the report caused browser errors:" << joined(errors);
}

TEST(ReportHtmlBrowser, TheCheckCatchesErrorsOnABrokenPage) {
    // The real report with a script error, a console.error and an image from the network
    // appended: each must be reported, or the test above proves nothing.
    const testing::Fixture f;
    std::string html = render_html(f.input("out/index.html"));
    const std::string broken =
        "<img src=\"https://example.invalid/tracker.png\" alt=\"\">\n"
        "<script>console.error('deliberate console error');</script>\n"
        "<script>setTimeout(function () { deliberatelyUndefined.call(); }, 50);</script>\n";
    html.insert(html.rfind("</body>"), broken);
    const fs::path page = browser_output_dir() / "broken.html";
    std::ofstream(page, std::ios::binary) << html;
    std::optional<Browser> browser;
    try {
        browser.emplace(browser_output_dir(), "broken");
    } catch (const std::exception& e) {
        FAIL() << e.what();
    }
    browser->open(file_url(page));
    const auto errors = browser->take_errors();
    const std::string all = joined(errors);
    std::cout << "errors the check reported on the broken page:" << all << "\n";
    EXPECT_NE(all.find("uncaught exception: ReferenceError: deliberatelyUndefined is not defined"), std::string::npos) << all;
    EXPECT_NE(all.find("console.error: deliberate console error"), std::string::npos) << all;
    EXPECT_NE(all.find("https://example.invalid/tracker.png"), std::string::npos) << "a blocked load is an error too:" << all;
    EXPECT_EQ(errors.size(), 3u) << all;

    // And a page without errors gives none: the check is not simply noisy.
    const fs::path clean = browser_output_dir() / "clean.html";
    std::ofstream(clean) << "<!DOCTYPE html><title>ok</title><p>fine</p><script>console.log('just a log');</script>";
    browser->open(file_url(clean));
    EXPECT_TRUE(browser->take_errors().empty());
}

}  // namespace
}  // namespace threadmill
