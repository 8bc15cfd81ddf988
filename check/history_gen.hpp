// Seeded random histories for testing and benchmarking the checker: processes run random ops
// against a real sequential object, each op taking effect at a random instant inside its
// interval, so the history is linearizable by construction unless asked to be broken.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "check/history.hpp"

namespace threadmill {

/// What to generate. The same options always give the same history.
struct GenOptions {
    std::string model = "register";  ///< a built-in model: register, kv, queue, set, counter
    int processes = 4;               ///< >= 1; at most this many ops are open at once, plus info ops
    int ops = 100;                   ///< >= 0
    /// >= 1. kv ops always carry a key ("k0", "k1", ...); other models carry one only when
    /// keys > 1 (then each key is an independent object).
    int keys = 1;
    /// The chance that an op becomes `info`: its return and output are dropped, and half the
    /// time its effect is not applied. Its process then continues under a fresh process number
    /// (Jepsen's convention: an indeterminate op ends the process).
    double info_rate = 0.0;
    /// Changes the output of one ok op (one that has an output) to a plausible wrong value,
    /// which almost always makes the history not linearizable (but not always: a read may
    /// happen to return a value that another order makes legal). No effect if no op has an
    /// output.
    bool break_history = false;
    std::uint64_t seed = 1;
    int values = 5;        ///< >= 1; distinct values written (ints 0..values-1; kv: letters)
    /// Every written value is distinct (the op's number; kv: "<process>.<number>;"), as in
    /// the MIT 6.824 kv tests' appends, instead of drawn from `values`. Register cas then
    /// expects one of the last few values written; set and counter ignore it.
    bool unique_values = false;
    int max_duration = 10; ///< >= 0; an op lasts a uniform [0, max_duration] time units
    int max_gap = 5;       ///< >= 1; a process waits uniform [1, max_gap] between its ops
};

/// A generated history and what was done to it.
struct GeneratedHistory {
    History history;                       ///< in call order
    std::optional<std::size_t> corrupted;  ///< the op whose output break_history changed
};

/// Generates a history. Throws std::invalid_argument for an unknown model or an option out
/// of range.
GeneratedHistory generate_history(const GenOptions& options);

}  // namespace threadmill
