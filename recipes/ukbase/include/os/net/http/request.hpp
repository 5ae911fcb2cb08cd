// An HTTP request, as IncludeOS's net/http/request.hpp.
//
//   auto req = http::make_request();               // GET / HTTP/1.1
//   req->set_method(http::POST).set_uri(http::URI{"/api?x=1"});
//   req->to_string();                              // the request as sent
//
//   http::Request r{"GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n"};   // parsed
//   r.method() == http::GET; r.uri().path() == "/a"; r.query_value("x") == "1";
//
// Parsing a text whose head is not complete yet is no error (its
// headers_complete() stays false); a malformed one throws Request_error.
// The body is what follows the head (de-chunked when it is chunked).
#pragma once

#include <cstddef>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>

#include <net/http/message.hpp>
#include <net/http/methods.hpp>
#include <net/http/version.hpp>

namespace http {

class Request_error : public std::runtime_error {
 public:
  using runtime_error::runtime_error;
};

class Request : public Message {
 public:
  explicit Request() = default;
  /// Keep `request` (the text) and, if `parse`, read it (see parse()).
  explicit Request(std::string request, const std::size_t limit = 25, const bool parse = true);
  Request(const Request&) = default;
  Request(Request&&) = default;
  Request& operator=(const Request&) = default;
  Request& operator=(Request&&) = default;
  ~Request() noexcept = default;

  /// Read the text given so far (constructor, operator<<) into method,
  /// URI, version, fields and body. Throws Request_error if malformed.
  Request& parse();

  Method method() const noexcept { return method_; }
  Request& set_method(const Method method)
  {
    method_ = method;
    return *this;
  }
  const URI& uri() const noexcept { return uri_; }
  Request& set_uri(const URI& uri)
  {
    uri_ = uri;
    return *this;
  }
  const Version& version() const noexcept { return version_; }
  Request& set_version(const Version& version) noexcept
  {
    version_ = version;
    return *this;
  }

  /// The decoded value of `name` in the URI's query ("" if absent).
  std::string_view query_value(std::string_view name) const noexcept { return uri_.query(name); }
  /// The value of `name` in a POST's form body (name=value&...), as it is
  /// written there; "" if absent or not a POST.
  std::string_view post_value(std::string_view name) const noexcept;

  /// GET / HTTP/1.1, no fields, no body, no text.
  Request& reset() noexcept override;

  /// "GET /path HTTP/1.1\r\n", the fields, the empty line, the body.
  std::string to_string() const override;
  operator std::string() const { return to_string(); }

  /// Append text for parse() to read.
  Request& operator<<(const std::string& chunk);

 private:
  Request& soft_reset() noexcept;

  std::string request_;
  Method method_ = GET;
  URI uri_{"/"};
  Version version_{1U, 1U};
};

inline Request_ptr make_request() { return std::make_unique<Request>(); }
inline Request_ptr make_request(std::string request) { return std::make_unique<Request>(std::move(request)); }

inline std::ostream& operator<<(std::ostream& out, const Request& req) { return out << req.to_string(); }

}  // namespace http
