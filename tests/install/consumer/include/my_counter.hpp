// The install test's component: a counter behind a mutex, whose `forgetful` build never counts.
#pragma once

#include <cstdint>
#include <mutex>

namespace my {

/// A counter safe to use from several threads; `forgetful` makes add() a no-op (the mutant).
class Counter {
public:
    explicit Counter(bool forgetful) : m_forgetful(forgetful) {}
    /// Adds one (unless forgetful).
    void add() {
        std::lock_guard lock(m_mutex);
        if (!m_forgetful) ++m_value;
    }
    /// The current value.
    std::uint64_t value() const {
        std::lock_guard lock(m_mutex);
        return m_value;
    }

private:
    bool m_forgetful;
    mutable std::mutex m_mutex;
    std::uint64_t m_value = 0;
};

}  // namespace my
