// A message's protocol version, as IncludeOS's net/http/version.hpp:
// Version{1, 1}.to_string() == "HTTP/1.1".
#pragma once

#include <ostream>
#include <string>

// <sys/sysmacros.h> may have defined these as macros.
#undef major
#undef minor

namespace http {

class Version {
 public:
  explicit constexpr Version(const unsigned major = 1U, const unsigned minor = 1U) noexcept
      : major_(major), minor_(minor)
  {
  }

  constexpr unsigned major() const noexcept { return major_; }
  void set_major(const unsigned major) noexcept { major_ = major; }
  constexpr unsigned minor() const noexcept { return minor_; }
  void set_minor(const unsigned minor) noexcept { minor_ = minor; }

  std::string to_string() const
  {
    return "HTTP/" + std::to_string(major_) + "." + std::to_string(minor_);
  }
  operator std::string() const { return to_string(); }

 private:
  unsigned major_;
  unsigned minor_;
};

inline bool operator==(const Version& a, const Version& b) noexcept
{
  return a.major() == b.major() && a.minor() == b.minor();
}
inline bool operator!=(const Version& a, const Version& b) noexcept { return !(a == b); }
inline bool operator<(const Version& a, const Version& b) noexcept
{
  return a.major() < b.major() || (a.major() == b.major() && a.minor() < b.minor());
}
inline bool operator>(const Version& a, const Version& b) noexcept { return b < a; }
inline bool operator<=(const Version& a, const Version& b) noexcept { return !(b < a); }
inline bool operator>=(const Version& a, const Version& b) noexcept { return !(a < b); }

template <typename Char, typename Traits>
std::basic_ostream<Char, Traits>& operator<<(std::basic_ostream<Char, Traits>& out, const Version& v)
{
  return out << v.to_string();
}

}  // namespace http
