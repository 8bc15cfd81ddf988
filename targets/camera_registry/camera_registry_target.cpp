// The `camera_registry` target: Wildfire Watch's thread-safe camera registry and fire consensus.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include "api/clock.hpp"
#include "api/target.hpp"
#include "api/target_tables.hpp"
#include "targets/camera_registry/camera_registry.hpp"
#include "targets/camera_registry/fire_consensus.hpp"

namespace threadmill::camera_registry {
namespace {

// Each enum lists its catalog entries in declaration order; the tables below are checked
// against it at compile time.

enum class Variant { safe, io_under_lock, no_revalidate, unlocked_map, lock_order_inversion, non_reentrant,
                     split_cooldown };

enum class OpKind { add, remove, lookup, update_status, snapshot, batch_add, discover, nested, detect, consensus };

enum class Inv {
    maps_agree,
    count_matches,
    no_resurrection,
    snapshot_consistent,
    lookup_correct,
    nested_atomic,
    trigger_cooldown,
};

constexpr std::array<CatalogRow<Variant>, 7> k_variants{{
    {Variant::safe, "safe",
     "the documented design: one re-entrant lock per service, short critical sections, I/O in three steps "
     "(read under the lock, I/O without it, re-validate and update under it), copies for reads, batch add under "
     "one acquisition, no lock held across services, cooldown checked and set in one critical section"},
    {Variant::io_under_lock, "io_under_lock",
     "the ping and the discovery probe run while the registry lock is held: every lookup queues behind the I/O",
     "slo"},
    {Variant::no_revalidate, "no_revalidate",
     "after the ping, `cameras[id].online = alive` without re-checking that the camera is still there: "
     "operator[] re-creates a camera removed during the ping",
     "invariant:no_resurrection"},
    {Variant::unlocked_map, "unlocked_map",
     "get_by_ip and snapshot read the maps without the lock while other threads add and remove", "race"},
    {Variant::lock_order_inversion, "lock_order_inversion",
     "remove_camera tells the consensus service while holding the registry lock, and evaluate asks the registry "
     "about each camera while holding the consensus lock: two locks taken in opposite orders",
     "deadlock"},
    {Variant::non_reentrant, "non_reentrant",
     "the registry lock is a plain mutex instead of a re-entrant one: the nested operation waits for itself",
     "deadlock"},
    {Variant::split_cooldown, "split_cooldown",
     "the consensus checks the cooldown, publishes the alarm (I/O, no lock), then records the trigger: "
     "evaluations during the publish pass the same check and fire again",
     "invariant:trigger_cooldown"},
}};

constexpr std::array<CatalogRow<OpKind>, 10> k_ops{{
    {OpKind::add, "add", "add_camera(camera <key>), on one of two subnets (arg): a known camera may move IP"},
    {OpKind::remove, "remove", "remove_camera(cam-<key>); the removal hook drops its detection history"},
    {OpKind::lookup, "lookup", "get_by_ip(IP of <key> on a subnet from arg); checks the copy is that camera's"},
    {OpKind::update_status, "update_status",
     "ping cam-<key> (io_latency) in three steps: IP under the lock, ping without it, re-validate and store"},
    {OpKind::snapshot, "snapshot", "a read-only copy of every map; checks that they agree with each other"},
    {OpKind::batch_add, "batch_add", "add_batch of batch_size cameras from <key> on: one lock acquisition"},
    {OpKind::discover, "discover",
     "a discovery cycle over batch_size candidates from <key>: count it, probe the unknown ones (io_latency) "
     "without the lock, add those that answered"},
    {OpKind::nested, "nested",
     "re-entrant: under the registry lock, add_camera, set_online and get (each takes the lock again); checks "
     "the read-back"},
    {OpKind::detect, "detect", "record_detection(cam-<key>, confidence from arg) in the consensus service"},
    {OpKind::consensus, "consensus",
     "evaluate(): agreeing online cameras; past the cooldown, records a trigger and publishes it (io_latency)"},
}};

constexpr std::array<CatalogRow<Inv>, 7> k_invariants{{
    {Inv::maps_agree, "maps_agree",
     "quiescent: every camera is stored under its id, the known IPs are exactly the cameras' IPs and the MAC "
     "tracker maps exactly each live camera's MAC to its IP"},
    {Inv::count_matches, "count_matches",
     "quiescent: the camera count equals adds - removes (as returned to callers); the discovery count equals "
     "the discovery cycles run"},
    {Inv::no_resurrection, "no_resurrection",
     "quiescent: every camera held is an incarnation some add created and no remove has removed since"},
    {Inv::snapshot_consistent, "snapshot_consistent", "online: every snapshot's maps agree with each other"},
    {Inv::lookup_correct, "lookup_correct", "online: a lookup by IP returns that IP's camera, whole"},
    {Inv::nested_atomic, "nested_atomic",
     "online: inside the nested operation's outer lock, get returns the camera and status it just wrote"},
    {Inv::trigger_cooldown, "trigger_cooldown",
     "quiescent: triggers seen by callers are at least `cooldown` apart, and the service counted as many"},
}};

static_assert(in_kind_order(k_variants) && in_kind_order(k_ops) && in_kind_order(k_invariants));
static_assert(k_variants.back().kind == Variant::split_cooldown && k_ops.back().kind == OpKind::consensus &&
              k_invariants.back().kind == Inv::trigger_cooldown);

constexpr int index_of(Inv i) { return static_cast<int>(i); }

/// The worker thread's context while it runs an op, so that the services' hooks can reach it.
thread_local ThreadContext* t_ctx = nullptr;

void chaos_hook() {
    if (t_ctx != nullptr) t_ctx->chaos_point();
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
class SimulatedNetwork final : public Network {
public:
    SimulatedNetwork(Nanos latency, double answer) : m_latency(latency), m_answer(answer) {}

    bool ping(const std::string&) override {
        round_trip();
        return answers();
    }

    std::vector<bool> probe(const std::vector<Camera>& candidates) override {
        round_trip();
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
    bool answers() const { return t_ctx == nullptr || t_ctx->rng.chance(m_answer); }

    const Nanos m_latency;
    const double m_answer;
};

RegistryFaults registry_faults(Variant v) {
    RegistryFaults f;
    f.io_under_lock = v == Variant::io_under_lock;
    f.no_revalidate = v == Variant::no_revalidate;
    f.unlocked_reads = v == Variant::unlocked_map;
    f.hook_under_lock = v == Variant::lock_order_inversion;
    f.non_reentrant = v == Variant::non_reentrant;
    return f;
}

ConsensusFaults consensus_faults(Variant v) {
    ConsensusFaults f;
    f.split_cooldown = v == Variant::split_cooldown;
    f.query_under_lock = v == Variant::lock_order_inversion;
    return f;
}

class CameraRegistryTarget final : public TargetInstance {
public:
    explicit CameraRegistryTarget(const TargetConfig& config)
        : m_key_count(std::max<std::uint64_t>(config.key_count, 1)),
          m_batch_size(static_cast<std::size_t>(config.params->integer("batch_size"))),
          m_cooldown(config.params->duration("cooldown")),
          m_network(config.params->duration("io_latency"), config.params->number("answer_probability")),
          m_consensus(consensus_options(config)),
          m_registry(registry_options(config)),
          m_threads(static_cast<std::size_t>(std::max(config.thread_count, 1))) {
        const auto initial = std::min<std::uint64_t>(
            static_cast<std::uint64_t>(config.params->integer("initial_cameras")), m_key_count);
        std::vector<Camera> cameras;
        for (std::uint64_t key = 0; key < initial; ++key) cameras.push_back(make_camera(key, 0));
        m_initial_adds = m_registry.add_batch(cameras).added;
    }

    void run(const Op& op, ThreadContext& ctx) override {
        t_ctx = &ctx;
        struct Reset {
            ~Reset() { t_ctx = nullptr; }
        } reset;
        PerThread& me = m_threads.at(static_cast<std::size_t>(ctx.thread_index));
        switch (static_cast<OpKind>(op.index)) {
            case OpKind::add:
                if (m_registry.add_camera(make_camera(op.key, subnet_of(op.arg, 0))) == AddOutcome::added) ++me.adds;
                return;
            case OpKind::remove:
                if (const auto removed = m_registry.remove_camera(id_of(op.key))) {
                    ++me.removes;
                    me.removed_incarnations.push_back(removed->incarnation);
                }
                return;
            case OpKind::lookup: lookup(op, ctx, me); return;
            case OpKind::update_status:
                me.sink += static_cast<std::uint64_t>(m_registry.update_status(id_of(op.key)).outcome);
                return;
            case OpKind::snapshot: {
                const RegistrySnapshot s = m_registry.snapshot();
                if (const auto problem = consistency_problem(s)) {
                    ctx.violate(index_of(Inv::snapshot_consistent),
                                fmt::format("a snapshot of {} cameras: {}", s.cameras.size(), *problem));
                }
                me.sink += s.cameras.size();
                return;
            }
            case OpKind::batch_add: me.adds += m_registry.add_batch(cameras_from(op)).added; return;
            case OpKind::discover: {
                const DiscoveryResult r = m_registry.discovery_cycle(cameras_from(op));
                me.adds += r.added;
                ++me.discoveries;
                return;
            }
            case OpKind::nested: nested(op, ctx, me); return;
            case OpKind::detect:
                m_consensus.record_detection(id_of(op.key), static_cast<double>((op.arg >> 16) % 1000) / 1000.0);
                return;
            case OpKind::consensus: {
                const ConsensusResult r = m_consensus.evaluate();
                if (r.fired) me.fire_times.push_back(r.fired_at_ns);
                me.sink += r.agreeing;
                return;
            }
        }
    }

    void check(InvariantSink& sink, CheckPoint) override {
        const RegistrySnapshot state = m_registry.peek();
        if (const auto problem = consistency_problem(state)) sink.fail(index_of(Inv::maps_agree), *problem);
        check_counts(sink, state);
        check_resurrection(sink, state);
        check_triggers(sink);
    }

private:
    /// What one worker thread records; only that thread touches it while ops run.
    struct alignas(64) PerThread {
        std::uint64_t adds = 0;  ///< add outcomes `added` this thread saw (nested and batches too)
        std::uint64_t removes = 0;
        std::uint64_t discoveries = 0;
        std::vector<std::uint64_t> removed_incarnations;  ///< since the last check
        std::vector<std::int64_t> fire_times;             ///< since the last check
        std::uint64_t sink = 0;
    };

    ConsensusOptions consensus_options(const TargetConfig& config) {
        ConsensusOptions o;
        o.clock = &steady_clock();
        o.history_limit = static_cast<std::size_t>(config.params->integer("history_limit"));
        o.window = config.params->duration("window");
        o.min_detections = static_cast<std::size_t>(config.params->integer("min_detections"));
        o.min_cameras = static_cast<std::size_t>(config.params->integer("min_cameras"));
        o.cooldown = config.params->duration("cooldown");
        o.online_cameras = [this] { return m_registry.online_ids(); };
        o.is_online = [this](const std::string& id) { return m_registry.is_online(id); };
        o.on_trigger = [this] { m_network.round_trip(); };
        o.pause = chaos_hook;
        o.faults = consensus_faults(static_cast<Variant>(config.variant));
        return o;
    }

    RegistryOptions registry_options(const TargetConfig& config) {
        RegistryOptions o;
        o.network = &m_network;
        o.on_removed = [this](const std::string& id) { m_consensus.forget(id); };
        o.pause = chaos_hook;
        o.faults = registry_faults(static_cast<Variant>(config.variant));
        return o;
    }

    /// Bit `bit` of the op's arg picks the subnet of one camera.
    static unsigned subnet_of(std::uint64_t arg, unsigned bit) { return static_cast<unsigned>((arg >> bit) & 1); }

    /// batch_size cameras from the op's key on (wrapping), each on a subnet from the arg.
    std::vector<Camera> cameras_from(const Op& op) const {
        std::vector<Camera> cameras;
        cameras.reserve(m_batch_size);
        for (std::size_t i = 0; i < m_batch_size; ++i) {
            cameras.push_back(make_camera((op.key + i) % m_key_count, subnet_of(op.arg, static_cast<unsigned>(i % 64))));
        }
        return cameras;
    }

    void lookup(const Op& op, ThreadContext& ctx, PerThread& me) {
        const std::string ip = ip_of(op.key, subnet_of(op.arg, 0));
        const auto found = m_registry.get_by_ip(ip);
        if (!found) return;
        if (found->ip != ip || found->id != id_of(op.key) || found->mac != mac_of(op.key) ||
            found->name != name_of(op.key, ip)) {
            ctx.violate(index_of(Inv::lookup_correct),
                        fmt::format("get_by_ip({}) returned id '{}', IP '{}', MAC '{}'", ip, found->id, found->ip,
                                    found->mac));
        }
        me.sink += found->status_checks;
    }

    void nested(const Op& op, ThreadContext& ctx, PerThread& me) {
        const Camera camera = make_camera(op.key, subnet_of(op.arg, 0));
        const bool online = ((op.arg >> 8) & 1) != 0;
        m_registry.locked([&](CameraRegistry& r) {
            if (r.add_camera(camera) == AddOutcome::added) ++me.adds;  // the lock, again
            ctx.chaos_point();  // nobody may remove it here: this thread holds the lock
            const bool set = r.set_online(camera.id, online);
            const auto back = r.get(camera.id);
            if (!set || !back || back->online != online || back->ip != camera.ip) {
                ctx.violate(index_of(Inv::nested_atomic),
                            fmt::format("nested: after add and set_online({}) of {} at {}, get returned {}",
                                        online, camera.id, camera.ip,
                                        back ? fmt::format("online {} at {}", back->online, back->ip) : "nothing"));
            }
        });
    }

    void check_counts(InvariantSink& sink, const RegistrySnapshot& state) {
        std::uint64_t adds = m_initial_adds;
        std::uint64_t removes = 0;
        std::uint64_t discoveries = 0;
        for (const PerThread& t : m_threads) {
            adds += t.adds;
            removes += t.removes;
            discoveries += t.discoveries;
        }
        const auto expected = static_cast<std::int64_t>(adds) - static_cast<std::int64_t>(removes);
        const auto count = static_cast<std::int64_t>(m_registry.count());
        if (count != expected || static_cast<std::int64_t>(state.cameras.size()) != expected) {
            sink.fail(index_of(Inv::count_matches),
                      fmt::format("the registry holds {} cameras after {} adds and {} removes (expected {})", count,
                                  adds, removes, expected));
        }
        if (state.discovery_count != discoveries) {
            sink.fail(index_of(Inv::count_matches),
                      fmt::format("the discovery count is {} after {} cycles", state.discovery_count, discoveries));
        }
    }

    void check_resurrection(InvariantSink& sink, const RegistrySnapshot& state) {
        for (PerThread& t : m_threads) {
            m_removed.insert(t.removed_incarnations.begin(), t.removed_incarnations.end());
            t.removed_incarnations.clear();
        }
        for (std::size_t i = 0; i < state.cameras.size(); ++i) {
            const Camera& c = state.cameras[i];
            if (c.incarnation == 0) {
                sink.fail(index_of(Inv::no_resurrection),
                          fmt::format("'{}' is held but no add created it (IP '{}', online {}, {} status checks): "
                                      "re-created by a late write",
                                      state.keys[i], c.ip, c.online, c.status_checks));
            } else if (m_removed.contains(c.incarnation)) {
                sink.fail(index_of(Inv::no_resurrection),
                          fmt::format("'{}' incarnation {} is held after its removal", state.keys[i], c.incarnation));
            }
        }
    }

    void check_triggers(InvariantSink& sink) {
        std::vector<std::int64_t> fires;
        for (PerThread& t : m_threads) {
            fires.insert(fires.end(), t.fire_times.begin(), t.fire_times.end());
            t.fire_times.clear();
        }
        std::sort(fires.begin(), fires.end());
        for (const std::int64_t at : fires) {
            if (m_fires_seen > 0 && at - m_last_fire_ns < m_cooldown.count()) {
                sink.fail(index_of(Inv::trigger_cooldown),
                          fmt::format("the trigger fired {}us after the previous one (cooldown {}us)",
                                      (at - m_last_fire_ns) / 1000, m_cooldown.count() / 1000));
            }
            m_last_fire_ns = at;
            ++m_fires_seen;
        }
        if (const auto counted = m_consensus.triggers(); counted != m_fires_seen) {
            sink.fail(index_of(Inv::trigger_cooldown),
                      fmt::format("the service counted {} triggers, callers saw {}", counted, m_fires_seen));
        }
    }

    const std::uint64_t m_key_count;
    const std::size_t m_batch_size;
    const Nanos m_cooldown;
    SimulatedNetwork m_network;
    FireConsensus m_consensus;
    CameraRegistry m_registry;
    std::vector<PerThread> m_threads;
    std::uint64_t m_initial_adds = 0;
    // Touched by check() only (quiescent).
    std::unordered_set<std::uint64_t> m_removed;  ///< incarnations removed so far
    std::int64_t m_last_fire_ns = 0;
    std::uint64_t m_fires_seen = 0;
};

TargetSpec make_camera_registry_spec() {
    TargetSpec spec;
    TargetInfo& info = spec.info;
    info.name = "camera_registry";
    info.description =
        "Wildfire Watch's thread-safe camera registry (one re-entrant lock per service, I/O outside the lock in "
        "three steps, copies, batch add) and its fire consensus service (detection history, cooldown trigger)";
    info.seed = "002_d2237d28670e9ba8.txt";
    fill_catalog(info, k_variants, k_ops, k_invariants);

    using namespace std::chrono_literals;
    info.params = {
        duration_param("io_latency", 50us, 0ns, 100ms,
                       "one simulated network round trip (a sleep): each ping, discovery probe and trigger publish"),
        number_param("answer_probability", 0.75, 0, 1, "chance that a camera answers a ping or a probe"),
        integer_param("batch_size", 4, 1, 64, "cameras per batch_add and candidates per discovery cycle"),
        integer_param("initial_cameras", 0, 0, 1 << 24,
                      "cameras 0..N-1 (subnet 0) added in one batch before the run (at most the key count)"),
        duration_param("cooldown", 5ms, 1us, 1h, "least time between two consensus triggers"),
        duration_param("window", 100ms, 1us, 1h, "detections younger than this count towards consensus"),
        integer_param("min_detections", 2, 1, 4096, "recent detections (confidence >= 0.5) for a camera to agree"),
        integer_param("min_cameras", 2, 1, 1 << 24, "agreeing online cameras needed to trigger"),
        integer_param("history_limit", 16, 1, 4096, "detections kept per camera (the oldest dropped)"),
    };

    spec.create = [](const TargetConfig& config) -> std::unique_ptr<TargetInstance> {
        return std::make_unique<CameraRegistryTarget>(config);
    };
    return spec;
}

}  // namespace

TM_REGISTER_TARGET(make_camera_registry_spec);

}  // namespace threadmill::camera_registry
