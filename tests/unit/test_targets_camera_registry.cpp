// Tests of the `camera_registry` target: ServiceLock, CameraRegistry, FireConsensus and the adapter.
#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/target_fixture.hpp"

#include "api/clock.hpp"
#include "api/rng.hpp"
#include "api/target.hpp"
#include "targets/camera_registry/camera_registry.hpp"
#include "targets/camera_registry/fire_consensus.hpp"

namespace threadmill {
namespace {

using camera_registry::AddOutcome;
using camera_registry::Camera;
using camera_registry::CameraRegistry;
using camera_registry::ConsensusOptions;
using camera_registry::FireConsensus;
using camera_registry::LockTimeout;
using camera_registry::Network;
using camera_registry::NetworkError;
using camera_registry::RegistryOptions;
using camera_registry::RegistrySnapshot;
using camera_registry::ServiceLock;
using camera_registry::StatusOutcome;
using namespace std::chrono_literals;

Camera camera(int n, int subnet = 0) {
    Camera c;
    c.id = "cam-" + std::to_string(n);
    c.ip = std::to_string(10 + subnet) + ".0.0." + std::to_string(n);
    c.mac = "02:00:00:00:00:" + std::to_string(10 + n);
    c.name = "camera " + std::to_string(n) + " with a name long enough to allocate";
    return c;
}

/// Runs `f` on a thread of its own and waits for it: "what would another thread see now?"
template <typename F>
auto on_other_thread(F f) {
    decltype(f()) result{};
    std::thread([&] { result = f(); }).join();
    return result;
}

/// A network whose answers and side effects the test scripts; it never sleeps.
class ScriptedNetwork final : public Network {
public:
    bool ping(const std::string& ip) override {
        pinged.push_back(ip);
        if (on_ping) on_ping(ip);
        if (fails) throw NetworkError("ping " + ip + ": connection reset");
        return answer;
    }
    std::vector<bool> probe(const std::vector<Camera>& candidates) override {
        std::vector<std::string> ips;
        for (const auto& c : candidates) ips.push_back(c.ip);
        probed.push_back(ips);
        if (on_probe) on_probe();
        if (fails) throw NetworkError("probe: no route");
        return std::vector<bool>(candidates.size(), answer);
    }

    bool answer = true;
    bool fails = false;  ///< every ping and probe throws NetworkError
    std::function<void(const std::string&)> on_ping;
    std::function<void()> on_probe;
    std::vector<std::string> pinged;
    std::vector<std::vector<std::string>> probed;
};

/// A registry on a scripted network, recording the removal hook's calls.
struct TestRegistry {
    explicit TestRegistry(camera_registry::RegistryFaults faults = {}, Nanos lock_timeout = Nanos::zero()) {
        RegistryOptions o;
        o.network = &network;
        o.on_removed = [this](const std::string& id) {
            removed.push_back(id);
            if (on_removed) on_removed(id);
        };
        o.lock_timeout = lock_timeout;
        o.faults = faults;
        registry = std::make_unique<CameraRegistry>(o);
    }
    CameraRegistry& operator*() { return *registry; }
    CameraRegistry* operator->() { return registry.get(); }
    void expect_consistent() {
        const auto problem = camera_registry::consistency_problem(registry->peek());
        EXPECT_FALSE(problem.has_value()) << *problem;
    }

    ScriptedNetwork network;
    std::vector<std::string> removed;
    std::function<void(const std::string&)> on_removed;
    std::unique_ptr<CameraRegistry> registry;
};

// ---- ServiceLock ----------------------------------------------------------------------------

TEST(CameraServiceLock, ReentrantLockNestsAndCountsEachAcquisition) {
    ServiceLock lock;
    lock.lock();
    ASSERT_TRUE(lock.try_lock()) << "the owner may take it again";
    EXPECT_EQ(lock.acquisitions(), 2u);
    EXPECT_FALSE(on_other_thread([&] {
        const bool got = lock.try_lock();
        if (got) lock.unlock();
        return got;
    }));
    lock.unlock();
    lock.unlock();
    EXPECT_TRUE(on_other_thread([&] {
        const bool got = lock.try_lock();
        if (got) lock.unlock();
        return got;
    }));
}

TEST(CameraServiceLockFaults, PlainMutexWaitsForItsOwnOwner) {
    // With a timeout the self-deadlock of the plain mutex becomes LockTimeout instead of a hang.
    ServiceLock lock(false, 50ms);
    lock.lock();
    EXPECT_THROW(lock.lock(), LockTimeout);
    lock.unlock();
    EXPECT_NO_THROW(lock.lock());
    lock.unlock();
}

// ---- The registry's maps --------------------------------------------------------------------

TEST(CameraRegistry, AddMoveRemoveKeepTheMapsInAgreement) {
    TestRegistry r;
    EXPECT_EQ(r->add_camera(camera(1)), AddOutcome::added);
    EXPECT_EQ(r->add_camera(camera(2)), AddOutcome::added);
    EXPECT_EQ(r->add_camera(camera(2)), AddOutcome::unchanged);
    r.expect_consistent();
    ASSERT_TRUE(r->get_by_ip(camera(1).ip).has_value());
    EXPECT_EQ(r->get_by_ip(camera(1).ip)->id, "cam-1");

    // The same camera at a new address: the old IP is forgotten, the MAC tracker follows.
    EXPECT_EQ(r->add_camera(camera(1, 1)), AddOutcome::moved);
    EXPECT_FALSE(r->get_by_ip(camera(1).ip).has_value());
    const auto moved = r->get_by_ip(camera(1, 1).ip);
    ASSERT_TRUE(moved.has_value());
    EXPECT_EQ(moved->incarnation, 1u) << "moving keeps the incarnation";
    r.expect_consistent();

    const auto removed = r->remove_camera("cam-1");
    ASSERT_TRUE(removed.has_value());
    EXPECT_EQ(removed->ip, camera(1, 1).ip);
    EXPECT_FALSE(r->remove_camera("cam-1").has_value());
    EXPECT_EQ(r.removed, std::vector<std::string>{"cam-1"}) << "the hook runs once per removal";
    EXPECT_EQ(r->count(), 1u);
    r.expect_consistent();

    EXPECT_EQ(r->add_camera(camera(1)), AddOutcome::added);
    EXPECT_EQ(r->get("cam-1")->incarnation, 3u) << "a re-added camera is a new incarnation";
}

TEST(CameraRegistry, AddRejectsTheIpOrMacOfAnotherCamera) {
    TestRegistry r;
    ASSERT_EQ(r->add_camera(camera(1)), AddOutcome::added);
    Camera same_ip = camera(2);
    same_ip.ip = camera(1).ip;
    EXPECT_EQ(r->add_camera(same_ip), AddOutcome::conflict);
    Camera same_mac = camera(2);
    same_mac.mac = camera(1).mac;
    EXPECT_EQ(r->add_camera(same_mac), AddOutcome::conflict);
    EXPECT_EQ(r->count(), 1u);
    r.expect_consistent();
}

TEST(CameraRegistry, BatchAddTakesTheLockOnce) {
    TestRegistry r;
    std::vector<Camera> batch;
    for (int i = 0; i < 5; ++i) batch.push_back(camera(i));
    const auto before = r->lock_acquisitions();
    EXPECT_EQ(r->add_batch(batch).added, 5u);
    EXPECT_EQ(r->lock_acquisitions() - before, 1u);

    TestRegistry one_by_one;
    const auto start = one_by_one->lock_acquisitions();
    for (const auto& c : batch) one_by_one->add_camera(c);
    EXPECT_EQ(one_by_one->lock_acquisitions() - start, 5u);
    EXPECT_EQ(r->peek().cameras.size(), one_by_one->peek().cameras.size());
}

TEST(CameraRegistry, SnapshotIsAConsistentCopy) {
    TestRegistry r;
    for (int i = 0; i < 4; ++i) r->add_camera(camera(i));
    RegistrySnapshot s = r->snapshot();
    EXPECT_FALSE(camera_registry::consistency_problem(s).has_value());
    ASSERT_EQ(s.cameras.size(), 4u);
    s.cameras[0].ip = "192.0.2.1";
    s.cameras[0].online = false;
    EXPECT_EQ(r->get(s.cameras[0].id)->online, true) << "the snapshot is a copy";
    r.expect_consistent();
}

TEST(CameraRegistry, ConsistencyCheckFindsEachDisagreement) {
    TestRegistry r;
    for (int i = 0; i < 3; ++i) r->add_camera(camera(i));
    const RegistrySnapshot good = r->snapshot();
    ASSERT_FALSE(camera_registry::consistency_problem(good).has_value());
    const std::vector<std::function<void(RegistrySnapshot&)>> breakages = {
        [](RegistrySnapshot& s) { s.count = 2; },
        [](RegistrySnapshot& s) { s.keys[0] = "cam-x"; },
        [](RegistrySnapshot& s) { s.known_ips.pop_back(); },
        [](RegistrySnapshot& s) { s.known_ips.push_back("192.0.2.9"); },
        [](RegistrySnapshot& s) { s.known_ips.push_back(s.known_ips[0]); },
        [](RegistrySnapshot& s) { s.mac_to_ip.pop_back(); },
        [](RegistrySnapshot& s) { s.mac_to_ip[0].second = "192.0.2.9"; },
        [](RegistrySnapshot& s) { s.cameras[1].ip = ""; },
    };
    for (std::size_t i = 0; i < breakages.size(); ++i) {
        RegistrySnapshot s = good;
        breakages[i](s);
        EXPECT_TRUE(camera_registry::consistency_problem(s).has_value()) << "breakage " << i;
    }
}

// ---- I/O in three steps ---------------------------------------------------------------------

/// Whether another thread could take the registry lock while the ping runs.
bool lock_free_during_ping(TestRegistry& r) {
    r->add_camera(camera(1));
    std::optional<bool> free;
    r.network.on_ping = [&](const std::string&) { free = on_other_thread([&] { return r->lock_available(); }); };
    r.network.answer = false;
    const auto result = r->update_status("cam-1");
    EXPECT_EQ(result.outcome, StatusOutcome::updated);
    EXPECT_EQ(r->get("cam-1")->online, false);
    EXPECT_EQ(r->get("cam-1")->status_checks, 1u);
    EXPECT_EQ(r.network.pinged, std::vector<std::string>{camera(1).ip});
    EXPECT_TRUE(free.has_value());
    return free.value_or(false);
}

TEST(CameraRegistry, UpdateStatusPingsWithoutTheLock) {
    TestRegistry r;
    EXPECT_TRUE(lock_free_during_ping(r));
}

TEST(CameraRegistryFaults, IoUnderLockHoldsTheLockDuringThePing) {
    TestRegistry r({.io_under_lock = true});
    EXPECT_FALSE(lock_free_during_ping(r));
}

TEST(CameraRegistry, UpdateStatusOfAnUnknownCameraMakesNoPing) {
    TestRegistry r;
    EXPECT_EQ(r->update_status("cam-9").outcome, StatusOutcome::not_found);
    EXPECT_TRUE(r.network.pinged.empty());
}

/// Removes cam-1 during its ping (and re-adds it at another address if `readd`), then returns
/// what update_status said.
StatusOutcome remove_during_ping(TestRegistry& r, bool readd) {
    r->add_camera(camera(1));
    r.network.on_ping = [&](const std::string&) {
        r->remove_camera("cam-1");  // the lock is free during the ping: this thread may take it
        if (readd) r->add_camera(camera(1, 1));
    };
    return r->update_status("cam-1").outcome;
}

TEST(CameraRegistry, APingResultForARemovedCameraIsDropped) {
    TestRegistry r;
    EXPECT_EQ(remove_during_ping(r, false), StatusOutcome::vanished);
    EXPECT_FALSE(r->get("cam-1").has_value());
    EXPECT_EQ(r->count(), 0u);
    r.expect_consistent();
}

TEST(CameraRegistry, APingResultForAReplacedCameraIsDropped) {
    TestRegistry r;
    EXPECT_EQ(remove_during_ping(r, true), StatusOutcome::vanished);
    const auto now = r->get("cam-1");
    ASSERT_TRUE(now.has_value());
    EXPECT_EQ(now->incarnation, 2u);
    EXPECT_EQ(now->status_checks, 0u) << "the old incarnation's ping was not applied to the new one";
    r.expect_consistent();
}

TEST(CameraRegistryFaults, NoRevalidateResurrectsARemovedCamera) {
    TestRegistry r({.no_revalidate = true});
    EXPECT_EQ(remove_during_ping(r, false), StatusOutcome::updated);
    const auto ghost = r->get("cam-1");
    ASSERT_TRUE(ghost.has_value()) << "the removed camera is back";
    EXPECT_EQ(ghost->incarnation, 0u) << "no add created it";
    EXPECT_TRUE(ghost->ip.empty());
    EXPECT_EQ(r->count(), 1u) << "one add, one remove, one camera";
    EXPECT_TRUE(camera_registry::consistency_problem(r->peek()).has_value());
}

TEST(CameraRegistry, DiscoveryProbesUnknownCamerasWithoutTheLockAndRevalidates) {
    TestRegistry r;
    r->add_camera(camera(1));
    std::optional<bool> free;
    r.network.on_probe = [&] {
        free = on_other_thread([&] { return r->lock_available(); });
        r->add_camera(camera(3));  // found by someone else during the probe
    };
    const auto result = r->discovery_cycle({camera(1), camera(2), camera(3)});
    ASSERT_EQ(r.network.probed.size(), 1u);
    EXPECT_EQ(r.network.probed[0], (std::vector<std::string>{camera(2).ip, camera(3).ip})) << "known IPs skipped";
    EXPECT_EQ(result.probed, 2u);
    EXPECT_EQ(result.added, 1u) << "camera 3 was added meanwhile: not twice";
    EXPECT_EQ(free, std::optional<bool>(true));
    EXPECT_EQ(r->count(), 3u);
    EXPECT_EQ(r->peek().discovery_count, 1u);
    r.expect_consistent();
}

TEST(CameraRegistryFaults, IoUnderLockHoldsTheLockDuringTheProbe) {
    TestRegistry r({.io_under_lock = true});
    std::optional<bool> free;
    r.network.on_probe = [&] { free = on_other_thread([&] { return r->lock_available(); }); };
    EXPECT_EQ(r->discovery_cycle({camera(1)}).added, 1u);
    EXPECT_EQ(free, std::optional<bool>(false));
}

// ---- Network errors ---------------------------------------------------------------------------

/// Whether another thread could take the registry lock now.
bool lock_free(TestRegistry& r) {
    return on_other_thread([&] { return r->lock_available(); });
}

TEST(CameraRegistry, APingThatThrowsLeavesTheCameraAsItWasAndTheLockFree) {
    TestRegistry r;
    r->add_camera(camera(1));
    r->set_online("cam-1", false);
    r.network.fails = true;
    EXPECT_THROW(r->update_status("cam-1"), NetworkError);
    EXPECT_EQ(r->lock_holds(), 0);
    EXPECT_TRUE(lock_free(r));
    const auto c = r->get("cam-1");
    ASSERT_TRUE(c.has_value());
    EXPECT_FALSE(c->online);
    EXPECT_EQ(c->status_checks, 0u);
    r.network.fails = false;
    EXPECT_EQ(r->update_status("cam-1").outcome, StatusOutcome::updated) << "the next ping works as before";
    EXPECT_TRUE(r->get("cam-1")->online);
    r.expect_consistent();
}

TEST(CameraRegistry, AProbeThatThrowsCountsTheCycleAddsNothingAndFreesTheLock) {
    TestRegistry r;
    r.network.fails = true;
    EXPECT_THROW(r->discovery_cycle({camera(1), camera(2)}), NetworkError);
    EXPECT_EQ(r->lock_holds(), 0);
    EXPECT_TRUE(lock_free(r));
    EXPECT_EQ(r->count(), 0u);
    EXPECT_EQ(r->peek().discovery_count, 1u);
    r.expect_consistent();
}

TEST(CameraServiceLock, HoldsCountsAcquisitionsNotReleased) {
    ServiceLock lock;
    EXPECT_EQ(lock.holds(), 0);
    lock.lock();
    ASSERT_TRUE(lock.try_lock());
    EXPECT_EQ(lock.holds(), 2);
    lock.unlock();
    EXPECT_EQ(lock.holds(), 1);
    lock.unlock();
    EXPECT_EQ(lock.holds(), 0);
}

TEST(CameraRegistryFaults, LockLeakOnErrorKeepsTheLockAfterAPingThatThrows) {
    TestRegistry r({.lock_leak_on_error = true}, 50ms);
    r->add_camera(camera(1));
    EXPECT_TRUE(lock_free(r)) << "after a ping that answers, the lock is released";
    EXPECT_EQ(r->update_status("cam-1").outcome, StatusOutcome::updated);
    EXPECT_EQ(r->lock_holds(), 0);
    r.network.fails = true;
    EXPECT_THROW(r->update_status("cam-1"), NetworkError);
    EXPECT_EQ(r->lock_holds(), 1) << "taken back for the code after the ping, never released";
    EXPECT_FALSE(lock_free(r));
    EXPECT_TRUE(on_other_thread([&] {
        try {
            r->get("cam-1");
            return false;
        } catch (const LockTimeout&) {
            return true;  // any other thread now waits for the lock, here for 50ms
        }
    }));
    EXPECT_TRUE(r->get("cam-1").has_value()) << "re-entrant: the thread that leaked it still gets in";
    EXPECT_EQ(r->lock_holds(), 1);
}

// ---- Re-entrancy, hooks, unlocked reads -----------------------------------------------------

TEST(CameraRegistry, NestedOperationReentersTheLock) {
    TestRegistry r;
    const auto before = r->lock_acquisitions();
    std::optional<Camera> back;
    r->locked([&](CameraRegistry& reg) {
        EXPECT_EQ(reg.add_camera(camera(1)), AddOutcome::added);
        EXPECT_TRUE(reg.set_online("cam-1", false));
        back = reg.get("cam-1");
        EXPECT_FALSE(on_other_thread([&] { return reg.lock_available(); })) << "held across the body";
    });
    ASSERT_TRUE(back.has_value());
    EXPECT_FALSE(back->online);
    EXPECT_EQ(r->lock_acquisitions() - before, 4u) << "the outer lock and three re-entries";
    EXPECT_TRUE(r->lock_available());
}

TEST(CameraRegistryFaults, NonReentrantLockWaitsForItselfInTheNestedOperation) {
    TestRegistry r({.non_reentrant = true}, 50ms);
    bool reached = false;
    EXPECT_THROW(r->locked([&](CameraRegistry& reg) {
        reg.add_camera(camera(1));  // the second acquisition on this thread
        reached = true;
    }),
                 LockTimeout);
    EXPECT_FALSE(reached);
    EXPECT_TRUE(r->lock_available()) << "the outer lock was released by the unwinding";
    EXPECT_EQ(r->add_camera(camera(1)), AddOutcome::added) << "one level works";
}

/// Whether another thread could take the registry lock while the removal hook runs.
bool lock_free_in_removal_hook(TestRegistry& r) {
    r->add_camera(camera(1));
    std::optional<bool> free;
    r.on_removed = [&](const std::string&) { free = on_other_thread([&] { return r->lock_available(); }); };
    EXPECT_TRUE(r->remove_camera("cam-1").has_value());
    EXPECT_TRUE(free.has_value());
    return free.value_or(false);
}

TEST(CameraRegistry, RemovalHookRunsAfterTheLockIsReleased) {
    TestRegistry r;
    EXPECT_TRUE(lock_free_in_removal_hook(r));
}

TEST(CameraRegistryFaults, HookUnderLockCallsTheOtherServiceHoldingTheLock) {
    TestRegistry r({.hook_under_lock = true});
    EXPECT_FALSE(lock_free_in_removal_hook(r));
}

TEST(CameraRegistryFaults, UnlockedReadsDoNotTakeTheLock) {
    for (const bool unlocked : {false, true}) {
        TestRegistry r({.unlocked_reads = unlocked});
        r->add_camera(camera(1));
        const auto before = r->lock_acquisitions();
        EXPECT_TRUE(r->get_by_ip(camera(1).ip).has_value());
        EXPECT_EQ(r->snapshot().cameras.size(), 1u);
        EXPECT_EQ(r->lock_acquisitions() - before, unlocked ? 0u : 2u) << "unlocked " << unlocked;
    }
}

// ---- Fire consensus -------------------------------------------------------------------------

/// A consensus service on a manual clock: cooldown 1ms, window 10ms, 2 detections x 2 cameras.
struct Consensus {
    explicit Consensus(camera_registry::ConsensusFaults faults = {}) {
        ConsensusOptions o;
        o.clock = &clock;
        o.history_limit = 4;
        o.window = 10ms;
        o.min_detections = 2;
        o.min_cameras = 2;
        o.cooldown = 1ms;
        o.online_cameras = [this] {
            if (on_query) on_query();
            return online;
        };
        o.is_online = [this](const std::string& id) {
            if (on_query) on_query();
            return std::find(online.begin(), online.end(), id) != online.end();
        };
        o.on_trigger = [this] {
            if (on_trigger) on_trigger();
        };
        o.faults = faults;
        service = std::make_unique<FireConsensus>(o);
    }
    void detect(const std::string& id, int times, double confidence = 0.9) {
        for (int i = 0; i < times; ++i) service->record_detection(id, confidence);
    }
    FireConsensus* operator->() { return service.get(); }

    ManualClock clock{1'000'000'000};
    std::vector<std::string> online{"cam-1", "cam-2", "cam-3"};
    std::function<void()> on_query;
    std::function<void()> on_trigger;
    std::unique_ptr<FireConsensus> service;
};

TEST(FireConsensus, TriggersOnAgreementAtMostOncePerCooldown) {
    Consensus c;
    c.detect("cam-1", 2);
    auto r = c->evaluate();
    EXPECT_EQ(r.agreeing, 1u);
    EXPECT_FALSE(r.fired);
    c.detect("cam-2", 2);
    r = c->evaluate();
    EXPECT_EQ(r.agreeing, 2u);
    ASSERT_TRUE(r.fired);
    EXPECT_EQ(r.fired_at_ns, c.clock.now_ns());
    EXPECT_FALSE(c->evaluate().fired) << "within the cooldown";
    c.clock.advance(999us);
    EXPECT_FALSE(c->evaluate().fired);
    c.clock.advance(1us);
    EXPECT_TRUE(c->evaluate().fired) << "the cooldown has passed";
    EXPECT_EQ(c->triggers(), 2u);
}

TEST(FireConsensus, OldWeakAndOfflineDetectionsDoNotCount) {
    Consensus c;
    c.detect("cam-1", 2);
    c.detect("cam-2", 2, 0.3);  // weak
    EXPECT_EQ(c->evaluate().agreeing, 1u);
    c.detect("cam-4", 2);  // not online
    EXPECT_EQ(c->evaluate().agreeing, 1u);
    c.clock.advance(11ms);  // everything leaves the window
    EXPECT_EQ(c->evaluate().agreeing, 0u);
    c.detect("cam-3", 6);
    EXPECT_EQ(c->history_size("cam-3"), 4u) << "bounded by history_limit";
    c->forget("cam-3");
    EXPECT_EQ(c->history_size("cam-3"), 0u);
    EXPECT_EQ(c->triggers(), 0u);
}

/// Whether another thread could take the consensus lock while it asks the registry.
bool consensus_lock_free_during_query(Consensus& c) {
    c.detect("cam-1", 2);
    c.detect("cam-2", 2);
    std::vector<bool> free;
    c.on_query = [&] { free.push_back(on_other_thread([&] { return c->lock_available(); })); };
    EXPECT_TRUE(c->evaluate().fired);
    EXPECT_FALSE(free.empty());
    return std::all_of(free.begin(), free.end(), [](bool f) { return f; });
}

TEST(FireConsensus, AsksTheRegistryBeforeTakingItsLock) {
    Consensus c;
    EXPECT_TRUE(consensus_lock_free_during_query(c));
}

TEST(FireConsensusFaults, QueryUnderLockAsksTheRegistryHoldingItsLock) {
    Consensus c({.query_under_lock = true});
    EXPECT_FALSE(consensus_lock_free_during_query(c));
}

/// While the trigger's action runs, another thread evaluates (if it can take the lock).
std::uint64_t triggers_with_an_evaluation_during_the_action(bool split) {
    Consensus c({.split_cooldown = split});
    c.detect("cam-1", 2);
    c.detect("cam-2", 2);
    int actions = 0;
    std::optional<bool> other_fired;
    c.on_trigger = [&] {
        if (actions++ > 0) return;
        other_fired = on_other_thread([&] { return c->lock_available() && c->evaluate().fired; });
    };
    EXPECT_TRUE(c->evaluate().fired);
    EXPECT_TRUE(other_fired.has_value());
    EXPECT_EQ(static_cast<std::uint64_t>(actions), c->triggers()) << "one action per trigger";
    return c->triggers();
}

TEST(FireConsensus, CooldownIsCheckedAndRecordedBeforeTheAction) {
    EXPECT_EQ(triggers_with_an_evaluation_during_the_action(false), 1u);
}

TEST(FireConsensusFaults, SplitCooldownFiresAgainDuringTheAction) {
    EXPECT_EQ(triggers_with_an_evaluation_during_the_action(true), 2u);
}

// ---- The adapter ----------------------------------------------------------------------------

const TargetSpec& spec() { return testing::registered_target("camera_registry"); }

/// One target instance with its parameters and one ThreadContext per thread.
struct Fixture : testing::TargetFixture {
    explicit Fixture(const std::string& variant, int threads = 1, std::map<std::string, ParamValue> overrides = {},
                     std::uint64_t keys = 8)
        : TargetFixture(spec(), variant, threads, with_instant_io(std::move(overrides)), keys) {}
    /// Pings answer at once unless a test says otherwise.
    static std::map<std::string, ParamValue> with_instant_io(std::map<std::string, ParamValue> overrides) {
        overrides.try_emplace("io_latency", Nanos(0));
        return overrides;
    }
};

TEST(CameraRegistryTarget, DeclaresItsCatalog) {
    const auto& info = spec().info;
    EXPECT_EQ(info.seed, "002_d2237d28670e9ba8.txt");
    ASSERT_EQ(info.variants.size(), 10u);
    EXPECT_TRUE(info.variants[0].is_safe());
    for (const char* v : {"io_under_lock", "no_revalidate", "unlocked_map", "lock_order_inversion", "non_reentrant",
                          "split_cooldown", "lock_leak_on_error", "reschedule_outside_lock", "cancel_without_wait"}) {
        const int i = info.variant_index(v);
        ASSERT_GE(i, 0) << v;
        EXPECT_FALSE(info.variants[static_cast<std::size_t>(i)].is_safe()) << v;
    }
    for (const auto& v : info.variants) {
        const auto colon = v.caught_by.find(':');
        if (colon != std::string::npos) {
            EXPECT_GE(info.invariant_index(v.caught_by.substr(colon + 1)), 0) << v.name;
        }
    }
    for (const char* op : {"add", "remove", "lookup", "update_status", "snapshot", "batch_add", "discover", "nested",
                           "detect", "consensus"}) {
        EXPECT_GE(info.op_index(op), 0) << op;
    }
    for (const auto& p : info.params) EXPECT_FALSE(p.help.empty()) << p.name;
}

TEST(CameraRegistryTarget, EveryOpOnOneThreadKeepsEveryInvariant) {
    Fixture f("safe", 1, {{"initial_cameras", std::int64_t{4}}, {"min_cameras", std::int64_t{1}}});
    for (std::uint64_t i = 0; i < 64; ++i) {
        for (const auto& op : f.info.ops) f.run(op.name, i % 8, i * 0x9e3779b97f4a7c15ULL);
    }
    InvariantSink sink(f.info.invariants.size());
    f.check(sink, CheckPoint::final);
    f.expect_all_held(sink);
}

TEST(CameraRegistryTarget, SafeHoldsEveryInvariantUnderContention) {
    Fixture f("safe", 3, {{"initial_cameras", std::int64_t{8}}, {"io_latency", Nanos(1000)}});
    InvariantSink sink(f.info.invariants.size());
    f.stress(sink, 100, f.op_names(), 8, 0.05);
    f.expect_all_held(sink);
}

/// Runs the mutant's stress until its invariant breaks (at most 10 attempts); the number of violations.
std::uint64_t caught_under_contention(const std::string& variant, const std::string& invariant,
                                      const std::vector<std::string>& ops, std::map<std::string, ParamValue> params) {
    std::uint64_t caught = 0;
    for (int attempt = 0; attempt < 10 && caught == 0; ++attempt) {
        Fixture f(variant, 3, params);
        InvariantSink sink(f.info.invariants.size());
        f.stress(sink, 50, ops, 8, 0.05);
        caught = f.violations(sink, invariant);
    }
    return caught;
}

TEST(CameraRegistryTarget, NoRevalidateIsCaughtWhenRemovalsRaceStatusUpdates) {
    EXPECT_GT(caught_under_contention("no_revalidate", "no_resurrection", {"update_status", "remove", "add"},
                                      {{"initial_cameras", std::int64_t{8}}, {"io_latency", Nanos(20'000)}}),
              0u);
}

TEST(CameraRegistryTarget, SplitCooldownIsCaughtUnderConcurrentEvaluations) {
    EXPECT_GT(caught_under_contention("split_cooldown", "trigger_cooldown", {"detect", "consensus", "consensus"},
                                      {{"initial_cameras", std::int64_t{8}}, {"cooldown", Nanos(100'000)}}),
              0u);
}

TEST(CameraRegistryTarget, SafeSurvivesFailingPingsAndProbes) {
    Fixture f("safe", 3, {{"initial_cameras", std::int64_t{8}}, {"io_latency", Nanos(1000)}});
    for (auto& ctx : f.contexts) {
        ctx.m_fault_probability = 0.2;
        ctx.m_fault_rng = Rng(300 + static_cast<std::uint64_t>(ctx.thread_index));
    }
    InvariantSink sink(f.info.invariants.size());
    f.stress(sink, 50, {"update_status", "discover", "add", "remove", "lookup", "snapshot", "nested"}, 8, 0.05);
    f.expect_all_held(sink);
    std::uint64_t faults = 0;
    for (const auto& ctx : f.contexts) faults += ctx.m_faults;
    EXPECT_GT(faults, 0u);
}

TEST(CameraRegistryTarget, LockLeakOnErrorIsCaughtAtTheNextCheck) {
    for (const std::string variant : {"safe", "lock_leak_on_error"}) {
        Fixture f(variant, 1, {{"initial_cameras", std::int64_t{2}}, {"lock_timeout", Nanos(20'000'000)}});
        f.contexts[0].m_fault_probability = 1;
        f.run("update_status", 0);  // the ping fails: NetworkError, which the op expects
        EXPECT_EQ(f.contexts[0].m_faults, 1u);
        InvariantSink sink(f.info.invariants.size());
        f.check(sink);
        EXPECT_EQ(f.violations(sink, "lock_released"), variant == "safe" ? 0u : 1u) << variant << "\n"
                                                                                      << f.details(sink);
        EXPECT_EQ(f.violations(sink, "maps_agree"), 0u) << variant;
    }
}

TEST(CameraRegistryTarget, ARemovedCameraStaysRemoved) {
    for (const char* variant : {"safe", "no_revalidate"}) {
        Fixture f(variant, 1, {{"initial_cameras", std::int64_t{2}}});
        f.run("remove", 1);
        f.run("update_status", 1);  // not found: no ping, nothing written, in both
        f.run("update_status", 0);  // a ping with nothing in its way
        InvariantSink sink(f.info.invariants.size());
        f.check(sink);
        f.expect_all_held(sink);
    }
}

}  // namespace
}  // namespace threadmill
