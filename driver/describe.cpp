// Asking a worker executable which targets it holds and how it was built (`threadmill-worker --describe`).
#include "driver/describe.hpp"

#include <sys/wait.h>

#include <cstdio>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/catalog_json.hpp"

namespace threadmill {

using nlohmann::json;

WorkerDescription describe_worker_build(const std::string& worker) {
    const std::string cmd = "'" + worker + "' --describe 2>&1";
    FILE* pipe = ::popen(cmd.c_str(), "r");
    if (pipe == nullptr) throw std::runtime_error(fmt::format("cannot run {}", worker));
    std::string text;
    char buffer[4096];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) text.append(buffer, n);
    const int status = ::pclose(pipe);
    if (status != 0) {
        throw std::runtime_error(fmt::format("{} --describe failed (status {}): {}", worker,
                                             WIFEXITED(status) ? WEXITSTATUS(status) : -1, text.substr(0, 500)));
    }
    try {
        const json j = json::parse(text);
        WorkerDescription d{catalog_from_json(j), std::nullopt};
        if (auto it = j.find("build"); it != j.end() && it->is_object()) d.build = it->get<WorkerBuild>();
        return d;
    } catch (const std::exception& e) {
        throw std::runtime_error(fmt::format("{} --describe did not print a catalog: {}", worker, e.what()));
    }
}

Catalog describe_worker(const std::string& worker) { return describe_worker_build(worker).catalog; }

}  // namespace threadmill
