// The scoreboard's adapter: the same code in the buggy and the fixed build; which scoreboard.hpp it sees is the build's choice.
#include <cstdint>
#include <string>

#include "api/threadmill.hpp"
#include "scoreboard.hpp"

namespace {

constexpr std::int64_t k_scores = 4096;   // scores per publish: a long read, a wide window
constexpr std::int64_t k_max_score = 1000;

class ScoreboardAdapter {
public:
    ScoreboardAdapter() { m_board.publish(1, k_scores); }

    void publish(threadmill::Call& call) { m_board.publish(call.arg(), k_scores); }

    void total(threadmill::Call& call) {
        const std::int64_t total = m_board.total();
        // Every publish is 4096 copies of one score in [1, 1000]: any other total read a torn or freed list.
        if (total % k_scores != 0 || total < k_scores || total > k_scores * k_max_score) {
            call.violate("consistent_total", "total() returned " + std::to_string(total));
        }
    }

private:
    example::Scoreboard m_board;
};

THREADMILL_TARGET(
    threadmill::target<ScoreboardAdapter>("scoreboard")
        .describe("a scoreboard whose readers sum the latest published scores (examples/scoreboard)")
        .mutant("buggy", "race", "include-buggy/scoreboard.hpp: total() reads through a raw pointer after unlocking")
        .variant("fixed", "include-fixed/scoreboard.hpp: total() holds a shared_ptr to what it reads")
        .op("publish", &ScoreboardAdapter::publish, "publish 4096 copies of one score").args(threadmill::uniform(1, k_max_score))
        .op("total", &ScoreboardAdapter::total, "sum the latest scores")
        .invariant("consistent_total", "a total is 4096 times one published score"));

}  // namespace
