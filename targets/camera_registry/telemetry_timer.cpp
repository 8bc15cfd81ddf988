// The telemetry timer (see telemetry_timer.hpp): the scheduler loop, cancel-and-reschedule, and the epoch lifecycle.
#include "targets/camera_registry/telemetry_timer.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace threadmill::camera_registry {

TelemetryTimer::TelemetryTimer(TelemetryOptions options)
    : m_options(std::move(options)), m_interval(m_options.interval) {
    if (!m_options.publish) throw std::invalid_argument("TelemetryTimer: no publish callback");
    if (m_interval <= std::chrono::nanoseconds::zero()) {
        throw std::invalid_argument(fmt::format("TelemetryTimer: interval {}ns is not positive", m_interval.count()));
    }
}

TelemetryTimer::~TelemetryTimer() { stop(); }

void TelemetryTimer::pause() const {
    if (m_options.pause) m_options.pause();
}

TelemetryTimer::TimerKey TelemetryTimer::schedule_locked(std::chrono::nanoseconds delay, std::uint64_t epoch) {
    const TimerKey key{std::chrono::steady_clock::now() + delay, ++m_next_timer};
    m_timers.emplace(key, epoch);
    ++m_stats.scheduled;
    m_stats.most_live = std::max(m_stats.most_live, m_timers.size() + (m_in_flight ? 1 : 0));
    if (m_timers.begin()->first == key) m_wake.notify_one();  // due before whatever the scheduler waits for
    return key;
}

void TelemetryTimer::cancel_active_locked() {
    if (m_active && m_timers.erase(*m_active) > 0) ++m_stats.cancelled;
    m_active.reset();
}

void TelemetryTimer::wait_for_publication(std::unique_lock<std::mutex>& lock) {
    // A publication in flight schedules its successor when it ends. Cancelling before then finds
    // nothing to cancel, and the successor is scheduled after the cancel: wait for it to exist.
    if (m_options.faults.cancel_without_wait) return;  // the defect
    if (!m_in_flight) return;
    ++m_waiting;
    m_idle.wait(lock, [this] { return !m_in_flight; });
    // The scheduler starts no publication while a canceller waits (else, with timers always due,
    // a canceller could wait forever): the last one lets it go on.
    if (--m_waiting == 0) m_wake.notify_one();
}

bool TelemetryTimer::reschedule(std::unique_lock<std::mutex>& lock, std::chrono::nanoseconds delay, bool keep_due) {
    wait_for_publication(lock);
    if (!m_running) return false;
    if (keep_due && m_active && m_active->first <= std::chrono::steady_clock::now()) return true;
    cancel_active_locked();
    if (m_options.faults.reschedule_outside_lock) {
        // The defect: another caller may cancel the same timer here, and both then schedule one.
        lock.unlock();
        pause();
        lock.lock();
    } else {
        pause();  // under the lock: nobody can get between the cancel and the schedule
    }
    m_active = schedule_locked(delay, m_epoch);
    return true;
}

bool TelemetryTimer::publish_now() {
    std::unique_lock lock(m_mutex);
    return reschedule(lock, std::chrono::nanoseconds::zero(), true);
}

void TelemetryTimer::set_interval(std::chrono::nanoseconds interval) {
    if (interval <= std::chrono::nanoseconds::zero()) {
        throw std::invalid_argument(fmt::format("TelemetryTimer: interval {}ns is not positive", interval.count()));
    }
    std::unique_lock lock(m_mutex);
    m_interval = interval;
    reschedule(lock, interval, false);
}

void TelemetryTimer::scheduler_main() {
    std::unique_lock lock(m_mutex);
    while (!m_stopping) {
        if (m_timers.empty() || m_waiting > 0) {
            m_wake.wait(lock);
            continue;
        }
        const auto first = m_timers.begin();
        const TimePoint due = first->first.first;
        if (due > std::chrono::steady_clock::now()) {
            m_wake.wait_until(lock, due);
            continue;
        }
        const Publication publication{++m_next_seq, first->second, first->first.second};
        if (m_active == first->first) m_active.reset();
        m_timers.erase(first);
        m_in_flight = true;
        ++m_stats.publications;
        lock.unlock();
        bool ok = true;
        try {
            m_options.publish(publication);
        } catch (...) {
            ok = false;  // a failed publication is counted; the chain goes on
        }
        lock.lock();
        if (!ok) ++m_stats.publish_errors;
        m_in_flight = false;
        // The chain goes on: this publication's successor is the timer to cancel from now on.
        m_active = schedule_locked(m_interval, publication.epoch);
        m_idle.notify_all();
    }
}

void TelemetryTimer::start() {
    const std::lock_guard life(m_lifecycle);
    std::unique_lock lock(m_mutex);
    if (m_running) return;
    ++m_epoch;
    m_running = true;
    m_active = schedule_locked(m_interval, m_epoch);
    lock.unlock();
    try {
        m_thread = std::thread([this] { scheduler_main(); });
    } catch (...) {
        lock.lock();
        m_running = false;
        cancel_active_locked();
        throw;
    }
}

StopReport TelemetryTimer::stop() {
    const std::lock_guard life(m_lifecycle);
    std::unique_lock lock(m_mutex);
    if (!m_running) return {};
    m_running = false;  // publish_now and set_interval schedule nothing from here on
    wait_for_publication(lock);
    cancel_active_locked();
    m_stopping = true;
    m_wake.notify_all();
    lock.unlock();
    m_thread.join();
    lock.lock();
    m_stopping = false;
    return {m_epoch, m_timers.size()};
}

TelemetryStats TelemetryTimer::stats() const {
    const std::lock_guard lock(m_mutex);
    TelemetryStats s = m_stats;
    s.pending = m_timers.size();
    s.in_flight = m_in_flight;
    s.waiting = m_waiting;
    s.epoch = m_epoch;
    s.running = m_running;
    s.interval = m_interval;
    return s;
}

}  // namespace threadmill::camera_registry
