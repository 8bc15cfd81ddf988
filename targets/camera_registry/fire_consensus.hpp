// Wildfire Watch's fire consensus service: per-camera detection history and a cooldown-protected trigger.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "api/clock.hpp"
#include "targets/camera_registry/camera_registry.hpp"

namespace threadmill::camera_registry {

/// Deliberate defects of the consensus service, for the target's mutants.
struct ConsensusFaults {
    bool split_cooldown = false;    ///< check the cooldown, act, then record the trigger: two critical sections
    bool query_under_lock = false;  ///< asks the registry about each camera while holding its own lock
};

struct ConsensusOptions {
    const Clock* clock = nullptr;     ///< required: detection times, window and cooldown
    std::size_t history_limit = 16;   ///< detections kept per camera (oldest dropped)
    Nanos window = std::chrono::milliseconds(100);  ///< detections younger than this count
    double min_confidence = 0.5;      ///< weaker detections are kept but do not count
    std::size_t min_detections = 2;   ///< per camera, in the window, for it to agree
    std::size_t min_cameras = 2;      ///< agreeing cameras needed to trigger
    Nanos cooldown = std::chrono::milliseconds(5);  ///< least time between two triggers
    /// The online cameras (the registry's `online_ids`): the safe service asks before it locks.
    std::function<std::vector<std::string>()> online_cameras;
    /// One camera's status (the registry's `is_online`): what the mutant asks under its lock.
    std::function<bool(const std::string&)> is_online;
    /// The trigger's action (publishing the alarm to the pump controller: I/O): called once per
    /// trigger, after the decision is recorded and the lock released. May be empty.
    std::function<void()> on_trigger;
    std::function<void()> pause;  ///< called inside race windows (chaos); may be empty
    ConsensusFaults faults;
};

struct ConsensusResult {
    std::size_t agreeing = 0;  ///< online cameras with enough recent detections
    bool fired = false;
    std::int64_t fired_at_ns = 0;  ///< on the clock, when fired
};

/// The consensus service: its own re-entrant lock over the detection history, the last trigger
/// time and the trigger count. `evaluate()` learns which cameras are online from the registry
/// before it takes its own lock (never the registry's lock inside its own, nor the reverse: the
/// registry calls `forget` after releasing its lock), then checks the cooldown and records the
/// trigger in one critical section, so the trigger fires at most once per cooldown; the trigger's
/// action (I/O) runs after the lock is released.
class FireConsensus {
public:
    explicit FireConsensus(ConsensusOptions options);
    FireConsensus(const FireConsensus&) = delete;
    FireConsensus& operator=(const FireConsensus&) = delete;

    /// Appends a detection (now, confidence) to the camera's history.
    void record_detection(const std::string& camera_id, double confidence);
    /// Drops a camera's history (it was removed from the registry).
    void forget(const std::string& camera_id);
    /// Counts the agreeing online cameras; fires if there are enough and the cooldown has passed.
    ConsensusResult evaluate();
    std::uint64_t triggers();
    /// Detections held for the camera.
    std::size_t history_size(const std::string& camera_id);
    /// True when another thread could take the lock right now (tests).
    bool lock_available();

private:
    struct Detection {
        std::int64_t at_ns = 0;
        double confidence = 0;
    };
    /// `online` null: ask the registry per camera (the query_under_lock mutant).
    std::size_t agreeing_locked(std::int64_t now, const std::unordered_set<std::string>* online);
    bool cooldown_passed_locked(std::int64_t now) const;
    void fire_locked(std::int64_t now, ConsensusResult& result);
    void pause() const;

    const ConsensusOptions m_options;
    ServiceLock m_lock;

    // Under m_lock.
    std::unordered_map<std::string, std::deque<Detection>> m_history;
    bool m_fired_once = false;
    std::int64_t m_last_trigger_ns = 0;
    std::uint64_t m_triggers = 0;
};

}  // namespace threadmill::camera_registry
