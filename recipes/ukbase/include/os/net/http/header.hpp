// A message's header fields, as IncludeOS's net/http/header.hpp.
//
//   http::Header h;
//   h.set_field(http::header::Content_Type, "text/plain");   // replaces
//   h.add_field("Set-Cookie", "a=1");                        // appends
//   h.value("content-type") == "text/plain";                 // any case
//
// Fields keep their order. A Header holds at most `limit` fields (25 by
// default, as on IncludeOS); add_field refuses more (returns false), and
// set_field refuses an empty name or value.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>

#include <net/http/common.hpp>
#include <net/http/header_fields.hpp>

namespace http {

class Header {
 public:
  using Const_iterator = Header_set::const_iterator;

  explicit Header() : Header(25) {}
  explicit Header(const std::size_t limit) : limit_(limit) {}

  /// Append a field (duplicates allowed); false if the name is empty or
  /// the header is full.
  bool add_field(std::string field, std::string value);
  /// Replace the first field of that name, or add it; false for an
  /// empty name or value, or a full header.
  bool set_field(std::string field, std::string value);
  bool has_field(std::string_view field) const noexcept { return find(field) != fields_.cend(); }
  /// The first field of that name's value; empty if there is none.
  std::string_view value(std::string_view field) const noexcept;

  bool is_empty() const noexcept { return fields_.empty(); }
  std::size_t size() const noexcept { return fields_.size(); }
  std::size_t limit() const noexcept { return limit_; }
  /// Remove every field of that name.
  void erase(std::string_view field) noexcept;
  void clear() noexcept { fields_.clear(); }

  /// Content-Length as a number; 0 when absent or not a number.
  size_t content_length() const noexcept;
  bool set_content_length(const size_t len) { return set_field(header::Content_Length, std::to_string(len)); }

  Const_iterator begin() const noexcept { return fields_.cbegin(); }
  Const_iterator end() const noexcept { return fields_.cend(); }

  /// "Name: value\r\n" for each field, then the empty line ("" when
  /// there are no fields, as IncludeOS writes it).
  std::string to_string() const;

 private:
  Const_iterator find(std::string_view field) const noexcept;

  Header_set fields_;
  std::size_t limit_;
};

template <typename Char, typename Traits>
std::basic_ostream<Char, Traits>& operator<<(std::basic_ostream<Char, Traits>& out, const Header& h)
{
  return out << h.to_string();
}

}  // namespace http
