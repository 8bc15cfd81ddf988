// Key distributions: the uniform, zipf (alias method) and sequential samplers.
#include "worker/keys.hpp"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace threadmill {

namespace {

// P(k) = (k+1)^-theta / H, where H is the generalised harmonic number of `count`.
std::vector<double> zipf_pmf(std::uint64_t count, double theta) {
    std::vector<double> pmf(count);
    for (std::uint64_t k = 0; k < count; ++k) pmf[k] = std::pow(static_cast<double>(k + 1), -theta);
    double total = 0;
    for (std::uint64_t k = count; k-- > 0;) total += pmf[k];  // smallest terms first
    for (double& p : pmf) p /= total;
    return pmf;
}

}  // namespace

KeySampler::KeySampler(const KeySpec& spec) : m_spec(spec) {
    // The scenario loader validates these; this guards callers that build a KeySpec by hand.
    if (spec.count == 0 || spec.count > k_max_key_count) {
        throw std::invalid_argument(
            fmt::format("keys.count must be in [1, {}], got {}", k_max_key_count, spec.count));
    }
    if (spec.distribution != KeyDistribution::zipf) return;
    if (!(spec.zipf_theta > 0) || !std::isfinite(spec.zipf_theta)) {
        throw std::invalid_argument(fmt::format("keys.zipf_theta must be > 0, got {}", spec.zipf_theta));
    }

    // Vose's alias method (M. D. Vose, "A linear algorithm for generating random numbers with a
    // given distribution", IEEE TSE 17(9), 1991): every slot holds at most two keys, itself with
    // probability m_prob[slot] and m_alias[slot] otherwise, so one draw picks a slot and a coin.
    const std::size_t n = spec.count;
    m_pmf = zipf_pmf(n, spec.zipf_theta);
    m_prob.assign(n, 1.0);
    m_alias.resize(n);
    std::vector<double> scaled(n);
    std::vector<std::uint32_t> small;
    std::vector<std::uint32_t> large;
    for (std::size_t k = 0; k < n; ++k) {
        m_alias[k] = static_cast<std::uint32_t>(k);
        scaled[k] = m_pmf[k] * static_cast<double>(n);
        (scaled[k] < 1.0 ? small : large).push_back(static_cast<std::uint32_t>(k));
    }
    while (!small.empty() && !large.empty()) {
        const std::uint32_t less = small.back();
        small.pop_back();
        const std::uint32_t more = large.back();
        m_prob[less] = scaled[less];
        m_alias[less] = more;
        scaled[more] = (scaled[more] + scaled[less]) - 1.0;
        if (scaled[more] < 1.0) {
            large.pop_back();
            small.push_back(more);
        }
    }
    // Whatever is left is 1 up to rounding: those slots keep their own key (m_prob = 1).
}

std::uint64_t KeySampler::next(Rng& rng, std::uint64_t& cursor) const {
    const std::uint64_t r = rng.next();
    const std::uint64_t n = m_spec.count;
    switch (m_spec.distribution) {
    case KeyDistribution::uniform:
        // Lemire's multiply-shift, as Rng::below does.
        return static_cast<std::uint64_t>((static_cast<unsigned __int128>(r) * n) >> 64);
    case KeyDistribution::zipf: {
        // High 32 bits pick the slot (multiply-shift; relative bias at most count / 2^32,
        // i.e. below 0.4% even at k_max_key_count), the disjoint low 32 bits are the coin.
        const std::uint64_t slot = ((r >> 32) * n) >> 32;
        const double coin = static_cast<double>(static_cast<std::uint32_t>(r)) * 0x1.0p-32;
        return coin < m_prob[slot] ? slot : m_alias[slot];
    }
    case KeyDistribution::sequential:
        // The draw is discarded, so that every distribution consumes the same plan stream.
        return cursor++ % n;
    }
    return 0;  // unreachable: every distribution is handled above
}

double KeySampler::probability(std::uint64_t k) const {
    if (k >= m_spec.count) return 0.0;
    switch (m_spec.distribution) {
    case KeyDistribution::uniform:
    case KeyDistribution::sequential:
        return 1.0 / static_cast<double>(m_spec.count);
    case KeyDistribution::zipf:
        return m_pmf[k];
    }
    return 0.0;  // unreachable
}

}  // namespace threadmill
