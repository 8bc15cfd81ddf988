// Hand-made history operations for the checker's tests (check/history.hpp's Operation).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "check/history.hpp"

namespace threadmill::test {

/// A completed op: `process` called `name` with `input` at `call` and got `output` at `ret`.
inline Operation ok(int process, std::string name, nlohmann::json input, nlohmann::json output, std::int64_t call,
                    std::int64_t ret, std::optional<std::string> key = std::nullopt) {
    Operation op;
    op.process = process;
    op.op = std::move(name);
    op.key = std::move(key);
    op.input = std::move(input);
    op.output = std::move(output);
    op.call = call;
    op.ret = ret;
    return op;
}

/// An op whose outcome is unknown (status info): it never returned.
inline Operation info(int process, std::string name, nlohmann::json input, std::int64_t call,
                      std::optional<std::string> key = std::nullopt) {
    Operation op = ok(process, std::move(name), std::move(input), nullptr, call, k_never_returned, std::move(key));
    op.status = OpStatus::info;
    return op;
}

}  // namespace threadmill::test
