// The example component, after the fix: a reader holds a reference to the scores it sums, so a publish cannot free them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace example {

/// The latest scores of a game: `publish` replaces them all, `total` sums them; both from any thread.
class Scoreboard {
public:
    Scoreboard() : m_scores(std::make_shared<const std::vector<std::int64_t>>()) {}

    /// Replaces the scores with `count` copies of `score` (the previous ones are freed when no reader holds them).
    void publish(std::int64_t score, std::size_t count) {
        auto next = std::make_shared<const std::vector<std::int64_t>>(count, score);
        std::lock_guard lock(m_mutex);
        m_scores = std::move(next);
    }

    /// The sum of the latest scores.
    std::int64_t total() const {
        std::shared_ptr<const std::vector<std::int64_t>> scores;
        {
            std::lock_guard lock(m_mutex);
            scores = m_scores;  // the fix: this reader's own reference keeps the scores alive
        }
        std::int64_t sum = 0;
        for (std::int64_t s : *scores) sum += s;
        return sum;
    }

private:
    mutable std::mutex m_mutex;
    std::shared_ptr<const std::vector<std::int64_t>> m_scores;
};

}  // namespace example
