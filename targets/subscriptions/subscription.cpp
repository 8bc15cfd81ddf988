// The event subscription (see subscription.hpp): non-blocking delivery, drop counting, close once.
#include "targets/subscriptions/subscription.hpp"

#include <utility>

namespace threadmill::subscriptions {

std::string_view to_string(State s) {
    switch (s) {
        case State::connecting: return "connecting";
        case State::connected: return "connected";
        case State::disconnected: return "disconnected";
        case State::reconnecting: return "reconnecting";
    }
    return "?";
}

Subscription::Subscription(std::uint64_t id, std::size_t capacity, StateMask filter, SubscriptionFaults faults)
    : m_id(id),
      m_capacity(capacity == 0 ? 1 : capacity),
      m_filter(filter),
      m_faults(faults),
      m_buffer(new Event[m_capacity]) {}

Subscription::~Subscription() {
    // No other thread can reach a subscription being destroyed: m_closed needs no lock here.
    if (!m_closed) delete[] m_buffer;
}

Offer Subscription::offer(const Event& event) {
    if (!accepts(event.state)) return Offer::filtered;
    std::unique_lock lock(m_mutex);
    if (m_closed) return Offer::closed;
    if (m_size == m_capacity) {
        if (!m_faults.blocking_send) {
            ++m_dropped;  // the document's `default:` branch: drop and count, never wait
            return Offer::dropped;
        }
        // The mutant: a plain channel send, which waits for the consumer to make room.
        ++m_waiting_publishers;
        m_not_full.wait(lock, [this] { return m_closed || m_size < m_capacity; });
        --m_waiting_publishers;
        if (m_closed) return Offer::closed;
    }
    m_buffer[(m_head + m_size) % m_capacity] = event;
    ++m_size;
    ++m_delivered;
    const bool wake = m_consumer_waiting;
    lock.unlock();
    if (wake) m_not_empty.notify_one();
    return Offer::delivered;
}

std::optional<Event> Subscription::pop_locked() {
    if (m_closed || m_size == 0) return std::nullopt;
    Event e = m_buffer[m_head];
    m_head = (m_head + 1) % m_capacity;
    --m_size;
    return e;
}

std::optional<Event> Subscription::try_next() {
    std::unique_lock lock(m_mutex);
    auto e = pop_locked();
    lock.unlock();
    if (e && m_faults.blocking_send) m_not_full.notify_one();
    return e;
}

std::optional<Event> Subscription::wait_next(std::chrono::nanoseconds timeout) {
    std::unique_lock lock(m_mutex);
    m_consumer_waiting = true;
    m_not_empty.wait_for(lock, timeout, [this] { return m_closed || m_size > 0; });
    return take_after_wait(lock);
}

std::optional<Event> Subscription::next() {
    std::unique_lock lock(m_mutex);
    m_consumer_waiting = true;
    m_not_empty.wait(lock, [this] { return m_closed || m_size > 0; });  // only an event or close() ends it
    return take_after_wait(lock);
}

std::optional<Event> Subscription::take_after_wait(std::unique_lock<std::mutex>& lock) {
    m_consumer_waiting = false;
    auto e = pop_locked();
    lock.unlock();
    if (e && m_faults.blocking_send) m_not_full.notify_one();
    return e;
}

Offer Subscription::count_failed(const Event& event) {
    if (!accepts(event.state)) return Offer::filtered;
    std::lock_guard lock(m_mutex);
    if (m_closed) return Offer::closed;
    ++m_failed;
    return Offer::failed;
}

std::optional<std::size_t> Subscription::close() {
    // The mutant: the document's closeChannel() without its sync.Once.
    if (m_faults.close_without_once) return close_now();
    std::optional<std::size_t> discarded;
    std::call_once(m_close_once, [&] { discarded = close_now(); });
    return discarded;
}

std::optional<std::size_t> Subscription::close_now() {
    std::size_t discarded = 0;
    {
        std::lock_guard lock(m_mutex);
        m_closed = true;  // from here offer() and the consumer leave the buffer alone
        discarded = m_size;
        m_size = 0;
    }
    // The mutant forgets the consumer: one waiting in next() waits for an event that never comes.
    if (!m_faults.close_strands_waiter) m_not_empty.notify_all();
    m_not_full.notify_all();
    // Runs once (call_once), like Go's close(ch): releasing the buffer twice is a double free.
    delete[] m_buffer;
    return discarded;
}

bool Subscription::closed() const {
    std::lock_guard lock(m_mutex);
    return m_closed;
}

std::uint64_t Subscription::delivered() const {
    std::lock_guard lock(m_mutex);
    return m_delivered;
}

std::uint64_t Subscription::dropped() const {
    std::lock_guard lock(m_mutex);
    return m_dropped;
}

std::uint64_t Subscription::failed() const {
    std::lock_guard lock(m_mutex);
    return m_failed;
}

std::size_t Subscription::buffered() const {
    std::lock_guard lock(m_mutex);
    return m_size;
}

std::size_t Subscription::waiting_publishers() const {
    std::lock_guard lock(m_mutex);
    return m_waiting_publishers;
}

bool Subscription::consumer_waiting() const {
    std::lock_guard lock(m_mutex);
    return m_consumer_waiting;
}

}  // namespace threadmill::subscriptions
