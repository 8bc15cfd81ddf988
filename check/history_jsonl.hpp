// Histories as JSON Lines: one operation per line, parsed strictly, errors with line numbers.
//
//   {"process": 3, "op": "cas", "key": "x", "input": [1, 4], "output": true, "call": 120, "return": 135, "status": "ok"}
//
// Fields: process (integer), op (non-empty string), key (string, optional), input (any JSON,
// null when none), output (any JSON; required for ok), call and return (64-bit integers, one
// clock, return >= call; return required for ok), status ("ok" or "info"). For `info` the
// output and return may be absent (if present they are checked and then ignored: the op stays
// open to the end). Blank lines are skipped; any other field is an error.
#pragma once

#include <istream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "check/history.hpp"

namespace threadmill {

/// A malformed line of a JSON Lines history. what() is "<source>:<line>: error: <message>",
/// or "line <line>: <message>" when the input has no name.
class HistoryParseError : public std::runtime_error {
public:
    HistoryParseError(std::string source, int line, std::string message);

    const std::string& source() const { return m_source; }    ///< as given to the parser ("" when none)
    int line() const { return m_line; }                       ///< 1-based
    const std::string& message() const { return m_message; }  ///< without the location

private:
    std::string m_source;
    int m_line;
    std::string m_message;
};

/// Parses a whole JSON Lines history; ops keep the order of their lines and their line number
/// (Operation::source_line). Throws HistoryParseError at the first malformed line. `source`
/// names the input in error messages (a file path, "-", or "" for none).
History parse_history_jsonl(std::string_view text, std::string_view source = {});

/// Reads `in` to its end and parses it as parse_history_jsonl does.
History read_history_jsonl(std::istream& in, std::string_view source = {});

/// One operation as one JSON line (no newline), in the field order of the example above; an
/// `info` op is written without return and output. parse_history_jsonl reads it back equal.
std::string to_jsonl(const Operation& op);

/// A history as JSON Lines, one op per line, each line ending in a newline.
std::string to_jsonl(const History& history);

}  // namespace threadmill
