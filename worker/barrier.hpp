// The harness's rendezvous barrier: spins briefly, then parks on a futex.
#pragma once

#include <atomic>
#include <cstdint>
#include <new>

namespace threadmill {

/// A reusable barrier for a fixed number of threads. The last thread to arrive runs the
/// completion function (while every other thread still waits), then releases them all.
/// Waiters spin for a bounded time when there are at least as many cores as participants
/// (a 2-thread rendezvous on 2 cores then costs well under a microsecond), and park on a
/// futex otherwise or once the spin budget is spent, so oversubscription does not burn the
/// cores the running threads need. Arrival has acq_rel and release has release/acquire
/// semantics: everything before the barrier on any thread happens-before everything after it.
class Barrier {
public:
    explicit Barrier(std::uint32_t participants);
    Barrier(const Barrier&) = delete;
    Barrier& operator=(const Barrier&) = delete;

    template <typename F>
    void arrive_and_wait(F&& completion) {
        const std::uint32_t gen = m_generation.load(std::memory_order_acquire);
        if (m_remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            completion();
            m_remaining.store(m_participants, std::memory_order_relaxed);
            release(gen);
        } else {
            wait(gen);
        }
    }
    void arrive_and_wait() {
        arrive_and_wait([] {});
    }
    std::uint32_t participants() const { return m_participants; }

private:
    void release(std::uint32_t gen);
    void wait(std::uint32_t gen);

    const std::uint32_t m_participants;
    const std::uint32_t m_spin_limit;
    alignas(64) std::atomic<std::uint32_t> m_remaining;
    alignas(64) std::atomic<std::uint32_t> m_generation{0};
    alignas(64) std::atomic<std::uint32_t> m_sleepers{0};
};

}  // namespace threadmill
