// Wildfire Watch's telemetry timer in C++: at most one pending publication, cancel-and-reschedule under one lock.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

namespace threadmill::camera_registry {

/// One publication, as the publish callback sees it.
struct Publication {
    std::uint64_t seq = 0;    ///< 1, 2, ... in the order publications started, over the timer's life
    std::uint64_t epoch = 0;  ///< the start() whose chain scheduled the timer that fired (1 for the first)
    std::uint64_t timer = 0;  ///< the id of the timer that fired (> 0, never reused)
};

/// Deliberate defects, for the target's mutants. The default is the correct timer; each flag is
/// checked at the one place where the defect lives.
struct TelemetryTimerFaults {
    /// publish_now and set_interval cancel the pending timer in one critical section and schedule
    /// its replacement in another: two callers both cancel the same timer, then both schedule one,
    /// and two chains publish from then on.
    bool reschedule_outside_lock = false;
    /// Cancelling does not wait for the publication in flight: when that publication ends it
    /// schedules its successor, after publish_now replaced it (a second chain) or after stop()
    /// cancelled it (a timer left behind by stop(), which the next start() runs as well).
    bool cancel_without_wait = false;
};

struct TelemetryOptions {
    std::chrono::nanoseconds interval = std::chrono::milliseconds(1);  ///< between publications; > 0
    /// Required. One publication (collect, then send: I/O). Runs on the scheduler thread with no
    /// lock of the timer held, one at a time. It may throw (counted in publish_errors; the chain
    /// goes on). It must not call publish_now, set_interval or stop: they wait for it.
    std::function<void(const Publication&)> publish;
    std::function<void()> pause;  ///< called inside race windows (chaos); may be empty
    TelemetryTimerFaults faults;
};

/// Counters and the timer's state, read in one critical section.
struct TelemetryStats {
    std::uint64_t publications = 0;    ///< publish callbacks started
    std::uint64_t publish_errors = 0;  ///< publish callbacks that threw
    std::uint64_t scheduled = 0;       ///< timers scheduled
    std::uint64_t cancelled = 0;       ///< pending timers cancelled before they fired
    std::size_t pending = 0;           ///< timers waiting to fire now
    bool in_flight = false;            ///< a publication runs now
    std::size_t waiting = 0;           ///< callers waiting now for the publication in flight to end
    /// The most timers pending or in flight at one time since the timer was made: the contract
    /// says one (one chain); two or more mean two chains published side by side.
    std::size_t most_live = 0;
    std::uint64_t epoch = 0;           ///< start() calls that started it (0 before the first)
    bool running = false;
    std::chrono::nanoseconds interval{0};
};

/// What stop() left behind.
struct StopReport {
    std::uint64_t epoch = 0;        ///< the epoch it stopped; 0 when the timer was not running
    std::size_t timers_left = 0;    ///< timers still pending when it returned (the contract: none)
};

/// The telemetry service's timer ("cancel previous timer, schedule next publication", under one
/// lock). One chain of timers: the pending timer fires on the scheduler thread, which runs the
/// publish callback without the lock and then schedules its successor `interval` later. Every
/// member function is safe to call from any thread but the publish callback's.
///
/// The contract: at most one timer is pending or in flight at any time (one chain); after stop()
/// returns, no publication runs and no timer is left. Both rest on two rules:
///  - cancel-and-reschedule is one critical section (publish_now, set_interval);
///  - cancelling waits for the publication in flight first, so the timer it cancels is that
///    publication's successor, never a timer that is about to be scheduled; while a canceller
///    waits, the scheduler starts no other publication.
/// Locks: `m_lifecycle` serializes start() and stop() and is taken before `m_mutex`, which guards
/// everything else. The callback runs with neither held.
class TelemetryTimer {
public:
    /// A stopped timer. Throws std::invalid_argument without a publish callback or with an
    /// interval that is not positive.
    explicit TelemetryTimer(TelemetryOptions options);
    /// stop()s a running timer: its thread is joined when this returns.
    ~TelemetryTimer();
    TelemetryTimer(const TelemetryTimer&) = delete;
    TelemetryTimer& operator=(const TelemetryTimer&) = delete;

    /// Starts a new epoch: the scheduler thread, and the first publication one interval from now.
    /// Does nothing when it runs already. Throws std::system_error if the thread cannot be made;
    /// the timer then stays stopped.
    void start();
    /// Stops publishing: waits for the publication in flight, cancels the pending timer and joins
    /// the scheduler thread. When it returns no publication runs and none will.
    StopReport stop();
    /// Cancels the pending publication and schedules one due at once (the scheduler publishes it,
    /// then goes on every interval from there): one critical section, after the publication in
    /// flight, if any, has ended. A pending publication that is due already is kept (calls in a
    /// burst make one publication). False, with nothing scheduled, when the timer is stopped.
    bool publish_now();
    /// Sets the interval; while running, the pending publication is cancelled and replaced by one
    /// `interval` from now, as publish_now does. Throws std::invalid_argument if not positive.
    void set_interval(std::chrono::nanoseconds interval);

    TelemetryStats stats() const;

private:
    using TimePoint = std::chrono::steady_clock::time_point;
    /// Timers by due time, then id: the first one fires first. Maps to the epoch of its chain.
    using TimerKey = std::pair<TimePoint, std::uint64_t>;

    void scheduler_main();
    /// Waits, the lock released meanwhile, until no publication is in flight.
    void wait_for_publication(std::unique_lock<std::mutex>& lock);
    void cancel_active_locked();
    /// Cancels the active timer and schedules `delay` from now in its place; false when stopped.
    /// With `keep_due`, an active timer that is due already is kept instead.
    bool reschedule(std::unique_lock<std::mutex>& lock, std::chrono::nanoseconds delay, bool keep_due);
    TimerKey schedule_locked(std::chrono::nanoseconds delay, std::uint64_t epoch);
    void pause() const;

    const TelemetryOptions m_options;

    std::mutex m_lifecycle;  ///< serializes start() and stop()
    std::thread m_thread;    ///< touched by start() and stop() only

    mutable std::mutex m_mutex;
    std::condition_variable m_wake;  ///< the scheduler waits here for a due timer and for no canceller waiting
    std::condition_variable m_idle;  ///< cancellers wait here for the publication in flight to end
    std::map<TimerKey, std::uint64_t> m_timers;
    std::optional<TimerKey> m_active;  ///< the chain's pending timer (the seed's `active_timer`)
    std::chrono::nanoseconds m_interval;
    bool m_running = false;
    bool m_stopping = false;  ///< the scheduler thread is to end
    std::uint64_t m_next_timer = 0;
    std::uint64_t m_next_seq = 0;
    TelemetryStats m_stats;  ///< counters and most_live; the rest is filled in by stats()
    bool m_in_flight = false;
    std::size_t m_waiting = 0;
    std::uint64_t m_epoch = 0;
};

}  // namespace threadmill::camera_registry
