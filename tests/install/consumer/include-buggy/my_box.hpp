// The install test's before/after pair, before: add() forgets the lock (include-fixed/ holds the same file after the fix).
#pragma once

#include <cstdint>
#include <mutex>

namespace my {

/// A tally meant to be safe to use from several threads; add() races with value().
class Box {
public:
    /// Adds one, without the lock: the data race the tsan flavor must report.
    void add() { ++m_value; }
    /// The current value.
    std::uint64_t value() const {
        std::lock_guard lock(m_mutex);
        return m_value;
    }

private:
    mutable std::mutex m_mutex;
    std::uint64_t m_value = 0;
};

}  // namespace my
