// Reading HTTP/1.x message heads and chunked bodies (RFC 9112).
#include "parse.hpp"

#include <cctype>
#include <cstdint>
#include <vector>

namespace http::detail {

namespace {

using Fields = std::vector<std::pair<std::string_view, std::string_view>>;

// RFC 9110 5.6.2's tchar.
bool is_tchar(char c)
{
  if (std::isalnum(static_cast<unsigned char>(c)))
    return true;
  switch (c) {
  case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
  case '-': case '.': case '^': case '_': case '`': case '|': case '~':
    return true;
  default:
    return false;
  }
}

bool is_token(std::string_view s)
{
  if (s.empty())
    return false;
  for (char c : s)
    if (!is_tchar(c))
      return false;
  return true;
}

std::string_view trim(std::string_view s)
{
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b)
{
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); i++)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// The next line of `in` from `pos` without its CRLF (or bare LF).
std::string_view next_line(std::string_view in, size_t& pos)
{
  size_t nl = in.find('\n', pos);
  if (nl == std::string_view::npos)
    nl = in.size();
  std::string_view line = in.substr(pos, nl - pos);
  pos = nl + 1;
  if (!line.empty() && line.back() == '\r')
    line.remove_suffix(1);
  return line;
}

// "HTTP/1.1" -> 1, 1.
bool read_version(std::string_view s, Version& v)
{
  if (s.size() != 8 || s.substr(0, 5) != "HTTP/" || !std::isdigit(static_cast<unsigned char>(s[5]))
      || s[6] != '.' || !std::isdigit(static_cast<unsigned char>(s[7])))
    return false;
  v = Version(static_cast<unsigned>(s[5] - '0'), static_cast<unsigned>(s[7] - '0'));
  return true;
}

// The field lines after the start line. `strict` (a server reading
// requests) refuses what RFC 9112 5 says a server must refuse: whitespace
// before the colon, obsolete line folding, control characters.
bool read_fields(std::string_view head, size_t pos, Fields& out, bool strict)
{
  while (pos < head.size()) {
    std::string_view line = next_line(head, pos);
    if (line.empty())
      return true;                      // the end of the head
    if (line.front() == ' ' || line.front() == '\t') {
      if (strict)
        return false;                   // obs-fold
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
      if (strict)
        return false;
      continue;
    }
    std::string_view value = trim(line.substr(colon + 1));
    for (char c : value)
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
        return false;
    out.emplace_back(line.substr(0, colon), value);
  }
  return true;
}

// Content-Length's value: digits, perhaps repeated in a list ("5, 5");
// false when it is anything else.
bool read_length(std::string_view value, size_t& len)
{
  bool seen = false;
  while (true) {
    size_t comma = value.find(',');
    std::string_view item = trim(value.substr(0, comma));
    if (item.empty() || item.size() > 15)
      return false;
    size_t n = 0;
    for (char c : item) {
      if (c < '0' || c > '9')
        return false;
      n = n * 10 + static_cast<size_t>(c - '0');
    }
    if (seen && n != len)
      return false;
    len = n;
    seen = true;
    if (comma == std::string_view::npos)
      return true;
    value = value.substr(comma + 1);
  }
}

// The last transfer coding of every Transfer-Encoding field.
std::string_view last_coding(const Fields& fields)
{
  std::string_view last;
  for (auto& f : fields) {
    if (!iequals(f.first, header::Transfer_Encoding))
      continue;
    std::string_view v = f.second;
    size_t comma = v.rfind(',');
    std::string_view c = trim(comma == std::string_view::npos ? v : v.substr(comma + 1));
    if (!c.empty())
      last = c;
  }
  return last;
}

// The framing the fields give: false if Content-Length is malformed or
// disagrees with itself.
bool framing_of(const Fields& fields, Framing& framing, bool& has_te, bool& has_cl)
{
  has_te = has_cl = false;
  size_t len = 0;
  for (auto& f : fields) {
    if (iequals(f.first, header::Transfer_Encoding)) {
      has_te = true;
    } else if (iequals(f.first, header::Content_Length)) {
      size_t n = 0;
      if (!read_length(f.second, n) || (has_cl && n != len))
        return false;
      len = n;
      has_cl = true;
    }
  }
  if (has_te)
    framing.kind = iequals(last_coding(fields), "chunked") ? Framing::chunked : Framing::until_close;
  else if (has_cl)
    framing = Framing{Framing::by_length, len};
  else
    framing.kind = Framing::none;
  return true;
}

void store_fields(const Fields& fields, Message& msg)
{
  for (auto& f : fields)
    msg.header().add_field(std::string(f.first), std::string(f.second));
}

}  // namespace

size_t leading_blank_lines(std::string_view in) noexcept
{
  size_t i = 0;
  while (i < in.size() && (in[i] == '\r' || in[i] == '\n'))
    i++;
  return i;
}

size_t head_length(std::string_view in) noexcept
{
  // The head ends at an empty line: "\r\n\r\n", or lines ended by bare LFs.
  for (size_t nl = in.find('\n'); nl != std::string_view::npos; nl = in.find('\n', nl + 1)) {
    size_t next = nl + 1;
    if (next < in.size() && in[next] == '\n')
      return next + 1;
    if (next + 1 < in.size() && in[next] == '\r' && in[next + 1] == '\n')
      return next + 2;
  }
  return 0;
}

status_t read_request_head(std::string_view head, Request& req, Framing& framing)
{
  size_t pos = 0;
  std::string_view line = next_line(head, pos);
  // method SP request-target SP HTTP-version
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return Bad_Request;
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  Version version;
  if (!is_token(method) || target.empty() || !read_version(line.substr(sp2 + 1), version))
    return Bad_Request;
  for (char c : target)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return Bad_Request;
  Fields fields;
  if (!read_fields(head, pos, fields, true))
    return Bad_Request;
  bool has_te, has_cl;
  if (!framing_of(fields, framing, has_te, has_cl))
    return Bad_Request;
  // A request's body must have a length we know (RFC 9112 6.3): chunked
  // last, and not both fields (a way to smuggle requests).
  if (has_te && (has_cl || framing.kind != Framing::chunked))
    return Bad_Request;
  if (version.major() != 1)
    return HTTP_Version_Not_Supported;
  Method m = method::code(method);
  if (m == INVALID)
    return Not_Implemented;
  req.set_method(m);
  req.set_uri(URI{target});
  req.set_version(version);
  store_fields(fields, req);
  req.set_headers_complete(true);
  return OK;
}

bool read_response_head(std::string_view head, Response& res, Framing& framing)
{
  size_t pos = 0;
  std::string_view line = next_line(head, pos);
  // HTTP-version SP 3DIGIT SP [reason]
  Version version;
  if (line.size() < 12 || !read_version(line.substr(0, 8), version) || line[8] != ' ')
    return false;
  std::string_view code = line.substr(9, 3);
  for (char c : code)
    if (c < '0' || c > '9')
      return false;
  if (line.size() > 12 && line[12] != ' ')
    return false;
  Fields fields;
  bool has_te, has_cl;
  if (!read_fields(head, pos, fields, false) || !framing_of(fields, framing, has_te, has_cl))
    return false;
  if (framing.kind == Framing::none)
    framing.kind = Framing::until_close;   // no length: the body ends with the connection
  res.set_version(version);
  res.set_status_code(static_cast<status_t>((code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0')));
  store_fields(fields, res);
  res.set_headers_complete(true);
  return true;
}

int decode_chunked(std::string_view in, size_t& pos, std::string& body, size_t limit)
{
  while (true) {
    size_t nl = in.find('\n', pos);
    if (nl == std::string_view::npos)
      return in.size() - pos > 1024 ? -1 : 0;   // a size line is short
    size_t p = pos;
    std::string_view line = next_line(in, p);
    // chunk-size [; extensions]
    size_t size = 0, digits = 0;
    for (char c : line) {
      int v = std::isxdigit(static_cast<unsigned char>(c))
                  ? (std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (std::tolower(c) - 'a' + 10))
                  : -1;
      if (v < 0)
        break;
      if (++digits > 15)
        return -1;
      size = size * 16 + static_cast<size_t>(v);
    }
    if (!digits)
      return -1;
    std::string_view rest = trim(line.substr(digits));
    if (!rest.empty() && rest.front() != ';')
      return -1;
    if (size == 0) {
      // The trailer section: field lines up to an empty line (ignored).
      size_t q = p;
      while (true) {
        if (in.find('\n', q) == std::string_view::npos)
          return 0;
        if (next_line(in, q).empty()) {
          pos = q;
          return 1;
        }
      }
    }
    if (body.size() + size > limit)
      return -1;
    // The data, then its CRLF.
    if (in.size() - p < size + 1)
      return 0;
    size_t end = p + size;
    if (in[end] == '\n') {
      body.append(in.data() + p, size);
      pos = end + 1;
    } else if (in[end] == '\r') {
      if (end + 1 >= in.size())
        return 0;
      if (in[end + 1] != '\n')
        return -1;
      body.append(in.data() + p, size);
      pos = end + 2;
    } else {
      return -1;
    }
  }
}

bool has_token(std::string_view value, std::string_view token) noexcept
{
  while (true) {
    size_t comma = value.find(',');
    if (iequals(trim(value.substr(0, comma)), token))
      return true;
    if (comma == std::string_view::npos)
      return false;
    value = value.substr(comma + 1);
  }
}

}  // namespace http::detail
