// Godot's BroadcastTimer: three countdowns advanced per frame, with Godot's owner-thread check.
#include "targets/timer_queue/broadcast_timer.hpp"

#include <algorithm>

namespace threadmill::timer_queue {

std::string_view to_string(TimingEvent e) {
    switch (e) {
        case TimingEvent::show_end: return "show_end";
        case TimingEvent::break_warning: return "break_warning";
        case TimingEvent::ad_break_end: return "ad_break_end";
    }
    return "?";
}

BroadcastTimer::BroadcastTimer() : m_owner(std::this_thread::get_id()) {}

void BroadcastTimer::set_owner(std::thread::id owner) { m_owner.store(owner, std::memory_order_release); }

void BroadcastTimer::check_thread() {
    if (std::this_thread::get_id() != m_owner.load(std::memory_order_acquire)) {
        m_owner_violations.fetch_add(1, std::memory_order_relaxed);
    }
}

void BroadcastTimer::start_show(Nanos duration) {
    check_thread();
    countdown(TimingEvent::show_end) = {true, duration.count()};
}

void BroadcastTimer::stop_show() {
    check_thread();
    for (auto& c : m_timers) c = {};
}

void BroadcastTimer::schedule_break_warnings(Nanos from_now) {
    check_thread();
    countdown(TimingEvent::break_warning) = {true, from_now.count()};
}

void BroadcastTimer::start_ad_break(Nanos duration) {
    check_thread();
    countdown(TimingEvent::ad_break_end) = {true, duration.count()};
}

Nanos BroadcastTimer::time_until(TimingEvent event) {
    check_thread();
    const Countdown& c = countdown(event);
    return Nanos(c.active ? c.left_ns : 0);
}

bool BroadcastTimer::is_timer_active(TimingEvent event) {
    check_thread();
    return countdown(event).active;
}

void BroadcastTimer::process(Nanos delta) {
    check_thread();
    for (std::size_t i = 0; i < m_timers.size(); ++i) {
        Countdown& c = m_timers[i];
        if (!c.active) continue;
        c.left_ns -= delta.count();
        if (c.left_ns <= 0) {
            c = {};
            ++m_fired[i];
        }
    }
}

}  // namespace threadmill::timer_queue
