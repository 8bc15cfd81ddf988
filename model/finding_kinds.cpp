// Finding kinds: the table of model/finding_kinds.def, checked when compiled, and the lookups it serves.
#include "model/finding_kinds.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace threadmill {
namespace {

constexpr FindingKindInfo k_kinds[] = {
#define TM_FINDING_KIND(id, tool, kind_name, mechanism, names, flow, level, category, short_description, help) \
    {FindingKind::id, #id, tool, kind_name, mechanism, names, CodeFlow::flow, level, category, short_description, help},
#include "model/finding_kinds.def"
#undef TM_FINDING_KIND
};

// Whether every brace of `text` is one of the placeholders {kind_name} (when allowed) or {check}.
constexpr bool placeholders_ok(std::string_view text, bool kind_name_allowed) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '}') return false;
        if (text[i] != '{') continue;
        const auto rest = text.substr(i);
        if (rest.starts_with("{check}")) {
            i += 6;
        } else if (kind_name_allowed && rest.starts_with("{kind_name}")) {
            i += 10;
        } else {
            return false;
        }
    }
    return true;
}

constexpr bool table_ok() {
    for (std::size_t i = 0; i < std::size(k_kinds); ++i) {
        const auto& row = k_kinds[i];
        if (static_cast<std::size_t>(row.kind) != i) return false;
        if (row.level != "error" && row.level != "warning") return false;
        if (!placeholders_ok(row.kind_name, false)) return false;
        for (const auto column : {row.mechanism, row.short_description, row.help}) {
            if (!placeholders_ok(column, true)) return false;
        }
    }
    return true;
}

static_assert(table_ok(), "model/finding_kinds.def: a row out of order, a level other than error or warning, or a "
                          "placeholder other than {kind_name} and {check} (kind_name: only {check})");
static_assert(k_kinds[std::size(k_kinds) - 1].kind == FindingKind::unrecognized,
              "model/finding_kinds.def: unrecognized must stay the last row (callers iterate up to it)");

// Whether `called` matches `pattern`: whole, as a prefix ("data race*") or anywhere ("*mutex*").
bool matches(std::string_view pattern, std::string_view called) {
    if (pattern.size() > 1 && pattern.starts_with('*') && pattern.ends_with('*'))
        return called.find(pattern.substr(1, pattern.size() - 2)) != std::string_view::npos;
    if (pattern.ends_with('*')) return called.starts_with(pattern.substr(0, pattern.size() - 1));
    return called == pattern;
}

}  // namespace

std::span<const FindingKindInfo> all_finding_kinds() { return k_kinds; }

const FindingKindInfo& info(FindingKind k) { return k_kinds[static_cast<std::size_t>(k)]; }

std::string_view to_string(FindingKind k) { return info(k).name; }

std::optional<FindingKind> parse_finding_kind(std::string_view name) {
    for (const auto& row : k_kinds) {
        if (row.name == name) return row.kind;
    }
    return std::nullopt;
}

std::vector<std::string_view> report_names(const FindingKindInfo& row) {
    std::vector<std::string_view> out;
    for (std::size_t pos = 0; pos < row.names.size();) {
        const auto bar = std::min(row.names.find('|', pos), row.names.size());
        if (bar > pos) out.push_back(row.names.substr(pos, bar - pos));
        pos = bar + 1;
    }
    return out;
}

std::optional<FindingKind> kind_called(std::string_view tool, std::string_view called) {
    for (const auto& row : k_kinds) {
        if (row.tool != tool) continue;
        for (const auto pattern : report_names(row)) {
            if (matches(pattern, called)) return row.kind;
        }
    }
    return std::nullopt;
}

std::string fill_in(std::string_view column, std::string_view kind_name, std::string_view check) {
    return fmt::format(fmt::runtime(column), fmt::arg("kind_name", kind_name), fmt::arg("check", check));
}

std::string kind_name_of(FindingKind k, std::string_view check) { return fill_in(info(k).kind_name, "", check); }

}  // namespace threadmill
