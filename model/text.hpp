// Small text helpers shared by the loader, the CLI and the reporters.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace threadmill {

/// Levenshtein edit distance (Wagner-Fischer, two rows).
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The closest candidate within a small distance (about a third of the word), or "".
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

/// `; did you mean 'x'?` when a close candidate exists, else "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

/// The root of threadmill's source tree, as built (source paths in findings are shown
/// relative to it).
inline constexpr std::string_view k_source_root = TM_SOURCE_DIR;

/// `file` relative to `source_root` when it lies under it, else `file` unchanged ("" keeps
/// every path as it is).
std::string source_relative(const std::string& file, std::string_view source_root = k_source_root);

}  // namespace threadmill
