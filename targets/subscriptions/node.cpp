// The node (see node.hpp): fan-out over a copy, per-concern RW locks, double-checked creation, copies, workers.
#include "targets/subscriptions/node.hpp"

#include <utility>

namespace threadmill::subscriptions {
namespace {

enum WorkerRole : int { k_stats_cleanup, k_flow_metrics, k_worker_roles };
static_assert(static_cast<std::size_t>(k_worker_roles) == Node::k_workers);

}  // namespace

// ---- FlowController ---------------------------------------------------------------------------

FlowController::FlowController(std::string stream, std::uint64_t serial, std::int64_t high_water)
    : m_stream(std::move(stream)), m_serial(serial), m_high_water(high_water) {}

bool FlowController::try_acquire() {
    std::int64_t cur = m_pending.load(std::memory_order_relaxed);
    while (cur < m_high_water) {
        if (m_pending.compare_exchange_weak(cur, cur + 1, std::memory_order_acq_rel)) return true;
    }
    return false;
}

void FlowController::release() { m_pending.fetch_sub(1, std::memory_order_acq_rel); }

// ---- KeyBytes ---------------------------------------------------------------------------------

KeyBytes KeyBytes::copy_of(std::span<const std::uint8_t> bytes) {
    KeyBytes k;
    k.m_owned = true;
    k.m_copy.assign(bytes.begin(), bytes.end());
    return k;
}

KeyBytes KeyBytes::view_of(std::span<const std::uint8_t> bytes) {
    KeyBytes k;
    k.m_view = bytes;
    return k;
}

// ---- Node: lifecycle --------------------------------------------------------------------------

Node::Node(NodeOptions options) : m_options(std::move(options)) {}

Node::~Node() {
    stop();
    std::map<std::uint64_t, std::shared_ptr<Subscription>> subs;
    {
        std::unique_lock lock(m_subs_mutex);
        subs.swap(m_subs);
    }
    // Owners may have closed some already: close() is idempotent.
    for (auto& [id, sub] : subs) sub->close();
}

bool Node::start() {
    std::lock_guard start_lock(m_start_mutex);
    if (m_running.load(std::memory_order_relaxed)) return false;
    {
        std::lock_guard lock(m_cancel_mutex);
        m_cancelled = false;
    }
    const std::uint64_t generation = ++m_generation;
    for (int role = 0; role < k_worker_roles; ++role) {
        note_worker(generation, +1);  // counted as running from here until its loop ends
        m_workers.emplace_back([this, generation, role] { worker_main(generation, role); });
    }
    m_running.store(true, std::memory_order_release);
    return true;
}

StopResult Node::stop() {
    std::lock_guard start_lock(m_start_mutex);
    StopResult r;
    if (!m_running.load(std::memory_order_relaxed)) return r;
    m_running.store(false, std::memory_order_release);  // publish() refuses from here
    {
        std::lock_guard lock(m_cancel_mutex);
        m_cancelled = true;  // the document's cancel(): every worker's wait ends
    }
    m_cancel_cv.notify_all();
    for (auto& t : m_workers) {
        if (m_options.faults.stop_without_join) t.detach();
        else t.join();
    }
    r.stopped = true;
    r.generation = m_generation;
    r.joined = m_workers.size();
    m_workers.clear();
    return r;
}

int Node::running_workers(std::uint64_t generation) const {
    std::lock_guard lock(m_worker_count_mutex);
    const auto it = m_running_by_generation.find(generation);
    return it == m_running_by_generation.end() ? 0 : it->second;
}

int Node::running_workers() const {
    std::lock_guard lock(m_worker_count_mutex);
    int n = 0;
    for (const auto& [generation, count] : m_running_by_generation) n += count;
    return n;
}

std::size_t Node::worker_threads() const {
    std::lock_guard lock(m_start_mutex);
    return m_workers.size();
}

void Node::note_worker(std::uint64_t generation, int delta) {
    std::lock_guard lock(m_worker_count_mutex);
    if ((m_running_by_generation[generation] += delta) == 0) m_running_by_generation.erase(generation);
}

void Node::worker_main(std::uint64_t generation, int role) {
    std::unique_lock lock(m_cancel_mutex);
    while (!m_cancelled) {
        lock.unlock();
        if (role == k_stats_cleanup) {
            cleanup_stale_peers();
        } else {
            sum_flow_pending();
        }
        lock.lock();
        m_cancel_cv.wait_for(lock, m_options.maintenance_interval, [this] { return m_cancelled; });
    }
    lock.unlock();
    note_worker(generation, -1);
}

void Node::cleanup_stale_peers() {
    const std::int64_t cutoff = now_ns() - m_options.stale_after.count();
    std::unique_lock lock(m_stats_mutex);
    std::uint64_t removed = 0;
    for (auto it = m_stats.begin(); it != m_stats.end();) {
        if (it->second.last_update_ns < cutoff) {
            it = m_stats.erase(it);
            ++removed;
        } else {
            ++it;
        }
    }
    lock.unlock();
    if (removed > 0) m_stale_removed.fetch_add(removed, std::memory_order_relaxed);
}

void Node::sum_flow_pending() {
    std::int64_t total = 0;
    {
        std::shared_lock lock(m_flow_mutex);
        for (const auto& [name, fc] : m_flow) total += fc->pending();
    }
    m_flow_gauge.store(total, std::memory_order_relaxed);
}

void Node::pause() const {
    if (m_options.pause) m_options.pause();
}

std::int64_t Node::now_ns() const { return (m_options.clock ? *m_options.clock : steady_clock()).now_ns(); }

// ---- Node: events -----------------------------------------------------------------------------

namespace {

/// Adds one subscription's answer to the publish's tally.
void count_offer(Offer offer, PublishResult& result) {
    switch (offer) {
        case Offer::delivered: ++result.delivered; break;
        case Offer::dropped: ++result.dropped; break;
        case Offer::failed: ++result.failed; break;
        case Offer::filtered:
        case Offer::closed: break;
    }
}

}  // namespace

PublishResult Node::publish(const Event& event) {
    PublishResult result;
    if (!m_running.load(std::memory_order_acquire)) return result;
    result.accepted = true;
    if (m_options.faults.fanout_without_copy) {
        fan_out_live(event, result);
        return result;
    }
    // The document's forwardEvents: copy the registry under the read lock, deliver outside it,
    // so that subscribe/unsubscribe never wait for a delivery and never change what we iterate.
    std::vector<std::shared_ptr<Subscription>> subs;
    {
        std::shared_lock lock(m_subs_mutex);
        subs.reserve(m_subs.size());
        for (const auto& [id, sub] : m_subs) subs.push_back(sub);
    }
    for (const auto& sub : subs) {
        pause();
        // The mutant: one recover around the whole loop (Go's deferred recover() outside the
        // per-subscriber send): the first failed delivery ends the fan-out.
        if (!deliver(*sub, event, result) && m_options.faults.fanout_aborts_on_error) break;
    }
    return result;
}

/// One subscription's delivery: the per-subscriber step, then the offer. Returns false when the
/// step threw: that delivery failed and is counted, and the caller goes on with the next one.
bool Node::deliver(Subscription& sub, const Event& event, PublishResult& result) {
    if (m_options.before_delivery && sub.accepts(event.state)) {
        try {
            m_options.before_delivery(sub, event);
        } catch (...) {
            // The document's recover(), per subscriber: this one misses the event, counted.
            count_offer(sub.count_failed(event), result);
            return false;
        }
    }
    count_offer(sub.offer(event), result);
    return true;
}

void Node::fan_out_live(const Event& event, PublishResult& result) {
    // The mutant: "it is only a read", so the live registry is walked with no lock and no copy,
    // while subscribe() and unsubscribe() insert and erase its nodes.
    for (const auto& [id, sub] : m_subs) {
        pause();
        deliver(*sub, event, result);
    }
}

std::shared_ptr<Subscription> Node::subscribe(StateMask filter) {
    std::unique_lock lock(m_subs_mutex);
    // Owners may close a subscription directly (Close() without Unsubscribe): forget those.
    for (auto it = m_subs.begin(); it != m_subs.end();) {
        if (it->second->closed()) {
            it = m_subs.erase(it);
        } else {
            ++it;
        }
    }
    const std::uint64_t id = m_next_sub_id++;
    auto sub = std::make_shared<Subscription>(id, m_options.buffer_capacity, filter, m_options.faults.subscription);
    m_subs.emplace(id, sub);
    return sub;
}

std::optional<std::size_t> Node::unsubscribe(const std::shared_ptr<Subscription>& sub) {
    {
        std::unique_lock lock(m_subs_mutex);
        m_subs.erase(sub->id());
    }
    return sub->close();
}

std::size_t Node::subscription_count() const {
    std::shared_lock lock(m_subs_mutex);
    return m_subs.size();
}

// ---- Node: flow controllers -------------------------------------------------------------------

std::shared_ptr<FlowController> Node::flow_controller(std::string_view stream) {
    {
        // Fast path: most calls find it under the read lock.
        std::shared_lock lock(m_flow_mutex);
        if (const auto it = m_flow.find(stream); it != m_flow.end()) return it->second;
    }
    pause();  // another thread may create it right here
    std::unique_lock lock(m_flow_mutex);
    if (!m_options.faults.broken_double_checked) {
        // The second check of double-checked locking: someone may have created it meanwhile.
        if (const auto it = m_flow.find(stream); it != m_flow.end()) return it->second;
    }
    auto fc = std::make_shared<FlowController>(std::string(stream), m_flow_created.load(std::memory_order_relaxed) + 1,
                                               m_options.flow_high_water);
    m_flow_created.store(fc->serial(), std::memory_order_release);
    m_flow.insert_or_assign(std::string(stream), fc);
    return fc;
}

bool Node::remove_flow_controller(std::string_view stream) {
    std::unique_lock lock(m_flow_mutex);
    const auto it = m_flow.find(stream);
    if (it == m_flow.end()) return false;
    m_flow.erase(it);
    return true;
}

std::size_t Node::flow_controller_count() const {
    std::shared_lock lock(m_flow_mutex);
    return m_flow.size();
}

// ---- Node: peer statistics --------------------------------------------------------------------

void Node::record_event(std::uint64_t peer, Direction direction, std::uint64_t bytes) {
    const std::int64_t now = now_ns();
    std::unique_lock lock(m_stats_mutex);
    PeerStats& s = m_stats[peer];
    if (direction == Direction::sent) {
        ++s.events_sent;
        s.bytes_sent += bytes;
    } else {
        ++s.events_received;
        s.bytes_received += bytes;
    }
    s.last_update_ns = now;
}

std::optional<PeerStats> Node::peer_statistics(std::uint64_t peer) const {
    std::shared_lock lock(m_stats_mutex);
    const auto it = m_stats.find(peer);
    if (it == m_stats.end()) return std::nullopt;
    return it->second;
}

void Node::update_peer_flow(std::uint64_t peer, std::string_view stream) {
    std::unique_lock stats(m_stats_mutex);  // Lock A
    std::shared_lock flow(m_flow_mutex);    // Lock B
    const auto it = m_flow.find(stream);
    m_stats[peer].flow_pending = it == m_flow.end() ? 0 : it->second->pending();
}

Node::StreamReset Node::reset_stream_for_peer(std::uint64_t peer, std::string_view stream) {
    // Forgets the controller under flowControllersMu; reads the peer's counters under peerStatsMu.
    const auto reset = [&] {
        const auto it = m_flow.find(stream);
        if (it == m_flow.end()) return false;
        m_flow.erase(it);
        return true;
    };
    const auto events = [&]() -> std::uint64_t {
        const auto it = m_stats.find(peer);
        return it == m_stats.end() ? 0 : it->second.events_sent + it->second.events_received;
    };
    if (m_options.faults.inverted_lock_order) {
        std::unique_lock flow(m_flow_mutex);  // Lock B first: the document's someOtherMethod
        pause();
        std::shared_lock stats(m_stats_mutex);  // Lock A second: deadlocks with update_peer_flow
        const bool removed = reset();
        return {removed, events()};
    }
    std::shared_lock stats(m_stats_mutex);  // Lock A
    pause();
    std::unique_lock flow(m_flow_mutex);    // Lock B
    const bool removed = reset();
    return {removed, events()};
}

std::size_t Node::peer_count() const {
    std::shared_lock lock(m_stats_mutex);
    return m_stats.size();
}

// ---- Node: key cache --------------------------------------------------------------------------

void Node::set_peer_key(std::uint64_t peer, std::span<const std::uint8_t> key) {
    std::unique_lock lock(m_keys_mutex);
    m_keys[peer].assign(key.begin(), key.end());  // same size: the old bytes are overwritten in place
}

bool Node::remove_peer_key(std::uint64_t peer) {
    std::unique_lock lock(m_keys_mutex);
    return m_keys.erase(peer) > 0;
}

std::optional<KeyBytes> Node::cached_key(std::uint64_t peer) const {
    std::shared_lock lock(m_keys_mutex);
    const auto it = m_keys.find(peer);
    if (it == m_keys.end()) return std::nullopt;
    if (m_options.faults.return_without_copy) {
        return KeyBytes::view_of(it->second);  // the mutant: the caller reads it after the unlock
    }
    return KeyBytes::copy_of(it->second);  // copied before the lock is released
}

}  // namespace threadmill::subscriptions
