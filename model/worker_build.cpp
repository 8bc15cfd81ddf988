// The build of one worker executable, as its generated source records it and as JSON.
#include "model/worker_build.hpp"

#include <string_view>

#include <nlohmann/json.hpp>

#include "model/json_util.hpp"
#include "model/text.hpp"

namespace threadmill {

using nlohmann::json;

WorkerBuild worker_build_from_table(const char* const* table) {
    WorkerBuild b;
    for (const char* const* at = table; at != nullptr && at[0] != nullptr && at[1] != nullptr; at += 2) {
        const std::string_view key = at[0];
        std::string value(trim(at[1]));
        if (key == "compiler") b.compiler = std::move(value);
        else if (key == "compile_flags") b.compile_flags = std::move(value);
        else if (key == "build_type") b.build_type = std::move(value);
        else if (key == "flavor") b.flavor = std::move(value);
        else if (key == "variant_build") b.variant_build = std::move(value);
    }
    return b;
}

void to_json(json& j, const WorkerBuild& v) {
    j = json{{"compiler", v.compiler},
             {"compile_flags", v.compile_flags},
             {"build_type", v.build_type},
             {"flavor", v.flavor},
             {"variant_build", v.variant_build}};
}

void from_json(const json& j, WorkerBuild& v) {
    get_opt(j, "compiler", v.compiler);
    get_opt(j, "compile_flags", v.compile_flags);
    get_opt(j, "build_type", v.build_type);
    get_opt(j, "flavor", v.flavor);
    get_opt(j, "variant_build", v.variant_build);
}

void to_json(json& j, const WorkerUse& v) {
    j = json{{"path", v.path}, {"flavor", v.flavor}, {"variant_build", v.variant_build}};
    if (v.build) j["build"] = *v.build;
}

void from_json(const json& j, WorkerUse& v) {
    j.at("path").get_to(v.path);
    get_opt(j, "flavor", v.flavor);
    get_opt(j, "variant_build", v.variant_build);
    if (auto it = j.find("build"); it != j.end() && it->is_object()) v.build = it->get<WorkerBuild>();
}

}  // namespace threadmill
