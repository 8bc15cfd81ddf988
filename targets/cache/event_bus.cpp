// EventBus: publishing, the dispatcher and pool loops, the epoch lifecycle and flush().
#include "targets/cache/event_bus.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace threadmill::cache {

EventBus::EventBus(std::size_t handler_threads, std::size_t queue_capacity, std::size_t topics, EventBusFaults faults)
    : m_threads(handler_threads), m_capacity(queue_capacity), m_topics(topics), m_faults(faults) {
    if (handler_threads == 0 || queue_capacity == 0 || topics == 0) {
        throw std::invalid_argument(fmt::format("EventBus: handler_threads ({}), queue_capacity ({}) and topics ({}) "
                                                "must be >= 1",
                                                handler_threads, queue_capacity, topics));
    }
    m_stats.accepted_by_topic.resize(topics);
    m_stats.discarded_by_topic.resize(topics);
}

EventBus::~EventBus() { stop(); }

void EventBus::check_topic(std::uint32_t topic) const {
    if (topic >= m_topics) throw std::out_of_range(fmt::format("EventBus: topic {} >= {} topics", topic, m_topics));
}

// ---- subscriptions --------------------------------------------------------------------------

std::uint64_t EventBus::subscribe(std::uint32_t topic, Handler handler) {
    check_topic(topic);
    if (!handler) throw std::invalid_argument("EventBus::subscribe: empty handler");
    auto shared = std::make_shared<const Handler>(std::move(handler));
    const std::lock_guard guard(m_subs_mutex);
    const std::uint64_t id = m_next_sub_id++;
    m_subs.push_back(Subscription{id, topic, std::move(shared)});
    return id;
}

bool EventBus::unsubscribe(std::uint64_t id) {
    std::shared_ptr<const Handler> doomed;  // released after the lock: its destructor is the caller's code
    const std::lock_guard guard(m_subs_mutex);
    const auto it = std::find_if(m_subs.begin(), m_subs.end(), [&](const Subscription& s) { return s.id == id; });
    if (it == m_subs.end()) return false;
    doomed = std::move(it->handler);
    m_subs.erase(it);
    return true;
}

std::size_t EventBus::subscriber_count() const {
    const std::lock_guard guard(m_subs_mutex);
    return m_subs.size();
}

std::vector<std::shared_ptr<const EventBus::Handler>> EventBus::matching_handlers(std::uint32_t topic) const {
    std::vector<std::shared_ptr<const Handler>> snapshot;
    std::unique_lock guard(m_subs_mutex, std::defer_lock);
    // The defect (unlocked_handlers): walking the live vector while subscribe() may reallocate it
    // and unsubscribe() may erase from it.
    if (!m_faults.unlocked_handlers) guard.lock();
    for (const Subscription& s : m_subs) {
        if (s.topic == topic) snapshot.push_back(s.handler);
    }
    return snapshot;
}

// ---- publishing -----------------------------------------------------------------------------

bool EventBus::publish(std::uint32_t topic, std::uint64_t payload) {
    check_topic(topic);
    std::unique_lock lock(m_mutex);
    if (m_accepting && m_queue.size() >= m_capacity) {
        const std::uint64_t stops = m_stops;
        ++m_stats.waiting_publishers;
        m_room_cv.wait(lock, [&] { return m_stops != stops || m_queue.size() < m_capacity; });
        --m_stats.waiting_publishers;
        if (m_stops != stops) {
            // Stopped while this call waited (and perhaps restarted since): the event belongs to
            // no epoch. A pop's wakeup may have been meant for a current publisher: pass it on.
            if (m_queue.size() < m_capacity) m_room_cv.notify_one();
            ++m_stats.rejected;
            return false;
        }
    }
    if (!m_accepting) {
        ++m_stats.rejected;
        return false;
    }
    m_queue.push_back(Event{m_next_seq++, topic, payload, 0});
    ++m_stats.accepted;
    ++m_stats.accepted_by_topic[topic];
    m_gen->work_cv.notify_one();
    return true;
}

// ---- the epoch's threads --------------------------------------------------------------------

std::thread EventBus::spawn(std::function<void()> body) {
    const std::shared_ptr<Census> census = m_census;
    {
        const std::lock_guard guard(census->mutex);
        ++census->live;
    }
    try {
        return std::thread([census, body = std::move(body)]() mutable {
            // The body (and the generation it holds) is gone before the thread is counted out.
            std::exchange(body, nullptr)();
            {
                const std::lock_guard guard(census->mutex);
                --census->live;
            }
            census->cv.notify_all();
        });
    } catch (...) {
        const std::lock_guard guard(census->mutex);
        --census->live;
        throw;
    }
}

void EventBus::note_progress_locked() {
    ++m_progress;
    if (m_flushers != 0) m_progress_cv.notify_all();
}

void EventBus::dispatcher_main(Generation& gen) {
    std::unique_lock lock(m_mutex);
    for (;;) {
        gen.work_cv.wait(lock, [&] { return gen.stopping || (!m_queue.empty() && gen.calls.size() < m_threads); });
        if (gen.stopping) break;
        Event event = m_queue.front();
        m_queue.pop_front();
        event.epoch = gen.epoch;
        ++m_in_dispatch;
        note_progress_locked();
        m_room_cv.notify_one();
        lock.unlock();

        auto handlers = matching_handlers(event.topic);

        lock.lock();
        const std::size_t n = handlers.size();
        for (auto& handler : handlers) gen.calls.push_back(Call{std::move(handler), event});
        m_stats.submitted += n;
        m_stats.pool_waiting += n;
        --m_in_dispatch;
        if (n != 0) gen.pool_cv.notify_all();
        if (m_flushers != 0) m_progress_cv.notify_all();  // with no subscriber, the bus may be idle now
    }
    gen.dispatcher_done = true;
    gen.pool_cv.notify_all();
}

bool EventBus::take_call(Generation& gen, Call& call) {
    std::unique_lock lock(m_mutex);
    gen.pool_cv.wait(lock, [&] { return !gen.calls.empty() || (gen.stopping && gen.dispatcher_done); });
    if (gen.calls.empty()) return false;
    call = std::move(gen.calls.front());
    gen.calls.pop_front();
    --m_stats.pool_waiting;
    ++m_stats.calls_running;
    ++m_stats.dispatched;
    gen.work_cv.notify_one();  // room in the pool
    return true;
}

bool EventBus::call_isolated(const Call& call) {
    try {
        (*call.handler)(call.event);
        return true;
    } catch (...) {
        return false;
    }
}

void EventBus::finish_call(bool ok) {
    const std::lock_guard lock(m_mutex);
    --m_stats.calls_running;
    ++(ok ? m_stats.handled : m_stats.handler_errors);
    note_progress_locked();
}

void EventBus::pool_main(Generation& gen) {
    Call call;
    if (m_faults.exception_kills_worker) {
        // The defect: one try around the whole loop, so the first exception ends this thread.
        try {
            while (take_call(gen, call)) {
                (*call.handler)(call.event);
                call = Call{};
                finish_call(true);
            }
        } catch (...) {
            call = Call{};
            finish_call(false);
        }
    } else {
        while (take_call(gen, call)) {
            const bool ok = call_isolated(call);
            call = Call{};  // the handler reference goes before the call counts as finished
            finish_call(ok);
        }
    }
    const std::lock_guard lock(m_mutex);
    --m_stats.pool_threads;
}

// ---- lifecycle ------------------------------------------------------------------------------

void EventBus::start() {
    const std::lock_guard life(m_lifecycle);
    auto gen = std::make_shared<Generation>();
    {
        const std::lock_guard lock(m_mutex);
        if (m_gen) return;
        gen->epoch = m_epoch + 1;
    }
    gen->workers.reserve(m_threads);
    try {
        gen->dispatcher = spawn([this, gen] { dispatcher_main(*gen); });
        for (std::size_t i = 0; i < m_threads; ++i) {
            {
                const std::lock_guard lock(m_mutex);
                ++m_stats.pool_threads;
            }
            try {
                gen->workers.push_back(spawn([this, gen] { pool_main(*gen); }));
            } catch (...) {
                const std::lock_guard lock(m_mutex);
                --m_stats.pool_threads;
                throw;
            }
        }
    } catch (...) {
        // No thread could be made: end the ones that were, which have seen no event yet.
        {
            const std::lock_guard lock(m_mutex);
            gen->stopping = true;
            gen->dispatcher_done = !gen->dispatcher.joinable();
            gen->work_cv.notify_all();
            gen->pool_cv.notify_all();
        }
        if (gen->dispatcher.joinable()) gen->dispatcher.join();
        for (auto& worker : gen->workers) worker.join();
        throw;
    }
    const std::lock_guard lock(m_mutex);
    m_epoch = gen->epoch;
    m_gen = std::move(gen);
    m_accepting = true;
}

std::uint64_t EventBus::stop() {
    const std::lock_guard life(m_lifecycle);
    std::shared_ptr<Generation> gen;
    {
        const std::lock_guard lock(m_mutex);
        if (!m_gen) return 0;
        gen = std::exchange(m_gen, nullptr);
        m_accepting = false;
        ++m_stops;
        for (const Event& e : m_queue) {
            ++m_stats.discarded;
            ++m_stats.discarded_by_topic[e.topic];
        }
        m_queue.clear();
        gen->stopping = true;
        gen->work_cv.notify_all();
        gen->pool_cv.notify_all();
        // The defect (stop_strands_publishers): the queue is empty now, but its waiters sleep on.
        if (!m_faults.stop_strands_publishers) m_room_cv.notify_all();
        m_progress_cv.notify_all();
    }
    if (m_faults.stop_without_wait) {
        // The defect: the epoch's threads finish on their own, perhaps after stop() returned.
        gen->dispatcher.detach();
        for (auto& worker : gen->workers) worker.detach();
        return gen->epoch;
    }
    // The dispatcher hands out the event it may have popped, then ends; the pool runs every
    // call handed to it, then ends.
    gen->dispatcher.join();
    for (auto& worker : gen->workers) worker.join();
    std::deque<Call> orphans;  // left only if every pool thread died (exception_kills_worker)
    {
        const std::lock_guard lock(m_mutex);
        orphans.swap(gen->calls);
        m_stats.dropped_calls += orphans.size();
        m_stats.pool_waiting -= orphans.size();
        m_progress_cv.notify_all();
    }
    return gen->epoch;
}

bool EventBus::running() const {
    const std::lock_guard lock(m_mutex);
    return m_accepting;
}

// ---- observation ----------------------------------------------------------------------------

bool EventBus::idle_locked() const {
    return m_queue.empty() && m_in_dispatch == 0 && m_stats.pool_waiting == 0 && m_stats.calls_running == 0;
}

bool EventBus::flush(std::chrono::nanoseconds stall_limit) {
    std::unique_lock lock(m_mutex);
    ++m_flushers;
    bool idle = true;
    while (!idle_locked()) {
        const std::uint64_t seen = m_progress;
        if (!m_progress_cv.wait_for(lock, stall_limit, [&] { return idle_locked() || m_progress != seen; })) {
            idle = false;
            break;
        }
    }
    --m_flushers;
    return idle;
}

EventBusStats EventBus::stats() const {
    const std::lock_guard lock(m_mutex);
    EventBusStats s = m_stats;
    s.queued = m_queue.size();
    s.epoch = m_epoch;
    s.running = m_accepting;
    return s;
}

std::size_t EventBus::live_threads() const {
    const std::lock_guard guard(m_census->mutex);
    return m_census->live;
}

bool EventBus::wait_threads_exited(std::chrono::nanoseconds timeout) const {
    std::unique_lock guard(m_census->mutex);
    return m_census->cv.wait_for(guard, timeout, [&] { return m_census->live == 0; });
}

}  // namespace threadmill::cache
