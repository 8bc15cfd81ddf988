// The rendezvous barrier's slow paths: calibrated spinning, then parking on a Linux futex.
#include "worker/barrier.hpp"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <thread>

namespace threadmill {

namespace {

static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t) &&
                  std::atomic<std::uint32_t>::is_always_lock_free,
              "the futex word is the atomic's own storage");

// How long a waiter spins before parking when every participant has a core of its own. A
// rendezvous of running threads completes in well under a microsecond; a few microseconds
// absorb the skew of a round's last ops without burning a core when a peer was preempted.
constexpr std::chrono::nanoseconds k_spin_time{4000};
// The spin is cut into slices with a sched_yield() after each: on a loaded machine the
// scheduler may have put a peer on this very core, where spinning only delays it.
constexpr std::uint32_t k_spin_slices = 4;
// Oversubscribed waiters yield this many times before parking: the threads they let run are
// often the ones the barrier is waiting for, and a futex sleep plus wake costs far more.
constexpr int k_oversubscribed_yields = 2;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield" ::: "memory");
#endif
}

// pause costs ~10 cycles on some x86 parts and ~140 on others, so the spin budget is
// calibrated once per process: the fastest of a few timed batches, against preemption.
std::uint32_t spin_iterations() {
    static const std::uint32_t iterations = [] {
        constexpr int k_batch = 256;
        auto best = std::chrono::nanoseconds::max();
        for (int attempt = 0; attempt < 5; ++attempt) {
            const auto start = std::chrono::steady_clock::now();
            for (int i = 0; i < k_batch; ++i) cpu_relax();
            best = std::min(best, std::chrono::steady_clock::now() - start);
        }
        const double ns_per_pause = std::max(1.0, static_cast<double>(best.count()) / k_batch);
        const double wanted = static_cast<double>(k_spin_time.count()) / ns_per_pause;
        return static_cast<std::uint32_t>(std::clamp(wanted, 64.0, 65536.0));
    }();
    return iterations;
}

std::uint32_t spin_limit_for(std::uint32_t participants) {
    const unsigned cores = std::thread::hardware_concurrency();
    // hardware_concurrency() may be 0 when unknown: then assume oversubscription, never spin.
    return participants <= cores ? spin_iterations() : 0;
}

void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected) {
    // Returns on a wake, on EAGAIN (the word no longer holds `expected`), on EINTR or
    // spuriously: the caller re-checks the word in every case.
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected, nullptr,
            nullptr, 0);
}

void futex_wake_all(std::atomic<std::uint32_t>& word) {
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr,
            nullptr, 0);
}

}  // namespace

Barrier::Barrier(std::uint32_t participants)
    : m_participants(participants), m_spin_limit(spin_limit_for(participants)), m_remaining(participants) {}

// Lost wakeups are ruled out by a Dekker-style pairing of seq_cst operations:
//   release: store(generation) ; load(sleepers)       wait: fetch_add(sleepers) ; load(generation)
// In the single total order of seq_cst operations, either the waiter's fetch_add comes before
// the releaser's load (the releaser sees a sleeper and wakes), or the releaser's store comes
// before the waiter's load (the waiter sees the new generation and never sleeps). The kernel
// re-checks the word under its own lock in FUTEX_WAIT, which covers the window between the
// waiter's load and its sleep. The futex carries no happens-before that ThreadSanitizer could
// see, and none is needed: a waiter leaves only after an acquire load that reads the new
// generation, which synchronises with this release store.
void Barrier::release(std::uint32_t gen) {
    m_generation.store(gen + 1, std::memory_order_seq_cst);
    if (m_sleepers.load(std::memory_order_seq_cst) > 0) futex_wake_all(m_generation);
}

void Barrier::wait(std::uint32_t gen) {
    if (m_spin_limit > 0) {
        const std::uint32_t slice = m_spin_limit / k_spin_slices;
        for (std::uint32_t s = 0; s < k_spin_slices; ++s) {
            for (std::uint32_t i = 0; i < slice; ++i) {
                if (m_generation.load(std::memory_order_acquire) != gen) return;
                cpu_relax();
            }
            sched_yield();
        }
    } else {
        for (int i = 0; i < k_oversubscribed_yields; ++i) {
            if (m_generation.load(std::memory_order_acquire) != gen) return;
            sched_yield();
        }
    }
    m_sleepers.fetch_add(1, std::memory_order_seq_cst);
    while (m_generation.load(std::memory_order_seq_cst) == gen) futex_wait(m_generation, gen);
    m_sleepers.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace threadmill
