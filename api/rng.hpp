// Seeded pseudo-random streams: every random choice of a job derives from its one seed.
#pragma once

#include <cstdint>

namespace threadmill {

/// SplitMix64 step (Steele, Lea, Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014): used to expand one 64-bit seed into well-mixed independent states.
constexpr std::uint64_t splitmix64(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/// Streams a job draws from; each thread has one of each, so that what a target does
/// cannot shift the ops and keys the harness draws (the plan stream). `schedule` holds the
/// decisions of a `[chaos] strategy` other than the default (worker/schedule.hpp), apart from the
/// chaos stream so that turning a strategy on does not shift the yields and delays.
enum class Stream : std::uint64_t { plan = 1, target = 2, chaos = 3, setup = 4, fault = 5, schedule = 6 };

/// The seed of stream `stream` of thread `thread` of a job seeded with `job_seed`.
constexpr std::uint64_t derive_seed(std::uint64_t job_seed, Stream stream, std::uint64_t thread) {
    std::uint64_t s = job_seed;
    std::uint64_t a = splitmix64(s);
    s = a ^ (static_cast<std::uint64_t>(stream) * 0xd1b54a32d192ed03ULL);
    std::uint64_t b = splitmix64(s);
    s = b ^ (thread * 0x8cb92ba72f3d8dd7ULL);
    return splitmix64(s);
}

/// xoshiro256** (Blackman and Vigna, "Scrambled linear pseudorandom number generators",
/// 2018): fast, 256 bits of state, good statistical quality. Not for cryptography.
class Rng {
public:
    explicit constexpr Rng(std::uint64_t seed) {
        std::uint64_t s = seed;
        for (auto& word : m_s) word = splitmix64(s);
    }

    constexpr std::uint64_t next() {
        const std::uint64_t result = rotl(m_s[1] * 5, 7) * 9;
        const std::uint64_t t = m_s[1] << 17;
        m_s[2] ^= m_s[0];
        m_s[3] ^= m_s[1];
        m_s[1] ^= m_s[2];
        m_s[0] ^= m_s[3];
        m_s[2] ^= t;
        m_s[3] = rotl(m_s[3], 45);
        return result;
    }

    /// Uniform in [0, 1), 53 bits of precision.
    constexpr double uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

    /// Uniform in [0, n) for n > 0 (Lemire's multiply-shift; the bias is below 2^-64 * n).
    std::uint64_t below(std::uint64_t n) {
        return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
    }

    /// True with probability p.
    constexpr bool chance(double p) { return p > 0 && uniform01() < p; }

private:
    static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t m_s[4]{};
};

}  // namespace threadmill
