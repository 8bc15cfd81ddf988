// The install test's component: a counter behind a mutex, with two bugs on request (it never counts, or counts unlocked).
#pragma once

#include <cstdint>
#include <mutex>

namespace my {

/// How a Counter behaves: correctly, or with one of two bugs.
enum class Mode { correct, forgetful, unlocked };

/// A counter safe to use from several threads in Mode::correct; Mode::forgetful makes add() a
/// no-op, Mode::unlocked adds without the lock (a data race with value()).
class Counter {
public:
    explicit Counter(Mode mode) : m_mode(mode) {}
    /// Adds one (see Mode).
    void add() {
        if (m_mode == Mode::unlocked) {
            ++m_value;  // the data race the tsan flavor must report at this line
            return;
        }
        std::lock_guard lock(m_mutex);
        if (m_mode == Mode::correct) ++m_value;
    }
    /// The current value.
    std::uint64_t value() const {
        std::lock_guard lock(m_mutex);
        return m_value;
    }

private:
    Mode m_mode;
    mutable std::mutex m_mutex;
    std::uint64_t m_value = 0;
};

}  // namespace my
