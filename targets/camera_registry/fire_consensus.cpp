// The fire consensus service (see fire_consensus.hpp): detection history, agreement, cooldown.
#include "targets/camera_registry/fire_consensus.hpp"

#include <mutex>
#include <stdexcept>
#include <unordered_set>
#include <utility>

namespace threadmill::camera_registry {

FireConsensus::FireConsensus(ConsensusOptions options) : m_options(std::move(options)) {
    if (m_options.clock == nullptr) throw std::invalid_argument("FireConsensus needs a clock");
}

void FireConsensus::pause() const {
    if (m_options.pause) m_options.pause();
}

void FireConsensus::record_detection(const std::string& camera_id, double confidence) {
    std::lock_guard g(m_lock);
    auto& history = m_history[camera_id];
    history.push_back({m_options.clock->now_ns(), confidence});
    while (history.size() > m_options.history_limit) history.pop_front();
}

void FireConsensus::forget(const std::string& camera_id) {
    std::lock_guard g(m_lock);
    m_history.erase(camera_id);
}

std::size_t FireConsensus::agreeing_locked(std::int64_t now, const std::unordered_set<std::string>* online) {
    std::size_t agreeing = 0;
    for (const auto& [id, history] : m_history) {
        std::size_t recent = 0;
        for (const Detection& d : history) {
            if (now - d.at_ns <= m_options.window.count() && d.confidence >= m_options.min_confidence) ++recent;
        }
        if (recent < m_options.min_detections) continue;
        bool counts = false;
        if (online != nullptr) {
            counts = online->contains(id);
        } else {
            // The mutant asks the registry (its lock) while this service's lock is held.
            pause();
            counts = m_options.is_online && m_options.is_online(id);
        }
        if (counts) ++agreeing;
    }
    return agreeing;
}

bool FireConsensus::cooldown_passed_locked(std::int64_t now) const {
    return !m_fired_once || now - m_last_trigger_ns >= m_options.cooldown.count();
}

void FireConsensus::fire_locked(std::int64_t now, ConsensusResult& result) {
    m_fired_once = true;
    m_last_trigger_ns = now;
    ++m_triggers;
    result.fired = true;
    result.fired_at_ns = now;
}

ConsensusResult FireConsensus::evaluate() {
    // Before this service's lock: which cameras are online (the registry's lock, released).
    std::unordered_set<std::string> online;
    const bool ask_first = !m_options.faults.query_under_lock;
    if (ask_first && m_options.online_cameras) {
        for (auto& id : m_options.online_cameras()) online.insert(std::move(id));
    }

    ConsensusResult result;
    std::unique_lock g(m_lock);
    const std::int64_t now = m_options.clock->now_ns();
    result.agreeing = agreeing_locked(now, ask_first ? &online : nullptr);
    if (result.agreeing < m_options.min_cameras || !cooldown_passed_locked(now)) return result;
    if (m_options.faults.split_cooldown) {
        // The mutant: `if cooldown passed: trigger(); last_trigger = now`, the action in between
        // and outside the lock, so another evaluation passes the same check meanwhile.
        g.unlock();
        pause();
        if (m_options.on_trigger) m_options.on_trigger();
        g.lock();
        fire_locked(m_options.clock->now_ns(), result);
        return result;
    }
    pause();
    fire_locked(now, result);  // the check and the record in one critical section
    g.unlock();
    if (m_options.on_trigger) m_options.on_trigger();
    return result;
}

std::uint64_t FireConsensus::triggers() {
    std::lock_guard g(m_lock);
    return m_triggers;
}

std::size_t FireConsensus::history_size(const std::string& camera_id) {
    std::lock_guard g(m_lock);
    const auto it = m_history.find(camera_id);
    return it == m_history.end() ? 0 : it->second.size();
}

bool FireConsensus::lock_available() {
    if (!m_lock.try_lock()) return false;
    m_lock.unlock();
    return true;
}

}  // namespace threadmill::camera_registry
