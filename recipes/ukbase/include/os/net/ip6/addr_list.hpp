// The IPv6 addresses an interface is configured with, as IncludeOS's
// net/ip6/addr_list.hpp (Inet::addr6_config()).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <net/ip6/addr.hpp>

namespace net::ip6 {

/// An address with its prefix length and lifetimes (RFC 4862).
class Stateful_addr {
 public:
  static constexpr uint32_t infinite_lifetime = 0xFFFFFFFF;

  Stateful_addr(Addr addr, uint8_t prefix, uint32_t preferred_lifetime = infinite_lifetime,
                uint32_t valid_lifetime = infinite_lifetime)
      : addr_(addr), prefix_(prefix), preferred_(preferred_lifetime), valid_(valid_lifetime)
  {
  }

  const Addr& addr() const noexcept { return addr_; }
  uint8_t prefix() const noexcept { return prefix_; }
  uint32_t preferred_lifetime() const noexcept { return preferred_; }
  uint32_t valid_lifetime() const noexcept { return valid_; }
  void update_preferred_lifetime(uint32_t s) noexcept { preferred_ = s; }
  void update_valid_lifetime(uint32_t s) noexcept { valid_ = s; }
  bool match(const Addr& other) const noexcept { return addr_.masked(prefix_) == other.masked(prefix_); }

  /// "fe80::1/64"
  std::string to_string() const { return addr_.to_string() + "/" + std::to_string(prefix_); }

 private:
  Addr addr_;
  uint8_t prefix_;
  uint32_t preferred_, valid_;
};

class Addr_list {
 public:
  using List = std::vector<Stateful_addr>;

  bool empty() const noexcept { return list_.empty(); }
  size_t size() const noexcept { return list_.size(); }
  bool has(const Addr& addr) const noexcept
  {
    for (auto& a : list_)
      if (a.addr() == addr)
        return true;
    return false;
  }
  /// The first address of that kind, or ::.
  Addr get_first_linklocal() const noexcept
  {
    for (auto& a : list_)
      if (a.addr().is_linklocal())
        return a.addr();
    return Addr::addr_any;
  }
  Addr get_first_unicast() const noexcept
  {
    for (auto& a : list_)
      if (!a.addr().is_linklocal() && !a.addr().is_multicast())
        return a.addr();
    return Addr::addr_any;
  }
  /// The source address for `dst`: one whose prefix holds it, else the
  /// first global one, else the first link-local one.
  Addr get_src(const Addr& dst) const noexcept
  {
    for (auto& a : list_)
      if (a.match(dst))
        return a.addr();
    Addr global = get_first_unicast();
    return global.is_any() ? get_first_linklocal() : global;
  }
  /// Add `addr` (or update its prefix and lifetimes). A valid lifetime
  /// of 0 removes it. Returns 1 if added, 0 if updated, -1 if removed.
  int input(const Addr& addr, uint8_t prefix, uint32_t preferred, uint32_t valid)
  {
    for (auto it = list_.begin(); it != list_.end(); ++it)
      if (it->addr() == addr) {
        if (valid == 0) {
          list_.erase(it);
          return -1;
        }
        *it = Stateful_addr(addr, prefix, preferred, valid);
        return 0;
      }
    if (valid == 0)
      return -1;
    list_.emplace_back(addr, prefix, preferred, valid);
    return 1;
  }
  void clear() noexcept { list_.clear(); }

  List::const_iterator begin() const noexcept { return list_.begin(); }
  List::const_iterator end() const noexcept { return list_.end(); }

  std::string to_string() const
  {
    std::string s;
    for (auto& a : list_)
      s += a.to_string() + "\n";
    return s;
  }

 private:
  List list_;
};

}  // namespace net::ip6
