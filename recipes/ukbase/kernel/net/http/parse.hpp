// Internal to kernel/net/http: reading HTTP/1.x messages (RFC 9112) from
// the bytes that arrived, shared by Request/Response::parse(), the server
// and the client. Messages are read from a buffer that grows at its end:
// the head once it is all there, then the body as framing says.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <net/http/request.hpp>
#include <net/http/response.hpp>

namespace http::detail {

/// How a message's body is delimited (RFC 9112 6.3).
struct Framing {
  enum Kind { none, by_length, chunked, until_close };
  Kind kind = none;
  size_t length = 0;
};

/// Bytes of empty lines before a message (a server ignores them).
size_t leading_blank_lines(std::string_view in) noexcept;

/// The length of the head at the start of `in`, its empty line included;
/// 0 while it is not all there.
size_t head_length(std::string_view in) noexcept;

/// Read a request head (request line and fields, empty line included)
/// into `req`. OK, or the status to refuse it with: Bad_Request (does not
/// parse, or its framing is ambiguous), Not_Implemented (a method this
/// API does not name), HTTP_Version_Not_Supported (not HTTP/1.x).
status_t read_request_head(std::string_view head, Request& req, Framing& framing);

/// Read a response head into `res`; false if it does not parse. Framing
/// as the head says (the client knows more: HEAD requests, 1xx, 204, 304).
bool read_response_head(std::string_view head, Response& res, Framing& framing);

/// Decode chunked data (RFC 9112 7.1) from in[pos...], appending it to
/// `body` and moving `pos` past each whole chunk. 1 when the last chunk
/// and the trailer section are in (pos after them), 0 while more is to
/// come, -1 if malformed. `limit` caps the decoded size (-1 beyond it).
int decode_chunked(std::string_view in, size_t& pos, std::string& body, size_t limit = SIZE_MAX);

/// Does a comma-separated field value list `token` (any case)?
bool has_token(std::string_view value, std::string_view token) noexcept;

}  // namespace http::detail
