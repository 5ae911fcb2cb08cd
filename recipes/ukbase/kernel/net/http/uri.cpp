// uri::URI: RFC 3986's generic syntax read by hand, its parts kept as
// offsets into the URI's own text (so copies need no fixing up).
#include <uri>

#include <cctype>

#include "kernel/hex.hpp"

namespace uri {

namespace {

bool is_scheme_char(char c)
{
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
}

bool all_digits(std::string_view s)
{
  if (s.empty())
    return false;
  for (char c : s)
    if (c < '0' || c > '9')
      return false;
  return true;
}

using ukbase::hex_value;

// %XX back to bytes; in query keys and values '+' is a space too.
std::string percent_decode(std::string_view s, bool plus_is_space)
{
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0
               && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

// ---- the object --------------------------------------------------------------------------

URI::URI(const URI& o) = default;
URI::URI(URI&& o) noexcept = default;
URI& URI::operator=(const URI& o) = default;
URI& URI::operator=(URI&& o) noexcept = default;

URI::URI(const char* uri, bool parse) : URI(std::string_view(uri ? uri : ""), parse) {}

URI::URI(const char* uri, size_t count, bool parse) : URI(std::string_view(uri, count), parse) {}

URI::URI(const std::string& uri, bool parse) : URI(std::string_view(uri), parse) {}

URI::URI(std::string_view uri, bool parse) : text_(uri)
{
  if (parse)
    this->parse();
}

URI& URI::operator<<(const std::string& chunk)
{
  text_ += chunk;
  return parse();
}

URI& URI::reset()
{
  *this = URI();
  return *this;
}

// ---- parsing -------------------------------------------------------------------------------

URI& URI::parse()
{
  scheme_ = userinfo_ = host_ = port_str_ = path_ = query_ = fragment_ = Span{};
  port_ = 0xFFFF;
  queries_loaded_ = false;
  queries_.clear();

  const std::string_view t(text_);
  size_t pos = 0;

  // scheme ":" -- unless what follows the colon is a port number
  // ("localhost:8080/x" is a host and a port).
  if (!t.empty() && std::isalpha(static_cast<unsigned char>(t[0]))) {
    size_t i = 1;
    while (i < t.size() && is_scheme_char(t[i]))
      i++;
    if (i < t.size() && t[i] == ':') {
      size_t end = t.find_first_of("/?#", i + 1);
      std::string_view after = t.substr(i + 1, end == std::string_view::npos ? end : end - i - 1);
      if (t.compare(i + 1, 2, "//") == 0 || !all_digits(after)) {
        scheme_ = Span{0, i};
        pos = i + 1;
      }
    }
  }

  // The authority: after "//", or (IncludeOS's reading) any text without
  // a scheme that does not start a path, query or fragment.
  bool authority = false;
  if (t.compare(pos, 2, "//") == 0) {
    pos += 2;
    authority = true;
  } else if (scheme_.len == 0 && pos < t.size() && t[pos] != '/' && t[pos] != '?' && t[pos] != '#'
             && t[pos] != '*') {
    authority = true;
  }
  if (authority) {
    size_t end = t.find_first_of("/?#", pos);
    if (end == std::string_view::npos)
      end = t.size();
    std::string_view auth = t.substr(pos, end - pos);
    size_t at = auth.rfind('@');
    size_t hp = pos;
    if (at != std::string_view::npos) {
      userinfo_ = Span{pos, at};
      hp = pos + at + 1;
    }
    size_t colon = std::string_view::npos;
    if (hp < end && t[hp] == '[') {
      size_t close = t.find(']', hp);
      if (close != std::string_view::npos && close < end) {
        host_ = Span{hp + 1, close - hp - 1};
        if (close + 1 < end && t[close + 1] == ':')
          colon = close + 1;
      } else {
        host_ = Span{hp, end - hp};
      }
    } else {
      colon = t.find(':', hp);
      if (colon != std::string_view::npos && colon >= end)
        colon = std::string_view::npos;
      host_ = Span{hp, (colon == std::string_view::npos ? end : colon) - hp};
    }
    if (colon != std::string_view::npos) {
      port_str_ = Span{colon + 1, end - colon - 1};
      std::string_view ps = part(port_str_);
      if (all_digits(ps) && ps.size() <= 5) {
        unsigned long v = std::stoul(std::string(ps));
        port_ = v > 0xFFFF ? 0xFFFF : static_cast<uint16_t>(v);
      }
    }
    pos = end;
  }

  size_t q = t.find_first_of("?#", pos);
  if (q == std::string_view::npos)
    q = t.size();
  path_ = Span{pos, q - pos};
  pos = q;
  if (pos < t.size() && t[pos] == '?') {
    size_t f = t.find('#', pos);
    if (f == std::string_view::npos)
      f = t.size();
    query_ = Span{pos + 1, f - pos - 1};
    pos = f;
  }
  if (pos < t.size() && t[pos] == '#')
    fragment_ = Span{pos + 1, t.size() - pos - 1};
  return *this;
}

void URI::load_queries() const
{
  queries_loaded_ = true;
  std::string_view q = query();
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view item = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (item.empty())
      continue;
    size_t eq = item.find('=');
    std::string key = percent_decode(item.substr(0, eq), true);
    std::string value = eq == std::string_view::npos ? std::string{} : percent_decode(item.substr(eq + 1), true);
    queries_.emplace_back(std::move(key), std::move(value));
  }
}

std::string_view URI::query(std::string_view key) const
{
  if (!queries_loaded_)
    load_queries();
  for (auto& kv : queries_)
    if (kv.first == key)
      return kv.second;
  return {};
}

// ---- questions -------------------------------------------------------------------------------

bool URI::scheme_is_secure() const noexcept
{
  std::string s(scheme());
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s == "https" || s == "wss";
}

bool URI::host_is_ip4() const noexcept
{
  std::string_view h = host();
  int parts = 0;
  while (true) {
    size_t dot = h.find('.');
    std::string_view p = h.substr(0, dot);
    if (!all_digits(p) || p.size() > 3 || std::stoi(std::string(p)) > 255)
      return false;
    parts++;
    if (dot == std::string_view::npos)
      break;
    h = h.substr(dot + 1);
  }
  return parts == 4;
}

bool URI::host_is_ip6() const noexcept
{
  return host_.len && host_.pos > 0 && text_[host_.pos - 1] == '['
         && host().find(':') != std::string_view::npos;
}

std::string URI::host_and_port() const
{
  std::string h = host_is_ip6() ? "[" + std::string(host()) + "]" : std::string(host());
  if (port_str_.len)
    h += ":" + std::string(port_str());
  return h;
}

bool operator<(const URI& lhs, const URI& rhs) noexcept { return lhs.to_string() < rhs.to_string(); }

bool operator==(const URI& lhs, const URI& rhs) noexcept { return lhs.to_string() == rhs.to_string(); }

std::ostream& operator<<(std::ostream& out, const URI& uri) { return out << uri.to_string(); }

// ---- percent-encoding ---------------------------------------------------------------------------

std::string encode(std::string_view input)
{
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(input.size());
  for (char ch : input) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string decode(std::string_view input) { return percent_decode(input, false); }

}  // namespace uri
