// Status codes' reason phrases and classes, as IncludeOS's
// net/http/status_codes.hpp: code_description(http::Not_Found) == "Not Found".
#pragma once

#include <string_view>

#include <net/http/status_code_constants.hpp>

namespace http {

/// The registered reason phrase; "Internal Server Error" for codes not in
/// status_t (as IncludeOS answers).
std::string_view code_description(const status_t status_code) noexcept;

inline bool is_informational(const status_t c) noexcept { return c >= Continue && c <= Processing; }
inline bool is_success(const status_t c) noexcept { return c >= OK && c <= IM_Used; }
inline bool is_redirection(const status_t c) noexcept
{
  return c >= Multiple_Choices && c <= Permanent_Redirect;
}
inline bool is_client_error(const status_t c) noexcept
{
  return c >= Bad_Request && c <= Request_Header_Fields_Too_Large;
}
inline bool is_server_error(const status_t c) noexcept
{
  return c >= Internal_Server_Error && c <= Network_Authentication_Required;
}

}  // namespace http
