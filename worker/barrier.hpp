// The harness's rendezvous barrier: spins or yields briefly, then parks on a futex.
#pragma once

#include <atomic>
#include <cstdint>
#include <new>

namespace threadmill {

/// A reusable barrier for a fixed number of threads. The last thread to arrive runs the
/// completion function (while every other thread still waits), then releases them all.
/// Waiters spin for a bounded time when there are at least as many cores as participants
/// (a 2-thread rendezvous on 2 cores then costs well under a microsecond). With more
/// participants than cores they instead hand their core over with sched_yield() for a bounded
/// time, so the threads the round waits for can run on it without a futex sleep and wake per
/// waiter. Either way a waiter parks on a futex once its budget is spent. Arrival has acq_rel
/// and release has release/acquire semantics: everything before the barrier on any thread
/// happens-before everything after it.
class Barrier {
public:
    explicit Barrier(std::uint32_t participants);
    Barrier(const Barrier&) = delete;
    Barrier& operator=(const Barrier&) = delete;

    template <typename F>
    void arrive_and_wait(F&& completion) {
        const std::uint32_t gen = m_state.load(std::memory_order_acquire) & ~k_sleepers;
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
    /// True when waiters yield their core rather than spin on it (more participants than cores).
    bool oversubscribed() const { return m_spin_limit == 0; }

private:
    /// Bit 0 of m_state: some waiter of the current generation is parked (or about to park) on
    /// the futex; the generation counts in steps of 2 in the other bits.
    static constexpr std::uint32_t k_sleepers = 1;
    static constexpr std::uint32_t k_generation_step = 2;

    void release(std::uint32_t gen);
    void wait(std::uint32_t gen);
    void park(std::uint32_t gen);

    const std::uint32_t m_participants;
    const std::uint32_t m_spin_limit;
    alignas(64) std::atomic<std::uint32_t> m_remaining;
    /// The generation and the sleepers bit in one word, which is also the futex word.
    alignas(64) std::atomic<std::uint32_t> m_state{0};
};

}  // namespace threadmill
