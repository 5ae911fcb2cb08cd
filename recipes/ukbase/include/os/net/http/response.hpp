// An HTTP response, as IncludeOS's net/http/response.hpp.
//
//   http::Response res;                          // HTTP/1.1 200 OK
//   res.set_status_code(http::Not_Found);
//   res.to_string();    // "HTTP/1.1 404 Not Found\r\n" fields, empty line, body
//
//   http::Response r{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"};   // parsed
//
// Parsing: as Request's (an incomplete head is no error, a malformed one
// throws Response_error).
#pragma once

#include <cstddef>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>

#include <net/http/message.hpp>
#include <net/http/status_codes.hpp>
#include <net/http/version.hpp>

namespace http {

struct Response_error : public std::runtime_error {
  using runtime_error::runtime_error;
};

class Response : public Message {
 public:
  explicit Response(const Version version = Version{1U, 1U}, const status_t status_code = OK) noexcept
      : code_(status_code), version_(version)
  {
  }
  explicit Response(std::string response, const std::size_t limit = 25, const bool parse = true);
  Response(const Response&) = default;
  Response(Response&&) = default;
  Response& operator=(const Response&) = default;
  Response& operator=(Response&&) = default;
  ~Response() noexcept = default;

  /// Read the text given so far; throws Response_error if malformed.
  Response& parse();

  status_t status_code() const noexcept { return code_; }
  Response& set_status_code(const status_t status_code) noexcept
  {
    code_ = status_code;
    return *this;
  }
  const Version version() const noexcept { return version_; }
  Response& set_version(const Version version) noexcept
  {
    version_ = version;
    return *this;
  }

  /// "HTTP/1.1 404 Not Found"
  std::string status_line() const;

  /// 200 OK, no fields, no body, no text.
  Response& reset() noexcept override;

  /// The status line, the fields, the empty line, the body.
  std::string to_string() const override;
  operator std::string() const { return to_string(); }

  /// Append text for parse() to read.
  Response& operator<<(const std::string& chunk);

 private:
  Response& soft_reset() noexcept;

  std::string response_;
  status_t code_;
  Version version_;
};

inline Response_ptr make_response() { return std::make_unique<Response>(); }
inline Response_ptr make_response(std::string response)
{
  return std::make_unique<Response>(std::move(response));
}

inline std::ostream& operator<<(std::ostream& out, const Response& res) { return out << res.to_string(); }

}  // namespace http
