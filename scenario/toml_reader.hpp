// Internal to the loader: typed TOML reads that report problems as file:line:col diagnostics.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "model/scenario.hpp"
#include "model/text.hpp"

namespace threadmill::loader_detail {

using Names = std::vector<std::string>;

/// A key of a table with its value.
using Entry = std::pair<const toml::key*, const toml::node*>;

/// "'a', 'b', 'c'".
std::string quoted_list(const Names& names);

/// Whether `s` is a non-empty run of letters, digits, '.', '_' and '-' (scenario and group names).
bool is_identifier(std::string_view s);

/// A duration bound for messages, exact and in the largest unit that fits: "1us", "1.5ms".
std::string bound_duration(double ns);

/// A numeric bound for messages: integral values without a fraction.
std::string bound_number(double v);

/// "between 1 and 256", "at least 1", "greater than 0 and at most 10", "at most 10".
std::string range_text(const std::string& lo, bool has_lo, bool lo_exclusive, const std::string& hi, bool has_hi);

/// toml++'s error description reworded as "invalid TOML: <what> (while parsing <where>)".
std::string toml_message(std::string_view description);

/// The entries of `t` in the order the file writes them (toml++ keeps them sorted by key).
std::vector<Entry> in_file_order(const toml::table& t);

/// Collects diagnostics against one file. Each `read_*` returns the value, or nullopt after
/// reporting why it is not acceptable; nothing is ever reported twice for one value.
class TomlReader {
public:
    explicit TomlReader(const std::string& path) : m_path(path) {}

    /// The file the diagnostics name.
    const std::string& path() const { return m_path; }

    /// The number of diagnostics so far (compare before and after a read to see if it failed).
    std::size_t error_count() const { return m_diagnostics.size(); }

    /// The diagnostics so far, ordered by position in the file (stable for equal positions).
    std::vector<Diagnostic> take_sorted_diagnostics();

protected:
    void error(const toml::source_position& at, std::string message);
    void error(const toml::node& at, std::string message);
    void error(const toml::key& at, std::string message);
    /// A problem in another file the scenario names (a suppression file), at `at`.
    void error(SourceLoc at, std::string message);

    SourceLoc loc(const toml::node& n) const;
    SourceLoc loc(const toml::key& k) const;

    /// The key `name` of `t`, or nullptr when `t` has none.
    static const toml::key* key_of(const toml::table& t, std::string_view name);

    /// "<label> must be <expected>, got <the node's type>".
    void type_error(const toml::node& n, std::string_view label, std::string_view expected);

    /// Reports every key of `t` not in `known`: `<prefix>unknown key 'k'<suffix>` and a suggestion.
    void check_keys(const toml::table& t, const Names& known, std::string_view prefix, std::string_view suffix);

    std::optional<std::string> read_string(const toml::node& n, std::string_view label);
    std::optional<bool> read_boolean(const toml::node& n, std::string_view label);

    /// An integer within [lo, hi]; the limits of std::int64_t mean "no bound".
    std::optional<std::int64_t> read_integer(const toml::node& n, std::string_view label, std::int64_t lo,
                                             std::int64_t hi);

    /// An integer or a float, finite, within [lo, hi] (or (lo, hi] when lo_exclusive); the
    /// limits of double mean "no bound".
    std::optional<double> read_number(const toml::node& n, std::string_view label, double lo, bool lo_exclusive,
                                      double hi);

    /// A duration string (model/units grammar) within [lo, hi] nanoseconds (or (lo, hi] when
    /// lo_exclusive); `range` words the bounds in the out-of-range message.
    std::optional<Nanos> read_duration(const toml::node& n, std::string_view label, double lo, bool lo_exclusive,
                                       double hi, const std::string& range);

    /// The same with the bounds worded from `lo` and `hi` ("greater than 0 and at most 1h").
    std::optional<Nanos> read_duration(const toml::node& n, std::string_view label, Nanos lo, bool lo_exclusive,
                                       Nanos hi);

    /// A string out of `choices`.
    std::optional<std::string> read_choice(const toml::node& n, std::string_view label, const Names& choices);

    /// An array of strings with the node of each; entries that are not strings are reported
    /// and skipped.
    std::optional<std::vector<std::pair<std::string, const toml::node*>>> read_string_array(const toml::node& n,
                                                                                           std::string_view label);

private:
    const std::string& m_path;
    std::vector<Diagnostic> m_diagnostics;
};

}  // namespace threadmill::loader_detail
