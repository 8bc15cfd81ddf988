// Findings: their `[expect]` mechanism and their JSON form.
#include "model/finding.hpp"

#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/json_util.hpp"
#include "model/text.hpp"

namespace threadmill {

using nlohmann::json;

namespace {

FindingKind kind_from(const std::string& s) {
    if (const auto k = parse_finding_kind(s)) return *k;
    throw std::runtime_error(fmt::format("unknown finding kind '{}'", s));
}

}  // namespace

bool has_line_info(const Frame& f) { return !f.file.empty() && f.line > 0; }

std::string frame_where(const Frame& f, std::string_view source_root) {
    const std::string function = f.function.empty() ? std::string("??") : f.function;
    if (!has_line_info(f)) {
        const std::string where = !f.file.empty() ? source_relative(f.file, source_root) : f.module;
        return fmt::format("{}{} ({})", function, where.empty() ? "" : " in " + where, k_no_line_info);
    }
    return fmt::format("{}:{} in {}", source_relative(f.file, source_root), f.line, function);
}

std::string mechanism_of(const Finding& f) { return fill_in(info(f.kind).mechanism, f.kind_name, f.check); }

void to_json(json& j, const Frame& v) {
    j = json{{"index", v.index}, {"address", v.address}, {"function", v.function}, {"file", v.file},
             {"line", v.line},   {"column", v.column},   {"module", v.module},     {"user", v.user}};
}
void from_json(const json& j, Frame& v) {
    get_opt(j, "index", v.index);
    get_opt(j, "address", v.address);
    get_opt(j, "function", v.function);
    get_opt(j, "file", v.file);
    get_opt(j, "line", v.line);
    get_opt(j, "column", v.column);
    get_opt(j, "module", v.module);
    get_opt(j, "user", v.user);
}

void to_json(json& j, const StackBlock& v) { j = json{{"title", v.title}, {"frames", v.frames}}; }
void from_json(const json& j, StackBlock& v) {
    get_opt(j, "title", v.title);
    get_opt(j, "frames", v.frames);
}

void to_json(json& j, const Access& v) {
    j = json{{"kind", v.kind},
             {"size", v.size},
             {"atomic", v.atomic},
             {"thread", v.thread},
             {"thread_name", v.thread_name},
             {"mutexes", v.mutexes},
             {"stack", v.stack}};
}
void from_json(const json& j, Access& v) {
    get_opt(j, "kind", v.kind);
    get_opt(j, "size", v.size);
    get_opt(j, "atomic", v.atomic);
    get_opt(j, "thread", v.thread);
    get_opt(j, "thread_name", v.thread_name);
    get_opt(j, "mutexes", v.mutexes);
    get_opt(j, "stack", v.stack);
}

void to_json(json& j, const Finding& v) {
    j = json{{"tool", v.tool},
             {"kind", to_string(v.kind)},
             {"kind_name", v.kind_name},
             {"check", v.check},
             {"headline", v.headline},
             {"summary", v.summary},
             {"accesses", v.accesses},
             {"blocks", v.blocks},
             {"location", v.location},
             {"threads", v.threads},
             {"mutexes", v.mutexes},
             {"user_frame", v.user_frame ? json(*v.user_frame) : json(nullptr)},
             {"fingerprint", v.fingerprint},
             {"raw", v.raw},
             {"truncated", v.truncated}};
}
void from_json(const json& j, Finding& v) {
    get_opt(j, "tool", v.tool);
    v.kind = kind_from(j.at("kind").get<std::string>());
    get_opt(j, "kind_name", v.kind_name);
    get_opt(j, "check", v.check);
    get_opt(j, "headline", v.headline);
    get_opt(j, "summary", v.summary);
    get_opt(j, "accesses", v.accesses);
    get_opt(j, "blocks", v.blocks);
    get_opt(j, "location", v.location);
    get_opt(j, "threads", v.threads);
    get_opt(j, "mutexes", v.mutexes);
    if (auto it = j.find("user_frame"); it != j.end() && !it->is_null()) v.user_frame = it->get<Frame>();
    get_opt(j, "fingerprint", v.fingerprint);
    get_opt(j, "raw", v.raw);
    get_opt(j, "truncated", v.truncated);
}

void to_json(json& j, const SuppressionUse& v) {
    j = json{{"tool", v.tool}, {"pattern", v.pattern}, {"count", v.count}};
}
void from_json(const json& j, SuppressionUse& v) {
    get_opt(j, "tool", v.tool);
    get_opt(j, "pattern", v.pattern);
    get_opt(j, "count", v.count);
}

}  // namespace threadmill
