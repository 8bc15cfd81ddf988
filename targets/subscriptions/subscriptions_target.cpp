// The `subscriptions` target: Glueberry's Node (event fan-out, per-concern RW locks, lazy controllers, workers).
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "api/target.hpp"
#include "api/target_tables.hpp"
#include "targets/subscriptions/adapter_catalog.hpp"
#include "targets/subscriptions/node.hpp"
#include "targets/subscriptions/subscription.hpp"

namespace threadmill::subscriptions {
namespace {

using namespace adapter;

class SubscriptionsTarget final : public TargetInstance {
public:
    explicit SubscriptionsTarget(const TargetConfig& config)
        : m_threads(static_cast<std::size_t>(std::max(config.thread_count, 1))),
          m_counters(std::make_unique<Counters[]>(m_threads.size())),
          m_max_subs(static_cast<std::size_t>(config.params->integer("max_subscriptions"))),
          m_consume_batch(static_cast<std::size_t>(config.params->integer("consume_batch"))),
          m_consume_cost(config.params->duration("consume_cost")),
          m_node(options(config)) {
        for (std::size_t s = 0; s < k_streams; ++s) m_stream_names[s] = fmt::format("stream-{}", s);
        m_node.start();
        const auto consumers = config.params->integer("slow_consumers");
        for (std::int64_t i = 0; i < consumers; ++i) {
            auto c = std::make_unique<SlowConsumer>();
            c->sub.sub = m_node.subscribe(k_all_states);  // before any publish: its bounds start at 0
            c->sub.filter = k_all_states;
            c->sub.last_seq.assign(m_threads.size(), 0);
            m_consumers.push_back(std::move(c));
        }
        for (auto& c : m_consumers) c->thread = std::thread([this, p = c.get()] { consume_slowly(*p); });
    }

    ~SubscriptionsTarget() override {
        stop_consumers();
        m_node.stop();
    }

    void run(const Op& op, ThreadContext& ctx) override {
        t_context = &ctx;
        struct Reset {
            ~Reset() { t_context = nullptr; }
        } reset;
        PerThread& me = local(ctx);
        const auto report = [&ctx](Inv inv, std::string detail) { ctx.violate(index_of(inv), std::move(detail)); };
        switch (static_cast<OpKind>(op.index)) {
            case OpKind::publish: publish(ctx, me, op); return;
            case OpKind::subscribe: {
                if (me.subs.size() >= m_max_subs) close_owned(me, 0, true, report);
                const StateMask filter = filter_of(op.arg);
                OwnedSub o;
                o.filter = filter;
                o.finished_before = sum(&Counters::finished, filter);
                o.sub = m_node.subscribe(filter);
                o.started_after = sum(&Counters::started, filter);
                o.last_seq.assign(m_threads.size(), 0);
                me.subs.push_back(std::move(o));
                return;
            }
            case OpKind::consume: {
                if (me.subs.empty()) return;
                OwnedSub& o = me.subs[op.arg % me.subs.size()];
                for (std::size_t n = 0; n < m_consume_batch; ++n) {
                    const auto e = o.sub->try_next();
                    if (!e) break;
                    received(o, *e, report);
                }
                return;
            }
            case OpKind::unsubscribe:
            case OpKind::close:
                if (me.subs.empty()) return;
                close_owned(me, op.arg % me.subs.size(), static_cast<OpKind>(op.index) == OpKind::unsubscribe, report);
                return;
            case OpKind::flow: flow(ctx, me, op.key % k_streams); return;
            case OpKind::drop_stream: {
                const std::size_t s = op.key % k_streams;
                // Counted around the removal: a reader that sees its effect sees `begun` counted, and a
                // reader that looked before the erase cannot have seen `ended` counted.
                m_removals_begun[s].fetch_add(1, std::memory_order_relaxed);
                if (m_node.remove_flow_controller(m_stream_names[s])) m_removed.fetch_add(1, std::memory_order_relaxed);
                m_removals_ended[s].fetch_add(1, std::memory_order_relaxed);
                return;
            }
            case OpKind::stats_update:
                m_node.record_event(op.key, (op.arg & 1) ? Direction::sent : Direction::received, k_event_bytes);
                return;
            case OpKind::stats_read: {
                const auto s = m_node.peer_statistics(op.key);
                if (!s) return;
                if (s->bytes_sent != k_event_bytes * s->events_sent ||
                    s->bytes_received != k_event_bytes * s->events_received) {
                    ctx.violate(index_of(Inv::stats_consistent),
                                fmt::format("peer {}: {} events / {} bytes sent, {} events / {} bytes received", op.key,
                                            s->events_sent, s->bytes_sent, s->events_received, s->bytes_received));
                }
                me.sink += s->events_sent;
                return;
            }
            case OpKind::key_read: key_read(ctx, me, op.key); return;
            case OpKind::key_rotate: {
                const std::uint64_t generation = (static_cast<std::uint64_t>(ctx.thread_index + 1) << 40) | ++me.key_writes;
                const auto key = make_key(op.key, generation);
                m_node.set_peer_key(op.key, key);
                return;
            }
            case OpKind::key_remove: m_node.remove_peer_key(op.key); return;
            case OpKind::stop: stop_node(report); return;
            case OpKind::start: m_node.start(); return;
            case OpKind::restart:
                stop_node(report);
                m_node.start();
                return;
        }
    }

    void check(InvariantSink& sink, CheckPoint when) override {
        const auto report = [&sink](Inv inv, std::string detail) { sink.fail(index_of(inv), std::move(detail)); };
        if (when == CheckPoint::final) {
            stop_node(report);
            if (const int n = m_node.running_workers(); n != 0) {
                report(Inv::workers_joined, fmt::format("{} worker(s) still running after the final stop", n));
            }
            stop_consumers();
            for (auto& c : m_consumers) {
                for (auto& p : c->problems) report(p.first, std::move(p.second));
                c->problems.clear();
            }
        }
        check_workers(report);
        // Every publish has finished: each open subscription's count is final for now.
        for (auto& me : m_threads) {
            for (auto& o : me.subs) check_open(o, report);
            for (auto& c : me.closed) check_closed(c, report);
            me.closed.clear();
        }
        for (auto& c : m_consumers) check_open(c->sub, report);
        check_flow(report);
        if (when == CheckPoint::final) {
            for (auto& me : m_threads) {
                while (!me.subs.empty()) close_owned(me, 0, true, report);
                for (auto& c : me.closed) check_closed(c, report);
                me.closed.clear();
            }
            for (auto& c : m_consumers) {
                if (c->sub.consumed + c->sub.sub->buffered() != c->sub.sub->delivered()) {
                    report(Inv::delivery_accounting,
                           fmt::format("slow consumer's subscription #{}: {} consumed + {} buffered != {} delivered",
                                       c->sub.sub->id(), c->sub.consumed, c->sub.sub->buffered(),
                                       c->sub.sub->delivered()));
                }
                m_node.unsubscribe(c->sub.sub);
            }
        }
    }

private:
    /// Publish counts of one thread, per event state; only that thread writes them.
    struct alignas(64) Counters {
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
    };

    /// The controller a thread last got for a stream, and the stream's removals ended before it asked.
    struct SeenController {
        std::uint64_t serial = 0;
        std::uint64_t ended_before = 0;
    };

    /// What one worker thread keeps; only that thread touches it while ops run.
    struct alignas(64) PerThread {
        std::uint64_t seq = 0;
        std::vector<OwnedSub> subs;
        std::vector<ClosedSub> closed;
        std::array<SeenController, k_streams> controllers{};
        std::uint64_t key_writes = 0;
        std::uint64_t sink = 0;  ///< results folded in, so that no read is optimized away
    };

    /// A consumer thread of the target's own: it takes events one at a time, consume_cost each.
    struct SlowConsumer {
        OwnedSub sub;
        std::thread thread;
        std::vector<std::pair<Inv, std::string>> problems;  ///< its own thread's; read after the join
    };

    NodeOptions options(const TargetConfig& config) const {
        NodeOptions o;
        o.buffer_capacity = static_cast<std::size_t>(config.params->integer("buffer_capacity"));
        o.maintenance_interval = config.params->duration("maintenance_interval");
        o.stale_after = config.params->duration("stale_after");
        o.flow_high_water = config.params->integer("flow_high_water");
        o.pause = [] {
            if (t_context != nullptr) t_context->chaos_point();
        };
        o.faults = faults_of(static_cast<Variant>(config.variant));
        return o;
    }

    PerThread& local(const ThreadContext& ctx) { return m_threads.at(static_cast<std::size_t>(ctx.thread_index)); }

    /// Publishes of all threads whose state is in `mask`, from one of the three counter sets.
    std::uint64_t sum(CounterSet set, StateMask mask) const {
        std::uint64_t n = 0;
        for (std::size_t t = 0; t < m_threads.size(); ++t) {
            const auto& counts = m_counters[t].*set;
            for (std::size_t s = 0; s < k_state_count; ++s) {
                if ((mask & (1u << s)) != 0) n += counts[s].load(std::memory_order_relaxed);
            }
        }
        return n;
    }

    void publish(ThreadContext& ctx, PerThread& me, const Op& op) {
        const auto state = static_cast<State>(op.arg % k_state_count);
        Event e;
        e.seq = ++me.seq;
        e.peer = op.key;
        e.publisher = static_cast<std::uint32_t>(ctx.thread_index);
        e.state = state;
        Counters& c = m_counters[static_cast<std::size_t>(ctx.thread_index)];
        const std::size_t s = state_index(state);
        bump(c.started[s]);
        const PublishResult r = m_node.publish(e);
        bump(c.finished[s]);
        if (r.accepted) bump(c.accepted[s]);
        me.sink += r.delivered;
    }

    /// One event taken by a subscription's consumer: filter and per-publisher order.
    template <typename Report>
    void received(OwnedSub& o, const Event& e, Report&& report) {
        ++o.consumed;
        if ((o.filter & mask_of(e.state)) == 0) {
            report(Inv::filter_respected, fmt::format("subscription #{} (filter {:#x}) received a '{}' event",
                                                      o.sub->id(), o.filter, to_string(e.state)));
        }
        if (e.publisher >= o.last_seq.size()) {
            report(Inv::per_publisher_order,
                   fmt::format("subscription #{} received an event of unknown publisher {}", o.sub->id(), e.publisher));
            return;
        }
        std::uint64_t& last = o.last_seq[e.publisher];
        if (e.seq <= last) {
            report(Inv::per_publisher_order,
                   fmt::format("subscription #{} received publisher {}'s event #{} after its #{}", o.sub->id(),
                               e.publisher, e.seq, last));
        }
        last = std::max(last, e.seq);
    }

    /// delivered + dropped against the publishes made while `o` was open (bounds, see README).
    template <typename Report>
    void check_offered(const OwnedSub& o, std::uint64_t delivered, std::uint64_t dropped,
                       std::uint64_t accepted_before_close, std::uint64_t started_after_close, std::string_view when,
                       Report&& report) {
        const std::uint64_t offered = delivered + dropped;
        const auto lower = static_cast<std::int64_t>(accepted_before_close) - static_cast<std::int64_t>(o.started_after);
        const std::uint64_t upper = started_after_close - o.finished_before;
        if (static_cast<std::int64_t>(offered) < lower || offered > upper) {
            report(Inv::delivery_accounting,
                   fmt::format("subscription #{} (filter {:#x}) {}: {} delivered + {} dropped = {}, but between {} and "
                               "{} events were published while it was open",
                               o.sub->id(), o.filter, when, delivered, dropped, offered, std::max<std::int64_t>(lower, 0),
                               upper));
        }
    }

    /// At a quiescent point (no publish running) the bounds of an open subscription are exact enough.
    template <typename Report>
    void check_open(const OwnedSub& o, Report&& report) {
        check_offered(o, o.sub->delivered(), o.sub->dropped(), sum(&Counters::accepted, o.filter),
                      sum(&Counters::started, o.filter), "while open", report);
    }

    /// Closes subscription `i` of this thread (through the node, or directly) and closes it again.
    template <typename Report>
    void close_owned(PerThread& me, std::size_t i, bool via_node, Report&& report) {
        OwnedSub o = std::move(me.subs[i]);
        me.subs.erase(me.subs.begin() + static_cast<std::ptrdiff_t>(i));
        const std::uint64_t accepted_before = sum(&Counters::accepted, o.filter);
        const auto first = via_node ? m_node.unsubscribe(o.sub) : o.sub->close();
        const auto second = o.sub->close();  // "also twice": the owner's deferred Close
        const std::uint64_t started_after = sum(&Counters::started, o.filter);
        const std::uint64_t delivered = o.sub->delivered();
        const std::uint64_t dropped = o.sub->dropped();
        if (!first) {
            report(Inv::closed_stays_closed, fmt::format("subscription #{}: its first close found it closed", o.sub->id()));
        } else if (o.consumed + *first != delivered) {
            report(Inv::delivery_accounting,
                   fmt::format("subscription #{}: {} consumed + {} discarded at close != {} delivered", o.sub->id(),
                               o.consumed, *first, delivered));
        }
        if (second) {
            report(Inv::closed_stays_closed,
                   fmt::format("subscription #{}: a second close closed it again (discarding {})", o.sub->id(), *second));
        }
        if (o.sub->try_next()) {
            report(Inv::closed_stays_closed, fmt::format("subscription #{}: an event was taken after close", o.sub->id()));
        }
        check_offered(o, delivered, dropped, accepted_before, started_after, "at close", report);
        if (me.closed.size() >= k_closed_kept) {
            check_closed(me.closed.front(), report);
            me.closed.erase(me.closed.begin());
        }
        me.closed.push_back({std::move(o.sub), delivered, dropped});
    }

    /// A subscription closed earlier: nothing delivered, counted or buffered since.
    template <typename Report>
    void check_closed(const ClosedSub& c, Report&& report) {
        const std::uint64_t delivered = c.sub->delivered();
        const std::uint64_t dropped = c.sub->dropped();
        if (delivered != c.delivered || dropped != c.dropped || c.sub->buffered() != 0) {
            report(Inv::closed_stays_closed,
                   fmt::format("subscription #{}: {} delivered / {} dropped at close, {} / {} (and {} buffered) later",
                               c.sub->id(), c.delivered, c.dropped, delivered, dropped, c.sub->buffered()));
        }
    }

    void flow(ThreadContext& ctx, PerThread& me, std::size_t s) {
        const std::uint64_t ended_before = m_removals_ended[s].load(std::memory_order_relaxed);
        const auto fc = m_node.flow_controller(m_stream_names[s]);
        const std::uint64_t begun_after = m_removals_begun[s].load(std::memory_order_relaxed);
        SeenController& seen = me.controllers[s];
        if (fc->stream() != m_stream_names[s]) {
            ctx.violate(index_of(Inv::one_controller_per_stream),
                        fmt::format("asked for {}, got the controller of {}", m_stream_names[s], fc->stream()));
        } else if (seen.serial != 0 && seen.serial != fc->serial() && seen.ended_before == begun_after) {
            // Every removal begun by now had ended before the previous lookup: none erased in between.
            ctx.violate(index_of(Inv::one_controller_per_stream),
                        fmt::format("{}: thread {} got controller #{}, then #{}, with no removal of the stream between",
                                    m_stream_names[s], ctx.thread_index, seen.serial, fc->serial()));
        }
        seen = {fc->serial(), ended_before};
        if (fc->try_acquire()) {
            me.sink += static_cast<std::uint64_t>(fc->pending());
            fc->release();
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
            report(Inv::one_controller_per_stream,
                   fmt::format("{} controllers created, {} removed, {} registered: {} created beside the stream's one",
                               created, removed, live, excess - m_flow_excess_reported));
            m_flow_excess_reported = excess;
        }
    }

    void key_read(ThreadContext& ctx, PerThread& me, std::uint64_t peer) {
        const auto key = m_node.cached_key(peer);
        if (!key) return;
        std::array<std::uint8_t, k_key_size> first{};
        const auto bytes = key->bytes();
        std::copy_n(bytes.begin(), std::min(bytes.size(), k_key_size), first.begin());
        if (bytes.size() != k_key_size || !whole_key(peer, first)) {
            ctx.violate(index_of(Inv::key_copy_stable),
                        fmt::format("peer {}: the key returned is not one whole key (torn by a rotation?)", peer));
        }
        ctx.chaos_point();  // the caller uses the key a while (encrypts, derives a session key)
        const auto again = key->bytes();
        if (!std::equal(again.begin(), again.end(), first.begin(), first.end())) {
            ctx.violate(index_of(Inv::key_copy_stable),
                        fmt::format("peer {}: the key returned changed after the call returned", peer));
        }
        me.sink += first[0];
    }

    template <typename Report>
    void stop_node(Report&& report) {
        const StopResult r = m_node.stop();
        if (!r.stopped) return;
        if (const int n = m_node.running_workers(r.generation); n != 0) {
            report(Inv::workers_joined,
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
            report(Inv::workers_joined, fmt::format("a {} node has {} worker threads ({} running), not {}",
                                                    running ? "running" : "stopped", threads, inside, want));
        }
    }

    void consume_slowly(SlowConsumer& c) {
        const auto report = [&c](Inv inv, std::string detail) {
            if (c.problems.size() < InvariantSink::k_max_details) c.problems.emplace_back(inv, std::move(detail));
        };
        while (!m_stop_consumers.load(std::memory_order_acquire)) {
            const auto e = c.sub.sub->wait_next(k_consumer_wait);
            if (!e) continue;
            received(c.sub, *e, report);
            busy_for(m_consume_cost);
        }
    }

    void stop_consumers() {
        m_stop_consumers.store(true, std::memory_order_release);
        for (auto& c : m_consumers) {
            if (c->thread.joinable()) c->thread.join();
        }
    }

    std::vector<PerThread> m_threads;
    std::unique_ptr<Counters[]> m_counters;
    const std::size_t m_max_subs;
    const std::size_t m_consume_batch;
    const Nanos m_consume_cost;
    std::array<std::string, k_streams> m_stream_names;
    std::array<std::atomic<std::uint64_t>, k_streams> m_removals_begun{};  ///< per stream, before each removal
    std::array<std::atomic<std::uint64_t>, k_streams> m_removals_ended{};  ///< per stream, after each removal
    std::atomic<std::uint64_t> m_removed{0};                              ///< removals that removed one
    std::int64_t m_flow_excess_reported = 0;                              ///< check() only
    std::atomic<bool> m_stop_consumers{false};
    Node m_node;
    std::vector<std::unique_ptr<SlowConsumer>> m_consumers;
};

TargetSpec make_subscriptions_spec() {
    TargetSpec spec;
    TargetInfo& info = spec.info;
    info.name = "subscriptions";
    info.description =
        "Glueberry's Node: event fan-out to bounded, filtered, single-consumer subscriptions that never block the "
        "publisher; per-concern RW locks; lazy flow controllers; a key cache; workers joined by stop";
    info.seed = "003_3b8ee4895b816985.txt";
    fill_catalog(info, k_variants, k_ops, k_invariants);

    using namespace std::chrono_literals;
    info.params = {
        integer_param("buffer_capacity", 16, 1, 4096, "events each subscription buffers; a full buffer drops"),
        integer_param("max_subscriptions", 3, 1, 64,
                      "subscriptions a thread keeps open; subscribe closes its oldest beyond this"),
        integer_param("consume_batch", 8, 1, 4096, "most events one consume op takes"),
        integer_param("slow_consumers", 0, 0, 8,
                      "the target's own consumer threads, each with an every-state subscription from the start"),
        duration_param("consume_cost", 20us, 0ns, 10ms, "a slow consumer busy-works this long per event"),
        duration_param("maintenance_interval", 1ms, 10us, 1s, "period of the node's two workers"),
        duration_param("stale_after", 20ms, 1us, 1h,
                       "the cleanup worker removes peer statistics not updated for this long"),
        integer_param("flow_high_water", 64, 1, 1 << 20, "credits a flow controller hands out at most"),
    };

    spec.create = [](const TargetConfig& config) -> std::unique_ptr<TargetInstance> {
        return std::make_unique<SubscriptionsTarget>(config);
    };
    return spec;
}

}  // namespace

TM_REGISTER_TARGET(make_subscriptions_spec);

}  // namespace threadmill::subscriptions
