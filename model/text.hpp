// Small text helpers: the one home of trimming, case, search, "did you mean" and source paths.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace threadmill {

/// `s` without leading and trailing blanks (space, tab, CR, LF).
std::string_view trim(std::string_view s);

/// `s` with ASCII letters in lower case.
std::string to_lower(std::string_view s);

/// `s` with ASCII letters in upper case.
std::string to_upper(std::string_view s);

/// Whether `part` occurs in `s`.
bool contains(std::string_view s, std::string_view part);

/// Whether `names` holds `name`.
bool contains(const std::vector<std::string>& names, std::string_view name);

/// The 64-bit FNV-1a hash of `s` (Fowler, Noll, Vo): stable across runs and builds.
std::uint64_t fnv1a(std::string_view s);

/// Levenshtein edit distance (Wagner-Fischer, two rows).
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The closest candidate within a small distance (about a third of the word), or "".
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

/// `; did you mean 'x'?` when a close candidate exists, else "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

/// `; did you mean 'x'?` when a close candidate exists, else ` (one of: a, b, c)` (or "" when
/// there is no candidate at all).
std::string suggestion(std::string_view word, const std::vector<std::string>& candidates);

/// The name of a function without scope, template arguments, parameters, qualifiers or clone suffix:
/// "std::foo<int>::bar(int) const [clone .cold]" -> "bar"; "operator()" and "operator new" stay whole.
std::string bare_function_name(std::string_view fn);

/// The root of threadmill's source tree, as built (source paths in findings are shown
/// relative to it).
inline constexpr std::string_view k_source_root = TM_SOURCE_DIR;

/// `file` relative to `source_root` when it lies under it, else `file` unchanged ("" keeps
/// every path as it is).
std::string source_relative(const std::string& file, std::string_view source_root = k_source_root);

}  // namespace threadmill
