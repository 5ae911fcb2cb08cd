// Internal: a small JSON reader for the kernel's own configuration (the
// "net" part of [build] config). Services bring their own JSON library.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ukbase::json {

struct Value {
  enum Type { Null, Bool, Number, String, Array, Object } type = Null;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Value> items;                             // Array
  std::vector<std::pair<std::string, Value>> members;   // Object

  /// Member `key` of an object, nullptr if absent (or not an object).
  const Value* get(std::string_view key) const;
  /// Member `key` as a string, or `fallback`.
  std::string get_string(std::string_view key, std::string fallback = "") const;
};

/// Parse a whole document; false (and a message) on a syntax error.
bool parse(std::string_view text, Value& out, std::string* error = nullptr);

}  // namespace ukbase::json
