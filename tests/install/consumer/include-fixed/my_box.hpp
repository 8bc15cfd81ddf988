// The install test's before/after pair, after: a tally behind a mutex (include-buggy/ holds the same file before the fix).
#pragma once

#include <cstdint>
#include <mutex>

namespace my {

/// A tally safe to use from several threads.
class Box {
public:
    /// Adds one.
    void add() {
        std::lock_guard lock(m_mutex);
        ++m_value;
    }
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
