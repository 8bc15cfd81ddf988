// A fair, re-entrant read-write lock with acquisition timeouts: many readers or one writer, writers not starved.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stdexcept>

namespace threadmill::config_store {

/// Deliberate defects of the lock, for the store's mutants. The default is the correct lock.
struct RwLockFaults {
    /// Readers ignore waiting writers: a steady flow of overlapping readers keeps a writer out.
    bool reader_preferring = false;
    /// The old non-recursive lock: a thread that holds it and asks again is treated as any other
    /// thread, so it waits for itself until its timeout (a writer always; a reader when a writer
    /// waits, or when it asks for the write lock).
    bool non_reentrant = false;
};

/// Multiple readers or one writer, built from one mutex and two condition variables.
///  - Fair to writers: once a writer waits, new readers wait too (unless they have already
///    waited through a writer's release, so that readers are not starved either), and the
///    writer gets the lock as soon as the readers inside leave.
///  - Every acquisition takes a timeout and says whether it got the lock.
///  - Re-entrant for the thread that holds it, which is granted at once, whatever its timeout:
///     - the writer may take the write lock again, and the read lock (a read inside a write);
///     - a reader may take the read lock again even while a writer waits: the writer waits for
///       this very reader to leave, so holding the nested read back would deadlock both.
///    Each acquisition is released by its own unlock, innermost first; the lock is given up when
///    the thread's outermost hold is released. A writer that releases its write hold while it
///    still holds nested reads keeps the lock as a reader (a downgrade).
///  - A reader asking for the write lock (an upgrade) throws LockUpgrade: two readers upgrading
///    at once would each wait for the other to leave, so an upgrade is never granted.
/// Each thread keeps its own record of the locks it holds and how deeply (a thread_local list
/// keyed by the lock's id, read and written only by that thread), so the shared state is the same
/// as a non-recursive lock's: one reader count per reading thread, one writer flag.
class RwLock {
public:
    using Clock = std::chrono::steady_clock;

    explicit RwLock(RwLockFaults faults = {});
    RwLock(const RwLock&) = delete;
    RwLock& operator=(const RwLock&) = delete;

    /// Shared (read) mode; false when `timeout` passed first. A thread that holds the lock in
    /// either mode gets it at once.
    bool try_lock_shared_for(std::chrono::nanoseconds timeout);
    /// Releases one read hold of this thread.
    void unlock_shared();
    /// Exclusive (write) mode; false when `timeout` passed first. The writer gets it again at
    /// once; a thread that holds only the read lock gets LockUpgrade, thrown at once.
    bool try_lock_for(std::chrono::nanoseconds timeout);
    /// Releases one write hold of this thread.
    void unlock();

    /// Reading threads inside and writers waiting, for tests (a racy glance unless quiescent).
    int active_readers() const;
    int waiting_writers() const;

private:
    /// This lock's key in the per-thread records of holds; 0, which is never recorded, for the
    /// non_reentrant mutant, so that it never sees that the asking thread holds it already.
    std::uint64_t hold_key() const;
    // The non-recursive lock underneath: each counts the thread once, whatever its depth.
    bool acquire_shared(std::chrono::nanoseconds timeout);
    bool acquire_exclusive(std::chrono::nanoseconds timeout);
    void release_shared();
    void release_exclusive();
    /// The writer becomes a reader without letting another writer in between.
    void downgrade();

    mutable std::mutex m_mutex;
    std::condition_variable m_readers_cv;
    std::condition_variable m_writers_cv;
    int m_active_readers = 0;
    int m_waiting_writers = 0;
    bool m_writer = false;
    std::uint64_t m_write_releases = 0;  ///< bumped at each writer's unlock
    const RwLockFaults m_faults;
    const std::uint64_t m_id;  ///< tells this lock apart in the per-thread records (never reused)
};

/// Thrown when a config store operation cannot get its lock within the store's lock timeout.
struct LockTimeout : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Thrown by RwLock::try_lock_for when the asking thread holds only the read lock: an upgrade from
/// read to write is a programming error, reported at once rather than waited on.
struct LockUpgrade : std::logic_error {
    using std::logic_error::logic_error;
};

}  // namespace threadmill::config_store
