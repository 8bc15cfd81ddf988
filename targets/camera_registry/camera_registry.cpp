// The camera registry (see camera_registry.hpp): one re-entrant lock, I/O in three steps outside it.
#include "targets/camera_registry/camera_registry.hpp"

#include <stdexcept>
#include <thread>

#include <fmt/format.h>

namespace threadmill::camera_registry {

// ---- ServiceLock -----------------------------------------------------------------------------

bool ServiceLock::try_lock() {
    const bool got = m_reentrant ? m_recursive.try_lock() : m_plain.try_lock();
    if (got) {
        m_acquisitions.fetch_add(1, std::memory_order_relaxed);
        m_holds.fetch_add(1, std::memory_order_relaxed);
    }
    return got;
}

void ServiceLock::lock() {
    if (m_timeout > Nanos::zero()) {
        const auto deadline = std::chrono::steady_clock::now() + m_timeout;
        while (!try_lock()) {
            if (std::chrono::steady_clock::now() >= deadline) {
                throw LockTimeout(fmt::format("service lock not acquired within {}ns", m_timeout.count()));
            }
            std::this_thread::yield();
        }
        return;
    }
    if (m_reentrant) {
        m_recursive.lock();
    } else {
        m_plain.lock();  // the non_reentrant mutant: a second lock by the owner never returns
    }
    m_acquisitions.fetch_add(1, std::memory_order_relaxed);
    m_holds.fetch_add(1, std::memory_order_relaxed);
}

void ServiceLock::unlock() {
    m_holds.fetch_sub(1, std::memory_order_relaxed);
    if (m_reentrant) {
        m_recursive.unlock();
    } else {
        m_plain.unlock();
    }
}

// ---- Snapshot consistency --------------------------------------------------------------------

std::optional<std::string> consistency_problem(const RegistrySnapshot& s) {
    if (s.count != s.cameras.size()) {
        return fmt::format("count says {} cameras, the copy holds {}", s.count, s.cameras.size());
    }
    if (s.keys.size() != s.cameras.size()) {
        return fmt::format("{} ids for {} cameras", s.keys.size(), s.cameras.size());
    }
    for (std::size_t i = 0; i < s.keys.size(); ++i) {
        if (s.keys[i] != s.cameras[i].id) {
            return fmt::format("the camera stored under '{}' says it is '{}' (IP '{}', incarnation {})", s.keys[i],
                               s.cameras[i].id, s.cameras[i].ip, s.cameras[i].incarnation);
        }
    }
    std::unordered_map<std::string, const Camera*> by_ip;
    std::unordered_set<std::string> ids;
    for (const Camera& c : s.cameras) {
        if (c.ip.empty()) return fmt::format("camera '{}' has no IP", c.id);
        if (!ids.insert(c.id).second) return fmt::format("camera '{}' appears twice", c.id);
        if (!by_ip.emplace(c.ip, &c).second) return fmt::format("two cameras have IP {}", c.ip);
    }
    std::unordered_set<std::string> known;
    for (const auto& ip : s.known_ips) {
        if (!known.insert(ip).second) return fmt::format("IP {} is known twice", ip);
        if (!by_ip.contains(ip)) return fmt::format("IP {} is known but no camera has it", ip);
    }
    for (const Camera& c : s.cameras) {
        if (!known.contains(c.ip)) return fmt::format("camera '{}' has IP {}, which is not known", c.id, c.ip);
    }
    std::unordered_map<std::string, std::string> macs(s.mac_to_ip.begin(), s.mac_to_ip.end());
    if (macs.size() != s.mac_to_ip.size()) return std::string("the MAC tracker holds a MAC twice");
    for (const auto& [mac, ip] : s.mac_to_ip) {
        const auto it = by_ip.find(ip);
        if (it == by_ip.end()) return fmt::format("the MAC tracker maps {} to {}, which no camera has", mac, ip);
        if (it->second->mac != mac) {
            return fmt::format("the MAC tracker maps {} to {}, the camera there ('{}') has MAC {}", mac, ip,
                               it->second->id, it->second->mac);
        }
    }
    for (const Camera& c : s.cameras) {
        if (!macs.contains(c.mac)) return fmt::format("camera '{}' (MAC {}) is not in the MAC tracker", c.id, c.mac);
    }
    return std::nullopt;
}

// ---- CameraRegistry --------------------------------------------------------------------------

CameraRegistry::CameraRegistry(RegistryOptions options)
    : m_options(std::move(options)), m_lock(!m_options.faults.non_reentrant, m_options.lock_timeout) {}

void CameraRegistry::pause() const {
    if (m_options.pause) m_options.pause();
}

AddOutcome CameraRegistry::add_locked(const Camera& camera) {
    const auto it = m_cameras.find(camera.id);
    if (it != m_cameras.end()) {
        Camera& known = it->second;
        if (known.ip == camera.ip && known.mac == camera.mac) return AddOutcome::unchanged;
        if (known.ip != camera.ip && m_known_ips.contains(camera.ip)) return AddOutcome::conflict;
        if (known.mac != camera.mac && m_mac_to_ip.contains(camera.mac)) return AddOutcome::conflict;
        // The same camera at a new address: the known IPs and the MAC tracker follow it.
        m_known_ips.erase(known.ip);
        m_mac_to_ip.erase(known.mac);
        known.ip = camera.ip;
        known.mac = camera.mac;
        known.name = camera.name;
        m_known_ips.insert(known.ip);
        m_mac_to_ip[known.mac] = known.ip;
        return AddOutcome::moved;
    }
    if (m_known_ips.contains(camera.ip) || m_mac_to_ip.contains(camera.mac)) return AddOutcome::conflict;
    Camera added = camera;
    added.incarnation = ++m_next_incarnation;
    added.status_checks = 0;
    m_known_ips.insert(added.ip);
    m_mac_to_ip[added.mac] = added.ip;
    m_cameras.emplace(added.id, std::move(added));
    return AddOutcome::added;
}

AddOutcome CameraRegistry::add_camera(const Camera& camera) {
    std::lock_guard g(m_lock);
    return add_locked(camera);
}

BatchResult CameraRegistry::add_batch(const std::vector<Camera>& cameras) {
    BatchResult r;
    std::lock_guard g(m_lock);  // once for the whole batch
    for (const Camera& c : cameras) {
        const AddOutcome o = add_locked(c);
        if (o == AddOutcome::added) ++r.added;
        if (o == AddOutcome::moved) ++r.moved;
    }
    return r;
}

std::optional<Camera> CameraRegistry::remove_camera(const std::string& id) {
    std::optional<Camera> removed;
    {
        std::lock_guard g(m_lock);
        const auto it = m_cameras.find(id);
        if (it == m_cameras.end()) return std::nullopt;
        removed = std::move(it->second);
        m_cameras.erase(it);
        m_known_ips.erase(removed->ip);
        m_mac_to_ip.erase(removed->mac);
        if (m_options.faults.hook_under_lock) {
            // The mutant tells the other service while still holding this service's lock.
            pause();
            if (m_options.on_removed) m_options.on_removed(id);
            return removed;
        }
    }
    pause();
    if (m_options.on_removed) m_options.on_removed(id);
    return removed;
}

std::optional<Camera> CameraRegistry::get_by_ip(const std::string& ip) {
    std::unique_lock g(m_lock, std::defer_lock);
    if (!m_options.faults.unlocked_reads) g.lock();
    if (!m_known_ips.contains(ip)) return std::nullopt;
    for (const auto& [id, camera] : m_cameras) {
        if (camera.ip != ip) continue;
        pause();  // between finding the camera and copying it
        return camera;
    }
    return std::nullopt;
}

std::optional<Camera> CameraRegistry::get(const std::string& id) {
    std::lock_guard g(m_lock);
    const auto it = m_cameras.find(id);
    if (it == m_cameras.end()) return std::nullopt;
    return it->second;
}

StatusResult CameraRegistry::update_status(const std::string& id) {
    if (m_options.faults.lock_leak_on_error) return update_status_by_hand(id);
    // Step 1, under the lock: what the ping needs, and which incarnation it is about. Whatever
    // leaves this function, an exception from the ping included, leaves it with the lock free.
    std::unique_lock g(m_lock);
    const auto it = m_cameras.find(id);
    if (it == m_cameras.end()) return {StatusOutcome::not_found, false};
    const std::string ip = it->second.ip;
    const std::uint64_t incarnation = it->second.incarnation;

    // Step 2, without the lock: the I/O.
    if (!m_options.faults.io_under_lock) g.unlock();
    const bool alive = m_options.network->ping(ip);
    pause();

    // Step 3, under the lock again: re-validate, then update.
    if (!g.owns_lock()) g.lock();
    if (m_options.faults.no_revalidate) {
        // The mutant: `self.cameras[camera_id].online = is_alive` without `if camera_id in
        // self.cameras`. operator[] re-creates a camera removed during the ping.
        Camera& camera = m_cameras[id];
        camera.online = alive;
        ++camera.status_checks;
        return {StatusOutcome::updated, alive};
    }
    const auto now = m_cameras.find(id);
    if (now == m_cameras.end() || now->second.incarnation != incarnation) return {StatusOutcome::vanished, alive};
    now->second.online = alive;
    ++now->second.status_checks;
    return {StatusOutcome::updated, alive};
}

StatusResult CameraRegistry::update_status_by_hand(const std::string& id) {
    // The lock_leak_on_error mutant: the same three steps with acquire() and release() by hand,
    // as in `lock.acquire(); ...; lock.release()` without `with`. Around the ping the lock is
    // released, and taken back however the ping ends (`finally: lock.acquire()`), so that the
    // code after it holds the lock. A ping that throws leaves with the lock taken back and never
    // released: the release below is on the normal path only.
    m_lock.lock();
    const auto it = m_cameras.find(id);
    if (it == m_cameras.end()) {
        m_lock.unlock();
        return {StatusOutcome::not_found, false};
    }
    const std::string ip = it->second.ip;
    const std::uint64_t incarnation = it->second.incarnation;
    m_lock.unlock();
    bool alive = false;
    try {
        alive = m_options.network->ping(ip);
    } catch (...) {
        m_lock.lock();
        throw;
    }
    pause();
    m_lock.lock();
    const auto now = m_cameras.find(id);
    if (now == m_cameras.end() || now->second.incarnation != incarnation) {
        m_lock.unlock();
        return {StatusOutcome::vanished, alive};
    }
    now->second.online = alive;
    ++now->second.status_checks;
    m_lock.unlock();
    return {StatusOutcome::updated, alive};
}

bool CameraRegistry::set_online(const std::string& id, bool online) {
    std::lock_guard g(m_lock);
    const auto it = m_cameras.find(id);
    if (it == m_cameras.end()) return false;
    it->second.online = online;
    return true;
}

bool CameraRegistry::is_online(const std::string& id) {
    std::lock_guard g(m_lock);
    const auto it = m_cameras.find(id);
    return it != m_cameras.end() && it->second.online;
}

std::vector<std::string> CameraRegistry::online_ids() {
    std::vector<std::string> ids;
    std::lock_guard g(m_lock);
    ids.reserve(m_cameras.size());
    for (const auto& [id, camera] : m_cameras) {
        if (camera.online) ids.push_back(id);
    }
    return ids;
}

DiscoveryResult CameraRegistry::discovery_cycle(const std::vector<Camera>& candidates) {
    // Step 1, under the lock: count the cycle, pick the candidates not known yet.
    DiscoveryResult r;
    std::vector<Camera> unknown;
    std::unique_lock g(m_lock);
    ++m_discovery_count;
    for (const Camera& c : candidates) {
        if (!m_known_ips.contains(c.ip)) unknown.push_back(c);
    }
    r.probed = unknown.size();

    // Step 2, without the lock: the probe round trip.
    if (!m_options.faults.io_under_lock) g.unlock();
    const std::vector<bool> answered = m_options.network->probe(unknown);
    pause();

    // Step 3, under the lock: add those that answered; add_locked re-validates each (added by
    // someone else meanwhile: unchanged; its IP taken meanwhile: conflict).
    if (!g.owns_lock()) g.lock();
    for (std::size_t i = 0; i < unknown.size() && i < answered.size(); ++i) {
        if (!answered[i]) continue;
        const AddOutcome o = add_locked(unknown[i]);
        if (o == AddOutcome::added) ++r.added;
        if (o == AddOutcome::moved) ++r.moved;
    }
    return r;
}

RegistrySnapshot CameraRegistry::copy_state(bool take_lock) {
    std::unique_lock g(m_lock, std::defer_lock);
    if (take_lock) g.lock();
    RegistrySnapshot s;
    s.count = m_cameras.size();
    s.keys.reserve(s.count);
    s.cameras.reserve(s.count);
    for (const auto& [id, camera] : m_cameras) {
        s.keys.push_back(id);
        s.cameras.push_back(camera);
    }
    pause();  // between copying the cameras and copying the maps that must agree with them
    s.known_ips.assign(m_known_ips.begin(), m_known_ips.end());
    s.mac_to_ip.assign(m_mac_to_ip.begin(), m_mac_to_ip.end());
    s.discovery_count = m_discovery_count;
    return s;
}

RegistrySnapshot CameraRegistry::snapshot() { return copy_state(!m_options.faults.unlocked_reads); }

RegistrySnapshot CameraRegistry::peek() { return copy_state(true); }

std::size_t CameraRegistry::count() {
    std::lock_guard g(m_lock);
    return m_cameras.size();
}

void CameraRegistry::locked(const std::function<void(CameraRegistry&)>& body) {
    std::lock_guard g(m_lock);
    body(*this);
}

bool CameraRegistry::lock_available() {
    if (!m_lock.try_lock()) return false;
    m_lock.unlock();
    return true;
}

}  // namespace threadmill::camera_registry
