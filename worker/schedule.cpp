// Schedule strategies at chaos points: PCT's plan and per-thread state, the start spread, the
// portfolio's slices, and the Scheduler that applies them to a running job.
#include "worker/schedule.hpp"

#include <algorithm>
#include <thread>

#include "api/rng.hpp"

namespace threadmill {
namespace {

/// The `thread` argument of derive_seed for the decisions shared by every thread of a job (no
/// thread has this index), and for the portfolio's order.
constexpr std::uint64_t k_job_wide = std::uint64_t{1} << 32;
constexpr std::uint64_t k_portfolio_order = k_job_wide + 1;

/// Chaos points per thread in one PCT epoch of `sc` (see PctPlan).
std::uint64_t pct_horizon(const Scenario& sc) {
    std::uint64_t ops = 1;
    switch (sc.sync.mode) {
        case SyncMode::start:
            ops = std::min(sc.iterations.value_or(k_pct_start_epoch_ops), k_pct_start_epoch_ops);
            break;
        case SyncMode::rounds: ops = sc.sync.ops_per_round; break;
        case SyncMode::lockstep: ops = 1; break;
    }
    return std::max<std::uint64_t>(ops, 1) * k_pct_points_per_op;
}

}  // namespace

// ---- PctPlan ----------------------------------------------------------------------------------

PctPlan::PctPlan(std::uint64_t job_seed, int threads, int depth, std::uint64_t horizon)
    : m_seed(derive_seed(job_seed, Stream::schedule, k_job_wide)),
      m_threads(std::max(threads, 1)),
      m_depth(std::clamp(depth, 1, k_max_pct_depth)),
      m_horizon(std::max<std::uint64_t>(horizon, 1)) {}

std::uint64_t PctPlan::epoch_seed(std::uint64_t epoch, std::uint64_t part) const {
    return derive_seed(m_seed, Stream::schedule, epoch * 2 + part);
}

// Every thread draws the same key for every thread; a thread's priority is the rank of its key,
// which makes the priorities a uniformly random permutation without a shared table (ties, at
// 2^-64, go to the lower index).
int PctPlan::priority(std::uint64_t epoch, int thread) const {
    const std::uint64_t seed = epoch_seed(epoch, 0);
    Rng keys(seed);
    std::uint64_t mine = 0;
    for (int i = 0; i <= thread && i < m_threads; ++i) mine = keys.next();
    Rng again(seed);
    int rank = 0;
    for (int i = 0; i < m_threads; ++i) {
        const std::uint64_t k = again.next();
        if (k < mine || (k == mine && i < thread)) ++rank;
    }
    return m_depth + rank;
}

void PctPlan::priorities(std::uint64_t epoch, std::vector<int>& out) const {
    struct Key {
        std::uint64_t key;
        int thread;
    };
    std::vector<Key> keys;
    keys.reserve(static_cast<std::size_t>(m_threads));
    Rng rng(epoch_seed(epoch, 0));
    for (int t = 0; t < m_threads; ++t) keys.push_back({rng.next(), t});
    std::sort(keys.begin(), keys.end(),
              [](const Key& a, const Key& b) { return a.key < b.key || (a.key == b.key && a.thread < b.thread); });
    out.assign(static_cast<std::size_t>(m_threads), 0);
    for (std::size_t rank = 0; rank < keys.size(); ++rank) {
        out[static_cast<std::size_t>(keys[rank].thread)] = m_depth + static_cast<int>(rank);
    }
}

std::vector<PctPlan::Change> PctPlan::changes(std::uint64_t epoch) const {
    std::vector<Change> out;
    Rng rng(epoch_seed(epoch, 1));
    const std::uint64_t slots = static_cast<std::uint64_t>(m_threads) * m_horizon;
    const auto want = std::min<std::uint64_t>(static_cast<std::uint64_t>(m_depth - 1), slots);
    std::vector<std::uint64_t> taken;
    while (out.size() < want) {
        const std::uint64_t slot = rng.below(slots);
        if (std::find(taken.begin(), taken.end(), slot) != taken.end()) continue;
        taken.push_back(slot);
        out.push_back({static_cast<int>(slot / m_horizon), slot % m_horizon + 1, static_cast<int>(out.size()) + 1});
    }
    return out;
}

// ---- PctThread --------------------------------------------------------------------------------

void PctThread::begin(const PctPlan& plan, std::uint64_t epoch, int thread) {
    m_epoch = epoch;
    m_points = 0;
    m_next = 0;
    m_count = 0;
    m_priority = plan.priority(epoch, thread);
    // Once per round or epoch, at most k_max_pct_depth - 1 entries: the allocation is not per op.
    for (const auto& c : plan.changes(epoch)) {
        if (c.thread == thread && m_count < m_changes.size()) m_changes[m_count++] = c;
    }
    std::sort(m_changes.begin(), m_changes.begin() + static_cast<std::ptrdiff_t>(m_count),
              [](const PctPlan::Change& a, const PctPlan::Change& b) { return a.point < b.point; });
}

int PctThread::step() {
    ++m_points;
    if (m_next < m_count && m_changes[m_next].point == m_points) m_priority = m_changes[m_next++].priority;
    return m_priority;
}

// ---- StartSpread ------------------------------------------------------------------------------

StartSpread::StartSpread(std::uint64_t job_seed, int thread)
    : m_rng(derive_seed(job_seed, Stream::schedule, static_cast<std::uint64_t>(thread))) {}

Nanos StartSpread::next(Nanos spread) {
    if (spread.count() <= 0) return Nanos(0);
    return Nanos(static_cast<Nanos::rep>(m_rng.below(static_cast<std::uint64_t>(spread.count()) + 1)));
}

// ---- Portfolio --------------------------------------------------------------------------------

Portfolio::Portfolio(std::uint64_t job_seed) {
    std::size_t n = 0;
    for (const auto& row : k_strategies) {
        if (row.in_portfolio) m_order[n++] = row.strategy;
    }
    Rng rng(derive_seed(job_seed, Stream::schedule, k_portfolio_order));
    for (std::size_t i = m_order.size() - 1; i > 0; --i) std::swap(m_order[i], m_order[rng.below(i + 1)]);
}

int Portfolio::slice_at(std::uint64_t done, std::uint64_t total) {
    if (total == 0) return 0;
    return static_cast<int>(std::min<std::uint64_t>(done * k_portfolio_slices / total, k_portfolio_slices - 1));
}

std::uint64_t Portfolio::slice_start(int k, std::uint64_t total) {
    const auto kk = static_cast<std::uint64_t>(std::clamp(k, 0, k_portfolio_slices));
    return (kk * total + k_portfolio_slices - 1) / k_portfolio_slices;
}

int Portfolio::slice_at_time(Nanos elapsed, Nanos duration) {
    if (duration.count() <= 0 || elapsed.count() <= 0) return 0;
    // Durations are at most an hour (and a late round a little more): no overflow at 4x.
    const auto k = elapsed.count() * k_portfolio_slices / duration.count();
    return static_cast<int>(std::min<Nanos::rep>(k, k_portfolio_slices - 1));
}

// ---- Scheduler --------------------------------------------------------------------------------

bool Scheduler::wanted(const ChaosSpec& chaos) {
    return chaos.strategy != Strategy::uniform || chaos.start_spread.count() > 0;
}

Scheduler::Scheduler(const Scenario& sc, std::uint64_t seed)
    : m_plan(seed, sc.thread_count(), sc.chaos.pct_depth, pct_horizon(sc)) {
    const ChaosSpec& chaos = sc.chaos;
    if (chaos.strategy == Strategy::portfolio) {
        const Nanos spread = chaos.start_spread.count() > 0 ? chaos.start_spread : k_portfolio_spread;
        const Portfolio portfolio(seed);
        for (const Strategy s : portfolio.order()) {
            const StrategyInfo& row = info(s);
            m_slices.push_back({&row, row.spread ? spread : Nanos(0)});
        }
    } else {
        m_slices.push_back({&info(chaos.strategy), chaos.start_spread});
    }
    m_hooks = chaos.strategy != Strategy::uniform;
    m_rounds = sc.sync.mode != SyncMode::start;
    m_poll = !m_rounds && sc.duration.has_value() && m_slices.size() > 1;
    const int threads = sc.thread_count();
    m_board = std::make_unique<Published[]>(static_cast<std::size_t>(threads));
    for (int t = 0; t < threads; ++t) m_local.push_back(std::make_unique<Local>(seed, t));
    m_recorded.reserve(k_portfolio_slices);
}

void Scheduler::start(Clock::time_point start) {
    m_start = start;
    m_slice.store(0, std::memory_order_relaxed);
    m_recorded.assign(1, StrategySlice{std::string(m_slices[0].row->name), 0, 0});
    publish(0);
}

void Scheduler::publish(std::uint64_t epoch) {
    const Slice& s = m_slices[static_cast<std::size_t>(m_slice.load(std::memory_order_relaxed))];
    if (!s.row->pct) return;
    m_plan.priorities(epoch, m_priorities);
    for (std::size_t t = 0; t < m_priorities.size(); ++t) m_board[t].priority.store(m_priorities[t], std::memory_order_relaxed);
}

void Scheduler::begin(ThreadContext& ctx, std::uint64_t epoch) {
    const int t = ctx.thread_index;
    Local& me = *m_local[static_cast<std::size_t>(t)];
    // The slice was chosen by the barrier's completion (or is still 0 at the start).
    me.slice = m_slice.load(std::memory_order_relaxed);
    const Slice& s = m_slices[static_cast<std::size_t>(me.slice)];
    if (s.spread.count() > 0) wait_for(me.spread.next(s.spread));
    if (s.row->pct) join_pct(t, me, m_rounds ? epoch : me.next_epoch++);
}

void Scheduler::leave(int thread) { m_board[static_cast<std::size_t>(thread)].priority.store(0, std::memory_order_relaxed); }

void Scheduler::enter_slice(ThreadContext& ctx, int k) {
    Local& me = *m_local[static_cast<std::size_t>(ctx.thread_index)];
    me.entered[static_cast<std::size_t>(k)] = Clock::now();
    switch_to(ctx, me, k);
}

void Scheduler::set_slice(int k, double seconds, std::uint64_t ops) {
    if (k == m_slice.load(std::memory_order_relaxed)) return;
    m_slice.store(k, std::memory_order_relaxed);
    m_recorded.push_back({std::string(m_slices[static_cast<std::size_t>(k)].row->name), seconds, ops});
}

void Scheduler::switch_to(ThreadContext& ctx, Local& me, int k) {
    const int t = ctx.thread_index;
    me.slice = k;
    leave(t);
    const Slice& s = m_slices[static_cast<std::size_t>(k)];
    if (s.spread.count() > 0) wait_for(me.spread.next(s.spread));
    if (s.row->pct) join_pct(t, me, me.next_epoch++);
}

void Scheduler::join_pct(int thread, Local& me, std::uint64_t epoch) {
    me.pct.begin(m_plan, epoch, thread);
    m_board[static_cast<std::size_t>(thread)].priority.store(me.pct.priority(), std::memory_order_relaxed);
}

void Scheduler::at_point(ThreadContext& ctx) {
    const int t = ctx.thread_index;
    Local& me = *m_local[static_cast<std::size_t>(t)];
    if (m_poll) {
        const int k = m_slice.load(std::memory_order_relaxed);
        if (k != me.slice) switch_to(ctx, me, k);
    }
    const Slice& s = m_slices[static_cast<std::size_t>(me.slice)];
    if (s.row->pct) pct_point(t, me);
    if (s.row->noise) ctx.noise();
}

void Scheduler::pct_point(int thread, Local& me) {
    // Start mode has no rounds: a thread begins its next epoch after `horizon` of its own points.
    if (!m_rounds && me.pct.points() >= m_plan.horizon()) join_pct(thread, me, me.next_epoch++);
    const int before = me.pct.priority();
    const int priority = me.pct.step();
    if (priority != before) m_board[static_cast<std::size_t>(thread)].priority.store(priority, std::memory_order_relaxed);
    if (!outranked(thread, priority)) return;
    // Bounded: the thread we yield to may be blocked on a lock this one holds.
    const auto until = Clock::now() + k_pct_max_wait;
    do {
        std::this_thread::yield();
    } while (outranked(thread, priority) && Clock::now() < until);
}

bool Scheduler::outranked(int thread, int priority) const {
    const int n = static_cast<int>(m_local.size());
    for (int u = 0; u < n; ++u) {
        if (u != thread && m_board[static_cast<std::size_t>(u)].priority.load(std::memory_order_relaxed) > priority)
            return true;
    }
    return false;
}

void Scheduler::wait_for(Nanos how_long) {
    if (how_long.count() <= 0) return;
    // Busy-wait with yields, as a chaos delay does: sleeping would round short waits up to a tick.
    const auto until = Clock::now() + how_long;
    while (Clock::now() < until) std::this_thread::yield();
}

std::vector<StrategySlice> Scheduler::schedule(int threads, std::uint64_t iterations) const {
    const bool per_thread = !m_rounds && !m_poll && m_slices.size() > 1;
    if (!per_thread) return m_recorded;
    // Start mode with iterations: every thread moves on after its own share of operations; a slice
    // begins when the first thread enters it, after every thread's share of the slices before.
    std::vector<StrategySlice> out;
    for (int k = 0; k < slice_count(); ++k) {
        const std::uint64_t first = Portfolio::slice_start(k, iterations);
        if (first == Portfolio::slice_start(k + 1, iterations)) continue;  // fewer iterations than slices
        double seconds = 0;
        if (k > 0) {
            auto earliest = Clock::time_point::max();
            for (const auto& l : m_local) earliest = std::min(earliest, l->entered[static_cast<std::size_t>(k)]);
            seconds = std::chrono::duration<double>(earliest - m_start).count();
        }
        out.push_back({std::string(m_slices[static_cast<std::size_t>(k)].row->name), seconds,
                       first * static_cast<std::uint64_t>(threads)});
    }
    return out;
}

}  // namespace threadmill
