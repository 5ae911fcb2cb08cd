// A URI (RFC 3986), as IncludeOS's util/uri.hpp: uri::URI, also from <uri>.
//
//   uri::URI u{"http://user@example.com:8080/a/b?x=1&name=J%20S#top"};
//   u.scheme() == "http"; u.userinfo() == "user"; u.host() == "example.com";
//   u.port() == 8080; u.path() == "/a/b"; u.query() == "x=1&name=J%20S";
//   u.query("name") == "J S"; u.fragment() == "top";
//   u.to_string() is the text it was made from; URIs compare by that text.
//
// The parts are views into the URI's own copy of the text. Besides the
// RFC's forms, a text without a scheme that does not start with '/', '?'
// or '#' is read as an authority and path ("10.0.0.1:80/x",
// "example.com"), the way IncludeOS reads it. port() is 0xFFFF when
// there is none (or it is not a number up to 65535). Query values are
// percent-decoded ('+' counts as a space, as in form data).
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace uri {

class URI {
 public:
  URI() = default;
  URI(const URI& other);
  URI(URI&& other) noexcept;
  URI& operator=(const URI& other);
  URI& operator=(URI&& other) noexcept;
  ~URI() = default;

  /// From text; `parse` false keeps the text only (call parse() later).
  URI(const char* uri, bool parse = true);
  URI(const char* uri, size_t count, bool parse = true);
  URI(const std::string& uri, bool parse = true);
  URI(std::string_view uri, bool parse = true);

  // -- the RFC's parts (empty when absent) --
  std::string_view scheme() const noexcept { return part(scheme_); }
  /// https or wss.
  bool scheme_is_secure() const noexcept;
  std::string_view userinfo() const noexcept { return part(userinfo_); }
  /// Without the brackets of an IPv6 literal.
  std::string_view host() const noexcept { return part(host_); }
  /// A dotted quad ("10.0.0.42").
  bool host_is_ip4() const noexcept;
  /// An IPv6 literal ("[fe80::1]" in the text).
  bool host_is_ip6() const noexcept;
  /// "host:port" ("[v6]:port"), or the host alone without a port.
  std::string host_and_port() const;
  std::string_view port_str() const noexcept { return part(port_str_); }
  uint16_t port() const noexcept { return port_; }
  std::string_view path() const noexcept { return part(path_); }
  /// The query without its '?', as written.
  std::string_view query() const noexcept { return part(query_); }
  std::string_view fragment() const noexcept { return part(fragment_); }

  /// The decoded value of `key` in the query, empty when it is absent.
  std::string_view query(std::string_view key) const;

  /// Something to go to: a host or a path.
  bool is_valid() const noexcept { return host_.len || path_.len; }
  operator bool() const noexcept { return is_valid(); }

  std::string to_string() const { return text_; }
  operator std::string() const { return text_; }

  /// Append text, then parse() again.
  URI& operator<<(const std::string& chunk);
  /// Read the parts from the text.
  URI& parse();
  /// Empty, as default-constructed.
  URI& reset();

 private:
  struct Span {
    size_t pos = 0, len = 0;
  };
  std::string_view part(Span s) const noexcept { return std::string_view(text_).substr(s.pos, s.len); }
  void load_queries() const;

  std::string text_;
  uint16_t port_ = 0xFFFF;
  Span scheme_, userinfo_, host_, port_str_, path_, query_, fragment_;
  mutable bool queries_loaded_ = false;
  mutable std::vector<std::pair<std::string, std::string>> queries_;
};

bool operator<(const URI& lhs, const URI& rhs) noexcept;
/// Same text.
bool operator==(const URI& lhs, const URI& rhs) noexcept;
inline bool operator!=(const URI& lhs, const URI& rhs) noexcept { return !(lhs == rhs); }
std::ostream& operator<<(std::ostream& out, const URI& uri);

/// Percent-encoding (RFC 3986 2.1): every byte but the unreserved ones
/// (letters, digits, "-._~") as %XX.
std::string encode(std::string_view input);
/// %XX sequences back to bytes (malformed ones are kept as they are).
std::string decode(std::string_view input);

}  // namespace uri
