// Wildfire Watch's ThreadSafeCameraRegistry in C++: one re-entrant lock per service, I/O outside it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace threadmill::camera_registry {

using Nanos = std::chrono::nanoseconds;

/// Thrown when a lock with a timeout (tests only) is not acquired in time.
class LockTimeout : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Thrown by a Network when a round trip fails (no route, a reset connection). A camera that does
/// not answer is not an error: the ping returns false.
class NetworkError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The one lock of a service. Re-entrant (the document's `threading.RLock`) unless built as the
/// `non_reentrant` mutant's plain mutex, where a second acquisition by the owner never returns.
/// Counts its acquisitions (re-entries included). Meets Lockable, so std::lock_guard works.
class ServiceLock {
public:
    /// `timeout` zero: wait forever (real runs); otherwise lock() retries try_lock and throws
    /// LockTimeout past it (tests: a self-deadlock of the plain mutex becomes an exception).
    explicit ServiceLock(bool reentrant = true, Nanos timeout = Nanos::zero())
        : m_reentrant(reentrant), m_timeout(timeout) {}
    ServiceLock(const ServiceLock&) = delete;
    ServiceLock& operator=(const ServiceLock&) = delete;

    void lock();
    void unlock();
    bool try_lock();
    /// Acquisitions so far, re-entries included (relaxed: for tests and benchmarks).
    std::uint64_t acquisitions() const { return m_acquisitions.load(std::memory_order_relaxed); }
    /// Acquisitions not released yet, re-entries included: zero whenever no thread holds the lock
    /// (relaxed: read it where the holders' unlocks are ordered before the read, as at a barrier).
    std::int64_t holds() const { return m_holds.load(std::memory_order_relaxed); }
    bool reentrant() const { return m_reentrant; }

private:
    const bool m_reentrant;
    const Nanos m_timeout;
    std::recursive_mutex m_recursive;
    std::mutex m_plain;
    std::atomic<std::uint64_t> m_acquisitions{0};
    std::atomic<std::int64_t> m_holds{0};
};

/// One camera as the detector knows it. `incarnation` is given by the registry at each add of a
/// new id, so a camera re-added after a removal is told apart from its removed predecessor.
struct Camera {
    std::string id;    ///< "cam-0007"
    std::string ip;    ///< may change between incarnations (DHCP): the MAC tracker follows it
    std::string mac;
    std::string name;  ///< the ONVIF name and stream URL (long: every copy allocates)
    bool online = true;
    std::uint64_t incarnation = 0;
    std::uint64_t status_checks = 0;  ///< status updates applied to this incarnation

    bool operator==(const Camera&) const = default;
};

/// A read-only copy of the whole registry, taken in one critical section.
struct RegistrySnapshot {
    std::size_t count = 0;  ///< the number of cameras, read first
    std::vector<std::string> keys;  ///< the id each camera is stored under, in the order of `cameras`
    std::vector<Camera> cameras;
    std::vector<std::string> known_ips;
    std::vector<std::pair<std::string, std::string>> mac_to_ip;
    std::uint64_t discovery_count = 0;
};

/// What is wrong with a snapshot's agreement between its maps, or nothing: `count` equals the
/// cameras, each camera is stored under its own id, the known IPs are exactly the cameras' IPs
/// (no duplicate), and the MAC tracker maps exactly each camera's MAC to its IP.
std::optional<std::string> consistency_problem(const RegistrySnapshot& snapshot);

/// The network the registry talks to: blocking calls that the safe registry makes without its
/// lock. Either call may throw (NetworkError when the round trip fails); the registry lets the
/// exception through to its caller with nothing written for the failed call and its lock free.
class Network {
public:
    virtual ~Network() = default;
    /// One round trip to `ip` (the health check's ping): true when the camera answered.
    virtual bool ping(const std::string& ip) = 0;
    /// One discovery round (a WS-Discovery probe): which of `candidates` answered, in order.
    virtual std::vector<bool> probe(const std::vector<Camera>& candidates) = 0;
};

/// Deliberate defects, for the target's mutants. The default is the correct registry; each flag
/// is checked at the one place where the defect lives.
struct RegistryFaults {
    bool io_under_lock = false;    ///< ping and probe run while the lock is held
    bool no_revalidate = false;    ///< after the ping, the updated copy is stored back unchecked
    bool unlocked_reads = false;   ///< get_by_ip and snapshot read the maps without the lock
    bool hook_under_lock = false;  ///< the removal hook (another service) is called with the lock held
    bool non_reentrant = false;    ///< the lock is a plain mutex: a nested acquisition self-deadlocks
    /// update_status takes and releases the lock by hand, and takes it back however the ping
    /// ends: a ping that throws leaves update_status with the lock still held
    bool lock_leak_on_error = false;
};

struct RegistryOptions {
    Network* network = nullptr;                              ///< required for update_status and discovery
    std::function<void(const std::string& id)> on_removed;   ///< told of each removal (may be empty)
    std::function<void()> pause;                             ///< called inside race windows (chaos); may be empty
    Nanos lock_timeout = Nanos::zero();                      ///< zero: wait forever; tests set one
    RegistryFaults faults;
};

enum class AddOutcome { added, moved, unchanged, conflict };

enum class StatusOutcome {
    updated,    ///< the camera answered or not, and its status was stored
    vanished,   ///< removed (or replaced by a new incarnation) during the ping: the result was dropped
    not_found,  ///< no such camera: no ping was made
};

struct StatusResult {
    StatusOutcome outcome = StatusOutcome::not_found;
    bool online = false;  ///< what the ping said (updated and vanished)
};

struct BatchResult {
    std::size_t added = 0;
    std::size_t moved = 0;
};

struct DiscoveryResult {
    std::size_t probed = 0;  ///< candidates whose IP was not known when the cycle started
    std::size_t added = 0;
    std::size_t moved = 0;
};

/// The camera detector's registry of the Wildfire Watch document. One lock guards the cameras
/// by id, the known IPs, the MAC-to-IP tracker and the discovery count:
///  - every public method takes the lock; critical sections are short; the lock is re-entrant,
///    so code holding it (`locked()`) may call any method but the I/O ones and `remove_camera`;
///  - I/O (`update_status`, `discovery_cycle`) is three steps: read what it needs under the lock,
///    do the I/O without it, then re-validate and update under the lock (the camera may have been
///    removed or replaced meanwhile: a late result is dropped, never stored);
///  - reads return copies; `add_batch` takes the lock once for the whole batch;
///  - the removal hook (another service) is called after the lock is released, so the registry
///    never holds its lock while it waits for another service's lock.
class CameraRegistry {
public:
    explicit CameraRegistry(RegistryOptions options);
    CameraRegistry(const CameraRegistry&) = delete;
    CameraRegistry& operator=(const CameraRegistry&) = delete;

    /// Adds a camera (its `incarnation` and `status_checks` are ignored), or moves a known one to
    /// a new IP (the MAC tracker follows). `conflict`: the IP belongs to another camera.
    AddOutcome add_camera(const Camera& camera);
    /// All of `cameras` in one critical section.
    BatchResult add_batch(const std::vector<Camera>& cameras);
    /// Removes a camera with its IP and MAC entries; returns it. Then calls the removal hook.
    std::optional<Camera> remove_camera(const std::string& id);
    /// A copy of the camera with this IP.
    std::optional<Camera> get_by_ip(const std::string& ip);
    /// A copy of the camera with this id.
    std::optional<Camera> get(const std::string& id);
    /// Pings the camera (three steps, the ping without the lock) and stores the result. An
    /// exception from the ping goes through to the caller: nothing is written, the lock is free.
    StatusResult update_status(const std::string& id);
    /// Stores a known status (no I/O); false when there is no such camera.
    bool set_online(const std::string& id, bool online);
    bool is_online(const std::string& id);
    std::vector<std::string> online_ids();
    /// One discovery cycle: counts it, probes the candidates whose IP is not known (without the
    /// lock), then adds those that answered in one critical section. An exception from the probe
    /// goes through to the caller: the cycle is counted, nothing is added, the lock is free.
    DiscoveryResult discovery_cycle(const std::vector<Camera>& candidates);
    /// A copy of everything, in one critical section.
    RegistrySnapshot snapshot();
    /// The same copy, always under the lock (even in the unlocked_reads mutant): for checks.
    RegistrySnapshot peek();
    std::size_t count();

    /// Runs `body` holding the lock (the document's `with detector.lock:`); `body` may call the
    /// registry again on this thread (re-entrant), but not the I/O methods nor remove_camera.
    void locked(const std::function<void(CameraRegistry&)>& body);
    /// True when another thread could take the lock right now (for tests: call from a thread
    /// that does not hold it).
    bool lock_available();
    std::uint64_t lock_acquisitions() const { return m_lock.acquisitions(); }
    /// Acquisitions of the lock not released yet (ServiceLock::holds): zero when no method runs.
    std::int64_t lock_holds() const { return m_lock.holds(); }

private:
    AddOutcome add_locked(const Camera& camera);
    StatusResult update_status_by_hand(const std::string& id);
    RegistrySnapshot copy_state(bool take_lock);
    void pause() const;

    const RegistryOptions m_options;
    ServiceLock m_lock;

    // Under m_lock.
    std::unordered_map<std::string, Camera> m_cameras;
    std::unordered_set<std::string> m_known_ips;
    std::unordered_map<std::string, std::string> m_mac_to_ip;
    std::uint64_t m_discovery_count = 0;
    std::uint64_t m_next_incarnation = 0;
};

}  // namespace threadmill::camera_registry
