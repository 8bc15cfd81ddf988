// The `subscriptions` target: Glueberry's Node (event fan-out, per-concern RW locks, lazy controllers, workers).
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "api/threadmill.hpp"
#include "targets/subscriptions/adapter_catalog.hpp"
#include "targets/subscriptions/node.hpp"
#include "targets/subscriptions/subscription.hpp"

namespace threadmill::subscriptions {
namespace {

using namespace adapter;

/// Findings (invariant name, detail) kept for later.
using Findings = std::vector<std::pair<std::string_view, std::string>>;

/// Reports inside an operation: an online violation of the named invariant.
struct Online {
    Call& call;
    void operator()(std::string_view inv, std::string detail) const { call.violate(inv, std::move(detail)); }
};

/// Reports at a checkpoint: to `check` for invariant `name`; the other invariants' findings wait in `later`.
struct AtCheck {
    Check& check;
    std::string_view name;
    Findings& later;
    void operator()(std::string_view inv, std::string detail) const {
        if (inv == name) {
            check.fail(std::move(detail));
        } else {
            later.emplace_back(inv, std::move(detail));
        }
    }
};

class Subscriptions {
public:
    explicit Subscriptions(const Setup& setup)
        : m_local(setup),
          m_counters(setup),
          m_max_subs(static_cast<std::size_t>(setup.params().integer("max_subscriptions"))),
          m_consume_batch(static_cast<std::size_t>(setup.params().integer("consume_batch"))),
          m_consume_cost(setup.params().duration("consume_cost")),
          m_node(options(setup)) {
        for (std::size_t s = 0; s < k_streams; ++s) m_stream_names[s] = fmt::format("stream-{}", s);
        m_node.start();
        const auto consumers = setup.params().integer("slow_consumers");
        for (std::int64_t i = 0; i < consumers; ++i) {
            auto c = std::make_unique<SlowConsumer>();
            c->sub.sub = m_node.subscribe(k_all_states);  // before any publish: its bounds start at 0
            c->sub.filter = k_all_states;
            c->sub.last_seq.assign(publishers(), 0);
            m_consumers.push_back(std::move(c));
        }
        for (auto& c : m_consumers) c->thread = std::thread([this, p = c.get()] { consume_slowly(*p); });
    }

    ~Subscriptions() {
        stop_consumers();
        m_node.stop();
    }

    Subscriptions(const Subscriptions&) = delete;
    Subscriptions& operator=(const Subscriptions&) = delete;

    // ---- operations ----

    void publish(Call& call) {
        Local& me = m_local[call];
        const auto state = static_cast<State>(call.bits() % k_state_count);
        Event e;
        e.seq = ++me.seq;
        e.peer = call.key();
        e.publisher = static_cast<std::uint32_t>(call.thread());
        e.state = state;
        Counters& c = m_counters[call];
        const std::size_t s = state_index(state);
        bump(c.started[s]);
        const PublishResult r = m_node.publish(e);  // a failed delivery is counted, never thrown out
        bump(c.finished[s]);
        if (r.accepted) bump(c.accepted[s]);
        me.sink += r.delivered + r.failed;
    }

    void subscribe(Call& call) {
        Local& me = m_local[call];
        if (me.subs.size() >= m_max_subs) close_owned(me, 0, true, Online{call});
        const StateMask filter = filter_of(call.bits());
        OwnedSub o;
        o.filter = filter;
        o.finished_before = sum(&Counters::finished, filter);
        o.sub = m_node.subscribe(filter);
        o.started_after = sum(&Counters::started, filter);
        o.last_seq.assign(publishers(), 0);
        me.subs.push_back(std::move(o));
    }

    void consume(Call& call) {
        Local& me = m_local[call];
        if (me.subs.empty()) return;
        OwnedSub& o = me.subs[call.bits() % me.subs.size()];
        for (std::size_t n = 0; n < m_consume_batch; ++n) {
            const auto e = o.sub->try_next();
            if (!e) break;
            received(o, *e, Online{call});
        }
    }

    void unsubscribe(Call& call) { close_one(call, true); }
    void close(Call& call) { close_one(call, false); }

    void flow(Call& call) {
        Local& me = m_local[call];
        const std::size_t s = call.key() % k_streams;
        const std::uint64_t ended_before = m_removals_ended[s].load(std::memory_order_relaxed);
        const auto fc = m_node.flow_controller(m_stream_names[s]);
        const std::uint64_t begun_after = m_removals_begun[s].load(std::memory_order_relaxed);
        SeenController& seen = me.controllers[s];
        if (fc->stream() != m_stream_names[s]) {
            call.violate("one_controller_per_stream",
                         fmt::format("asked for {}, got the controller of {}", m_stream_names[s], fc->stream()));
        } else if (seen.serial != 0 && seen.serial != fc->serial() && seen.ended_before == begun_after) {
            // Every removal begun by now had ended before the previous lookup: none erased in between.
            call.violate("one_controller_per_stream",
                         fmt::format("{}: thread {} got controller #{}, then #{}, with no removal of the stream between",
                                     m_stream_names[s], call.thread(), seen.serial, fc->serial()));
        }
        seen = {fc->serial(), ended_before};
        if (fc->try_acquire()) {
            me.sink += static_cast<std::uint64_t>(fc->pending());
            fc->release();
        }
    }

    /// Lockstep: getOrCreateFlowController on a stream of its own ("litmus"), which the reset removes
    /// after every round, so that each round creates it afresh; records which controller this thread got.
    void lazy_flow(Call& call) { m_local[call].litmus_serial = m_node.flow_controller(k_litmus_stream)->serial(); }

    /// Lockstep arbiter: per thread, in thread order, which controller created this round it got
    /// (1: the first; 0: it ran no lazy_flow). Every thread shares one: "1, 1".
    void observe_litmus(RoundOutcome& out) {
        m_local.for_each([&](const Local& me) {
            out.add(me.litmus_serial > m_litmus_base ? me.litmus_serial - m_litmus_base : std::uint64_t{0});
        });
    }

    /// Between rounds: removes the litmus stream's controller (a removal like drop_stream's, for
    /// the quiescent count) and forgets what each thread got. Nothing else uses that stream.
    void next_round() {
        if (m_node.remove_flow_controller(k_litmus_stream)) m_removed.fetch_add(1, std::memory_order_relaxed);
        m_litmus_base = m_node.flow_controllers_created();
        m_local.for_each([](Local& me) { me.litmus_serial = 0; });
    }

    void drop_stream(Call& call) {
        const std::size_t s = call.key() % k_streams;
        // Counted around the removal: a reader that sees its effect sees `begun` counted, and a
        // reader that looked before the erase cannot have seen `ended` counted.
        m_removals_begun[s].fetch_add(1, std::memory_order_relaxed);
        if (m_node.remove_flow_controller(m_stream_names[s])) m_removed.fetch_add(1, std::memory_order_relaxed);
        m_removals_ended[s].fetch_add(1, std::memory_order_relaxed);
    }

    void stats_update(Call& call) {
        m_node.record_event(call.key(), (call.bits() & 1) ? Direction::sent : Direction::received, k_event_bytes);
    }

    /// The document's updatePeerStats: peer statistics, then the flow controllers.
    void peer_flow(Call& call) { m_node.update_peer_flow(call.key(), m_stream_names[call.key() % k_streams]); }

    /// Resets the stream of peer <key> (a removal, counted like drop_stream's).
    void peer_reset(Call& call) {
        const std::size_t s = call.key() % k_streams;
        m_removals_begun[s].fetch_add(1, std::memory_order_relaxed);
        const Node::StreamReset r = m_node.reset_stream_for_peer(call.key(), m_stream_names[s]);
        if (r.removed) m_removed.fetch_add(1, std::memory_order_relaxed);
        m_local[call].sink += r.peer_events;
        m_removals_ended[s].fetch_add(1, std::memory_order_relaxed);
    }

    void stats_read(Call& call) {
        const auto s = m_node.peer_statistics(call.key());
        if (!s) return;
        if (s->bytes_sent != k_event_bytes * s->events_sent ||
            s->bytes_received != k_event_bytes * s->events_received) {
            call.violate("stats_consistent",
                         fmt::format("peer {}: {} events / {} bytes sent, {} events / {} bytes received", call.key(),
                                     s->events_sent, s->bytes_sent, s->events_received, s->bytes_received));
        }
        m_local[call].sink += s->events_sent;
    }

    void key_read(Call& call) {
        const std::uint64_t peer = call.key();
        const auto key = m_node.cached_key(peer);
        if (!key) return;
        std::array<std::uint8_t, k_key_size> first{};
        const auto bytes = key->bytes();
        std::copy_n(bytes.begin(), std::min(bytes.size(), k_key_size), first.begin());
        if (bytes.size() != k_key_size || !whole_key(peer, first)) {
            call.violate("key_copy_stable",
                         fmt::format("peer {}: the key returned is not one whole key (torn by a rotation?)", peer));
        }
        call.chaos_point();  // the caller uses the key a while (encrypts, derives a session key)
        const auto again = key->bytes();
        if (!std::equal(again.begin(), again.end(), first.begin(), first.end())) {
            call.violate("key_copy_stable",
                         fmt::format("peer {}: the key returned changed after the call returned", peer));
        }
        m_local[call].sink += first[0];
    }

    void key_rotate(Call& call) {
        const std::uint64_t generation =
            (static_cast<std::uint64_t>(call.thread() + 1) << 40) | ++m_local[call].key_writes;
        const auto key = make_key(call.key(), generation);
        m_node.set_peer_key(call.key(), key);
    }

    void key_remove(Call& call) {
        m_node.remove_peer_key(call.key());
    }

    void stop(Call& call) {
        stop_node(Online{call});
    }

    void start(Call&) {
        m_node.start();
    }

    void restart(Call& call) {
        stop_node(Online{call});
        m_node.start();
    }

    // ---- lifecycle and invariants ----
    // What the final stop and the final closes find for an invariant checked later in the same
    // checkpoint waits in m_deferred until that invariant's check (see deferred_or).

    /// After the last operation: stops the node, then closes the slow consumers' subscriptions and joins them.
    void teardown() {
        const auto report = [this](std::string_view inv, std::string detail) { defer(inv, std::move(detail)); };
        stop_node(report);
        if (const int n = m_node.running_workers(); n != 0) {
            report("workers_joined", fmt::format("{} worker(s) still running after the final stop", n));
        }
        stop_consumers();
        for (auto& c : m_consumers) {
            for (auto& p : c->problems) report(p.first, std::move(p.second));
            c->problems.clear();
        }
    }

    void delivery_accounting(Check& check) {
        const auto report = deferred_or(check, "delivery_accounting");
        // Every publish has finished: each open subscription's count is final for now.
        m_local.for_each([&](Local& me) {
            for (auto& o : me.subs) check_open(o, report);
        });
        for (auto& c : m_consumers) check_open(c->sub, report);
        if (check.is_final()) close_all(report);
    }

    /// Online, and the slow consumers' findings at the end.
    void per_publisher_order(Check& check) { flush("per_publisher_order", check); }
    /// Online, and the slow consumers' findings at the end.
    void filter_respected(Check& check) { flush("filter_respected", check); }

    void closed_stays_closed(Check& check) {
        flush("closed_stays_closed", check);
        const auto report = deferred_or(check, "closed_stays_closed");
        m_local.for_each([&](Local& me) { check_closed_all(me, report); });
    }

    void one_controller_per_stream(Check& check) {
        flush("one_controller_per_stream", check);
        check_flow(deferred_or(check, "one_controller_per_stream"));
    }

    void workers_joined(Check& check) {
        flush("workers_joined", check);
        check_workers(deferred_or(check, "workers_joined"));
    }

private:
    /// Publish counts of one thread, per event state; only that thread writes them.
    struct Counters {
        std::array<std::atomic<std::uint64_t>, k_state_count> started{};   ///< publish() called
        std::array<std::atomic<std::uint64_t>, k_state_count> finished{};  ///< publish() returned
        std::array<std::atomic<std::uint64_t>, k_state_count> accepted{};  ///< ... and the node was running
    };
    using CounterSet = std::array<std::atomic<std::uint64_t>, k_state_count> Counters::*;

    /// A subscription and what its single consumer knows of it.
    struct OwnedSub {
        std::shared_ptr<Subscription> sub;
        StateMask filter = 0;
        std::uint64_t finished_before = 0;  ///< publishes of its states finished before subscribe() began
        std::uint64_t started_after = 0;    ///< publishes of its states started before subscribe() returned
        std::uint64_t consumed = 0;
        std::vector<std::uint64_t> last_seq;  ///< per publisher
    };

    /// A closed subscription and its counts when it was closed.
    struct ClosedSub {
        std::shared_ptr<Subscription> sub;
        std::uint64_t delivered = 0;
        std::uint64_t dropped = 0;
        std::uint64_t failed = 0;
    };

    /// The controller a thread last got for a stream, and the stream's removals ended before it asked.
    struct SeenController {
        std::uint64_t serial = 0;
        std::uint64_t ended_before = 0;
    };

    /// What one worker thread keeps; only that thread touches it while ops run.
    struct Local {
        std::uint64_t seq = 0;
        std::vector<OwnedSub> subs;
        std::vector<ClosedSub> closed;
        std::array<SeenController, k_streams> controllers{};
        std::uint64_t key_writes = 0;
        std::uint64_t sink = 0;           ///< results folded in, so that no read is optimized away
        std::uint64_t litmus_serial = 0;  ///< the litmus stream's controller lazy_flow got this round
    };

    /// A consumer thread of the target's own: it takes events one at a time, consume_cost each,
    /// until its subscription is closed (a Go `range` over the channel).
    struct SlowConsumer {
        OwnedSub sub;
        std::thread thread;
        Findings problems;                    ///< its own thread's; read after the join
        std::optional<std::size_t> discarded;  ///< what the close that ended it discarded
    };

    static NodeOptions options(const Setup& setup) {
        NodeOptions o;
        o.buffer_capacity = static_cast<std::size_t>(setup.params().integer("buffer_capacity"));
        o.maintenance_interval = setup.params().duration("maintenance_interval");
        o.stale_after = setup.params().duration("stale_after");
        o.flow_high_water = setup.params().integer("flow_high_water");
        o.pause = [] {
            if (Call* call = threadmill::current_call()) call->chaos_point();
        };
        // A delivery fails with the scenario's [faults] rate: the node must count it and go on.
        o.before_delivery = [](const Subscription& sub, const Event& e) {
            if (Call* call = threadmill::current_call(); call != nullptr && call->fault()) {
                throw std::runtime_error(fmt::format("injected: delivery of publisher {}'s event #{} to subscription #{}",
                                                     e.publisher, e.seq, sub.id()));
            }
        };
        o.faults = faults_of(setup.variant());
        return o;
    }

    /// Reports at a checkpoint: to `check` for invariant `name`, deferred to their own check for the others.
    AtCheck deferred_or(Check& check, std::string_view name) { return AtCheck{check, name, m_deferred}; }

    void defer(std::string_view inv, std::string detail) { m_deferred.emplace_back(inv, std::move(detail)); }

    /// Reports to `check` what was deferred for invariant `name`, in the order it was found.
    void flush(std::string_view name, Check& check) {
        Findings rest;
        for (auto& d : m_deferred) {
            if (d.first == name) {
                check.fail(std::move(d.second));
            } else {
                rest.push_back(std::move(d));
            }
        }
        m_deferred = std::move(rest);
    }

    std::size_t publishers() const { return static_cast<std::size_t>(m_local.size()); }

    /// Publishes of all threads whose state is in `mask`, from one of the three counter sets.
    std::uint64_t sum(CounterSet set, StateMask mask) const {
        std::uint64_t n = 0;
        m_counters.for_each([&](const Counters& c) {
            const auto& counts = c.*set;
            for (std::size_t s = 0; s < k_state_count; ++s) {
                if ((mask & (1u << s)) != 0) n += counts[s].load(std::memory_order_relaxed);
            }
        });
        return n;
    }

    /// unsubscribe (via the node) or close: one of this thread's subscriptions.
    void close_one(Call& call, bool via_node) {
        Local& me = m_local[call];
        if (me.subs.empty()) return;
        close_owned(me, call.bits() % me.subs.size(), via_node, Online{call});
    }

    /// One event taken by a subscription's consumer: filter and per-publisher order.
    template <typename Report>
    void received(OwnedSub& o, const Event& e, Report&& report) {
        ++o.consumed;
        if ((o.filter & mask_of(e.state)) == 0) {
            report("filter_respected", fmt::format("subscription #{} (filter {:#x}) received a '{}' event", o.sub->id(),
                                                   o.filter, to_string(e.state)));
        }
        if (e.publisher >= o.last_seq.size()) {
            report("per_publisher_order",
                   fmt::format("subscription #{} received an event of unknown publisher {}", o.sub->id(), e.publisher));
            return;
        }
        std::uint64_t& last = o.last_seq[e.publisher];
        if (e.seq <= last) {
            report("per_publisher_order",
                   fmt::format("subscription #{} received publisher {}'s event #{} after its #{}", o.sub->id(),
                               e.publisher, e.seq, last));
        }
        last = std::max(last, e.seq);
    }

    /// What one subscription's counters say was offered to it: delivered, dropped or failed.
    struct Offered {
        std::uint64_t delivered = 0;
        std::uint64_t dropped = 0;
        std::uint64_t failed = 0;
    };

    static Offered offered_to(const Subscription& sub) { return {sub.delivered(), sub.dropped(), sub.failed()}; }

    /// delivered + dropped + failed against the publishes made while `o` was open (bounds, see README).
    template <typename Report>
    void check_offered(const OwnedSub& o, const Offered& n, std::uint64_t accepted_before_close,
                       std::uint64_t started_after_close, std::string_view when, Report&& report) {
        const std::uint64_t offered = n.delivered + n.dropped + n.failed;
        const auto lower = static_cast<std::int64_t>(accepted_before_close) - static_cast<std::int64_t>(o.started_after);
        const std::uint64_t upper = started_after_close - o.finished_before;
        if (static_cast<std::int64_t>(offered) < lower || offered > upper) {
            report("delivery_accounting",
                   fmt::format("subscription #{} (filter {:#x}) {}: {} delivered + {} dropped + {} failed = {}, but "
                               "between {} and {} events were published while it was open",
                               o.sub->id(), o.filter, when, n.delivered, n.dropped, n.failed, offered,
                               std::max<std::int64_t>(lower, 0), upper));
        }
    }

    /// At a quiescent point (no publish running) the bounds of an open subscription are exact enough.
    template <typename Report>
    void check_open(const OwnedSub& o, Report&& report) {
        check_offered(o, offered_to(*o.sub), sum(&Counters::accepted, o.filter), sum(&Counters::started, o.filter),
                      "while open", report);
    }

    /// Closes subscription `i` of this thread (through the node, or directly) and closes it again.
    template <typename Report>
    void close_owned(Local& me, std::size_t i, bool via_node, Report&& report) {
        OwnedSub o = std::move(me.subs[i]);
        me.subs.erase(me.subs.begin() + static_cast<std::ptrdiff_t>(i));
        const std::uint64_t accepted_before = sum(&Counters::accepted, o.filter);
        const auto first = via_node ? m_node.unsubscribe(o.sub) : o.sub->close();
        const auto second = o.sub->close();  // "also twice": the owner's deferred Close
        const std::uint64_t started_after = sum(&Counters::started, o.filter);
        const Offered n = offered_to(*o.sub);
        const std::uint64_t delivered = n.delivered;
        if (!first) {
            report("closed_stays_closed",
                   fmt::format("subscription #{}: its first close found it closed", o.sub->id()));
        } else if (o.consumed + *first != delivered) {
            report("delivery_accounting",
                   fmt::format("subscription #{}: {} consumed + {} discarded at close != {} delivered", o.sub->id(),
                               o.consumed, *first, delivered));
        }
        if (second) {
            report("closed_stays_closed",
                   fmt::format("subscription #{}: a second close closed it again (discarding {})", o.sub->id(), *second));
        }
        if (o.sub->try_next()) {
            report("closed_stays_closed", fmt::format("subscription #{}: an event was taken after close", o.sub->id()));
        }
        check_offered(o, n, accepted_before, started_after, "at close", report);
        if (me.closed.size() >= k_closed_kept) {
            check_closed(me.closed.front(), report);
            me.closed.erase(me.closed.begin());
        }
        me.closed.push_back({std::move(o.sub), n.delivered, n.dropped, n.failed});
    }

    /// A subscription closed earlier: nothing delivered, counted or buffered since.
    template <typename Report>
    void check_closed(const ClosedSub& c, Report&& report) {
        const Offered n = offered_to(*c.sub);
        if (n.delivered != c.delivered || n.dropped != c.dropped || n.failed != c.failed || c.sub->buffered() != 0) {
            report("closed_stays_closed",
                   fmt::format("subscription #{}: {} delivered / {} dropped / {} failed at close, {} / {} / {} (and {} "
                               "buffered) later",
                               c.sub->id(), c.delivered, c.dropped, c.failed, n.delivered, n.dropped, n.failed,
                               c.sub->buffered()));
        }
    }

    /// Checks and forgets the subscriptions a thread closed since the last checkpoint.
    template <typename Report>
    void check_closed_all(Local& me, Report&& report) {
        for (auto& c : me.closed) check_closed(c, report);
        me.closed.clear();
    }

    /// At the end, after the open subscriptions' last check: the closed ones are checked first, then each
    /// thread unsubscribes all of its own (checked at close), then the slow consumers' accounting.
    template <typename Report>
    void close_all(Report&& report) {
        m_local.for_each([&](Local& me) { check_closed_all(me, report); });
        m_local.for_each([&](Local& me) {
            while (!me.subs.empty()) close_owned(me, 0, true, report);
            check_closed_all(me, report);
        });
        // The slow consumers' subscriptions were closed by the teardown (stop_consumers).
        for (auto& c : m_consumers) {
            if (!c->discarded) {
                report("closed_stays_closed",
                       fmt::format("slow consumer's subscription #{}: its first close found it closed", c->sub.sub->id()));
            } else if (c->sub.consumed + *c->discarded != c->sub.sub->delivered()) {
                report("delivery_accounting",
                       fmt::format("slow consumer's subscription #{}: {} consumed + {} discarded at close != {} delivered",
                                   c->sub.sub->id(), c->sub.consumed, *c->discarded, c->sub.sub->delivered()));
            }
        }
    }

    /// Controllers created = removed + registered (a quiescent check; reported once per excess).
    template <typename Report>
    void check_flow(Report&& report) {
        const std::uint64_t created = m_node.flow_controllers_created();
        const std::uint64_t removed = m_removed.load(std::memory_order_relaxed);
        const std::uint64_t live = m_node.flow_controller_count();
        const auto excess = static_cast<std::int64_t>(created) - static_cast<std::int64_t>(removed + live);
        if (excess != m_flow_excess_reported) {
            report("one_controller_per_stream",
                   fmt::format("{} controllers created, {} removed, {} registered: {} created beside the stream's one",
                               created, removed, live, excess - m_flow_excess_reported));
            m_flow_excess_reported = excess;
        }
    }

    template <typename Report>
    void stop_node(Report&& report) {
        const StopResult r = m_node.stop();
        if (!r.stopped) return;
        if (const int n = m_node.running_workers(r.generation); n != 0) {
            report("workers_joined",
                   fmt::format("stop() of generation {} returned with {} of its workers still running", r.generation, n));
        }
    }

    template <typename Report>
    void check_workers(Report&& report) {
        const bool running = m_node.running();
        const std::size_t threads = m_node.worker_threads();
        const int inside = m_node.running_workers();
        const std::size_t want = running ? Node::k_workers : 0;
        if (threads != want || inside != static_cast<int>(want)) {
            report("workers_joined", fmt::format("a {} node has {} worker threads ({} running), not {}",
                                                 running ? "running" : "stopped", threads, inside, want));
        }
    }

    void consume_slowly(SlowConsumer& c) {
        const auto report = [&c](std::string_view inv, std::string detail) {
            if (c.problems.size() < InvariantSink::k_max_details) c.problems.emplace_back(inv, std::move(detail));
        };
        // The document's `for evt := range sub.Events()`: only the subscription's close ends it.
        while (const auto e = c.sub.sub->next()) {
            received(c.sub, *e, report);
            busy_for(m_consume_cost);
        }
    }

    /// Ends each slow consumer as a Go consumer ends: its subscription is unsubscribed (closed) while
    /// it waits for an event with nothing left to take, the wait only the close can end; then it is
    /// joined. A close that does not wake it (close_strands_waiter) leaves the join, and the job, hanging.
    void stop_consumers() {
        for (auto& c : m_consumers) {
            if (!c->thread.joinable()) continue;
            const Subscription& sub = *c->sub.sub;
            const auto give_up = std::chrono::steady_clock::now() + k_consumer_idle_wait;
            while (!(sub.consumer_waiting() && sub.buffered() == 0) && std::chrono::steady_clock::now() < give_up) {
                std::this_thread::sleep_for(k_consumer_idle_poll);
            }
            c->discarded = m_node.unsubscribe(c->sub.sub);
            c->thread.join();
        }
    }

    PerThread<Local> m_local;
    PerThread<Counters> m_counters;
    const std::size_t m_max_subs;
    const std::size_t m_consume_batch;
    const Nanos m_consume_cost;
    std::array<std::string, k_streams> m_stream_names;
    std::array<std::atomic<std::uint64_t>, k_streams> m_removals_begun{};  ///< per stream, before each removal
    std::array<std::atomic<std::uint64_t>, k_streams> m_removals_ended{};  ///< per stream, after each removal
    std::atomic<std::uint64_t> m_removed{0};                              ///< removals that removed one
    std::int64_t m_flow_excess_reported = 0;                              ///< checks only
    std::uint64_t m_litmus_base = 0;  ///< controllers created before this round (lockstep; between rounds)
    /// Checkpoint findings (invariant name, detail) waiting for their invariant's check; checkpoints only.
    Findings m_deferred;
    Node m_node;
    std::vector<std::unique_ptr<SlowConsumer>> m_consumers;
};

using namespace std::chrono_literals;

THREADMILL_TARGET(
    threadmill::target<Subscriptions>("subscriptions")
        .describe("Glueberry's Node: event fan-out to bounded, filtered, single-consumer subscriptions that never "
                  "block the publisher; per-concern RW locks; lazy flow controllers; a key cache; workers joined by "
                  "stop")
        .source_document("003_3b8ee4895b816985.txt")
        .variant("safe",
                 "the documented design: fan-out over a copy of the registry taken under its read lock, non-blocking "
                 "delivery that drops and counts, close once (call_once), a lock per concern, double-checked creation "
                 "that re-checks, keys copied before the unlock, stop() cancels and joins every worker")
        .mutant("double_close", "memory:double-free",
                "Close() without its sync.Once: a second close (unsubscribe, then the owner's own Close) releases the "
                "subscription's buffer again: a double free")
        .mutant("blocking_send", "slo",
                "delivery is a plain channel send: a publisher waits for room in a full buffer, so a slow consumer "
                "stalls every publisher")
        .mutant("fanout_without_copy", "race",
                "publish walks the live subscription registry with no lock and no copy while subscribe/unsubscribe "
                "insert and erase its nodes")
        .mutant("broken_double_checked", "invariant:one_controller_per_stream",
                "lazy flow-controller creation without the second check under the write lock: two threads that "
                "missed both create one, and the second replaces the first")
        .mutant("return_without_copy", "race",
                "the cached key is returned as a view of the cache's bytes (a Go slice returned as is): the caller "
                "reads it after the lock is released while rotations overwrite it")
        .mutant("fanout_aborts_on_error", "invariant:delivery_accounting",
                "a delivery that throws ends the whole fan-out (one recover around the loop instead of one per "
                "subscriber): the failure is counted, but the subscriptions after it never see the event")
        .mutant("close_strands_waiter", "timeout",
                "Close() does not wake the subscription's consumer: one blocked in `range sub.Events()` (next()) "
                "waits forever for an event that never comes")
        .mutant("stop_without_join", "invariant:workers_joined",
                "Stop() cancels the workers and detaches them instead of waiting: it returns while they still run")
        .mutant("lock_order_inversion", "deadlock",
                "resetting a peer's stream takes the flow-controller lock before the peer-statistics lock, the "
                "order the document warns against; updating a peer's flow takes them the other way round")
        .param(integer_param("buffer_capacity", 16, 1, 4096, "events each subscription buffers; a full buffer drops"))
        .param(integer_param("max_subscriptions", 3, 1, 64,
                             "subscriptions a thread keeps open; subscribe closes its oldest beyond this"))
        .param(integer_param("consume_batch", 8, 1, 4096, "most events one consume op takes"))
        .param(integer_param("slow_consumers", 0, 0, 8,
                             "the target's own consumer threads, each with an every-state subscription from the start"))
        .param(duration_param("consume_cost", 20us, 0ns, 10ms, "a slow consumer busy-works this long per event"))
        .param(duration_param("maintenance_interval", 1ms, 10us, 1s, "period of the node's two workers"))
        .param(duration_param("stale_after", 20ms, 1us, 1h,
                              "the cleanup worker removes peer statistics not updated for this long"))
        .param(integer_param("flow_high_water", 64, 1, 1 << 20, "credits a flow controller hands out at most"))
        .op("publish", &Subscriptions::publish,
            "publish an event (state from arg, peer = key) to every subscription; numbered per publisher; each "
            "delivery throws with the [faults] rate (the node counts it as failed and delivers to the others)")
        .op("subscribe", &Subscriptions::subscribe,
            "subscribe with a state filter from arg (half of them: every state); a thread keeps at most "
            "max_subscriptions, closing its oldest first")
        .op("consume", &Subscriptions::consume,
            "take up to consume_batch events from one of this thread's subscriptions (its single consumer); checks "
            "filter and per-publisher order")
        .op("unsubscribe", &Subscriptions::unsubscribe,
            "Unsubscribe (remove and close) one of this thread's subscriptions, then Close it again as its owner; "
            "checks the counts")
        .op("close", &Subscriptions::close,
            "Close one of this thread's subscriptions twice, without unsubscribing (the node forgets it later); checks "
            "the counts")
        .op("flow", &Subscriptions::flow,
            "getOrCreateFlowController(\"stream-<key mod 64>\"), then take and return a credit; checks it is the "
            "stream's one controller")
        .op("lazy_flow", &Subscriptions::lazy_flow,
            "getOrCreateFlowController(\"litmus\"): a stream of its own, removed after every round (lockstep); records "
            "which controller this thread got")
        .op("drop_stream", &Subscriptions::drop_stream,
            "remove the flow controller of stream-<key mod 64> (a stream reset)")
        .op("stats_update", &Subscriptions::stats_update,
            "record an event sent or received (arg) for peer <key>: 64 bytes each")
        .op("peer_flow", &Subscriptions::peer_flow,
            "updatePeerStats: records the credits out on stream <key> % 4 in peer <key>'s statistics (peer-stats "
            "lock, then flow-controller lock)")
        .op("peer_reset", &Subscriptions::peer_reset,
            "resets stream <key> % 4 because of peer <key> (forgets its controller) and reads the peer's events (the "
            "same two locks, in the same order)")
        .op("stats_read", &Subscriptions::stats_read, "PeerStatistics(<key>): a copy; checks bytes = 64 x events")
        .op("key_read", &Subscriptions::key_read,
            "getCachedKey(<key>), use it for a while (a chaos point), and check it neither was torn nor changed")
        .op("key_rotate", &Subscriptions::key_rotate,
            "store a new 32-byte key for peer <key> (overwriting the old one in place)")
        .op("key_remove", &Subscriptions::key_remove, "remove the cached key of peer <key>")
        .op("stop", &Subscriptions::stop,
            "Stop() the node: cancel and join its workers; checks none of them still runs")
        .op("start", &Subscriptions::start, "Start() the node (a no-op when running)")
        .op("restart", &Subscriptions::restart, "Stop() then Start(): checks the stopped workers are all gone")
        .invariant("delivery_accounting", &Subscriptions::delivery_accounting,
                   "per subscription, at close and at quiescent points: delivered + dropped + failed lies between the "
                   "events published entirely while it was open and matching its filter and those published in part "
                   "while it was open; consumed + discarded at close = delivered")
        .invariant("per_publisher_order", &Subscriptions::per_publisher_order,
                   "online: within a subscription, each publisher's events arrive in the order it published them "
                   "(gaps from drops allowed, never a repeat)")
        .invariant("filter_respected", &Subscriptions::filter_respected,
                   "online: a subscription only receives events whose state it asked for")
        .invariant("closed_stays_closed", &Subscriptions::closed_stays_closed,
                   "the first close reports closing, a second close changes nothing; after close nothing is "
                   "delivered, counted or consumed")
        .invariant("one_controller_per_stream", &Subscriptions::one_controller_per_stream,
                   "online: a thread gets the same controller for a stream until the stream is removed; quiescent: "
                   "controllers created = controllers removed + controllers registered")
        .invariant("key_copy_stable",
                   "online: a returned key is one whole key (never torn) and never changes after the call returned")
        .invariant("stats_consistent", "online: a statistics copy has bytes = 64 x events in each direction")
        .invariant("workers_joined", &Subscriptions::workers_joined,
                   "after stop() returns, none of the workers it stopped runs; quiescent: a running node has its "
                   "workers, a stopped one none")
        .teardown(&Subscriptions::teardown)
        .arbiter(&Subscriptions::observe_litmus,
                 "per thread, which controller of the litmus stream created this round it got (lockstep: lazy_flow)")
        .reset(&Subscriptions::next_round));

}  // namespace
}  // namespace threadmill::subscriptions
