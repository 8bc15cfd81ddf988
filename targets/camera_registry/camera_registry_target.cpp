// The `camera_registry` target: Wildfire Watch's thread-safe camera registry, fire consensus and telemetry timer.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include "api/clock.hpp"
#include "api/threadmill.hpp"
#include "targets/camera_registry/camera_registry.hpp"
#include "targets/camera_registry/fire_consensus.hpp"
#include "targets/camera_registry/telemetry_timer.hpp"

namespace threadmill::camera_registry {
namespace {

void chaos_hook() {
    if (Call* call = threadmill::current_call()) call->chaos_point();
}

std::string id_of(std::uint64_t key) { return fmt::format("cam-{:04}", key); }

std::string mac_of(std::uint64_t key) {
    return fmt::format("02:00:5e:{:02x}:{:02x}:{:02x}", (key >> 16) & 255, (key >> 8) & 255, key & 255);
}

/// Camera <key> lives on 10.x.y.z (subnet 0) or 11.x.y.z (subnet 1): unique for keys below 2^24.
std::string ip_of(std::uint64_t key, unsigned subnet) {
    return fmt::format("{}.{}.{}.{}", 10 + subnet, (key >> 16) & 255, (key >> 8) & 255, key & 255);
}

std::string name_of(std::uint64_t key, const std::string& ip) {
    return fmt::format("camera {:04} (ONVIF, rtsp://{}:554/Streaming/Channels/101)", key, ip);
}

Camera make_camera(std::uint64_t key, unsigned subnet) {
    Camera c;
    c.id = id_of(key);
    c.ip = ip_of(key, subnet);
    c.mac = mac_of(key);
    c.name = name_of(key, c.ip);
    return c;
}

/// The simulated network: each call blocks for `latency` (a sleep, as a real round trip does not
/// use the CPU) and a camera answers with probability `answer`, drawn from the caller's stream.
/// A ping or probe fails (throws NetworkError after its round trip) when the caller's
/// `call.fault()` says so: the scenario's `[faults] rate`.
class SimulatedNetwork final : public Network {
public:
    SimulatedNetwork(Nanos latency, double answer) : m_latency(latency), m_answer(answer) {}

    bool ping(const std::string& ip) override {
        round_trip();
        if (fails()) throw NetworkError(fmt::format("ping {}: connection reset (injected fault)", ip));
        return answers();
    }

    std::vector<bool> probe(const std::vector<Camera>& candidates) override {
        round_trip();
        if (fails()) throw NetworkError("discovery probe: no route to the multicast group (injected fault)");
        std::vector<bool> out;
        out.reserve(candidates.size());
        for (std::size_t i = 0; i < candidates.size(); ++i) out.push_back(answers());
        return out;
    }

    /// One message out and its acknowledgement (also the consensus trigger's publish).
    void round_trip() const {
        if (m_latency > Nanos::zero()) std::this_thread::sleep_for(m_latency);
    }

private:
    bool answers() const {
        Call* call = threadmill::current_call();
        return call == nullptr || call->rng().chance(m_answer);
    }
    static bool fails() {
        Call* call = threadmill::current_call();
        return call != nullptr && call->fault();
    }

    const Nanos m_latency;
    const double m_answer;
};

RegistryFaults registry_faults(const std::string& variant) {
    RegistryFaults f;
    f.io_under_lock = variant == "io_under_lock";
    f.no_revalidate = variant == "no_revalidate";
    f.unlocked_reads = variant == "unlocked_map";
    f.hook_under_lock = variant == "lock_order_inversion";
    f.non_reentrant = variant == "non_reentrant";
    f.lock_leak_on_error = variant == "lock_leak_on_error";
    return f;
}

TelemetryTimerFaults telemetry_faults(const std::string& variant) {
    TelemetryTimerFaults f;
    f.reschedule_outside_lock = variant == "reschedule_outside_lock";
    f.cancel_without_wait = variant == "cancel_without_wait";
    return f;
}

ConsensusFaults consensus_faults(const std::string& variant) {
    ConsensusFaults f;
    f.split_cooldown = variant == "split_cooldown";
    f.query_under_lock = variant == "lock_order_inversion";
    return f;
}

class CameraRegistryAdapter {
public:
    explicit CameraRegistryAdapter(const Setup& setup)
        : m_key_count(std::max<std::uint64_t>(setup.keys(), 1)),
          m_batch_size(static_cast<std::size_t>(setup.params().integer("batch_size"))),
          m_cooldown(setup.params().duration("cooldown")),
          m_telemetry_interval(setup.params().duration("telemetry_interval")),
          m_telemetry_faults(telemetry_faults(setup.variant())),
          m_network(setup.params().duration("io_latency"), setup.params().number("answer_probability")),
          m_consensus(consensus_options(setup)),
          m_registry(registry_options(setup)),
          m_threads(setup) {
        const auto initial = std::min<std::uint64_t>(
            static_cast<std::uint64_t>(setup.params().integer("initial_cameras")), m_key_count);
        std::vector<Camera> cameras;
        for (std::uint64_t key = 0; key < initial; ++key) cameras.push_back(make_camera(key, 0));
        m_initial_adds = m_registry.add_batch(cameras).added;
    }

    void add(Call& call) {
        if (m_registry.add_camera(make_camera(call.key(), subnet_of(call.bits(), 0))) == AddOutcome::added) {
            ++m_threads[call].adds;
        }
    }

    void remove(Call& call) {
        if (const auto removed = m_registry.remove_camera(id_of(call.key()))) {
            Local& me = m_threads[call];
            ++me.removes;
            me.removed_incarnations.push_back(removed->incarnation);
        }
    }

    void lookup(Call& call) {
        const std::string ip = ip_of(call.key(), subnet_of(call.bits(), 0));
        const auto found = m_registry.get_by_ip(ip);
        if (!found) return;
        if (found->ip != ip || found->id != id_of(call.key()) || found->mac != mac_of(call.key()) ||
            found->name != name_of(call.key(), ip)) {
            call.violate("lookup_correct", fmt::format("get_by_ip({}) returned id '{}', IP '{}', MAC '{}'", ip,
                                                       found->id, found->ip, found->mac));
        }
        m_threads[call].sink += found->status_checks;
    }

    /// A ping that fails ([faults]) throws NetworkError out of update_status: expected here.
    void update_status(Call& call) {
        try {
            m_threads[call].sink += static_cast<std::uint64_t>(m_registry.update_status(id_of(call.key())).outcome);
        } catch (const NetworkError&) {
            ++m_threads[call].network_errors;
        }
    }

    void snapshot(Call& call) {
        const RegistrySnapshot s = m_registry.snapshot();
        if (const auto problem = consistency_problem(s)) {
            call.violate("snapshot_consistent",
                         fmt::format("a snapshot of {} cameras: {}", s.cameras.size(), *problem));
        }
        m_threads[call].sink += s.cameras.size();
    }

    void batch_add(Call& call) { m_threads[call].adds += m_registry.add_batch(cameras_from(call)).added; }

    /// A probe that fails ([faults]) throws NetworkError out of the cycle, which was counted.
    void discover(Call& call) {
        Local& me = m_threads[call];
        ++me.discoveries;
        try {
            me.adds += m_registry.discovery_cycle(cameras_from(call)).added;
        } catch (const NetworkError&) {
            ++me.network_errors;
        }
    }

    void nested(Call& call) {
        Local& me = m_threads[call];
        const Camera camera = make_camera(call.key(), subnet_of(call.bits(), 0));
        const bool online = ((call.bits() >> 8) & 1) != 0;
        m_registry.locked([&](CameraRegistry& r) {
            if (r.add_camera(camera) == AddOutcome::added) ++me.adds;  // the lock, again
            call.chaos_point();  // nobody may remove it here: this thread holds the lock
            const bool set = r.set_online(camera.id, online);
            const auto back = r.get(camera.id);
            if (!set || !back || back->online != online || back->ip != camera.ip) {
                call.violate("nested_atomic",
                             fmt::format("nested: after add and set_online({}) of {} at {}, get returned {}", online,
                                         camera.id, camera.ip,
                                         back ? fmt::format("online {} at {}", back->online, back->ip) : "nothing"));
            }
        });
    }

    void detect(Call& call) {
        m_consensus.record_detection(id_of(call.key()), static_cast<double>((call.bits() >> 16) % 1000) / 1000.0);
    }

    void consensus(Call& call) {
        const ConsensusResult r = m_consensus.evaluate();
        Local& me = m_threads[call];
        if (r.fired) me.fire_times.push_back(r.fired_at_ns);
        me.sink += r.agreeing;
    }

    // ---- Telemetry ----------------------------------------------------------------------------

    void telemetry_publish(Call& call) { m_threads[call].sink += telemetry().publish_now() ? 1 : 0; }

    /// The interval becomes telemetry_interval * arg / 2 (arg 1..4); the pending publication moves.
    void telemetry_interval(Call& call) {
        telemetry().set_interval(m_telemetry_interval * call.arg() / 2);
    }

    /// stop() then start(): the lifecycle racing publish_now and the publications in flight.
    void telemetry_restart(Call& call) {
        TelemetryTimer& timer = telemetry();
        const StopReport r = timer.stop();
        note_telemetry_stopped(r.epoch);
        if (r.timers_left > 0) {
            call.violate("telemetry_quiet_after_stop",
                         fmt::format("stop() of epoch {} returned with {} timer(s) still pending", r.epoch,
                                     r.timers_left));
        }
        call.chaos_point();
        timer.start();
    }

    void teardown() {
        if (m_telemetry) note_telemetry_stopped(m_telemetry->stop().epoch);
    }

    void check_one_chain(Check& check) {
        if (!m_telemetry) return;
        const TelemetryStats s = m_telemetry->stats();
        if (s.most_live > 1) {
            check.fail(fmt::format("{} telemetry timers were pending or in flight at one time (one chain allows 1); "
                                   "now {} pending, {} publications, {} scheduled, {} cancelled",
                                   s.most_live, s.pending, s.publications, s.scheduled, s.cancelled));
        }
    }

    void check_quiet_after_stop(Check& check) {
        {
            const std::lock_guard lock(m_late_mutex);
            for (auto& detail : m_late_details) check.fail(std::move(detail));
            m_late_details.clear();
        }
        if (!check.is_final() || !m_telemetry) return;
        const TelemetryStats s = m_telemetry->stats();  // teardown has stopped it
        if (s.running || s.pending > 0 || s.in_flight) {
            check.fail(fmt::format("after the last stop(): running {}, {} timer(s) pending, publication in flight {}",
                                   s.running, s.pending, s.in_flight));
        }
    }

    void check_lock_released(Check& check) {
        if (const std::int64_t holds = m_registry.lock_holds(); holds != 0) {
            check.fail(fmt::format("the registry lock is held ({} acquisition(s) not released) while no operation "
                                   "runs: an operation left without releasing it",
                                   holds));
        }
    }

    void check_maps(Check& check) {
        if (const auto problem = consistency_problem(m_registry.peek())) check.fail(*problem);
    }

    void check_counts(Check& check) {
        const RegistrySnapshot state = m_registry.peek();
        std::uint64_t adds = m_initial_adds;
        std::uint64_t removes = 0;
        std::uint64_t discoveries = 0;
        m_threads.for_each([&](const Local& t) {
            adds += t.adds;
            removes += t.removes;
            discoveries += t.discoveries;
        });
        const auto expected = static_cast<std::int64_t>(adds) - static_cast<std::int64_t>(removes);
        const auto count = static_cast<std::int64_t>(m_registry.count());
        if (count != expected || static_cast<std::int64_t>(state.cameras.size()) != expected) {
            check.fail(fmt::format("the registry holds {} cameras after {} adds and {} removes (expected {})", count,
                                   adds, removes, expected));
        }
        if (state.discovery_count != discoveries) {
            check.fail(fmt::format("the discovery count is {} after {} cycles", state.discovery_count, discoveries));
        }
    }

    void check_resurrection(Check& check) {
        const RegistrySnapshot state = m_registry.peek();
        m_threads.for_each([this](Local& t) {
            m_removed.insert(t.removed_incarnations.begin(), t.removed_incarnations.end());
            t.removed_incarnations.clear();
        });
        for (std::size_t i = 0; i < state.cameras.size(); ++i) {
            const Camera& c = state.cameras[i];
            if (c.incarnation == 0) {
                check.fail(fmt::format("'{}' is held but no add created it (IP '{}', online {}, {} status checks): "
                                       "re-created by a late write",
                                       state.keys[i], c.ip, c.online, c.status_checks));
            } else if (m_removed.contains(c.incarnation)) {
                check.fail(fmt::format("'{}' incarnation {} is held after its removal", state.keys[i], c.incarnation));
            }
        }
    }

    void check_triggers(Check& check) {
        std::vector<std::int64_t> fires;
        m_threads.for_each([&fires](Local& t) {
            fires.insert(fires.end(), t.fire_times.begin(), t.fire_times.end());
            t.fire_times.clear();
        });
        std::sort(fires.begin(), fires.end());
        for (const std::int64_t at : fires) {
            if (m_fires_seen > 0 && at - m_last_fire_ns < m_cooldown.count()) {
                check.fail(fmt::format("the trigger fired {}us after the previous one (cooldown {}us)",
                                       (at - m_last_fire_ns) / 1000, m_cooldown.count() / 1000));
            }
            m_last_fire_ns = at;
            ++m_fires_seen;
        }
        if (const auto counted = m_consensus.triggers(); counted != m_fires_seen) {
            check.fail(fmt::format("the service counted {} triggers, callers saw {}", counted, m_fires_seen));
        }
    }

private:
    /// What one worker thread records; only that thread touches it while ops run.
    struct Local {
        std::uint64_t adds = 0;  ///< add outcomes `added` this thread saw (nested and batches too)
        std::uint64_t removes = 0;
        std::uint64_t discoveries = 0;
        std::vector<std::uint64_t> removed_incarnations;  ///< since the last check
        std::vector<std::int64_t> fire_times;             ///< since the last check
        std::uint64_t network_errors = 0;                 ///< injected ping and probe failures seen
        std::uint64_t sink = 0;
    };

    ConsensusOptions consensus_options(const Setup& setup) {
        const Params& params = setup.params();
        ConsensusOptions o;
        o.clock = &steady_clock();
        o.history_limit = static_cast<std::size_t>(params.integer("history_limit"));
        o.window = params.duration("window");
        o.min_detections = static_cast<std::size_t>(params.integer("min_detections"));
        o.min_cameras = static_cast<std::size_t>(params.integer("min_cameras"));
        o.cooldown = params.duration("cooldown");
        o.online_cameras = [this] { return m_registry.online_ids(); };
        o.is_online = [this](const std::string& id) { return m_registry.is_online(id); };
        o.on_trigger = [this] { m_network.round_trip(); };
        o.pause = chaos_hook;
        o.faults = consensus_faults(setup.variant());
        return o;
    }

    RegistryOptions registry_options(const Setup& setup) {
        RegistryOptions o;
        o.network = &m_network;
        o.on_removed = [this](const std::string& id) { m_consensus.forget(id); };
        o.pause = chaos_hook;
        o.lock_timeout = setup.params().duration("lock_timeout");
        o.faults = registry_faults(setup.variant());
        return o;
    }

    /// The telemetry timer, made and started on first use: a scenario that never touches it runs
    /// no scheduler thread.
    TelemetryTimer& telemetry() {
        std::call_once(m_telemetry_once, [this] {
            TelemetryOptions o;
            o.interval = m_telemetry_interval;
            o.publish = [this](const Publication& p) { publish_telemetry(p); };
            o.pause = chaos_hook;
            o.faults = m_telemetry_faults;
            m_telemetry = std::make_unique<TelemetryTimer>(std::move(o));
            m_telemetry->start();
        });
        return *m_telemetry;
    }

    /// One publication: a publication of an epoch whose stop() has returned is recorded (the
    /// correct stop waits for its publication in flight); then one round trip to the broker.
    void publish_telemetry(const Publication& p) {
        if (const std::uint64_t stopped = m_telemetry_stopped_through.load(std::memory_order_acquire);
            p.epoch <= stopped) {
            const std::lock_guard lock(m_late_mutex);
            if (m_late_details.size() < 5) {
                m_late_details.push_back(fmt::format("publication {} (timer {}, epoch {}) ran after stop() of epoch {} "
                                                     "returned",
                                                     p.seq, p.timer, p.epoch, stopped));
            }
        }
        m_network.round_trip();
    }

    /// Raises the highest epoch whose stop() has returned.
    void note_telemetry_stopped(std::uint64_t epoch) {
        std::uint64_t seen = m_telemetry_stopped_through.load(std::memory_order_acquire);
        while (epoch > seen &&
               !m_telemetry_stopped_through.compare_exchange_weak(seen, epoch, std::memory_order_acq_rel)) {
        }
    }

    /// Bit `bit` of the op's random bits picks the subnet of one camera.
    static unsigned subnet_of(std::uint64_t bits, unsigned bit) { return static_cast<unsigned>((bits >> bit) & 1); }

    /// batch_size cameras from the call's key on (wrapping), each on a subnet from its random bits.
    std::vector<Camera> cameras_from(const Call& call) const {
        std::vector<Camera> cameras;
        cameras.reserve(m_batch_size);
        for (std::size_t i = 0; i < m_batch_size; ++i) {
            cameras.push_back(
                make_camera((call.key() + i) % m_key_count, subnet_of(call.bits(), static_cast<unsigned>(i % 64))));
        }
        return cameras;
    }

    const std::uint64_t m_key_count;
    const std::size_t m_batch_size;
    const Nanos m_cooldown;
    const Nanos m_telemetry_interval;
    const TelemetryTimerFaults m_telemetry_faults;
    SimulatedNetwork m_network;
    FireConsensus m_consensus;
    CameraRegistry m_registry;
    PerThread<Local> m_threads;
    std::uint64_t m_initial_adds = 0;
    // Touched by the invariant checks only (quiescent).
    std::unordered_set<std::uint64_t> m_removed;  ///< incarnations removed so far
    std::int64_t m_last_fire_ns = 0;
    std::uint64_t m_fires_seen = 0;
    // Telemetry. The timer is last: destroyed first, before what its publications use.
    std::atomic<std::uint64_t> m_telemetry_stopped_through{0};  ///< the highest epoch whose stop() returned
    std::mutex m_late_mutex;
    std::vector<std::string> m_late_details;  ///< publications that ran after their epoch's stop() returned
    std::once_flag m_telemetry_once;
    std::unique_ptr<TelemetryTimer> m_telemetry;
};

using namespace std::chrono_literals;
using A = CameraRegistryAdapter;

THREADMILL_TARGET(
    target<A>("camera_registry")
        .describe("Wildfire Watch's thread-safe camera registry (one re-entrant lock per service, I/O outside the "
                  "lock in three steps, copies, batch add) and its fire consensus service (detection history, "
                  "cooldown trigger)")
        .source_document("002_d2237d28670e9ba8.txt")
        .variant("safe",
                 "the documented design: one re-entrant lock per service, short critical sections, I/O in three "
                 "steps (read under the lock, I/O without it, re-validate and update under it), copies for reads, "
                 "batch add under one acquisition, no lock held across services, cooldown checked and set in one "
                 "critical section")
        .mutant("io_under_lock", "slo",
                "the ping and the discovery probe run while the registry lock is held: every lookup queues behind "
                "the I/O")
        .mutant("no_revalidate", "invariant:no_resurrection",
                "after the ping, `cameras[id].online = alive` without re-checking that the camera is still there: "
                "operator[] re-creates a camera removed during the ping")
        .mutant("unlocked_map", "race",
                "get_by_ip and snapshot read the maps without the lock while other threads add and remove")
        .mutant("lock_order_inversion", "deadlock",
                "remove_camera tells the consensus service while holding the registry lock, and evaluate asks the "
                "registry about each camera while holding the consensus lock: two locks taken in opposite orders")
        .mutant("non_reentrant", "deadlock",
                "the registry lock is a plain mutex instead of a re-entrant one: the nested operation waits for "
                "itself")
        .mutant("split_cooldown", "invariant:trigger_cooldown",
                "the consensus checks the cooldown, publishes the alarm (I/O, no lock), then records the trigger: "
                "evaluations during the publish pass the same check and fire again")
        .mutant("lock_leak_on_error", "invariant:lock_released",
                "update_status takes and releases the registry lock by hand and takes it back however the ping ends: "
                "a ping that throws leaves the lock held, and every other thread waits for it")
        .mutant("reschedule_outside_lock", "invariant:telemetry_one_chain",
                "the telemetry timer cancels the pending publication and schedules the next one in two critical "
                "sections: two publish_now calls both cancel the same timer and both schedule one (two chains)")
        .mutant("cancel_without_wait", "invariant:telemetry_one_chain",
                "the telemetry timer cancels without waiting for the publication in flight, which then schedules "
                "its successor: a second chain after publish_now, a timer left behind by stop()")
        .param(duration_param("io_latency", 50us, 0ns, 100ms,
                              "one simulated network round trip (a sleep): each ping, discovery probe and trigger "
                              "publish"))
        .param(number_param("answer_probability", 0.75, 0, 1, "chance that a camera answers a ping or a probe"))
        .param(integer_param("batch_size", 4, 1, 64, "cameras per batch_add and candidates per discovery cycle"))
        .param(integer_param("initial_cameras", 0, 0, 1 << 24,
                             "cameras 0..N-1 (subnet 0) added in one batch before the run (at most the key count)"))
        .param(duration_param("cooldown", 5ms, 1us, 1h, "least time between two consensus triggers"))
        .param(duration_param("window", 100ms, 1us, 1h, "detections younger than this count towards consensus"))
        .param(integer_param("min_detections", 2, 1, 4096,
                             "recent detections (confidence >= 0.5) for a camera to agree"))
        .param(integer_param("min_cameras", 2, 1, 1 << 24, "agreeing online cameras needed to trigger"))
        .param(integer_param("history_limit", 16, 1, 4096, "detections kept per camera (the oldest dropped)"))
        .param(duration_param("lock_timeout", 0ns, 0ns, 10s,
                              "0: the registry lock waits forever; otherwise an acquisition gives up after this long "
                              "with LockTimeout (a leaked lock then shows as failing operations, not a hang)"))
        .param(duration_param("telemetry_interval", 1ms, 10us, 1h,
                              "the telemetry timer's first interval between publications (each one io_latency)"))
        .op("add", &A::add,
            "add_camera(camera <key>), on one of two subnets (arg): a known camera may move IP")
        .op("remove", &A::remove,
            "remove_camera(cam-<key>); the removal hook drops its detection history")
        .op("lookup", &A::lookup,
            "get_by_ip(IP of <key> on a subnet from arg); checks the copy is that camera's")
        .op("update_status", &A::update_status,
            "ping cam-<key> (io_latency) in three steps: IP under the lock, ping without it, re-validate and store")
        .op("snapshot", &A::snapshot,
            "a read-only copy of every map; checks that they agree with each other")
        .op("batch_add", &A::batch_add,
            "add_batch of batch_size cameras from <key> on: one lock acquisition")
        .op("discover", &A::discover,
            "a discovery cycle over batch_size candidates from <key>: count it, probe the unknown ones (io_latency) "
            "without the lock, add those that answered")
        .op("nested", &A::nested,
            "re-entrant: under the registry lock, add_camera, set_online and get (each takes the lock again); checks "
            "the read-back")
        .op("detect", &A::detect,
            "record_detection(cam-<key>, confidence from arg) in the consensus service")
        .op("consensus", &A::consensus,
            "evaluate(): agreeing online cameras; past the cooldown, records a trigger and publishes it (io_latency)")
        .op("telemetry_publish", &A::telemetry_publish,
            "publish_now(): cancel the pending telemetry publication, schedule one due at once (the timer is made "
            "and started on the first telemetry op)")
        .op("telemetry_interval", &A::telemetry_interval,
            "set_interval(telemetry_interval * arg / 2): the pending publication moves to the new interval")
        .args(uniform(1, 4))
        .op("telemetry_restart", &A::telemetry_restart,
            "stop() then start() of the telemetry timer; checks that stop() left no timer")
        .invariant("maps_agree", &A::check_maps,
                   "quiescent: every camera is stored under its id, the known IPs are exactly the cameras' IPs and "
                   "the MAC tracker maps exactly each live camera's MAC to its IP")
        .invariant("count_matches", &A::check_counts,
                   "quiescent: the camera count equals adds - removes (as returned to callers); the discovery count "
                   "equals the discovery cycles run")
        .invariant("no_resurrection", &A::check_resurrection,
                   "quiescent: every camera held is an incarnation some add created and no remove has removed since")
        .invariant("snapshot_consistent", "online: every snapshot's maps agree with each other")
        .invariant("lookup_correct", "online: a lookup by IP returns that IP's camera, whole")
        .invariant("nested_atomic",
                   "online: inside the nested operation's outer lock, get returns the camera and status it just wrote")
        .invariant("trigger_cooldown", &A::check_triggers,
                   "quiescent: triggers seen by callers are at least `cooldown` apart, and the service counted as "
                   "many")
        .invariant("lock_released", &A::check_lock_released,
                   "quiescent: no acquisition of the registry lock is left unreleased (no operation runs)")
        .invariant("telemetry_one_chain", &A::check_one_chain,
                   "quiescent: at most one telemetry timer was ever pending or in flight at one time")
        .invariant("telemetry_quiet_after_stop", &A::check_quiet_after_stop,
                   "no telemetry publication of an epoch runs after that epoch's stop() returned, stop() leaves no "
                   "timer pending, and after the teardown's stop nothing is pending or running")
        .teardown(&A::teardown));

}  // namespace
}  // namespace threadmill::camera_registry
