// The scoreboard's adapter: the same code in the buggy and the fixed build; which scoreboard.hpp it sees is the build's choice.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "api/threadmill.hpp"
#include "scoreboard.hpp"

namespace {

constexpr std::int64_t k_scores = 4096;   // scores per publish: a long read, a wide window
constexpr std::int64_t k_max_score = 1000;

class ScoreboardAdapter {
public:
    ScoreboardAdapter() { m_board.publish(1, k_scores); }

    // Each operation records itself for the linearizability check (scenario [check]), in the
    // terms of the scoreboard's model below; when the job records nothing these do nothing.
    void publish(threadmill::Call& call) {
        call.invoke({.op = "publish", .input = call.arg()});
        m_board.publish(call.arg(), k_scores);
        call.ok();
    }

    void total(threadmill::Call& call) {
        call.invoke({.op = "total"});
        const std::int64_t total = m_board.total();
        call.ok(total);
        // Every publish is 4096 copies of one score in [1, 1000]: any other total read a torn or freed list.
        if (total % k_scores != 0 || total < k_scores || total > k_scores * k_max_score) {
            call.violate("consistent_total", "total() returned " + std::to_string(total));
        }
    }

private:
    example::Scoreboard m_board;
};

// The scoreboard as a sequential object, the model its history is checked against: the state is
// the score last published (1, the adapter's first publish), and a total is 4096 times it.
std::vector<threadmill::HistoryValue> scoreboard_step(const threadmill::HistoryValue& state,
                                                      const threadmill::ModelOp& op) {
    if (op.op == "publish") return {op.input};
    if (op.op == "total") {
        if (op.known && op.output.as_int() != state.as_int() * k_scores) return {};  // no such total now
        return {state};
    }
    throw std::invalid_argument("unknown op '" + op.op + "' (the scoreboard model has publish and total)");
}

THREADMILL_TARGET(
    threadmill::target<ScoreboardAdapter>("scoreboard")
        .describe("a scoreboard whose readers sum the latest published scores (examples/scoreboard)")
        .mutant("buggy", "race", "include-buggy/scoreboard.hpp: total() reads through a raw pointer after unlocking")
        .variant("fixed", "include-fixed/scoreboard.hpp: total() holds a shared_ptr to what it reads")
        .op("publish", &ScoreboardAdapter::publish, "publish 4096 copies of one score").args(threadmill::uniform(1, k_max_score))
        .op("total", &ScoreboardAdapter::total, "sum the latest scores")
        .invariant("consistent_total", "a total is 4096 times one published score")
        .model(threadmill::SequentialModel{.name = "scoreboard",
                                           .help = "publish: input the score; total: output 4096 times the last score published (1 at first)",
                                           .initial = 1,
                                           .step = scoreboard_step,
                                           .by_key = false}));

}  // namespace
