// The runner: barrier-synchronized thread groups drive one target instance and record latency (and,
// in lockstep, count the arbiter's result of every round).
#include "worker/runner.hpp"

#include <sched.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <exception>
#include <filesystem>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "model/activity.hpp"
#include "model/paths.hpp"
#include "worker/barrier.hpp"
#include "worker/keys.hpp"
#include "worker/schedule.hpp"
#include "worker/tsc_clock.hpp"

namespace threadmill {
namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t violations_in(const InvariantSink& sink) {
    std::uint64_t n = 0;
    for (const auto& e : sink.entries) n += e.violations;
    return n;
}

/// Picks ops by weight from one group's mix, with keys and args, from the plan stream.
/// Every call consumes exactly three plan values, so the sequence depends on the seed only.
class OpPlan {
public:
    OpPlan(const GroupSpec& group, const KeySampler& keys, std::uint64_t seed)
        : m_keys(keys), m_rng(seed) {
        double total = 0;
        for (const auto& m : group.mix) {
            total += m.weight;
            m_cumulative.push_back(total);
            m_ops.push_back(m.op);
        }
        for (auto& c : m_cumulative) c /= total;
    }

    Op next() {
        Op op;
        const double u = m_rng.uniform01();
        std::size_t i = 0;
        while (i + 1 < m_cumulative.size() && u >= m_cumulative[i]) ++i;
        op.index = m_ops[i];
        op.key = m_keys.next(m_rng, m_cursor);
        op.arg = m_rng.next();
        return op;
    }

private:
    const KeySampler& m_keys;
    Rng m_rng;
    std::uint64_t m_cursor = 0;
    std::vector<double> m_cumulative;
    std::vector<int> m_ops;
};

/// Everything one worker thread owns; only that thread touches it between rendezvous.
struct alignas(64) ThreadSlot {
    ThreadContext ctx;
    std::unique_ptr<OpPlan> plan;
    std::vector<Histogram> latency;  ///< per op of the target
    std::vector<std::uint64_t> exceptions;
    std::vector<std::string> first_exception;
    std::uint64_t ops_done = 0;
    bool detected = false;  ///< this thread told the board of a detection (the board keeps the job's first)
    Clock::time_point end;
    ThreadHistory history;  ///< used only when the job records a history
};

class JobRun {
public:
    JobRun(const Scenario& sc, const TargetSpec& target, int variant, std::uint64_t seed, const RunnerOptions& opt)
        : m_sc(sc),
          m_info(target.info),
          m_opt(opt),
          m_threads(sc.thread_count()),
          m_keys(sc.keys),
          m_board(opt.activity_path, m_threads),
          m_start_barrier(static_cast<std::uint32_t>(m_threads + 1)),
          m_round_barrier(static_cast<std::uint32_t>(m_threads)),
          m_sink(target.info.invariants.size()) {
        TargetConfig config;
        config.variant = variant;
        config.params = &sc.params;
        config.thread_count = m_threads;
        config.key_count = sc.keys.count;
        config.seed = seed;
        config.work_dir = opt.work_dir;
        m_instance = target.create(config);

        const std::size_t op_count = m_info.ops.size();
        m_slots = std::make_unique<ThreadSlot[]>(static_cast<std::size_t>(m_threads));
        int t = 0;
        for (std::size_t g = 0; g < sc.groups.size(); ++g) {
            for (int i = 0; i < sc.groups[g].threads; ++i, ++t) {
                auto& s = m_slots[static_cast<std::size_t>(t)];
                const auto tu = static_cast<std::uint64_t>(t);
                s.ctx.thread_index = t;
                s.ctx.group_index = static_cast<int>(g);
                s.ctx.thread_count = m_threads;
                s.ctx.rng = Rng(derive_seed(seed, Stream::target, tu));
                s.ctx.m_chaos_rng = Rng(derive_seed(seed, Stream::chaos, tu));
                s.ctx.m_yield_probability = sc.chaos.yield_probability;
                s.ctx.m_delay_probability = sc.chaos.delay_probability;
                s.ctx.m_delay_min = sc.chaos.delay_min;
                s.ctx.m_delay_max = sc.chaos.delay_max;
                s.ctx.m_fault_rng = Rng(derive_seed(seed, Stream::fault, tu));
                s.ctx.m_fault_probability = sc.faults.rate;
                s.ctx.m_violation_counts.assign(m_info.invariants.size(), 0);
                s.plan = std::make_unique<OpPlan>(sc.groups[g], m_keys, derive_seed(seed, Stream::plan, tu));
                s.latency.resize(op_count);
                s.exceptions.assign(op_count, 0);
                s.first_exception.resize(op_count);
                if (sc.check.linearizability) {
                    s.history.budget = &m_history_budget;
                    s.history.records.reserve(4096);
                    s.ctx.m_history = &s.history;
                }
            }
        }
        if (sc.sync.mode == SyncMode::rounds && sc.iterations) {
            m_total_rounds = (*sc.iterations + sc.sync.ops_per_round - 1) / sc.sync.ops_per_round;
        }
        if (sc.sync.mode == SyncMode::lockstep) prepare_lockstep();
        // The default (uniform, no spread) has none: its chaos points stay ThreadContext::noise().
        if (Scheduler::wanted(sc.chaos)) {
            m_schedule = std::make_unique<Scheduler>(sc, seed);
            if (m_schedule->hooks_chaos_points()) {
                for (int i = 0; i < m_threads; ++i) slot(i).ctx.m_schedule = m_schedule.get();
            }
        }
    }

    Measurement run() {
        // Chosen (and calibrated, once per process) before any thread reads it.
        // A job that records a history orders operations of different threads by their times:
        // it reads the operating system's clock, which is kept consistent across CPUs whatever
        // the TSC does (a kernel may distrust it, as VMs booted with tsc=unstable do). Latency
        // alone is one thread's difference of two readings, which the TSC serves.
        m_clock = m_opt.tsc_clock && !m_sc.check.linearizability ? &TscClock::process() : &TscClock::steady();
        std::vector<std::thread> threads;
        threads.reserve(static_cast<std::size_t>(m_threads));
        // Without a start barrier the job starts before its first thread is created, and each
        // thread runs as soon as it exists (creating a thread orders m_start before it).
        const bool barrier = m_sc.sync.start_barrier;
        if (!barrier) on_start();
        for (int t = 0; t < m_threads; ++t) threads.emplace_back([this, t] { thread_main(t); });

        if (barrier) m_start_barrier.arrive_and_wait([this] { on_start(); });
        if (m_sc.duration && m_sc.sync.mode == SyncMode::start) {
            if (m_schedule) step_time_slices();
            std::this_thread::sleep_until(m_deadline);
            m_stop.store(true, std::memory_order_relaxed);
        }
        for (auto& th : threads) th.join();

        Clock::time_point end = m_start;
        for (int t = 0; t < m_threads; ++t) end = std::max(end, slot(t).end);
        const double wall = std::chrono::duration<double>(end - m_start).count();

        collect_online_violations();
        const std::uint64_t before_final = violations_in(m_sink);
        run_hook(Hook::final_check, [&] { m_instance->check(m_sink, CheckPoint::final); });
        m_sink.count_check();
        if (violations_in(m_sink) > before_final) note_detection(WorkerDetection::invariant, end);
        Measurement m = measurement(wall);
        if (m_sc.check.linearizability && !m_opt.history_path.empty()) m.history = write_history();
        return m;
    }

private:
    ThreadSlot& slot(int t) { return m_slots[static_cast<std::size_t>(t)]; }

    void thread_main(int t) {
        ThreadSlot& s = slot(t);
        // Whoever arrives last runs the completion, so every participant passes the same one.
        if (m_sc.sync.start_barrier) m_start_barrier.arrive_and_wait([this] { on_start(); });
        if (m_schedule) m_schedule->begin(s.ctx, 0);
        if (m_sc.sync.mode == SyncMode::rounds) {
            run_rounds(s);
        } else if (m_sc.sync.mode == SyncMode::lockstep) {
            run_lockstep(s);
        } else if (m_sc.iterations) {
            run_counted(s);
        } else {
            while (!m_stop.load(std::memory_order_relaxed)) one_op(s);
        }
        if (m_schedule) m_schedule->leave(t);
        s.end = Clock::now();
    }

    /// Start mode with iterations; a portfolio moves each thread on after its own share of them.
    void run_counted(ThreadSlot& s) {
        const std::uint64_t total = *m_sc.iterations;
        const int slices = m_schedule ? m_schedule->slice_count() : 1;
        std::uint64_t i = 0;
        for (int k = 0; k < slices; ++k) {
            const std::uint64_t end = slices == 1 ? total : Portfolio::slice_start(k + 1, total);
            if (k > 0 && i < end) m_schedule->enter_slice(s.ctx, k);
            for (; i < end; ++i) one_op(s);
        }
    }

    /// Start mode with a duration and a portfolio: the main thread moves the job to each slice at
    /// its share of the duration; the threads follow at their next chaos point.
    void step_time_slices() {
        const int slices = m_schedule->slice_count();
        for (int k = 1; k < slices; ++k) {
            std::this_thread::sleep_until(m_start + *m_sc.duration * k / slices);
            std::uint64_t ops = 0;
            for (int t = 0; t < m_threads; ++t) ops += m_board.slot(t).ops_done.load(std::memory_order_relaxed);
            m_schedule->set_slice(k, std::chrono::duration<double>(Clock::now() - m_start).count(), ops);
        }
    }

    /// A round's completion: a portfolio chooses the next round's slice by rounds done (iterations)
    /// or by time (duration); PCT's priorities for the next round are published before the release.
    void schedule_next_round() {
        if (!m_schedule || m_finished) return;
        if (m_schedule->slice_count() > 1) {
            const auto now = Clock::now();
            const int k = m_sc.iterations ? Portfolio::slice_at(m_rounds, m_total_rounds)
                                          : Portfolio::slice_at_time(now - m_start, *m_sc.duration);
            std::uint64_t ops = 0;
            for (int t = 0; t < m_threads; ++t) ops += slot(t).ops_done;
            m_schedule->set_slice(k, std::chrono::duration<double>(now - m_start).count(), ops);
        }
        m_schedule->publish(m_rounds);
    }

    void run_rounds(ThreadSlot& s) {
        const std::uint64_t per_round = m_sc.sync.ops_per_round;
        for (std::uint64_t round = 0;; ++round) {
            std::uint64_t n = per_round;
            if (m_sc.iterations && round + 1 == m_total_rounds) n = *m_sc.iterations - per_round * round;
            for (std::uint64_t i = 0; i < n; ++i) one_op(s);
            if (m_schedule) m_schedule->leave(s.ctx.thread_index);
            // The barrier orders this round's ops before the next round's: the scenario asks
            // for exactly that edge. m_finished is written by the completion, read after it.
            m_round_barrier.arrive_and_wait([this] { end_of_round(); });
            if (m_finished) return;
            // PCT draws fresh priorities each round: see Scheduler.
            if (m_schedule) m_schedule->begin(s.ctx, round + 1);
        }
    }

    // ---- Lockstep: one op per thread per round, then the arbiter, then the reset ----

    void prepare_lockstep() {
        if (!m_info.has_arbiter)
            throw std::runtime_error(fmt::format("target '{}' has no arbiter: it cannot run lockstep", m_info.name));
        if (m_sc.iterations) m_total_rounds = *m_sc.iterations;  // one op per thread per round
        m_results.reserve(16);
    }

    void run_lockstep(ThreadSlot& s) {
        for (std::uint64_t round = 1;; ++round) {
            one_op(s);
            if (m_schedule) m_schedule->leave(s.ctx.thread_index);
            // The completion observes the round with no op in flight; the release starts the next
            // round on every thread at once (unless [chaos] start_spread spreads them).
            m_round_barrier.arrive_and_wait([this] { end_of_lockstep_round(); });
            if (m_finished) return;
            if (m_schedule) m_schedule->begin(s.ctx, round);
        }
    }

    void end_of_lockstep_round() {
        ++m_rounds;
        m_finished = m_sc.iterations ? m_rounds >= m_total_rounds : Clock::now() >= m_deadline;
        m_round_outcome.clear();
        try {
            m_instance->arbitrate(m_round_outcome);
        } catch (const std::exception& e) {
            m_round_outcome.clear();
            m_round_outcome.add(std::string("arbiter threw: ") + e.what());
        } catch (...) {
            m_round_outcome.clear();
            m_round_outcome.add("arbiter threw");
        }
        count_result(m_round_outcome.text());
        if (!m_finished) run_hook(Hook::reset, [&] { m_instance->reset(); });
        schedule_next_round();
    }

    /// Interns the round's result: a handful of distinct results, each counted; no allocation
    /// once every result has been seen.
    void count_result(std::string_view result) {
        for (auto& r : m_results) {
            if (r.result == result) {
                ++r.count;
                return;
            }
        }
        if (m_results.size() < k_max_distinct_results) m_results.push_back({std::string(result), 1});
        else ++m_results_uncounted;
    }

    void on_start() {
        m_start = Clock::now();
        m_board.started(std::chrono::duration_cast<std::chrono::nanoseconds>(m_start.time_since_epoch()).count());
        m_start_ticks = m_clock->before_op();
        if (m_sc.duration) m_deadline = m_start + *m_sc.duration;
        if (m_schedule) m_schedule->start(m_start);
    }

    void end_of_round() {
        ++m_rounds;
        if (m_sc.iterations) {
            m_finished = m_rounds >= m_total_rounds;
        } else {
            m_finished = Clock::now() >= m_deadline;
        }
        const std::uint32_t every = m_sc.sync.checkpoint_every;
        if (!m_finished && every > 0 && m_rounds % every == 0) {
            collect_online_violations();
            const std::uint64_t before = violations_in(m_sink);
            run_hook(Hook::quiescent_check, [&] { m_instance->check(m_sink, CheckPoint::quiescent); });
            m_sink.count_check();
            if (violations_in(m_sink) > before) note_detection(WorkerDetection::invariant, Clock::now());
        }
        if (!m_finished) run_hook(Hook::reset, [&] { m_instance->reset(); });
        schedule_next_round();
    }

    void one_op(ThreadSlot& s) {
        const Op op = s.plan->next();
        s.ctx.chaos();
        ActivitySlot& a = m_board.slot(s.ctx.thread_index);
        a.op.store(op.index, std::memory_order_relaxed);
        a.in_op.store(1, std::memory_order_relaxed);
        const bool history = s.ctx.m_history != nullptr;
        if (history) s.history.begin_op();
        // History intervals must contain their op (the linearizability check orders ops across
        // threads by them): fenced reads. Latency alone takes the plain, cheaper reads.
        const bool timed = m_opt.record_latency || history;
        const std::uint64_t t0 = !timed ? 0 : history ? m_clock->before_op() : m_clock->now();
        bool threw = false;
        try {
            m_instance->run(op, s.ctx);
        } catch (const std::exception& e) {
            threw = true;
            note_exception(s, op.index, e.what());
        } catch (...) {
            threw = true;
            note_exception(s, op.index, "an exception not derived from std::exception");
        }
        if (timed) {
            const std::uint64_t t1 = history ? m_clock->after_op() : m_clock->now();
            if (m_opt.record_latency) s.latency[static_cast<std::size_t>(op.index)].record(m_clock->elapsed_ns(t0, t1));
            if (history) s.history.end_op(ns_since_start(t0), ns_since_start(t1), threw);
        }
        a.in_op.store(0, std::memory_order_relaxed);
        a.ops_done.store(++s.ops_done, std::memory_order_relaxed);
        // The first detection's time and operation count (statistics of how fast a bug shows):
        // a test per op on this thread's own state until it has one, then none.
        if (!s.detected && (threw || !s.ctx.m_violations.empty())) [[unlikely]] {
            s.detected = true;
            note_detection(threw ? WorkerDetection::exception : WorkerDetection::invariant, Clock::now());
        }
    }

    void note_detection(WorkerDetection what, Clock::time_point at) {
        m_board.detected(what, std::chrono::duration_cast<std::chrono::nanoseconds>(at - m_start).count());
    }

    /// A per-op clock reading as nanoseconds since on_start().
    std::int64_t ns_since_start(std::uint64_t ticks) const {
        return m_clock->to_ns(static_cast<std::int64_t>(ticks - m_start_ticks));
    }

    /// The target hooks run_hook() guards, and the names their exceptions are reported under.
    enum class Hook { reset, quiescent_check, final_check };
    static constexpr std::array<const char*, 3> k_hook_names = {"(reset between rounds)", "(quiescent check)",
                                                                "(final check)"};
    struct HookFailures {
        std::uint64_t count = 0;
        std::string first;
    };

    /// Runs a target hook that is no operation: the reset between rounds and the quiescent and
    /// final checks. They run in a barrier's completion or after the threads, where nothing else
    /// would catch what they throw, and a throw there is the target failing like an op's throw
    /// (a lock a mutant leaked times out in the reset's read just as in the next op): it is
    /// counted as that hook's exception, reported like an op's, and the job goes on.
    template <class F>
    void run_hook(Hook hook, F&& body) {
        std::string message;
        try {
            body();
            return;
        } catch (const std::exception& e) {
            message = e.what();
        } catch (...) {
            message = "an exception not derived from std::exception";
        }
        HookFailures& h = m_hook_failures[static_cast<std::size_t>(hook)];
        if (h.count++ == 0) h.first = std::move(message);
        note_detection(WorkerDetection::exception, Clock::now());  // the first detection of the job wins
    }

    static void note_exception(ThreadSlot& s, int op, const char* what) {
        const auto i = static_cast<std::size_t>(op);
        if (s.exceptions[i]++ == 0) s.first_exception[i] = what;
    }

    /// Moves every thread's online violations into the sink; called only at quiescent points.
    void collect_online_violations() {
        for (int t = 0; t < m_threads; ++t) {
            auto& ctx = slot(t).ctx;
            for (auto& v : ctx.m_violations) {
                auto& e = m_sink.entries[static_cast<std::size_t>(v.invariant)];
                if (e.details.size() < InvariantSink::k_max_details)
                    e.details.push_back(fmt::format("thread {}: {}", t, v.detail));
            }
            for (std::size_t i = 0; i < ctx.m_violation_counts.size(); ++i) {
                m_sink.entries[i].violations += ctx.m_violation_counts[i];
                ctx.m_violation_counts[i] = 0;
            }
            ctx.m_violations.clear();
        }
    }

    /// Writes every thread's history records to options.history_path, ordered by call time.
    /// When the budget ran out, the history is cut at the earliest call a thread could not
    /// record (T): every op called before T is in the file, since each thread recorded all its
    /// ops up to its own cut. Ops called at or after T are left out: none of them could have
    /// been seen by an op that returned before T. Ops in flight at T are written with their
    /// outcome unknown (`info`), as their output may depend on ops left out.
    HistoryRecording write_history() {
        HistoryRecording rec;
        std::optional<std::int64_t> cut;
        for (int t = 0; t < m_threads; ++t) {
            const ThreadHistory& h = slot(t).history;
            if (h.cut && (!cut || h.cut_at < *cut)) cut = h.cut_at;
        }
        struct Entry {
            int thread;
            const ThreadHistory::Record* r;
        };
        std::vector<Entry> entries;
        for (int t = 0; t < m_threads; ++t) {
            for (const auto& r : slot(t).history.records) {
                if (!cut || r.call < *cut) entries.push_back({t, &r});
            }
        }
        std::stable_sort(entries.begin(), entries.end(),
                         [](const Entry& a, const Entry& b) { return a.r->call < b.r->call; });
        std::string out;
        out.reserve(entries.size() * 112);
        auto sink = std::back_inserter(out);
        // A name or key of plain characters is quoted as it is; anything else goes through
        // HistoryValue's escaping (names and keys come from the target, unchecked).
        const auto quoted = [&out](std::string_view s) {
            const bool plain = std::all_of(s.begin(), s.end(), [](char c) {
                return c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20;
            });
            if (plain) {
                out += '"';
                out += s;
                out += '"';
            } else {
                out += HistoryValue(s).json();
            }
        };
        for (const auto& [t, r] : entries) {
            const std::string_view text = slot(t).history.text;
            const bool open_at_cut = cut && r->ret >= *cut;  // at equal times a call comes first
            const bool info = open_at_cut || r->status == ThreadHistory::Status::info;
            rec.open_at_cut += open_at_cut ? 1 : 0;
            fmt::format_to(sink, "{{\"process\": {}, \"op\": ", t);
            quoted(text.substr(r->text, r->op_len));
            std::size_t at = r->text + r->op_len;
            if (r->has_key) {
                out += ", \"key\": ";
                quoted(text.substr(at, r->key_len));
            }
            at += r->key_len;
            out += ", \"input\": ";
            out += text.substr(at, r->input_len);
            if (!info) {
                out += ", \"output\": ";
                out += r->output_len > 0 ? text.substr(r->output, r->output_len) : std::string_view("null");
            }
            fmt::format_to(sink, ", \"call\": {}", r->call);
            if (!open_at_cut) fmt::format_to(sink, ", \"return\": {}", r->ret);  // an info op's is ignored by the check
            out += info ? ", \"status\": \"info\"}\n" : ", \"status\": \"ok\"}\n";
        }
        write_file_atomically(m_opt.history_path, out);
        rec.file = std::filesystem::path(m_opt.history_path).filename().string();
        rec.ops = entries.size();
        rec.cut = cut.has_value();
        if (cut) rec.cut_at_seconds = static_cast<double>(*cut) * 1e-9;
        return rec;
    }

    Measurement measurement(double wall) {
        Measurement m;
        m.wall_seconds = wall;
        m.threads = m_threads;
        cpu_set_t set;  // what `run --jobs` pinned the worker to (or the machine's CPUs)
        CPU_ZERO(&set);
        if (sched_getaffinity(0, sizeof set, &set) == 0) {
            for (int c = 0; c < CPU_SETSIZE; ++c) {
                if (CPU_ISSET(c, &set)) m.cpus.push_back(c);
            }
        }
        m.rounds = m_rounds;
        for (std::size_t op = 0; op < m_info.ops.size(); ++op) {
            OpStats st;
            st.name = m_info.ops[op].name;
            std::uint64_t executed = 0;
            for (int t = 0; t < m_threads; ++t) {
                auto& s = slot(t);
                st.histogram.merge(s.latency[op]);
                st.exceptions += s.exceptions[op];
                if (st.first_exception.empty()) st.first_exception = s.first_exception[op];
            }
            summarize(st, wall);
            executed = st.count;
            if (!m_opt.record_latency) continue;
            if (executed == 0 && st.exceptions == 0) continue;  // not in any mix
            m.ops.push_back(std::move(st));
        }
        // A hook that threw is listed like an op with no calls of its own, under a name no op has.
        for (std::size_t h = 0; h < m_hook_failures.size(); ++h) {
            if (m_hook_failures[h].count == 0) continue;
            OpStats st;
            st.name = k_hook_names[h];
            st.exceptions = m_hook_failures[h].count;
            st.first_exception = m_hook_failures[h].first;
            m.ops.push_back(std::move(st));
        }
        for (int t = 0; t < m_threads; ++t) {
            m.total_ops += slot(t).ops_done;
            m.faults_injected += slot(t).ctx.m_faults;
        }
        m.throughput = wall > 0 ? static_cast<double>(m.total_ops) / wall : 0;
        m.outcomes = m_results;
        m.outcomes_uncounted = m_results_uncounted;
        if (m_schedule) m.schedule = m_schedule->schedule(m_threads, m_sc.iterations.value_or(0));
        else m.schedule = {StrategySlice{std::string(info(Strategy::uniform).name), 0, 0}};
        for (int i : m_sc.check.invariants) {
            const auto& e = m_sink.entries[static_cast<std::size_t>(i)];
            InvariantResult r;
            r.name = m_info.invariants[static_cast<std::size_t>(i)].name;
            r.checks = e.checks;
            r.violations = e.violations;
            r.held = e.violations == 0;
            r.details = e.details;
            m.invariants.push_back(std::move(r));
        }
        return m;
    }

    const Scenario& m_sc;
    const TargetInfo& m_info;
    const RunnerOptions& m_opt;
    const int m_threads;
    KeySampler m_keys;
    ActivityBoard m_board;
    Barrier m_start_barrier;
    Barrier m_round_barrier;
    InvariantSink m_sink;
    std::unique_ptr<TargetInstance> m_instance;
    std::unique_ptr<ThreadSlot[]> m_slots;
    std::unique_ptr<Scheduler> m_schedule;  ///< [chaos] strategy other than plain uniform, or a start_spread

    Clock::time_point m_start;
    Clock::time_point m_deadline;
    const TscClock* m_clock = nullptr;  ///< the per-op clock, set by run()
    std::uint64_t m_start_ticks = 0;    ///< m_clock's reading at m_start
    std::atomic<bool> m_stop{false};  ///< start mode with a duration: relaxed, orders nothing
    /// History records left to hand out ([check] history_limit), taken in grants by the threads.
    std::atomic<std::int64_t> m_history_budget{static_cast<std::int64_t>(m_sc.check.history_limit)};
    std::uint64_t m_total_rounds = 0;
    std::array<HookFailures, k_hook_names.size()> m_hook_failures{};  ///< written in barrier completions and after the join

    std::uint64_t m_rounds = 0;  ///< written only in a barrier completion
    bool m_finished = false;     ///< written only in a barrier completion
    RoundOutcome m_round_outcome;          ///< lockstep: reused every round
    std::vector<ObservedResult> m_results;  ///< lockstep: distinct results, first seen first
    std::uint64_t m_results_uncounted = 0;
};

}  // namespace

Measurement run_job(const Scenario& scenario, const TargetSpec& target, const std::string& variant,
                    std::uint64_t seed, const RunnerOptions& options) {
    const int v = target.info.variant_index(variant);
    if (v < 0) throw std::runtime_error(fmt::format("target '{}' has no variant '{}'", target.info.name, variant));
    JobRun run(scenario, target, v, seed, options);
    return run.run();
}

}  // namespace threadmill
