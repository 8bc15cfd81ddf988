// The fair read-write lock of the config store (see rw_lock.hpp).
#include "targets/config_store/rw_lock.hpp"

namespace threadmill::config_store {

bool RwLock::try_lock_shared_for(std::chrono::nanoseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    std::unique_lock lock(m_mutex);
    const std::uint64_t releases_at_entry = m_write_releases;
    const bool ok = m_readers_cv.wait_until(lock, deadline, [&] {
        if (m_writer) return false;
        if (m_reader_preferring) return true;
        // Waiting writers go first, except over readers that already waited through a writer.
        return m_waiting_writers == 0 || m_write_releases != releases_at_entry;
    });
    if (!ok) return false;
    ++m_active_readers;
    return true;
}

void RwLock::unlock_shared() {
    std::lock_guard lock(m_mutex);
    if (--m_active_readers == 0 && m_waiting_writers > 0) m_writers_cv.notify_one();
}

bool RwLock::try_lock_for(std::chrono::nanoseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    std::unique_lock lock(m_mutex);
    ++m_waiting_writers;
    const bool ok = m_writers_cv.wait_until(lock, deadline, [&] { return !m_writer && m_active_readers == 0; });
    --m_waiting_writers;
    if (!ok) {
        // Readers held back for this writer may go now.
        if (m_waiting_writers == 0) m_readers_cv.notify_all();
        // A wake-up this writer took may have been meant for another one.
        if (m_waiting_writers > 0 && !m_writer && m_active_readers == 0) m_writers_cv.notify_one();
        return false;
    }
    m_writer = true;
    return true;
}

void RwLock::unlock() {
    std::lock_guard lock(m_mutex);
    m_writer = false;
    ++m_write_releases;
    m_readers_cv.notify_all();
    if (m_waiting_writers > 0) m_writers_cv.notify_one();
}

int RwLock::active_readers() const {
    std::lock_guard lock(m_mutex);
    return m_active_readers;
}

int RwLock::waiting_writers() const {
    std::lock_guard lock(m_mutex);
    return m_waiting_writers;
}

}  // namespace threadmill::config_store
