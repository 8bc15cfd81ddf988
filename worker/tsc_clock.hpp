// The runner's per-operation clock: the CPU's time stamp counter where it is invariant,
// calibrated against steady_clock once per process, and steady_clock itself elsewhere.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace threadmill {

/// What a TscClock reads.
enum class ClockSource {
    tsc,     ///< rdtsc, scaled to nanoseconds by a calibration against steady_clock
    steady,  ///< std::chrono::steady_clock; a tick is a nanosecond
};

/// "tsc" or "steady".
std::string_view clock_source_name(ClockSource source);

/// A monotonic clock whose readings ("ticks") are cheap and whose differences convert to
/// nanoseconds. On x86-64 with an invariant TSC two readings cost about a third of two
/// steady_clock::now() calls; everywhere else it is steady_clock. Readings from different
/// threads are comparable: the TSC is used only where the CPU says it runs at a constant rate
/// and the kernel's own clock is built on it (see tsc_clock.cpp for the rules).
///
/// now() is a plain rdtsc, which the CPU may execute a few tens of cycles before earlier or
/// after later instructions: harmless for an operation's latency, which is bracketed by two
/// readings and recorded in buckets 1/128 wide. When the interval must contain the operation
/// (history records, whose order across threads the linearizability check trusts), read
/// before_op() and after_op() instead: fenced so that the interval can only grow.
class TscClock {
public:
    /// The process's clock, chosen and calibrated on the first call (thread-safe), which may
    /// sleep up to a few milliseconds when the process started less than that ago: the TSC
    /// when trusted, unless THREADMILL_CLOCK=steady; steady_clock otherwise.
    static const TscClock& process();
    /// The steady_clock fallback.
    static const TscClock& steady();
    /// The TSC as process() calibrates it, whether or not it is trusted here; nullptr when this
    /// CPU has no TSC to read (not x86-64) or its calibration failed. For tests and benchmarks.
    static const TscClock* tsc_untrusted();

    ClockSource source() const { return m_source; }

    /// A reading in ticks; only differences (and to_ns of them) mean anything.
    std::uint64_t now() const {
#if defined(__x86_64__)
        if (m_source == ClockSource::tsc) return __rdtsc();
#endif
        return steady_ticks();
    }
    /// A reading that no instruction after it starts before: the start of an interval.
    std::uint64_t before_op() const {
#if defined(__x86_64__)
        if (m_source == ClockSource::tsc) {
            const std::uint64_t t = __rdtsc();
            _mm_lfence();
            return t;
        }
#endif
        return steady_ticks();
    }
    /// A reading taken after every instruction before it has completed: the end of an interval.
    std::uint64_t after_op() const {
#if defined(__x86_64__)
        if (m_source == ClockSource::tsc) {
            _mm_lfence();
            return __rdtsc();
        }
#endif
        return steady_ticks();
    }

    /// Nanoseconds in a (signed) difference of two readings.
    std::int64_t to_ns(std::int64_t ticks) const {
        __extension__ using Wide = __int128;
        return static_cast<std::int64_t>((static_cast<Wide>(ticks) * m_ns_per_tick_q32) >> 32);
    }
    /// Nanoseconds from reading `t0` to a later reading `t1` on the same thread; 0 if `t1` is
    /// earlier (two CPUs' counters a few ticks apart, across a migration).
    std::uint64_t elapsed_ns(std::uint64_t t0, std::uint64_t t1) const {
        return t1 > t0 ? static_cast<std::uint64_t>(to_ns(static_cast<std::int64_t>(t1 - t0))) : 0;
    }
    /// Nanoseconds per tick, as calibrated (1 for steady_clock).
    double ns_per_tick() const { return static_cast<double>(m_ns_per_tick_q32) / 4294967296.0; }

private:
    TscClock(ClockSource source, std::uint64_t ns_per_tick_q32)
        : m_source(source), m_ns_per_tick_q32(ns_per_tick_q32) {}

    static std::uint64_t steady_ticks() {
        return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                              std::chrono::steady_clock::now().time_since_epoch())
                                              .count());
    }

    ClockSource m_source;
    std::uint64_t m_ns_per_tick_q32;  ///< nanoseconds per tick, fixed point with 32 fraction bits
};

}  // namespace threadmill
