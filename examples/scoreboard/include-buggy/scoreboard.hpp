// The example component, before the fix: a scoreboard whose readers keep a raw pointer to scores a writer frees.
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

    /// Replaces the scores with `count` copies of `score` (the previous ones are freed).
    void publish(std::int64_t score, std::size_t count) {
        auto next = std::make_shared<const std::vector<std::int64_t>>(count, score);
        std::lock_guard lock(m_mutex);
        m_scores = std::move(next);
    }

    /// The sum of the latest scores.
    std::int64_t total() const {
        const std::vector<std::int64_t>* scores = nullptr;
        {
            std::lock_guard lock(m_mutex);
            scores = m_scores.get();  // the bug: a raw pointer keeps nothing alive once the lock is gone
        }
        std::int64_t sum = 0;
        for (std::int64_t s : *scores) sum += s;  // reads scores that a publish() may have freed
        return sum;
    }

private:
    mutable std::mutex m_mutex;
    std::shared_ptr<const std::vector<std::int64_t>> m_scores;
};

}  // namespace example
