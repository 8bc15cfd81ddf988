// The catalog as JSON: how a worker executable tells the driver which targets it holds.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "api/target.hpp"

namespace threadmill {

nlohmann::json catalog_to_json(const Catalog& catalog);
/// Throws std::runtime_error (nlohmann's exceptions included) on a malformed document.
Catalog catalog_from_json(const nlohmann::json& j);
/// "integer", "duration", ...
const char* to_string(ParamType t);
/// A parameter value as a scenario would write it: 1024, "50ms", true, "name".
std::string format_param_value(const ParamValue& v);

}  // namespace threadmill
