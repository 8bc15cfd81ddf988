// The `timer_queue` target: Godot's ThreadSafeBroadcastTimer (an operation queue drained by an owner thread).
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "api/threadmill.hpp"
#include "targets/timer_queue/broadcast_timer.hpp"
#include "targets/timer_queue/timer_queue.hpp"

namespace threadmill::timer_queue {
namespace {

/// One call in this many gets an invalid argument (a non-positive duration, no callback).
constexpr std::uint64_t k_invalid_one_in = 16;
/// An operation id: the caller's thread index + 1 in the high bits, its sequence number below.
constexpr int k_seq_bits = 40;
constexpr std::uint64_t k_seq_mask = (std::uint64_t{1} << k_seq_bits) - 1;
/// How long the checks wait for the owner to go idle.
constexpr Nanos k_pause_timeout = std::chrono::seconds(3);
/// Longest wait inside a mutant's window (lost_wakeup: for the drain to end; enqueue_races_stop:
/// for a stop() to close the queue).
constexpr Nanos k_gap_wait = std::chrono::milliseconds(2);
/// Details kept per invariant between two checks.
constexpr std::size_t k_max_details = InvariantSink::k_max_details;

/// The queue's faults of the variant named `variant` (none for `safe`).
TimerQueueFaults faults_of(std::string_view variant) {
    TimerQueueFaults f;
    f.direct_call = variant == "direct_call";
    f.unlocked_queue = variant == "unlocked_queue";
    f.unbounded = variant == "unbounded";
    f.pump_test_outside = variant == "lost_wakeup";
    f.unlocked_getters = variant == "as_documented";
    f.unguarded_apply = variant == "unguarded_callbacks";
    f.drain_under_lock = variant == "drain_under_lock";
    f.stop_strands_waiters = variant == "stop_strands_waiters";
    f.open_test_outside = variant == "enqueue_races_stop";
    f.ready_once = variant == "ready_once";
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
    void report(Check& check) {
        for (auto& d : details) check.fail(std::move(d));
        // Check::fail counts one violation per call: count the ones without details too (the sink
        // keeps no more details than these, so theirs would be dropped anyway).
        for (std::uint64_t n = details.size(); n < count; ++n) check.fail("(detail not kept)");
        count = 0;
        details.clear();
    }
};

class TimerQueueAdapter final : private OwnerObserver {
public:
    explicit TimerQueueAdapter(const Setup& setup)
        : m_direct_call(setup.variant() == "direct_call"),
          m_frame(setup.params().duration("frame")),
          m_max_countdown(setup.params().duration("max_countdown")),
          m_max_queue(static_cast<std::size_t>(setup.params().integer("max_queue"))),
          m_wait_timeout(setup.params().duration("wait_timeout")),
          m_local(setup),
          m_last_applied_seq(static_cast<std::size_t>(m_local.size()), 0),
          m_last_answered_seq(static_cast<std::size_t>(m_local.size()), 0),
          m_queue(m_timer, m_clock, options(setup), this) {
        m_queue.start();
    }

    ~TimerQueueAdapter() override { m_queue.stop(); }

    TimerQueueAdapter(const TimerQueueAdapter&) = delete;
    TimerQueueAdapter& operator=(const TimerQueueAdapter&) = delete;

    // ---- operations ----------------------------------------------------------------------------

    void start_show(Call& call) {
        const std::uint64_t id = next_id(call);
        submitted(call, invalid(call), false, m_queue.start_show(duration(call.bits()), id));
    }

    void stop_show(Call& call) {
        const std::uint64_t id = next_id(call);
        submitted(call, false, false, m_queue.stop_show(id));
    }

    void schedule_break_warnings(Call& call) {
        const std::uint64_t id = next_id(call);
        submitted(call, invalid(call), false, m_queue.schedule_break_warnings(duration(call.bits()), id));
    }

    void start_ad_break(Call& call) {
        const std::uint64_t id = next_id(call);
        submitted(call, invalid(call), false, m_queue.start_ad_break(duration(call.bits()), id));
    }

    void time_until(Call& call) {
        const std::uint64_t id = next_id(call);
        TimeCallback cb;
        if (!invalid(call)) {
            cb = [this, id, fail = call.fault()](Nanos v) {
                answered(id, v.count());
                if (fail) throw std::runtime_error(fmt::format("injected fault in the callback of query {}", id));
            };
        }
        submitted(call, invalid(call), true, m_queue.get_time_until(event(call), std::move(cb), id));
    }

    void is_timer_active(Call& call) {
        const std::uint64_t id = next_id(call);
        ActiveCallback cb;
        if (!invalid(call)) {
            cb = [this, id, fail = call.fault()](bool v) {
                answered(id, v ? 1 : 0);
                if (fail) throw std::runtime_error(fmt::format("injected fault in the callback of query {}", id));
            };
        }
        submitted(call, invalid(call), true, m_queue.is_timer_active(event(call), std::move(cb), id));
    }

    /// The blocking GetTimeUntil: every way it ends is counted; a wait that ran out its whole
    /// timeout is a violation (nothing in a correct queue leaves a caller blocked that long).
    void wait_time_until(Call& call) {
        const std::uint64_t id = next_id(call);
        const TimingEvent e = event(call);
        const WaitResult r = m_queue.wait_time_until(e, m_wait_timeout, id);
        Local& me = m_local[call];
        if (r.status == WaitStatus::refused) {
            ++me.refused;
            return;
        }
        ++me.accepted;
        ++me.waits;
        switch (r.status) {
            case WaitStatus::answered:
                ++me.waits_answered;
                if (r.left.count() < 0 || r.left > m_max_countdown) {
                    call.violate("timer_consistent", fmt::format("wait_time_until({}) answered {}ns, outside [0, {}ns]",
                                                                 to_string(e), r.left.count(), m_max_countdown.count()));
                }
                return;
            case WaitStatus::stopped: ++me.waits_stopped; return;
            case WaitStatus::dropped: ++me.waits_dropped; return;
            case WaitStatus::refused: return;  // counted above
            case WaitStatus::timed_out:
                ++me.waits_timed_out;
                call.violate("waiters_released",
                             fmt::format("its #{}, wait_time_until({}), waited out its whole timeout of {}ms: the "
                                         "query was not answered, dropped or cancelled by stop() in that time",
                                         id & k_seq_mask, to_string(e),
                                         std::chrono::duration_cast<std::chrono::milliseconds>(m_wait_timeout).count()));
                return;
        }
    }

    // ---- lifecycle (from any worker thread, racing the calls of the others) --------------------

    void start(Call& call) {
        next_id(call);
        m_lifecycle_calls.fetch_add(1, std::memory_order_relaxed);
        m_queue.start();
    }

    void stop(Call& call) {
        next_id(call);
        m_lifecycle_calls.fetch_add(1, std::memory_order_relaxed);
        m_queue.stop();
    }

    void restart(Call& call) {
        next_id(call);
        m_lifecycle_calls.fetch_add(1, std::memory_order_relaxed);
        m_queue.stop();
        call.chaos_point();  // the queue is closed: callers are refused here
        m_queue.start();
    }

    void queue_size(Call& call) {
        next_id(call);
        m_local[call].sink += m_queue.queue_size();
    }

    void is_show_active(Call& call) {
        next_id(call);
        m_local[call].sink += m_queue.is_show_active() ? 1 : 0;
    }

    void debug_info(Call& call) {
        next_id(call);
        const DebugInfo d = m_queue.debug_info();
        m_local[call].sink += d.queue_size + d.operations_processed + static_cast<std::uint64_t>(d.last_process_ns);
    }

    // ---- invariants (checked in declaration order, with the owner paused) ----------------------

    /// Checked first at every checkpoint: waits for the owner to go idle and keeps what it saw for
    /// the checks after it; they all skip when it did not go idle (nothing_stranded says so).
    void owner_thread_only(Check& check) {
        m_view = m_queue.pause_and_inspect(k_pause_timeout);
        if (!m_view) return;
        // From here the owner is idle and stays so (no caller runs): its state is ours to read.
        if (const auto v = m_timer.owner_violations(); v > m_owner_violations_seen) {
            check.fail(
                fmt::format("{} call(s) to the timer from threads other than the owner", v - m_owner_violations_seen));
            m_owner_violations_seen = v;
        }
    }

    void accounting(Check& check) {
        if (!m_view) return;
        const QueueStats& s = m_view->stats;
        if (s.accepted != s.processed + s.dropped + s.cancelled + s.queued) {
            check.fail(fmt::format("accepted {} != processed {} + dropped {} + cancelled {} + queued {}", s.accepted,
                                   s.processed, s.dropped, s.cancelled, s.queued));
        }
        std::uint64_t accepted = 0;
        std::uint64_t refused = 0;
        std::uint64_t invalid = 0;
        m_local.for_each([&](const Local& t) {
            accepted += t.accepted;
            refused += t.refused;
            invalid += t.invalid;
        });
        if (accepted != s.accepted || refused != s.refused || invalid != s.rejected) {
            check.fail(fmt::format("callers saw {} calls accepted, {} refused (queue closed) and {} rejected (invalid); "
                                   "the queue counted {}, {} and {}",
                                   accepted, refused, invalid, s.accepted, s.refused, s.rejected));
        }
        if (s.refused > 0 && m_lifecycle_calls.load(std::memory_order_relaxed) == 0) {
            check.fail(fmt::format("{} valid call(s) refused, though nothing ever stopped the queue", s.refused));
        }
        if (m_invalid_applied > 0) {
            check.fail(
                fmt::format("{} operation(s) with a non-positive duration reached the owner", m_invalid_applied));
            m_invalid_applied = 0;
        }
    }

    void queue_bounded(Check& check) {
        if (!m_view) return;
        if (m_view->stats.high_water > m_max_queue) {
            check.fail(fmt::format("the queue held {} operations, over its bound of {}", m_view->stats.high_water,
                                   m_max_queue));
        }
    }

    void producer_order(Check& check) {
        if (!m_view) return;
        m_order.report(check);
    }

    void query_exactly_once(Check& check) {
        if (!m_view) return;
        const QueueStats& s = m_view->stats;
        if (const auto off = m_off_owner_answers.exchange(0, std::memory_order_relaxed); off > 0) {
            check.fail(fmt::format("{} query callback(s) ran on a thread other than the owner", off));
        }
        m_duplicates.report(check);
        m_missing_answers.report(check);
        std::uint64_t made = 0;
        std::uint64_t waits = 0;
        m_local.for_each([&](const Local& t) {
            made += t.queries;
            waits += t.waits;
        });
        if (m_direct_call) return;  // its queries never pass through the queue
        const std::uint64_t applied = m_queries_applied + m_waits_applied;
        if (m_answers != m_queries_applied ||
            made + waits != applied + s.dropped_queries + s.cancelled_queries + s.queued_queries) {
            check.fail(fmt::format("{} queries and {} blocking queries made; {} and {} applied by the owner, {} answered "
                                   "by callback; {} dropped, {} cancelled by stop(), {} queued",
                                   made, waits, m_queries_applied, m_waits_applied, m_answers, s.dropped_queries,
                                   s.cancelled_queries, s.queued_queries));
        }
    }

    void nothing_stranded(Check& check) {
        if (!m_view) {
            // The owner is still draining: nothing it owns can be read safely.
            check.fail(fmt::format("the owner thread did not go idle within {}s with no caller running",
                                   std::chrono::duration_cast<std::chrono::seconds>(k_pause_timeout).count()));
            return;
        }
        const QueueStats& s = m_view->stats;
        if (s.queued > 0) {
            check.fail(fmt::format("{} operation(s) ({} queries) left in the queue with {}; first ids: {}", s.queued,
                                   s.queued_queries,
                                   m_view->running ? "the owner idle and no drain requested"
                                                   : "the queue stopped (stop() cancels what is queued and closes it)",
                                   fmt::join(describe_ids(m_view->queued_ids), ", ")));
        }
        if (s.pushed_while_closed > m_pushed_while_closed_seen) {
            check.fail(fmt::format("{} operation(s) were queued after stop() had closed the queue (and cancelled what it "
                                   "held): accepted, yet nothing applies or cancels them until a later start()",
                                   s.pushed_while_closed - m_pushed_while_closed_seen));
            m_pushed_while_closed_seen = s.pushed_while_closed;
        }
        if (s.unpumped > m_unpumped_seen) {
            check.fail(fmt::format("{} operation(s) were queued with the owner idle and no pump requested (each waited "
                                   "for a later call to request one)",
                                   s.unpumped - m_unpumped_seen));
            m_unpumped_seen = s.unpumped;
        }
    }

    void waiters_released(Check& check) {
        if (!m_view || m_direct_call) return;
        const QueueStats& s = m_view->stats;
        Local sum;
        m_local.for_each([&](const Local& t) {
            sum.waits_answered += t.waits_answered;
            sum.waits_stopped += t.waits_stopped;
            sum.waits_dropped += t.waits_dropped;
        });
        // Each blocking query the owner applied released its caller with the answer; the others
        // were released by what happened to their query.
        if (sum.waits_answered != m_waits_applied || sum.waits_stopped > s.cancelled_queries ||
            sum.waits_dropped > s.dropped_queries) {
            check.fail(fmt::format("blocking queries: {} answered, {} applied by the owner; {} released as stopped, "
                                   "{} queries cancelled; {} released as dropped, {} queries dropped",
                                   sum.waits_answered, m_waits_applied, sum.waits_stopped, s.cancelled_queries,
                                   sum.waits_dropped, s.dropped_queries));
        }
    }

    /// Checked last: at the end, once every check has read the paused owner, stops it.
    void timer_consistent(Check& check) {
        if (!m_view) return;
        m_mismatch.report(check);
        if (check.is_final()) m_queue.stop();
    }

private:
    /// What one worker thread records; only that thread touches it while ops run.
    struct Local {
        std::uint64_t seq = 0;
        std::uint64_t accepted = 0;  ///< calls accepted (queued)
        std::uint64_t refused = 0;   ///< valid calls refused: the queue was closed
        std::uint64_t invalid = 0;   ///< calls rejected for an invalid argument
        std::uint64_t queries = 0;   ///< of `accepted`, the queries answered by callback
        std::uint64_t waits = 0;     ///< of `accepted`, the blocking queries; they ended:
        std::uint64_t waits_answered = 0;
        std::uint64_t waits_stopped = 0;
        std::uint64_t waits_dropped = 0;
        std::uint64_t waits_timed_out = 0;
        std::uint64_t sink = 0;      ///< getter results folded in, so that no call is optimized away
    };

    /// The last query answer, between the callback and applied() (owner thread only).
    struct Answer {
        std::uint64_t id = 0;
        std::int64_t value = 0;
        bool fresh = false;
    };

    TimerQueueOptions options(const Setup& setup) const {
        TimerQueueOptions o;
        o.max_queue = m_max_queue;
        o.batch_size = static_cast<std::size_t>(setup.params().integer("batch_size"));
        o.apply_cost = setup.params().duration("apply_cost");
        o.faults = faults_of(setup.variant());
        // A mutant's window between a test and the push that depends on it: the chaos point,
        // then the worst the scheduler can do there, bounded. lost_wakeup: wait for the drain seen
        // running to end; enqueue_races_stop: wait for a stop() to close the queue seen open.
        // (The safe queue has no such window and never calls this.)
        o.gap = [this, races_stop = o.faults.open_test_outside] {
            if (Call* call = threadmill::current_call()) call->chaos_point();
            const auto until = std::chrono::steady_clock::now() + k_gap_wait;
            const auto changed = [&] { return races_stop ? !m_queue.accepting() : m_queue.drain_idle(); };
            while (!changed() && std::chrono::steady_clock::now() < until) std::this_thread::yield();
        };
        return o;
    }

    /// The id of this thread's next operation (every operation, getters too, takes a number).
    std::uint64_t next_id(Call& call) {
        return (static_cast<std::uint64_t>(call.thread() + 1) << k_seq_bits) | ++m_local[call].seq;
    }

    static bool invalid(const Call& call) { return call.bits() % k_invalid_one_in == 0; }
    static TimingEvent event(const Call& call) {
        return static_cast<TimingEvent>((call.bits() >> 4) % k_timing_event_count);
    }

    Nanos duration(std::uint64_t arg) const {
        if (arg % k_invalid_one_in == 0) return -Nanos(static_cast<std::int64_t>((arg >> 8) % 1000));
        return Nanos(1 + static_cast<std::int64_t>((arg >> 8) % static_cast<std::uint64_t>(m_max_countdown.count())));
    }

    /// A valid call returns false only when refused (the queue closed), which the callers cannot
    /// judge while lifecycle calls race them: the totals are checked against the queue's.
    void submitted(Call& call, bool invalid, bool query, bool accepted) {
        if (invalid && accepted) call.violate("accounting", "a call with invalid arguments was accepted");
        Local& me = m_local[call];
        if (!accepted) {
            ++(invalid ? me.invalid : me.refused);
            return;
        }
        ++me.accepted;
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
                if (op.has_waiter()) {
                    // A blocking query: its answer (the timer's, compared with the model below)
                    // went to the caller blocked on it.
                    ++m_waits_applied;
                    break;
                }
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
        if (std::this_thread::get_id() != m_queue.owner_id()) {
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

    const bool m_direct_call;
    const Nanos m_frame;
    const Nanos m_max_countdown;
    const std::size_t m_max_queue;
    const Nanos m_wait_timeout;
    PerThread<Local> m_local;
    ManualClock m_clock;  ///< simulated frame time: advanced by the owner, one `frame` per batch
    BroadcastTimer m_timer;
    std::atomic<std::uint64_t> m_off_owner_answers{0};
    std::atomic<std::uint64_t> m_lifecycle_calls{0};
    std::uint64_t m_owner_violations_seen = 0;     ///< checks only
    std::uint64_t m_unpumped_seen = 0;             ///< checks only
    std::uint64_t m_pushed_while_closed_seen = 0;  ///< checks only
    std::optional<PausedView> m_view;           ///< checks only: the paused owner of this checkpoint

    // Owner thread only (read by the checks while the owner is paused).
    TimerModel m_model;
    Answer m_answer;
    std::vector<std::uint64_t> m_last_applied_seq;   ///< per caller thread
    std::vector<std::uint64_t> m_last_answered_seq;  ///< per caller thread
    std::uint64_t m_queries_applied = 0;  ///< queries answered by callback
    std::uint64_t m_waits_applied = 0;    ///< blocking queries
    std::uint64_t m_answers = 0;
    std::uint64_t m_invalid_applied = 0;
    Findings m_order;
    Findings m_mismatch;
    Findings m_duplicates;
    Findings m_missing_answers;

    TimerQueue m_queue;  ///< last: destroyed (owner joined) before what its owner thread uses
};

using namespace std::chrono_literals;

THREADMILL_TARGET(
    threadmill::target<TimerQueueAdapter>("timer_queue")
        .describe("Godot's ThreadSafeBroadcastTimer: timer operations queued from any thread, applied by one owner "
                  "thread")
        .source_document("000_a55ad4930e1f86da.txt")
        .variant("safe",
                 "the documented design, kept: a bounded queue under one lock, a pump requested under that lock, one "
                 "owner thread that drains until it finds the queue empty, getters that read under the lock what the "
                 "owner published")
        .mutant("direct_call", "invariant:owner_thread_only",
                "the document's \"Before\": the API calls the timer on the caller's thread (and answers queries "
                "there)")
        .mutant("unlocked_queue", "race", "callers push to (and drop from) the queue without the lock")
        .mutant("unbounded", "invariant:queue_bounded", "no overflow guard: the queue grows past max_queue")
        .mutant("lost_wakeup", "invariant:nothing_stranded",
                "callers test whether a pump is needed before taking the lock: a drain seen running may end before "
                "the push, stranding the operation")
        .mutant("as_documented", "race",
                "the document's literal getters: QueueSize reads the queue without the lock, IsShowActive reads the "
                "timer under a lock its writer (the owner) never takes")
        .mutant("drain_under_lock", "slo",
                "the owner applies each batch while holding the queue lock: callers wait for the whole batch "
                "(judged by throughput against the safe variant, not by p99)")
        .mutant("unguarded_callbacks", "crash",
                "the owner applies operations with no try/catch around each: a query callback that throws ends the "
                "owner thread, and the process")
        .mutant("stop_strands_waiters", "invariant:waiters_released",
                "stop() discards the operations still queued without releasing the callers blocked on them: each "
                "waits out its own timeout")
        .mutant("enqueue_races_stop", "invariant:nothing_stranded",
                "a caller tests whether the queue is open before taking the lock and pushes without testing again: "
                "an operation made as stop() runs is queued after stop() closed and cancelled the queue")
        .mutant("ready_once", "invariant:nothing_stranded",
                "start() marks the queue ready (the document's _isInitialized) only the first time, as Godot calls "
                "_Ready once per node: after a restart the owner runs but no call requests a pump")
        .param(integer_param("max_queue", 1000, 1, std::int64_t{1} << 20,
                             "most operations queued; on overflow the oldest is dropped (and counted)"))
        .param(integer_param("batch_size", 64, 1, std::int64_t{1} << 16, "most operations the owner applies per frame"))
        .param(duration_param("frame", 1ms, 1ns, 1h,
                              "simulated time each frame (one batch) advances the timer's clock"))
        .param(duration_param("max_countdown", 50ms, 1us, 24h,
                              "valid durations and delays are drawn from [1ns, max_countdown] of simulated time"))
        .param(duration_param("apply_cost", 0ns, 0ns, 10ms,
                              "real busy work per operation applied by the owner (a busy main thread)"))
        .param(duration_param("wait_timeout", 2s, 1ms, 1h,
                              "how long wait_time_until waits for its answer (real time); a wait that runs it out "
                              "breaks waiters_released"))
        .op("start_show", &TimerQueueAdapter::start_show,
            "StartShow(duration): duration from arg, non-positive (rejected) one time in 16")
        .op("stop_show", &TimerQueueAdapter::stop_show,
            "StopShow(): stops the show, its break warning and its ad break")
        .op("schedule_break_warnings", &TimerQueueAdapter::schedule_break_warnings,
            "ScheduleBreakWarnings(from_now): delay from arg, non-positive (rejected) one time in 16")
        .op("start_ad_break", &TimerQueueAdapter::start_ad_break,
            "StartAdBreak(duration): duration from arg, non-positive (rejected) one time in 16")
        .op("time_until", &TimerQueueAdapter::time_until,
            "GetTimeUntil(event, callback): event from arg; no callback (rejected) one time in 16; with [faults], "
            "the callback throws after it answers")
        .op("is_timer_active", &TimerQueueAdapter::is_timer_active,
            "IsTimerActive(event, callback): event from arg; no callback (rejected) one time in 16; with [faults], "
            "the callback throws after it answers")
        .op("wait_time_until", &TimerQueueAdapter::wait_time_until,
            "GetTimeUntil made blocking: queues the query (event from arg) and waits up to wait_timeout for the "
            "answer; released at once when refused, dropped or cancelled by stop()")
        .op("start", &TimerQueueAdapter::start, "start(): opens the queue and starts an owner thread (if not running)")
        .op("stop", &TimerQueueAdapter::stop,
            "stop(): closes the queue, cancels what is queued, joins the owner (callers are refused until a start)")
        .op("restart", &TimerQueueAdapter::restart, "stop(), a chaos point, start()")
        .op("queue_size", &TimerQueueAdapter::queue_size, "the QueueSize getter")
        .op("is_show_active", &TimerQueueAdapter::is_show_active, "the IsShowActive getter")
        .op("debug_info", &TimerQueueAdapter::debug_info,
            "GetDebugInfo(): queue size, operations processed, last process time")
        .invariant("owner_thread_only", &TimerQueueAdapter::owner_thread_only,
                   "the timer is never called from a thread other than the owner")
        .invariant("accounting", &TimerQueueAdapter::accounting,
                   "quiescent: accepted = processed + dropped + cancelled + queued; callers' accepted, refused "
                   "(queue closed) and rejected (invalid) calls match the queue's counts, none refused unless a "
                   "lifecycle call ran, and no invalid operation reached the owner")
        .invariant("queue_bounded", &TimerQueueAdapter::queue_bounded,
                   "quiescent: the queue never held more than max_queue operations")
        .invariant("producer_order", &TimerQueueAdapter::producer_order,
                   "the owner applies each caller's operations in the order it made them")
        .invariant("query_exactly_once", &TimerQueueAdapter::query_exactly_once,
                   "each accepted query's callback runs exactly once, on the owner thread, unless the query was "
                   "dropped on overflow or cancelled by stop() (queries made = applied + dropped + cancelled + "
                   "queued)")
        .invariant("nothing_stranded", &TimerQueueAdapter::nothing_stranded,
                   "quiescent: once the owner is idle (no drain requested or running) or stopped, the queue is "
                   "empty; no enqueue ever left an operation queued with the owner running, idle and no pump "
                   "requested, nor queued one after stop() closed the queue")
        .invariant("waiters_released", &TimerQueueAdapter::waiters_released,
                   "every blocking query returns without running out its timeout: answered (as often as the owner "
                   "applied one), or released when refused, dropped on overflow or cancelled by stop()")
        .invariant("timer_consistent", &TimerQueueAdapter::timer_consistent,
                   "the timer's countdowns, and every query answer, match a model computed from the operations "
                   "applied and the simulated frame clock"));

}  // namespace
}  // namespace threadmill::timer_queue
