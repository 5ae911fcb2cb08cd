// What requests and responses share, as IncludeOS's net/http/message.hpp:
// header fields and a body.
//
//   msg.header().set_field(http::header::Content_Type, "text/plain");
//   msg.set_body("hello");            // or add_body / add_chunk (appends)
//   msg.body() == "hello";            // a view of the message's body
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>

#include <net/http/header.hpp>

namespace http {

class Message {
 public:
  explicit Message() = default;
  explicit Message(const std::size_t limit) noexcept : header_fields_(limit) {}
  Message(const Message&) = default;
  Message(Message&&) noexcept = default;
  Message& operator=(const Message&) = default;
  Message& operator=(Message&&) = default;
  virtual ~Message() noexcept = default;

  Header& header() noexcept { return header_fields_; }
  const Header& header() const noexcept { return header_fields_; }

  /// Content-Length as a number (0 when unset).
  size_t content_length() const { return header_fields_.content_length(); }
  bool set_content_length(size_t len) { return header_fields_.set_content_length(len); }

  /// Replace the body (IncludeOS: an empty one leaves the body as it was).
  Message& add_body(const std::string& message_body);
  /// Replace the body, also by an empty one.
  Message& set_body(std::string message_body);
  /// Append to the body.
  Message& add_chunk(const std::string& chunk);
  bool has_body() const noexcept { return !message_body_.empty(); }
  std::string_view body() const noexcept { return message_body_; }
  Message& clear_body() noexcept;

  /// No fields and no body.
  virtual Message& reset() noexcept;

  /// The fields, the empty line, the body.
  virtual std::string to_string() const;
  operator std::string() const { return to_string(); }

  /// Whether the fields have all been read (parsing).
  bool headers_complete() const noexcept { return headers_complete_; }
  void set_headers_complete(const bool complete) noexcept { headers_complete_ = complete; }

 private:
  Header header_fields_;
  std::string message_body_;
  bool headers_complete_ = false;
};

/// Add each of `headers` to the message's fields.
Message& operator<<(Message& message, const Header_set& headers);

inline std::ostream& operator<<(std::ostream& out, const Message& m) { return out << m.to_string(); }

}  // namespace http
