// Schedule strategies at chaos points (`[chaos] strategy`, model/schedule.hpp): PCT priorities, the
// start spread and the portfolio. The pure parts (PctPlan, PctThread, StartSpread, Portfolio) decide
// everything from the seed; Scheduler applies them to a running job.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "api/target.hpp"
#include "model/result.hpp"
#include "model/scenario.hpp"

namespace threadmill {

/// How long a thread outranked at a chaos point waits at most for the higher-priority threads
/// before it runs anyway: a lower-priority thread may hold a lock the higher one needs.
inline constexpr Nanos k_pct_max_wait = std::chrono::microseconds(50);
/// Chaos points per operation assumed when sizing a PCT epoch: the runner's one before each
/// operation and, as a guess, one inside it.
inline constexpr std::uint64_t k_pct_points_per_op = 2;
/// Start mode: operations per thread in one PCT epoch (fewer when the job has fewer iterations).
inline constexpr std::uint64_t k_pct_start_epoch_ops = 512;

/// PCT's decisions for one job, after Burckhardt, Kothari, Musuvathi and Nagarakatte, "A Randomized
/// Scheduler with Probabilistic Guarantees of Finding Bugs" (ASPLOS 2010). A pure function of the
/// seed and the epoch (a round in rounds and lockstep mode; a block of `horizon` chaos points of each
/// thread in start mode): at the start of an epoch the threads get the distinct priorities depth ..
/// depth + threads - 1 in a random order, and depth - 1 change points are drawn uniformly among the
/// epoch's threads x horizon chaos points; at the i-th drawn (thread, point) that thread's priority
/// drops to i (1-based), below every starting priority.
class PctPlan {
public:
    struct Change {
        int thread = 0;
        std::uint64_t point = 0;  ///< 1-based: the thread's point-th chaos point of the epoch
        int priority = 0;         ///< 1 .. depth - 1
    };

    /// `depth` 1 .. k_max_pct_depth, `threads` >= 1, `horizon` >= 1.
    PctPlan(std::uint64_t job_seed, int threads, int depth, std::uint64_t horizon);

    int threads() const { return m_threads; }
    int depth() const { return m_depth; }
    std::uint64_t horizon() const { return m_horizon; }
    /// Thread `thread`'s priority at the start of `epoch`.
    int priority(std::uint64_t epoch, int thread) const;
    /// Every thread's priority at the start of `epoch` (the same as priority(), all at once).
    void priorities(std::uint64_t epoch, std::vector<int>& out) const;
    /// The change points of `epoch`, in the order drawn (the i-th has priority i + 1).
    std::vector<Change> changes(std::uint64_t epoch) const;

private:
    std::uint64_t epoch_seed(std::uint64_t epoch, std::uint64_t part) const;
    std::uint64_t m_seed;
    int m_threads;
    int m_depth;
    std::uint64_t m_horizon;
};

/// One thread's PCT priority through an epoch: no clock, no atomics; allocates only in begin().
class PctThread {
public:
    /// Starts `epoch` of `plan` for `thread`: its starting priority and its own change points.
    void begin(const PctPlan& plan, std::uint64_t epoch, int thread);
    /// Counts one chaos point; returns the priority from this point on.
    int step();
    int priority() const { return m_priority; }
    std::uint64_t epoch() const { return m_epoch; }
    std::uint64_t points() const { return m_points; }

private:
    std::array<PctPlan::Change, k_max_pct_depth> m_changes{};  ///< this thread's, by point
    std::size_t m_count = 0;
    std::size_t m_next = 0;
    std::uint64_t m_epoch = 0;
    std::uint64_t m_points = 0;
    int m_priority = 0;
};

/// A thread's seeded waits before its first operation of the job, of each round and of a spreading
/// portfolio slice: uniform in [0, spread], from its own schedule stream.
class StartSpread {
public:
    StartSpread(std::uint64_t job_seed, int thread);
    Nanos next(Nanos spread);

private:
    Rng m_rng;
};

/// A portfolio's slices: which strategy runs in each of k_portfolio_slices equal parts of the job,
/// in a seeded order, and where the parts begin.
class Portfolio {
public:
    explicit Portfolio(std::uint64_t job_seed);
    std::span<const Strategy> order() const { return m_order; }
    /// The slice position `done` (ops of a thread, or rounds, 0-based) of `total` is in.
    static int slice_at(std::uint64_t done, std::uint64_t total);
    /// The first position of slice `k` (0 .. k_portfolio_slices; the last gives `total`).
    static std::uint64_t slice_start(int k, std::uint64_t total);
    /// The slice `elapsed` of a job lasting `duration` is in.
    static int slice_at_time(Nanos elapsed, Nanos duration);

private:
    std::array<Strategy, k_portfolio_slices> m_order{};
};

/// Runs one job's strategy: the runner makes one when the job's strategy is not plain uniform or
/// it spreads its starts, calls begin() after every barrier and leave() before it, and installs it
/// as every ThreadContext's ChaosSchedule when chaos points need it (pct, portfolio).
///
/// PCT here is an approximation: the OS schedules the threads, so a thread outranked at a chaos
/// point waits (yielding) until no thread of higher priority is in the run (one that has not
/// finished and is not parked at a barrier), but at most k_pct_max_wait. Guaranteed: every decision
/// (priorities, change points, spreads, the portfolio's order) replays with the seed; no wait is
/// unbounded, so a component's own locks cannot deadlock with it; priorities are read and written
/// with relaxed atomics only, so it adds no happens-before edge a sanitizer could see. Not
/// guaranteed: that the highest-priority thread is the only one running (a thread between chaos
/// points, or one whose wait ran out, runs alongside it), nor the paper's bound of
/// 1 / (n k^(d-1)) per run, nor that the same seed gives the same interleaving.
class Scheduler final : public ChaosSchedule {
public:
    Scheduler(const Scenario& sc, std::uint64_t seed);

    /// Whether a job with `chaos` needs a Scheduler at all (plain uniform without a spread does not).
    static bool wanted(const ChaosSpec& chaos);
    /// Whether chaos points must call at_point (pct, portfolio).
    bool hooks_chaos_points() const { return m_hooks; }
    /// 1, or k_portfolio_slices.
    int slice_count() const { return static_cast<int>(m_slices.size()); }

    /// The start barrier's completion: slice 0 begins at `start`.
    void start(std::chrono::steady_clock::time_point start);
    /// A barrier's completion, before the release into `epoch` (0 at the start; the next round's
    /// index): when the slice is pct, every thread is in PCT's run from the release on, with its
    /// priority, so that the first to wake does not run ahead of higher ones not yet awake.
    void publish(std::uint64_t epoch);
    /// Thread `ctx` leaves the start barrier (epoch 0) or round `epoch`'s barrier: takes up the
    /// job's current slice, waits its spread if the slice spreads, then joins PCT's run.
    void begin(ThreadContext& ctx, std::uint64_t epoch);
    /// Thread `thread` parks at a barrier or finishes: no thread waits for it meanwhile.
    void leave(int thread);
    /// Start mode with iterations: thread `ctx` begins slice `k` of its own operations.
    void enter_slice(ThreadContext& ctx, int k);
    /// The job moves to slice `k` (a round's completion, or the main thread in start mode with a
    /// duration), `seconds` after the start with `ops` done; no-op when `k` is the current one.
    void set_slice(int k, double seconds, std::uint64_t ops);

    void at_point(ThreadContext& ctx) override;

    /// The slices the job ran, in order; `threads` and `iterations` for start mode with iterations.
    std::vector<StrategySlice> schedule(int threads, std::uint64_t iterations) const;

private:
    using Clock = std::chrono::steady_clock;
    struct alignas(64) Published {
        std::atomic<int> priority{0};  ///< 0: not in PCT's run (parked, finished, or not in a pct slice)
    };
    struct alignas(64) Local {
        explicit Local(std::uint64_t seed, int thread) : spread(seed, thread) {}
        int slice = 0;
        PctThread pct;
        StartSpread spread;
        std::uint64_t next_epoch = 0;  ///< start mode: the next PCT epoch this thread begins
        std::array<Clock::time_point, k_portfolio_slices> entered{};  ///< start mode with iterations
    };
    struct Slice {
        const StrategyInfo* row;
        Nanos spread;
    };

    void switch_to(ThreadContext& ctx, Local& me, int k);
    void join_pct(int thread, Local& me, std::uint64_t epoch);
    void pct_point(int thread, Local& me);
    bool outranked(int thread, int priority) const;
    static void wait_for(Nanos how_long);

    std::vector<Slice> m_slices;
    bool m_hooks = false;
    bool m_rounds = false;  ///< epochs are rounds (rounds, lockstep); else blocks of horizon points
    bool m_poll = false;    ///< start mode with a duration: threads follow m_slice at chaos points
    PctPlan m_plan;
    std::unique_ptr<Published[]> m_board;
    std::vector<std::unique_ptr<Local>> m_local;
    std::atomic<int> m_slice{0};  ///< the job's current slice (rounds, lockstep, start with a duration)
    Clock::time_point m_start;
    std::vector<StrategySlice> m_recorded;  ///< written by one thread at a time: completions, the main thread
    std::vector<int> m_priorities;          ///< publish()'s scratch
};

}  // namespace threadmill
