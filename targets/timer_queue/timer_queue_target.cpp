// The `timer_queue` target: Godot's ThreadSafeBroadcastTimer (an operation queue drained by an owner thread).
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "api/target.hpp"
#include "api/target_tables.hpp"
#include "targets/timer_queue/broadcast_timer.hpp"
#include "targets/timer_queue/timer_queue.hpp"

namespace threadmill::timer_queue {
namespace {

// Each enum lists its catalog entries in declaration order; the tables below are checked
// against it at compile time.

enum class Variant { safe, direct_call, unlocked_queue, unbounded, lost_wakeup, as_documented };

enum class OpKind {
    start_show,
    stop_show,
    schedule_break_warnings,
    start_ad_break,
    time_until,
    is_timer_active,
    queue_size,
    is_show_active,
    debug_info,
};

enum class Inv {
    owner_thread_only,
    accounting,
    queue_bounded,
    producer_order,
    query_exactly_once,
    nothing_stranded,
    timer_consistent,
};

constexpr std::array<CatalogRow<Variant>, 6> k_variants{{
    {Variant::safe, "safe",
     "the documented design, kept: a bounded queue under one lock, a pump requested under that lock, one owner "
     "thread that drains until it finds the queue empty, getters that read under the lock what the owner published"},
    {Variant::direct_call, "direct_call",
     "the document's \"Before\": the API calls the timer on the caller's thread (and answers queries there)",
     "invariant:owner_thread_only"},
    {Variant::unlocked_queue, "unlocked_queue", "callers push to (and drop from) the queue without the lock", "race"},
    {Variant::unbounded, "unbounded", "no overflow guard: the queue grows past max_queue", "invariant:queue_bounded"},
    {Variant::lost_wakeup, "lost_wakeup",
     "callers test whether a pump is needed before taking the lock: a drain seen running may end before the push, "
     "stranding the operation",
     "invariant:nothing_stranded"},
    {Variant::as_documented, "as_documented",
     "the document's literal getters: QueueSize reads the queue without the lock, IsShowActive reads the timer "
     "under a lock its writer (the owner) never takes",
     "race"},
}};

constexpr std::array<CatalogRow<OpKind>, 9> k_ops{{
    {OpKind::start_show, "start_show", "StartShow(duration): duration from arg, non-positive (rejected) one time in 16"},
    {OpKind::stop_show, "stop_show", "StopShow(): stops the show, its break warning and its ad break"},
    {OpKind::schedule_break_warnings, "schedule_break_warnings",
     "ScheduleBreakWarnings(from_now): delay from arg, non-positive (rejected) one time in 16"},
    {OpKind::start_ad_break, "start_ad_break",
     "StartAdBreak(duration): duration from arg, non-positive (rejected) one time in 16"},
    {OpKind::time_until, "time_until",
     "GetTimeUntil(event, callback): event from arg; no callback (rejected) one time in 16"},
    {OpKind::is_timer_active, "is_timer_active",
     "IsTimerActive(event, callback): event from arg; no callback (rejected) one time in 16"},
    {OpKind::queue_size, "queue_size", "the QueueSize getter"},
    {OpKind::is_show_active, "is_show_active", "the IsShowActive getter"},
    {OpKind::debug_info, "debug_info", "GetDebugInfo(): queue size, operations processed, last process time"},
}};

constexpr std::array<CatalogRow<Inv>, 7> k_invariants{{
    {Inv::owner_thread_only, "owner_thread_only", "the timer is never called from a thread other than the owner"},
    {Inv::accounting, "accounting",
     "quiescent: accepted = processed + dropped + queued; the calls made with valid arguments were accepted, the "
     "others rejected, and no invalid operation reached the owner"},
    {Inv::queue_bounded, "queue_bounded", "quiescent: the queue never held more than max_queue operations"},
    {Inv::producer_order, "producer_order", "the owner applies each caller's operations in the order it made them"},
    {Inv::query_exactly_once, "query_exactly_once",
     "each accepted query's callback runs exactly once, on the owner thread, unless the query was dropped on "
     "overflow (queries made = answered + dropped + queued)"},
    {Inv::nothing_stranded, "nothing_stranded",
     "quiescent: once the owner is idle (no drain requested or running) the queue is empty; and no enqueue "
     "ever left an operation queued with the owner idle and no pump requested"},
    {Inv::timer_consistent, "timer_consistent",
     "the timer's countdowns, and every query answer, match a model computed from the operations applied and the "
     "simulated frame clock"},
}};

static_assert(in_kind_order(k_variants) && in_kind_order(k_ops) && in_kind_order(k_invariants));
static_assert(k_variants.back().kind == Variant::as_documented && k_ops.back().kind == OpKind::debug_info &&
              k_invariants.back().kind == Inv::timer_consistent);

constexpr int index_of(Inv i) { return static_cast<int>(i); }

/// One call in this many gets an invalid argument (a non-positive duration, no callback).
constexpr std::uint64_t k_invalid_one_in = 16;
/// An operation id: the caller's thread index + 1 in the high bits, its sequence number below.
constexpr int k_seq_bits = 40;
constexpr std::uint64_t k_seq_mask = (std::uint64_t{1} << k_seq_bits) - 1;
/// How long check() waits for the owner to go idle.
constexpr Nanos k_pause_timeout = std::chrono::seconds(3);
/// Longest wait for the owner to go idle inside lost_wakeup's window.
constexpr Nanos k_gap_wait = std::chrono::milliseconds(2);
/// Details kept per invariant between two checks.
constexpr std::size_t k_max_details = 5;

/// The worker thread running an operation, for the mutants' chaos points.
thread_local ThreadContext* t_context = nullptr;

TimerQueueFaults faults_of(Variant v) {
    TimerQueueFaults f;
    f.direct_call = v == Variant::direct_call;
    f.unlocked_queue = v == Variant::unlocked_queue;
    f.unbounded = v == Variant::unbounded;
    f.pump_test_outside = v == Variant::lost_wakeup;
    f.unlocked_getters = v == Variant::as_documented;
    return f;
}

/// What the timer should show, computed from absolute end times on the frame clock.
struct TimerModel {
    std::array<bool, k_timing_event_count> started{};
    std::array<std::int64_t, k_timing_event_count> end_ns{};

    Nanos time_until(TimingEvent e, std::int64_t now) const {
        const auto i = static_cast<std::size_t>(e);
        return Nanos(started[i] && now < end_ns[i] ? end_ns[i] - now : 0);
    }
    bool active(TimingEvent e, std::int64_t now) const { return time_until(e, now).count() > 0; }
};

/// Owner-thread findings of one invariant, reported and reset at the next check.
struct Findings {
    std::uint64_t count = 0;
    std::vector<std::string> details;

    void add(std::string detail) {
        ++count;
        if (details.size() < k_max_details) details.push_back(std::move(detail));
    }
    void report(InvariantSink& sink, Inv inv) {
        for (auto& d : details) sink.fail(index_of(inv), std::move(d));
        // sink.fail counts one violation per call: count the ones without details too.
        if (count > details.size()) sink.entries[static_cast<std::size_t>(index_of(inv))].violations += count - details.size();
        count = 0;
        details.clear();
    }
};

class TimerQueueTarget final : public TargetInstance, private OwnerObserver {
public:
    explicit TimerQueueTarget(const TargetConfig& config)
        : m_variant(static_cast<Variant>(config.variant)),
          m_frame(config.params->duration("frame")),
          m_max_countdown(config.params->duration("max_countdown")),
          m_max_queue(static_cast<std::size_t>(config.params->integer("max_queue"))),
          m_threads(static_cast<std::size_t>(std::max(config.thread_count, 1))),
          m_last_applied_seq(m_threads.size(), 0),
          m_last_answered_seq(m_threads.size(), 0),
          m_queue(m_timer, m_clock, options(config), this) {
        m_queue.start();
        m_owner = m_queue.owner_id();
    }

    ~TimerQueueTarget() override { m_queue.stop(); }

    void run(const Op& op, ThreadContext& ctx) override {
        t_context = &ctx;
        PerThread& me = local(ctx);
        const std::uint64_t id = (static_cast<std::uint64_t>(ctx.thread_index + 1) << k_seq_bits) | ++me.seq;
        const bool invalid = op.arg % k_invalid_one_in == 0;
        const auto event = static_cast<TimingEvent>((op.arg >> 4) % k_timing_event_count);
        switch (static_cast<OpKind>(op.index)) {
            case OpKind::start_show: submitted(ctx, me, invalid, false, m_queue.start_show(duration(op.arg), id)); return;
            case OpKind::stop_show: submitted(ctx, me, false, false, m_queue.stop_show(id)); return;
            case OpKind::schedule_break_warnings:
                submitted(ctx, me, invalid, false, m_queue.schedule_break_warnings(duration(op.arg), id));
                return;
            case OpKind::start_ad_break:
                submitted(ctx, me, invalid, false, m_queue.start_ad_break(duration(op.arg), id));
                return;
            case OpKind::time_until: {
                TimeCallback cb;
                if (!invalid) cb = [this, id](Nanos v) { answered(id, v.count()); };
                submitted(ctx, me, invalid, true, m_queue.get_time_until(event, std::move(cb), id));
                return;
            }
            case OpKind::is_timer_active: {
                ActiveCallback cb;
                if (!invalid) cb = [this, id](bool v) { answered(id, v ? 1 : 0); };
                submitted(ctx, me, invalid, true, m_queue.is_timer_active(event, std::move(cb), id));
                return;
            }
            case OpKind::queue_size: me.sink += m_queue.queue_size(); return;
            case OpKind::is_show_active: me.sink += m_queue.is_show_active() ? 1 : 0; return;
            case OpKind::debug_info: {
                const DebugInfo d = m_queue.debug_info();
                me.sink += d.queue_size + d.operations_processed + static_cast<std::uint64_t>(d.last_process_ns);
                return;
            }
        }
    }

    void check(InvariantSink& sink, CheckPoint when) override {
        const auto view = m_queue.pause_and_inspect(k_pause_timeout);
        if (!view) {
            // The owner is still draining: nothing it owns can be read safely.
            sink.fail(index_of(Inv::nothing_stranded),
                      fmt::format("the owner thread did not go idle within {}s with no caller running",
                                  std::chrono::duration_cast<std::chrono::seconds>(k_pause_timeout).count()));
            return;
        }
        // From here the owner is idle and stays so (no caller runs): its state is ours to read.
        const QueueStats& s = view->stats;
        if (s.queued > 0) {
            sink.fail(index_of(Inv::nothing_stranded),
                      fmt::format("{} operation(s) ({} queries) left in the queue with the owner idle and no drain "
                                  "requested; first ids: {}",
                                  s.queued, s.queued_queries, fmt::join(describe_ids(view->queued_ids), ", ")));
        }
        if (s.unpumped > m_unpumped_seen) {
            sink.fail(index_of(Inv::nothing_stranded),
                      fmt::format("{} operation(s) were queued with the owner idle and no pump requested (each waited "
                                  "for a later call to request one)",
                                  s.unpumped - m_unpumped_seen));
            m_unpumped_seen = s.unpumped;
        }
        if (s.high_water > m_max_queue) {
            sink.fail(index_of(Inv::queue_bounded),
                      fmt::format("the queue held {} operations, over its bound of {}", s.high_water, m_max_queue));
        }
        check_accounting(sink, s);
        check_queries(sink, s);
        if (const auto v = m_timer.owner_violations(); v > m_owner_violations_seen) {
            sink.fail(index_of(Inv::owner_thread_only),
                      fmt::format("{} call(s) to the timer from threads other than the owner", v - m_owner_violations_seen));
            m_owner_violations_seen = v;
        }
        m_order.report(sink, Inv::producer_order);
        m_mismatch.report(sink, Inv::timer_consistent);
        if (when == CheckPoint::final) m_queue.stop();
    }

private:
    /// What one worker thread records; only that thread touches it while ops run.
    struct alignas(64) PerThread {
        std::uint64_t seq = 0;
        std::uint64_t valid = 0;    ///< calls accepted with valid arguments
        std::uint64_t invalid = 0;  ///< calls rejected for an invalid argument
        std::uint64_t queries = 0;  ///< of `valid`, the queries
        std::uint64_t sink = 0;     ///< getter results folded in, so that no call is optimized away
    };

    /// The last query answer, between the callback and applied() (owner thread only).
    struct Answer {
        std::uint64_t id = 0;
        std::int64_t value = 0;
        bool fresh = false;
    };

    TimerQueueOptions options(const TargetConfig& config) const {
        TimerQueueOptions o;
        o.max_queue = m_max_queue;
        o.batch_size = static_cast<std::size_t>(config.params->integer("batch_size"));
        o.apply_cost = config.params->duration("apply_cost");
        o.faults = faults_of(m_variant);
        // lost_wakeup's window, between its test of the drain state and its push: the chaos
        // point, then the worst the scheduler can do there, bounded: wait for the drain seen
        // running to end. (The safe queue has no such window and never calls this.)
        o.gap = [this] {
            if (t_context) t_context->chaos_point();
            const auto until = std::chrono::steady_clock::now() + k_gap_wait;
            while (!m_queue.drain_idle() && std::chrono::steady_clock::now() < until) std::this_thread::yield();
        };
        return o;
    }

    PerThread& local(const ThreadContext& ctx) { return m_threads.at(static_cast<std::size_t>(ctx.thread_index)); }

    Nanos duration(std::uint64_t arg) const {
        if (arg % k_invalid_one_in == 0) return -Nanos(static_cast<std::int64_t>((arg >> 8) % 1000));
        return Nanos(1 + static_cast<std::int64_t>((arg >> 8) % static_cast<std::uint64_t>(m_max_countdown.count())));
    }

    static void submitted(ThreadContext& ctx, PerThread& me, bool invalid, bool query, bool accepted) {
        if (accepted == invalid) {
            ctx.violate(index_of(Inv::accounting),
                        fmt::format("a call with {} arguments was {}", invalid ? "invalid" : "valid",
                                    accepted ? "accepted" : "rejected"));
        }
        if (!accepted) {
            ++me.invalid;
            return;
        }
        ++me.valid;
        if (query) ++me.queries;
    }

    static std::vector<std::string> describe_ids(const std::vector<std::uint64_t>& ids) {
        std::vector<std::string> out;
        for (const auto id : ids) out.push_back(fmt::format("thread {} #{}", (id >> k_seq_bits) - 1, id & k_seq_mask));
        return out;
    }

    // ---- owner thread (OwnerObserver) ----------------------------------------------------------

    void frame_begins() override { m_clock.advance(m_frame); }

    void frame_processed() override { compare_with_model("after a frame"); }

    void applied(const TimerOperation& op) override {
        const std::int64_t now = m_clock.now_ns();
        switch (op.kind()) {
            case OperationKind::start_show: start_model(TimingEvent::show_end, op, now); break;
            case OperationKind::stop_show: m_model = {}; break;
            case OperationKind::schedule_break_warnings: start_model(TimingEvent::break_warning, op, now); break;
            case OperationKind::start_ad_break: start_model(TimingEvent::ad_break_end, op, now); break;
            case OperationKind::time_until:
            case OperationKind::is_timer_active: {
                ++m_queries_applied;
                const bool is_time = op.kind() == OperationKind::time_until;
                const std::int64_t want = is_time ? m_model.time_until(op.event(), now).count()
                                                  : (m_model.active(op.event(), now) ? 1 : 0);
                if (!m_answer.fresh || !op.id() || m_answer.id != *op.id()) {
                    m_missing_answers.add(fmt::format("query {} was applied but its callback did not answer it",
                                                      describe_ids({op.id().value_or(0)}).front()));
                } else if (m_answer.value != want) {
                    m_mismatch.add(fmt::format("{}({}) answered {}, the model says {}", to_string(op.kind()),
                                               to_string(op.event()), m_answer.value, want));
                }
                m_answer.fresh = false;
                break;
            }
        }
        if (const auto& id = op.id()) {
            const std::uint64_t producer = (*id >> k_seq_bits) - 1;
            const std::uint64_t seq = *id & k_seq_mask;
            if (producer >= m_last_applied_seq.size()) {
                m_order.add(fmt::format("an operation with a malformed id {:#x}", *id));
            } else if (seq <= m_last_applied_seq[producer]) {
                m_order.add(fmt::format("thread {}'s operation #{} ({}) applied after its #{}", producer, seq,
                                        to_string(op.kind()), m_last_applied_seq[producer]));
            } else {
                m_last_applied_seq[producer] = seq;
            }
        }
        if ((op.kind() == OperationKind::start_show || op.kind() == OperationKind::start_ad_break ||
             op.kind() == OperationKind::schedule_break_warnings) &&
            op.duration().count() <= 0) {
            ++m_invalid_applied;
        }
        compare_with_model(to_string(op.kind()));
    }

    void start_model(TimingEvent e, const TimerOperation& op, std::int64_t now) {
        const auto i = static_cast<std::size_t>(e);
        m_model.started[i] = true;
        m_model.end_ns[i] = now + op.duration().count();
    }

    void compare_with_model(std::string_view after) {
        const std::int64_t now = m_clock.now_ns();
        for (std::size_t i = 0; i < k_timing_event_count; ++i) {
            const auto e = static_cast<TimingEvent>(i);
            const Nanos have = m_timer.time_until(e);
            const bool active = m_timer.is_timer_active(e);
            const Nanos want = m_model.time_until(e, now);
            if (have != want || active != (want.count() > 0)) {
                m_mismatch.add(fmt::format("after {}: {} has {}ns left ({}), the model says {}ns", after, to_string(e),
                                           have.count(), active ? "active" : "inactive", want.count()));
            }
        }
    }

    /// A query's callback: on the owner thread, exactly once per applied query.
    void answered(std::uint64_t id, std::int64_t value) {
        if (std::this_thread::get_id() != m_owner) {
            m_off_owner_answers.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        ++m_answers;
        const std::uint64_t producer = (id >> k_seq_bits) - 1;
        const std::uint64_t seq = id & k_seq_mask;
        if (producer < m_last_answered_seq.size()) {
            if (seq <= m_last_answered_seq[producer]) {
                m_duplicates.add(fmt::format("query thread {} #{} answered again (or after #{})", producer, seq,
                                             m_last_answered_seq[producer]));
            }
            m_last_answered_seq[producer] = std::max(m_last_answered_seq[producer], seq);
        }
        m_answer = {id, value, true};
    }

    // ---- quiescent checks (owner paused) -------------------------------------------------------

    void check_accounting(InvariantSink& sink, const QueueStats& s) {
        const int inv = index_of(Inv::accounting);
        if (s.accepted != s.processed + s.dropped + s.queued) {
            sink.fail(inv, fmt::format("accepted {} != processed {} + dropped {} + queued {}", s.accepted, s.processed,
                                       s.dropped, s.queued));
        }
        std::uint64_t valid = 0;
        std::uint64_t invalid = 0;
        for (const auto& t : m_threads) {
            valid += t.valid;
            invalid += t.invalid;
        }
        if (valid != s.accepted || invalid != s.rejected) {
            sink.fail(inv, fmt::format("callers made {} valid and {} invalid calls; the queue accepted {} and rejected {}",
                                       valid, invalid, s.accepted, s.rejected));
        }
        if (m_invalid_applied > 0) {
            sink.fail(inv, fmt::format("{} operation(s) with a non-positive duration reached the owner", m_invalid_applied));
            m_invalid_applied = 0;
        }
    }

    void check_queries(InvariantSink& sink, const QueueStats& s) {
        const int inv = index_of(Inv::query_exactly_once);
        if (const auto off = m_off_owner_answers.exchange(0, std::memory_order_relaxed); off > 0) {
            sink.fail(inv, fmt::format("{} query callback(s) ran on a thread other than the owner", off));
        }
        m_duplicates.report(sink, Inv::query_exactly_once);
        m_missing_answers.report(sink, Inv::query_exactly_once);
        std::uint64_t made = 0;
        for (const auto& t : m_threads) made += t.queries;
        if (m_variant == Variant::direct_call) return;  // its queries never pass through the queue
        if (m_answers != m_queries_applied || made != m_queries_applied + s.dropped_queries + s.queued_queries) {
            sink.fail(inv, fmt::format("{} queries made, {} applied by the owner, {} answered, {} dropped, {} queued",
                                       made, m_queries_applied, m_answers, s.dropped_queries, s.queued_queries));
        }
    }

    const Variant m_variant;
    const Nanos m_frame;
    const Nanos m_max_countdown;
    const std::size_t m_max_queue;
    std::vector<PerThread> m_threads;
    ManualClock m_clock;  ///< simulated frame time: advanced by the owner, one `frame` per batch
    BroadcastTimer m_timer;
    std::thread::id m_owner;
    std::atomic<std::uint64_t> m_off_owner_answers{0};
    std::uint64_t m_owner_violations_seen = 0;  ///< check() only
    std::uint64_t m_unpumped_seen = 0;          ///< check() only

    // Owner thread only (read by check() while the owner is paused).
    TimerModel m_model;
    Answer m_answer;
    std::vector<std::uint64_t> m_last_applied_seq;   ///< per caller thread
    std::vector<std::uint64_t> m_last_answered_seq;  ///< per caller thread
    std::uint64_t m_queries_applied = 0;
    std::uint64_t m_answers = 0;
    std::uint64_t m_invalid_applied = 0;
    Findings m_order;
    Findings m_mismatch;
    Findings m_duplicates;
    Findings m_missing_answers;

    TimerQueue m_queue;  ///< last: destroyed (owner joined) before what its owner thread uses
};

TargetSpec make_timer_queue_spec() {
    TargetSpec spec;
    TargetInfo& info = spec.info;
    info.name = "timer_queue";
    info.description =
        "Godot's ThreadSafeBroadcastTimer: timer operations queued from any thread, applied by one owner thread";
    info.seed = "000_a55ad4930e1f86da.txt";
    fill_catalog(info, k_variants, k_ops, k_invariants);

    using namespace std::chrono_literals;
    info.params = {
        integer_param("max_queue", 1000, 1, std::int64_t{1} << 20,
                      "most operations queued; on overflow the oldest is dropped (and counted)"),
        integer_param("batch_size", 64, 1, std::int64_t{1} << 16, "most operations the owner applies per frame"),
        duration_param("frame", 1ms, 1ns, 1h, "simulated time each frame (one batch) advances the timer's clock"),
        duration_param("max_countdown", 50ms, 1us, 24h,
                       "valid durations and delays are drawn from [1ns, max_countdown] of simulated time"),
        duration_param("apply_cost", 0ns, 0ns, 10ms,
                       "real busy work per operation applied by the owner (a busy main thread)"),
    };

    spec.create = [](const TargetConfig& config) -> std::unique_ptr<TargetInstance> {
        return std::make_unique<TimerQueueTarget>(config);
    };
    return spec;
}

}  // namespace

TM_REGISTER_TARGET(make_timer_queue_spec);

}  // namespace threadmill::timer_queue
