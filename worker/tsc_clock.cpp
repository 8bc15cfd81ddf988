// The per-operation clock's choice and calibration: when the TSC is trusted, and how many
// nanoseconds a tick is.
#include "worker/tsc_clock.hpp"

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace threadmill {

std::string_view clock_source_name(ClockSource source) {
    switch (source) {
        case ClockSource::tsc: return "tsc";
        case ClockSource::steady: return "steady";
    }
    return "?";
}

namespace {

constexpr std::uint64_t k_one_q32 = std::uint64_t{1} << 32;

#if defined(__x86_64__)

// The kernel clocksources that are the TSC itself or the TSC scaled by the hypervisor
// (kvm-clock: a KVM guest's clock is the TSC with the offset and scale that the host publishes;
// the guest kernel may still have marked the TSC "unstable" as a clocksource of its own, as
// Firecracker guests are booted to, so that a snapshot restored on another host keeps time).
// Any other clocksource (hpet, acpi_pm, ...) means the kernel found the TSC unfit, and so do we.
constexpr std::string_view k_tsc_based_clocksources[] = {"tsc", "kvm-clock"};
// The shortest interval the calibration spans. Each end is located to within a few tens of
// ticks (read_pair), so 2 ms gives a scale good to about 1e-5, far inside the 1/128 width of a
// latency bucket. The interval starts at process start, so in a worker it is usually over by
// the time the job starts and the calibration costs nothing.
constexpr std::chrono::milliseconds k_min_calibration_span{2};

struct Pair {
    std::uint64_t ticks;
    std::int64_t ns;
};

// A TSC reading and a steady_clock reading taken together: the steady reading bracketed by two
// TSC readings, the narrowest bracket of a few (a preempted attempt is wide), paired with the
// middle of its bracket.
Pair read_pair() {
    Pair best{0, 0};
    std::uint64_t best_width = UINT64_MAX;
    for (int attempt = 0; attempt < 7; ++attempt) {
        _mm_lfence();
        const std::uint64_t before = __rdtsc();
        _mm_lfence();
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
        _mm_lfence();
        const std::uint64_t after = __rdtsc();
        if (after >= before && after - before < best_width) {
            best_width = after - before;
            best = {before + (after - before) / 2, ns};
        }
    }
    return best;
}

// The calibration's first end, taken during static initialisation (process start) and kept.
const Pair& anchor() {
    static const Pair pair = read_pair();
    return pair;
}
[[maybe_unused]] const Pair& k_anchor_at_start = anchor();

bool cpu_has_invariant_tsc() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    // __get_cpuid checks the highest extended leaf first; 0x80000007 EDX bit 8 is "invariant TSC"
    // (constant rate in every P-, C- and T-state) on Intel and AMD alike.
    if (__get_cpuid(0x80000007, &eax, &ebx, &ecx, &edx) == 0) return false;
    return (edx & (1u << 8)) != 0;
}

// An unreadable file (no sysfs in a container) leaves the decision to CPUID alone.
bool kernel_clock_is_tsc_based() {
    std::ifstream in("/sys/devices/system/clocksource/clocksource0/current_clocksource");
    std::string name;
    if (!(in >> name)) return true;
    for (const std::string_view ok : k_tsc_based_clocksources) {
        if (name == ok) return true;
    }
    return false;
}

// Nanoseconds per tick (fixed point, 32 fraction bits) from the anchor to now, or nothing if
// the result is not a plausible TSC (below 50 MHz or above 20 GHz).
std::optional<std::uint64_t> calibrate() {
    const Pair first = anchor();
    const auto span = [&] { return std::chrono::nanoseconds(read_pair().ns - first.ns); };
    if (const auto so_far = span(); so_far < k_min_calibration_span)
        std::this_thread::sleep_for(k_min_calibration_span - so_far);
    const Pair second = read_pair();
    if (second.ticks <= first.ticks || second.ns <= first.ns) return std::nullopt;
    const std::uint64_t ticks = second.ticks - first.ticks;
    const auto ns = static_cast<std::uint64_t>(second.ns - first.ns);
    __extension__ using Wide = unsigned __int128;
    const auto q32 = static_cast<std::uint64_t>((static_cast<Wide>(ns) << 32) / ticks);
    if (q32 < k_one_q32 / 20 || q32 > k_one_q32 * 20) return std::nullopt;
    return q32;
}

#endif

bool steady_requested() {
    const char* env = std::getenv("THREADMILL_CLOCK");
    return env != nullptr && std::string_view(env) == "steady";
}

}  // namespace

const TscClock& TscClock::steady() {
    static const TscClock clock(ClockSource::steady, k_one_q32);
    return clock;
}

const TscClock* TscClock::tsc_untrusted() {
#if defined(__x86_64__)
    static const std::optional<TscClock> clock = []() -> std::optional<TscClock> {
        if (const auto q32 = calibrate()) return TscClock(ClockSource::tsc, *q32);
        return std::nullopt;
    }();
    return clock ? &*clock : nullptr;
#else
    return nullptr;
#endif
}

const TscClock& TscClock::process() {
    static const TscClock& clock = []() -> const TscClock& {
        if (steady_requested()) return steady();
#if defined(__x86_64__)
        if (cpu_has_invariant_tsc() && kernel_clock_is_tsc_based()) {
            if (const TscClock* tsc = tsc_untrusted()) return *tsc;
        }
#endif
        return steady();
    }();
    return clock;
}

}  // namespace threadmill
