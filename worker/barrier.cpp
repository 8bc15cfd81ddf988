// The rendezvous barrier's slow paths: calibrated spinning or bounded yielding, then parking on
// a Linux futex.
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
// How long an oversubscribed waiter keeps yielding before it parks. The threads a round waits
// for are mostly runnable on the waiter's own core, and each yield hands the core to one of
// them; parking instead costs a futex sleep and, for the releaser, a wake of every sleeper,
// whose cross-core wake-ups (an IPI each, a VM exit in a guest) made an oversubscribed round
// 5-7x slower than std::barrier (docs/performance.md). The bound keeps a waiter whose peers
// are busy in long operations from cycling through the scheduler for nothing.
constexpr std::chrono::nanoseconds k_yield_time{50000};

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
    // The CPUs this process may run on, not the machine's: a worker pinned to 2 of 8 CPUs
    // (`run --jobs`) with 3 threads is oversubscribed. hardware_concurrency() may be 0 when
    // unknown: then assume oversubscription, never spin.
    cpu_set_t set;
    CPU_ZERO(&set);
    const unsigned cores = sched_getaffinity(0, sizeof set, &set) == 0 ? static_cast<unsigned>(CPU_COUNT(&set))
                                                                        : std::thread::hardware_concurrency();
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

// Why no waiter is lost, and why everything before the barrier is visible after it.
//
// m_state holds the generation (bits 1..31) and the sleepers bit (bit 0) in one word, which is
// also the futex word. A waiter of generation `gen` sets the bit with a compare-exchange that
// expects exactly `gen` (bit clear) or finds it already set; the releaser replaces the word with
// the next generation, bit clear, by one exchange and wakes the futex only if the value it
// replaced had the bit. The compare-exchange and the exchange are read-modify-writes of one
// atomic, so they are ordered in its modification order: either the bit was set first (the
// exchange returns it and the releaser wakes), or the exchange came first (the compare-exchange
// fails, finds the new generation and the waiter leaves without sleeping). FUTEX_WAIT sleeps
// only if the word still holds `gen | bit` when the kernel checks it under its own lock, which
// covers the window between the waiter's last load and its sleep. No seq_cst is needed.
//
// Visibility: each arrival's fetch_sub on m_remaining is acq_rel, so the last arriver has
// acquired every earlier arrival's writes before it runs the completion; its exchange is a
// release, and a waiter leaves only after an acquire load (or failed compare-exchange) that
// reads the new generation, either the exchange's value or a later one that a next-round
// waiter's compare-exchange wrote on top of it (a read-modify-write, so it continues the
// exchange's release sequence). The futex carries no happens-before that ThreadSanitizer could
// see, and none is needed. m_remaining is reset before the exchange, so an arrival of the next
// round, which comes after its thread saw the new generation, sees the reset count.
void Barrier::release(std::uint32_t gen) {
    if (m_state.exchange(gen + k_generation_step, std::memory_order_release) & k_sleepers) futex_wake_all(m_state);
}

void Barrier::wait(std::uint32_t gen) {
    const auto passed = [&] { return (m_state.load(std::memory_order_acquire) & ~k_sleepers) != gen; };
    if (m_spin_limit > 0) {
        const std::uint32_t slice = m_spin_limit / k_spin_slices;
        for (std::uint32_t s = 0; s < k_spin_slices; ++s) {
            for (std::uint32_t i = 0; i < slice; ++i) {
                if (passed()) return;
                cpu_relax();
            }
            sched_yield();
        }
    } else {
        // Time-bounded rather than counted: a yield returns at once when nothing else is
        // runnable on this core, and lasts as long as the peer it let in runs when something is.
        const auto until = std::chrono::steady_clock::now() + k_yield_time;
        do {
            if (passed()) return;
            sched_yield();
        } while (std::chrono::steady_clock::now() < until);
    }
    park(gen);
}

void Barrier::park(std::uint32_t gen) {
    std::uint32_t word = m_state.load(std::memory_order_acquire);
    while ((word & ~k_sleepers) == gen) {
        // word is gen (bit clear) or gen | bit: set the bit unless a peer did, then sleep on it.
        if (word == gen &&
            !m_state.compare_exchange_weak(word, gen | k_sleepers, std::memory_order_acquire))
            continue;  // word was reloaded: a new generation, or the bit set by a peer
        futex_wait(m_state, gen | k_sleepers);
        word = m_state.load(std::memory_order_acquire);
    }
}

}  // namespace threadmill
