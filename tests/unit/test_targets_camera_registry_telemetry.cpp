// Tests of the `camera_registry` target's telemetry timer: TelemetryTimer, its mutants, its ops in the adapter.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/target_fixture.hpp"

#include "api/target.hpp"
#include "targets/camera_registry/telemetry_timer.hpp"

namespace threadmill {
namespace {

using camera_registry::Publication;
using camera_registry::StopReport;
using camera_registry::TelemetryOptions;
using camera_registry::TelemetryStats;
using camera_registry::TelemetryTimer;
using camera_registry::TelemetryTimerFaults;
using namespace std::chrono_literals;

constexpr auto k_patience = 10s;  // generous bound for conditions that other threads make true

/// Waits until `done()` holds (true) or k_patience passes (false).
bool eventually(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + k_patience;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(100us);
    }
    return true;
}

/// A door the publish callback can be held at: the test sees it arrive, then lets it through.
class Gate {
public:
    /// Called by the callback: counts the arrival, then waits until the gate is open.
    void pass() {
        std::unique_lock lock(m_mutex);
        ++m_arrivals;
        m_cv.notify_all();
        m_cv.wait(lock, [this] { return m_open; });
    }
    bool wait_arrivals(int n) {
        std::unique_lock lock(m_mutex);
        return m_cv.wait_for(lock, k_patience, [&] { return m_arrivals >= n; });
    }
    void open() {
        const std::lock_guard lock(m_mutex);
        m_open = true;
        m_cv.notify_all();
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_cv;
    int m_arrivals = 0;
    bool m_open = false;
};

/// A timer whose publications are recorded (and, with a gate, held at the gate).
struct TestTimer {
    explicit TestTimer(std::chrono::nanoseconds interval, TelemetryTimerFaults faults = {},
                       std::function<void()> pause = {}) {
        TelemetryOptions o;
        o.interval = interval;
        o.publish = [this](const Publication& p) {
            {
                const std::lock_guard lock(mutex);
                seen.push_back(p);
            }
            if (gate) gate->pass();
            if (throws) throw std::runtime_error("broker unreachable");
        };
        o.pause = std::move(pause);
        o.faults = faults;
        timer = std::make_unique<TelemetryTimer>(std::move(o));
    }
    TelemetryTimer* operator->() { return timer.get(); }
    std::size_t publications() {
        const std::lock_guard lock(mutex);
        return seen.size();
    }
    /// Waits until `n` publications have ended and the timer is at rest with `pending` timers.
    bool settles(std::uint64_t n, std::size_t pending) {
        return eventually([&] {
            const TelemetryStats s = timer->stats();
            return s.publications == n && !s.in_flight && s.pending == pending;
        });
    }

    std::mutex mutex;
    std::vector<Publication> seen;
    std::unique_ptr<Gate> gate;
    bool throws = false;
    std::unique_ptr<TelemetryTimer> timer;  // last: destroyed (stopped) first
};

// ---- The correct timer ----------------------------------------------------------------------

TEST(TelemetryTimer, PublishesEveryIntervalAsOneChainAndStopsClean) {
    TestTimer t(200us);
    t->start();
    ASSERT_TRUE(eventually([&] { return t.publications() >= 5; }));
    const StopReport r = t->stop();
    EXPECT_EQ(r.epoch, 1u);
    EXPECT_EQ(r.timers_left, 0u);
    const std::size_t at_stop = t.publications();
    const TelemetryStats s = t->stats();
    EXPECT_FALSE(s.running);
    EXPECT_EQ(s.pending, 0u);
    EXPECT_FALSE(s.in_flight);
    EXPECT_EQ(s.most_live, 1u);
    EXPECT_EQ(s.publications, at_stop);
    std::this_thread::sleep_for(5ms);  // a publication after stop() would show here
    EXPECT_EQ(t.publications(), at_stop);
    for (std::size_t i = 0; i < t.seen.size(); ++i) {
        EXPECT_EQ(t.seen[i].seq, i + 1);
        EXPECT_EQ(t.seen[i].epoch, 1u);
    }
}

TEST(TelemetryTimer, PublishNowReplacesThePendingPublication) {
    TestTimer t(1h);
    t->start();
    EXPECT_EQ(t->stats().pending, 1u);
    ASSERT_TRUE(t->publish_now());
    ASSERT_TRUE(t.settles(1, 1));  // published at once; its successor is an hour away
    const TelemetryStats s = t->stats();
    EXPECT_EQ(s.scheduled, 3u);  // the first, publish_now's, the successor
    EXPECT_EQ(s.cancelled, 1u);  // the first, replaced
    EXPECT_EQ(s.most_live, 1u);
    EXPECT_EQ(t.seen.at(0).timer, 2u);
}

TEST(TelemetryTimer, SetIntervalMovesThePendingPublication) {
    TestTimer t(1h);
    t->start();
    t->set_interval(100us);
    ASSERT_TRUE(eventually([&] { return t.publications() >= 3; }));
    const TelemetryStats s = t->stats();
    EXPECT_EQ(s.interval, 100us);
    EXPECT_EQ(s.cancelled, 1u);
    EXPECT_EQ(s.most_live, 1u);
    EXPECT_THROW(t->set_interval(0ns), std::invalid_argument);
}

TEST(TelemetryTimer, AStoppedTimerSchedulesNothingAndRestartsAsANewEpoch) {
    TestTimer t(1h);
    EXPECT_FALSE(t->publish_now());
    t->set_interval(2h);
    EXPECT_EQ(t->stats().pending, 0u);
    EXPECT_EQ(t->stats().scheduled, 0u);
    EXPECT_EQ(t->stop().epoch, 0u) << "not running: nothing to stop";
    t->start();
    t->start();  // already running: nothing more
    EXPECT_EQ(t->stats().pending, 1u);
    EXPECT_EQ(t->stop().epoch, 1u);
    t->start();
    ASSERT_TRUE(t->publish_now());
    ASSERT_TRUE(t.settles(1, 1));
    EXPECT_EQ(t.seen.at(0).epoch, 2u);
    EXPECT_EQ(t->stats().interval, 2h);
    const StopReport r = t->stop();
    EXPECT_EQ(r.epoch, 2u);
    EXPECT_EQ(r.timers_left, 0u);
}

TEST(TelemetryTimer, RejectsAMissingCallbackAndANonPositiveInterval) {
    TelemetryOptions o;
    EXPECT_THROW(TelemetryTimer{o}, std::invalid_argument);
    o.publish = [](const Publication&) {};
    o.interval = 0ns;
    EXPECT_THROW(TelemetryTimer{o}, std::invalid_argument);
}

TEST(TelemetryTimer, AThrowingPublicationIsCountedAndTheChainGoesOn) {
    TestTimer t(100us);
    t.throws = true;
    t->start();
    ASSERT_TRUE(eventually([&] { return t->stats().publish_errors >= 3; }));
    t->stop();
    const TelemetryStats s = t->stats();
    EXPECT_EQ(s.publish_errors, s.publications);
    EXPECT_EQ(s.most_live, 1u);
}

TEST(TelemetryTimer, ConcurrentReschedulesKeepOneChain) {
    TestTimer t(50us, {}, [] { std::this_thread::yield(); });
    t->start();
    std::vector<std::thread> callers;
    for (int c = 0; c < 4; ++c) {
        callers.emplace_back([&, c] {
            for (int i = 0; i < 500; ++i) {
                if ((i + c) % 5 == 0) {
                    t->set_interval(std::chrono::microseconds(20 + (i % 4) * 20));
                } else {
                    t->publish_now();
                }
            }
        });
    }
    for (auto& c : callers) c.join();
    const StopReport r = t->stop();
    EXPECT_EQ(r.timers_left, 0u);
    EXPECT_EQ(t->stats().most_live, 1u);
}

/// Holds the first publication at the gate; while it is in flight, `during` runs on another
/// thread. The gate opens once `ready(stats)` holds (or at once when `ready` is empty).
struct InFlight {
    explicit InFlight(TelemetryTimerFaults faults) : t(1h, faults) {
        t.gate = std::make_unique<Gate>();
        t->start();
        EXPECT_TRUE(t->publish_now());
        EXPECT_TRUE(t.gate->wait_arrivals(1));
    }
    TestTimer t;
};

TEST(TelemetryTimer, PublishNowWaitsForThePublicationInFlight) {
    InFlight f({});
    std::atomic<bool> returned{false};
    std::thread caller([&] {
        f.t->publish_now();
        returned = true;
    });
    ASSERT_TRUE(eventually([&] { return f.t->stats().waiting == 1; }));
    EXPECT_FALSE(returned) << "publish_now returned while the publication was in flight";
    f.t.gate->open();
    caller.join();
    ASSERT_TRUE(f.t.settles(2, 1));  // the in-flight one's successor was replaced by publish_now's
    EXPECT_EQ(f.t->stats().most_live, 1u);
}

TEST(TelemetryTimer, StopWaitsForThePublicationInFlightAndLeavesNoTimer) {
    InFlight f({});
    StopReport r;
    std::thread stopper([&] { r = f.t->stop(); });
    ASSERT_TRUE(eventually([&] { return f.t->stats().waiting == 1; }));
    f.t.gate->open();
    stopper.join();
    EXPECT_EQ(r.timers_left, 0u);
    const TelemetryStats s = f.t->stats();
    EXPECT_EQ(s.pending, 0u);
    EXPECT_EQ(s.publications, 1u);
    EXPECT_EQ(s.most_live, 1u);
}

// ---- The mutants, shown deterministically ----------------------------------------------------

TEST(TelemetryTimerFaults, CancelWithoutWaitLetsThePublicationInFlightStartASecondChain) {
    TelemetryTimerFaults faults;
    faults.cancel_without_wait = true;
    InFlight f(faults);
    std::thread([&] { f.t->publish_now(); }).join();  // returns with the publication still in flight
    f.t.gate->open();
    // publish_now's timer fires (its successor is an hour away) and the in-flight one schedules
    // its own successor: two chains.
    ASSERT_TRUE(f.t.settles(2, 2));
    EXPECT_EQ(f.t->stats().most_live, 2u);
}

TEST(TelemetryTimerFaults, CancelWithoutWaitLetsStopLeaveATimerBehind) {
    TelemetryTimerFaults faults;
    faults.cancel_without_wait = true;
    InFlight f(faults);
    StopReport r;
    std::thread stopper([&] { r = f.t->stop(); });
    // running is cleared in the critical section that also cancels: the cancel is done.
    ASSERT_TRUE(eventually([&] { return !f.t->stats().running; }));
    f.t.gate->open();
    stopper.join();
    EXPECT_EQ(r.timers_left, 1u) << "the in-flight publication scheduled its successor after the cancel";
    f.t->start();  // the next epoch runs the left-over timer beside its own
    const TelemetryStats s = f.t->stats();
    EXPECT_EQ(s.pending, 2u);
    EXPECT_EQ(s.most_live, 2u);
}

TEST(TelemetryTimerFaults, RescheduleOutsideLockLetsTwoCallersScheduleTwoChains) {
    Gate a_in_window;   // caller A reached the window between its cancel and its schedule
    Gate b_done;        // caller B finished its whole publish_now
    std::atomic<int> pauses{0};
    TelemetryTimerFaults faults;
    faults.reschedule_outside_lock = true;
    TestTimer t(1h, faults, [&] {
        if (pauses.fetch_add(1) == 0) {
            a_in_window.open();
            b_done.pass();
        }
    });
    t->start();
    std::thread a([&] { t->publish_now(); });
    a_in_window.pass();
    ASSERT_TRUE(t->publish_now());  // B: cancels nothing (A did), schedules one
    b_done.open();
    a.join();                       // A: schedules another
    ASSERT_TRUE(t.settles(2, 2));   // both fired at once, and each scheduled a successor
    EXPECT_EQ(t->stats().most_live, 2u);
    EXPECT_EQ(t->stop().timers_left, 1u) << "stop() cancels the active chain only";
}

// ---- Through the adapter ----------------------------------------------------------------------

const TargetSpec& spec() { return testing::registered_target("camera_registry"); }

struct Fixture : testing::TargetFixture {
    explicit Fixture(const std::string& variant, int threads = 1, std::map<std::string, ParamValue> overrides = {})
        : TargetFixture(spec(), variant, threads, with_defaults(std::move(overrides)), 8) {}
    static std::map<std::string, ParamValue> with_defaults(std::map<std::string, ParamValue> overrides) {
        overrides.try_emplace("io_latency", Nanos(0));
        overrides.try_emplace("telemetry_interval", Nanos(100'000));
        return overrides;
    }
};

const std::vector<std::string> k_telemetry_ops = {"telemetry_publish", "telemetry_publish", "telemetry_interval",
                                                  "telemetry_restart"};

TEST(CameraRegistryTelemetryTarget, DeclaresItsTelemetryCatalog) {
    const auto& info = spec().info;
    for (const char* op : {"telemetry_publish", "telemetry_interval", "telemetry_restart"}) {
        EXPECT_GE(info.op_index(op), 0) << op;
    }
    for (const char* inv : {"telemetry_one_chain", "telemetry_quiet_after_stop"}) {
        EXPECT_GE(info.invariant_index(inv), 0) << inv;
    }
    for (const char* v : {"reschedule_outside_lock", "cancel_without_wait"}) {
        const int i = info.variant_index(v);
        ASSERT_GE(i, 0) << v;
        EXPECT_EQ(info.variants[static_cast<std::size_t>(i)].caught_by, "invariant:telemetry_one_chain") << v;
    }
}

TEST(CameraRegistryTelemetryTarget, EveryTelemetryOpOnOneThreadKeepsEveryInvariant) {
    Fixture f("safe");
    for (std::uint64_t i = 0; i < 64; ++i) {
        for (const auto& op : k_telemetry_ops) f.run(op, i % 8, 1 + i % 4);
    }
    InvariantSink sink(f.info.invariants.size());
    f.check(sink);
    f.check(sink, CheckPoint::final);  // the teardown stops the timer first
    f.expect_all_held(sink);
}

TEST(CameraRegistryTelemetryTarget, SafeKeepsOneChainUnderContention) {
    Fixture f("safe", 3, {{"io_latency", Nanos(5'000)}});
    InvariantSink sink(f.info.invariants.size());
    f.stress(sink, 30, k_telemetry_ops, 8, 0.1);
    f.expect_all_held(sink);
}

/// Runs the mutant's stress until `invariant` breaks (at most 10 attempts); its violations.
std::uint64_t caught_under_contention(const std::string& variant, const std::string& invariant) {
    std::uint64_t caught = 0;
    for (int attempt = 0; attempt < 10 && caught == 0; ++attempt) {
        Fixture f(variant, 3, {{"io_latency", Nanos(5'000)}});
        InvariantSink sink(f.info.invariants.size());
        f.stress(sink, 30, k_telemetry_ops, 8, 0.1);
        caught = f.violations(sink, invariant);
    }
    return caught;
}

TEST(CameraRegistryTelemetryTarget, RescheduleOutsideLockIsCaughtAsTwoChains) {
    EXPECT_GT(caught_under_contention("reschedule_outside_lock", "telemetry_one_chain"), 0u);
}

TEST(CameraRegistryTelemetryTarget, CancelWithoutWaitIsCaughtAsTwoChains) {
    EXPECT_GT(caught_under_contention("cancel_without_wait", "telemetry_one_chain"), 0u);
}

TEST(CameraRegistryTelemetryTarget, NoTelemetryOpMeansNoTimer) {
    Fixture f("safe");
    f.run("lookup", 1);
    InvariantSink sink(f.info.invariants.size());
    f.check(sink, CheckPoint::final);
    f.expect_all_held(sink);
}

}  // namespace
}  // namespace threadmill
