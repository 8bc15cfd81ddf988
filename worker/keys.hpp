// Key distributions: which key each operation touches.
#pragma once

#include <cstdint>
#include <vector>

#include "api/rng.hpp"
#include "model/scenario.hpp"

namespace threadmill {

/// Draws keys in [0, spec.count). Immutable after construction and shared by all threads;
/// the per-thread part of the state (the sequential cursor) lives in the caller.
///  - uniform: every key equally likely.
///  - zipf: P(rank k) proportional to 1 / (k+1)^theta, key 0 hottest; any theta > 0. Sampled in
///    O(1) with Vose's alias method ("A linear algorithm for generating random numbers with a
///    given distribution", IEEE TSE 1991) over a table built once per job.
///  - sequential: 0, 1, 2, ... wrapping at count, the same walk on every thread.
/// Each call consumes exactly one value of `rng` whatever the distribution, so switching the
/// distribution does not shift the other draws of the plan stream.
class KeySampler {
public:
    explicit KeySampler(const KeySpec& spec);
    std::uint64_t next(Rng& rng, std::uint64_t& cursor) const;
    /// The exact probability of key k (for tests).
    double probability(std::uint64_t k) const;

private:
    KeySpec m_spec;
    std::vector<double> m_prob;          ///< alias method: acceptance probability per slot
    std::vector<std::uint32_t> m_alias;  ///< alias method: the other key of each slot
    std::vector<double> m_pmf;           ///< zipf: exact probabilities, for probability()
};


}  // namespace threadmill
