// The build of one worker executable (compiler, flags, flavor, variant build), as it reports it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace threadmill {

/// What threadmill_add_worker() recorded about one worker executable when it was built
/// (cmake/threadmill_add_worker.cmake): `--describe` prints it as the object "build".
struct WorkerBuild {
    std::string compiler;       ///< CMake's compiler id and version, e.g. "GNU 12.2.0"
    /// CMAKE_CXX_FLAGS, the build type's flags and the executable's compile options (those of
    /// the libraries it links included: a sanitizer flavor's flags); not its include
    /// directories, compile definitions or language standard.
    std::string compile_flags;
    std::string build_type;     ///< CMake's build type ("" when none was set)
    std::string flavor;         ///< plain, tsan, ...
    std::string variant_build;  ///< the variant this executable was built for; "" for the default build
};

/// The build of a worker executable, from the key/value table its generated source holds
/// (pairs of strings, ended by a null pointer). Unknown keys are ignored.
WorkerBuild worker_build_from_table(const char* const* table);

void to_json(nlohmann::json& j, const WorkerBuild& v);
void from_json(const nlohmann::json& j, WorkerBuild& v);

/// One worker executable a run used: where it is and how it was built (`build` is empty when
/// the worker, built without threadmill_add_worker(), did not say).
struct WorkerUse {
    std::string path;
    std::string flavor;
    std::string variant_build;  ///< "" for the default build
    std::optional<WorkerBuild> build;
};

void to_json(nlohmann::json& j, const WorkerUse& v);
void from_json(const nlohmann::json& j, WorkerUse& v);

}  // namespace threadmill
