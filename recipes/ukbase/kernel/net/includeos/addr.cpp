// IncludeOS's address types (<net/ip4/addr.hpp>, <net/ip6/addr.hpp>):
// parsing and printing.
#include <cstdio>
#include <string>

#include <net/ip4/addr.hpp>
#include <net/ip6/addr.hpp>

#include "kernel/hex.hpp"

namespace net::ip4 {

// Digits and dots, at most four numbers of 0-255; missing trailing parts
// are 0 ("10.0" is 10.0.0.0), as IncludeOS parses them.
Addr::Addr(const std::string& text) : whole(0)
{
  uint32_t parts[4] = {0, 0, 0, 0};
  int part = 0;
  bool digits = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      parts[part] = parts[part] * 10 + uint32_t(c - '0');
      if (parts[part] > 255)
        throw Invalid_address("Out-of-range byte values in " + text);
      digits = true;
    } else if (c == '.') {
      if (!digits)
        throw Invalid_address("Missing byte value in " + text);
      if (++part > 3)
        throw Invalid_address("Too many dots in " + text);
      digits = false;
    } else {
      throw Invalid_address("Unexpected characters in " + text);
    }
  }
  if (!digits)
    throw Invalid_address("Missing byte value at end of " + text);
  whole = parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3];
}

std::string Addr::str() const
{
  char buf[16];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", part(3), part(2), part(1), part(0));
  return buf;
}

}  // namespace net::ip4

namespace net::ip6 {

namespace {

using ukbase::hex_value;

}  // namespace

// RFC 4291 2.2: eight groups of up to four hex digits, one "::" for a run
// of zero groups, optionally a dotted IPv4 address in the last 32 bits.
Addr::Addr(const std::string& input) : i64{0, 0}
{
  std::string text = input.substr(0, input.find('%'));      // "fe80::1%eth0"
  auto bad = [&input] { return Invalid_address("Invalid IPv6 address: " + input); };
  if (text.empty())
    throw bad();
  uint16_t head[8], tail[8];
  int nhead = 0, ntail = 0;
  bool compressed = false;
  size_t i = 0;
  if (text.compare(0, 2, "::") == 0) {
    compressed = true;
    i = 2;
  } else if (text[0] == ':') {
    throw bad();
  }
  while (i < text.size()) {
    // One group, or an embedded IPv4 address at the end.
    size_t end = text.find(':', i);
    std::string group = text.substr(i, end == std::string::npos ? std::string::npos : end - i);
    if (group.find('.') != std::string::npos) {
      if (end != std::string::npos)
        throw bad();
      uint32_t v4;
      try {
        v4 = ip4::Addr(group).whole;
      } catch (const ip4::Invalid_address&) {
        throw bad();
      }
      for (uint16_t g : {uint16_t(v4 >> 16), uint16_t(v4)}) {
        if (nhead + ntail >= 8)
          throw bad();
        (compressed ? tail[ntail++] : head[nhead++]) = g;
      }
      break;
    }
    if (group.empty() || group.size() > 4 || nhead + ntail >= 8)
      throw bad();
    unsigned v = 0;
    for (char c : group) {
      int h = hex_value(c);
      if (h < 0)
        throw bad();
      v = v << 4 | unsigned(h);
    }
    (compressed ? tail[ntail++] : head[nhead++]) = uint16_t(v);
    if (end == std::string::npos)
      break;
    i = end + 1;
    if (i < text.size() && text[i] == ':') {        // "::"
      if (compressed)
        throw bad();
      compressed = true;
      i++;
    } else if (i == text.size()) {
      throw bad();                                  // a trailing single ':'
    }
  }
  if (compressed ? nhead + ntail > 7 : nhead != 8)
    throw bad();
  uint16_t groups[8] = {};
  for (int k = 0; k < nhead; k++)
    groups[k] = head[k];
  for (int k = 0; k < ntail; k++)
    groups[8 - ntail + k] = tail[k];
  for (int k = 0; k < 8; k++) {
    i8[2 * k] = uint8_t(groups[k] >> 8);
    i8[2 * k + 1] = uint8_t(groups[k]);
  }
}

std::string Addr::to_string() const
{
  uint16_t g[8];
  for (int k = 0; k < 8; k++)
    g[k] = uint16_t(i8[2 * k] << 8 | i8[2 * k + 1]);
  // RFC 5952 4.2: the longest run of two or more zero groups (the first
  // of equal ones) becomes "::".
  int best = -1, best_len = 1;
  for (int k = 0; k < 8;) {
    if (g[k]) {
      k++;
      continue;
    }
    int start = k;
    while (k < 8 && !g[k])
      k++;
    if (k - start > best_len) {
      best = start;
      best_len = k - start;
    }
  }
  std::string out;
  char buf[8];
  for (int k = 0; k < 8; k++) {
    if (k == best) {
      out += "::";
      k += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':')
      out += ':';
    std::snprintf(buf, sizeof buf, "%x", g[k]);
    out += buf;
  }
  return out;
}

Addr Addr::masked(uint8_t prefix) const noexcept
{
  Addr r = *this;
  for (int k = 0; k < 16; k++) {
    int bits = prefix - 8 * k;
    if (bits >= 8)
      continue;
    r.i8[k] = bits <= 0 ? 0 : uint8_t(r.i8[k] & (0xFF << (8 - bits)));
  }
  return r;
}

}  // namespace net::ip6
