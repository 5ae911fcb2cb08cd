// Request methods (RFC 9110 9), as IncludeOS's net/http/methods.hpp.
//
//   http::method::str(http::POST) == "POST";
//   http::method::code("DELETE") == http::DELETE;   // INVALID for others
#pragma once

#include <ostream>
#include <string_view>

namespace http {

enum Method { GET, POST, PUT, DELETE, OPTIONS, HEAD, TRACE, CONNECT, PATCH, INVALID = 0xffff };

namespace method {

/// The method's name; "INVALID" for anything else.
inline std::string_view str(const Method m) noexcept
{
  static constexpr std::string_view names[] = {"GET",   "POST",  "PUT",     "DELETE", "OPTIONS",
                                               "HEAD",  "TRACE", "CONNECT", "PATCH"};
  if (m >= GET && m <= PATCH)
    return names[m];
  return "INVALID";
}

/// The method of that name (case matters, as in the protocol), or INVALID.
inline Method code(std::string_view name) noexcept
{
  for (int m = GET; m <= PATCH; m++)
    if (str(static_cast<Method>(m)) == name)
      return static_cast<Method>(m);
  return INVALID;
}

/// Whether a request of this method carries Content-Length (a body).
inline bool is_content_length_allowed(const Method m) noexcept { return m == POST || m == PUT; }
inline bool is_content_length_required(const Method m) noexcept { return m == POST || m == PUT; }

}  // namespace method

template <typename Char, typename Traits>
std::basic_ostream<Char, Traits>& operator<<(std::basic_ostream<Char, Traits>& out, const Method m)
{
  return out << method::str(m);
}

}  // namespace http
