// The wrapped timer of the `timer_queue` target: Godot's BroadcastTimer, usable from its owner thread only.
#pragma once

#include "api/clock.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <thread>

namespace threadmill::timer_queue {

using Nanos = std::chrono::nanoseconds;

/// The three countdowns of a broadcast, each queried by its event.
enum class TimingEvent : std::uint8_t { show_end, break_warning, ad_break_end };
inline constexpr std::size_t k_timing_event_count = 3;

std::string_view to_string(TimingEvent e);

/// Godot's BroadcastTimer: three countdown timers advanced by process(delta), like a Timer node
/// in the main loop. Every method must be called from the owner thread: a call from another
/// thread is counted (Godot prints "Caller thread can't call this function in this node") and
/// then carried out anyway, so that the data race it causes is real.
class BroadcastTimer {
public:
    /// The calling thread becomes the owner until set_owner() says otherwise.
    BroadcastTimer();
    BroadcastTimer(const BroadcastTimer&) = delete;
    BroadcastTimer& operator=(const BroadcastTimer&) = delete;

    /// Makes `owner` the only thread allowed to touch the timer. Call before that thread uses it
    /// (the target calls it from the owner thread itself, before its loop starts).
    void set_owner(std::thread::id owner);

    /// Starts (or restarts) the show countdown.
    void start_show(Nanos duration);
    /// Stops the show and, with it, the break warning and ad break countdowns.
    void stop_show();
    /// Starts (or restarts) the break warning countdown.
    void schedule_break_warnings(Nanos from_now);
    /// Starts (or restarts) the ad break countdown.
    void start_ad_break(Nanos duration);
    /// What is left of `event`'s countdown; zero when it is not running.
    Nanos time_until(TimingEvent event);
    /// Whether `event`'s countdown is running.
    bool is_timer_active(TimingEvent event);
    /// One frame: every running countdown loses `delta`; one that reaches zero stops and fires.
    void process(Nanos delta);

    /// The C# property `IsShowActive`: a plain field read, checked by nobody (Godot does not
    /// check plain C# properties). Safe on the owner thread only; the `as_documented` mutant reads
    /// it from callers' threads under a lock the owner never takes to write it.
    bool is_show_active_unchecked() const { return m_timers[0].active; }

    /// Calls from a thread other than the owner so far (thread-safe).
    std::uint64_t owner_violations() const { return m_owner_violations.load(std::memory_order_relaxed); }
    /// Countdowns that reached zero, per event (owner thread, or with the owner paused).
    const std::array<std::uint64_t, k_timing_event_count>& fired() const { return m_fired; }

private:
    struct Countdown {
        bool active = false;
        std::int64_t left_ns = 0;
    };

    void check_thread();
    Countdown& countdown(TimingEvent e) { return m_timers[static_cast<std::size_t>(e)]; }

    std::atomic<std::thread::id> m_owner;
    std::atomic<std::uint64_t> m_owner_violations{0};
    std::array<Countdown, k_timing_event_count> m_timers{};
    std::array<std::uint64_t, k_timing_event_count> m_fired{};
};

}  // namespace threadmill::timer_queue
