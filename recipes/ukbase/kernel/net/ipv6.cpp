// IPv6 on an interface: the addresses its stack was given, neighbour
// discovery (RFC 4861), ICMPv6 echo (RFC 4443) and UDP (RFC 8200's
// checksum rules, RFC 768); TCP segments go to tcp_glue.cpp.
//
// Frames are built whole in a heap buffer and sent, or held while the
// neighbour's link-layer address is asked for (three solicitations, a
// second apart). Neighbours are learnt from the options of solicitations
// and advertisements and kept 30 seconds (REACHABLE_TIME), then asked
// again.
#include <cerrno>
#include <map>

#include <timers>

#include "kernel/clock.h"
#include "kernel/inet.hpp"
#include "stack.hpp"

namespace ukbase::net {

namespace {

using Addr6 = Interface::Addr6;

constexpr uint8_t NEXT_HOP_BY_HOP = 0, NEXT_TCP = 6, NEXT_UDP = 17, NEXT_ICMP6 = 58;
constexpr uint8_t ICMP6_ECHO_REQUEST = 128, ICMP6_ECHO_REPLY = 129, ND_SOLICIT = 135,
                  ND_ADVERT = 136;
constexpr uint8_t OPT_SOURCE_LL = 1, OPT_TARGET_LL = 2;
constexpr uint64_t REACHABLE_NS = 30ull * 1000000000;
constexpr size_t MAX_NEIGHBORS = 64, MAX_WAITING = 16;

const Addr6 ALL_NODES = {{0xFF, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};

bool is_any(const Addr6& a)
{
  for (uint8_t b : a.b)
    if (b)
      return false;
  return true;
}
bool is_multicast(const Addr6& a) { return a.b[0] == 0xFF; }
bool is_linklocal(const Addr6& a) { return a.b[0] == 0xFE && (a.b[1] & 0xC0) == 0x80; }

Addr6 addr_at(const uint8_t* p)
{
  Addr6 a;
  std::memcpy(a.b, p, 16);
  return a;
}

/// ff02::1:ffXX:XXXX, the group a solicitation for `a` goes to.
Addr6 solicited_node(const Addr6& a)
{
  Addr6 g = {{0xFF, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xFF, a.b[13], a.b[14], a.b[15]}};
  return g;
}

void multicast_mac(const Addr6& group, uint8_t mac[6])
{
  mac[0] = mac[1] = 0x33;
  std::memcpy(mac + 2, group.b + 12, 4);
}

// A neighbour-discovery option of `type` in the options after `at`.
const uint8_t* nd_option(const uint8_t* icmp, size_t len, size_t at, uint8_t type)
{
  while (at + 8 <= len) {
    size_t olen = size_t(icmp[at + 1]) * 8;
    if (olen == 0 || at + olen > len)
      return nullptr;
    if (icmp[at] == type && olen >= 8)
      return icmp + at + 2;
    at += olen;
  }
  return nullptr;
}

// -- UDP bindings --------------------------------------------------------------------

struct Binding6 {
  Addr6 addr;
  Udp6_receiver* receiver;
};

std::multimap<uint16_t, Binding6>& bindings6()
{
  static auto* b = new std::multimap<uint16_t, Binding6>;
  return *b;
}

void udp6_receive(Interface& iface, const uint8_t* ip, const uint8_t* udp, size_t len)
{
  if (len < 8 || get16(udp + 4) < 8 || get16(udp + 4) > len)
    return;
  len = get16(udp + 4);
  Addr6 src = addr_at(ip + 8), dst = addr_at(ip + 24);
  if (get16(udp + 6) == 0 || checksum6(src, dst, NEXT_UDP, udp, len) != 0) {
    iface.rx_dropped++;                            // the checksum is not optional in IPv6
    return;
  }
  uint16_t port = get16(udp + 2);
  Udp6_receiver* exact = nullptr;
  Udp6_receiver* wildcard = nullptr;
  auto range = bindings6().equal_range(port);
  for (auto it = range.first; it != range.second; ++it) {
    if (it->second.addr == dst)
      exact = it->second.receiver;
    else if (is_any(it->second.addr))
      wildcard = it->second.receiver;
  }
  Udp6_receiver* r = exact ? exact : wildcard;
  if (!r)
    return;                                        // (no ICMPv6 port unreachable yet)
  Udp6_datagram d{&iface, ip + 8, ip + 24, get16(udp), port, udp + 8, len - 8};
  r->udp6_receive(d);
}

}  // namespace

uint16_t checksum6(const Addr6& src, const Addr6& dst, uint8_t next, const uint8_t* payload,
                   size_t len)
{
  uint64_t sum = checksum_add(0, src.b, 16);
  sum = checksum_add(sum, dst.b, 16);
  sum += uint32_t(len);
  sum += next;
  return checksum_finish(checksum_add(sum, payload, len));
}

// ---- addresses ------------------------------------------------------------------------

void add_addr6(Interface& i, const uint8_t addr[16])
{
  Addr6 a = addr_at(addr);
  for (auto& mine : i.addr6)
    if (mine == a)
      return;
  i.addr6.push_back(a);
}

void remove_addr6(Interface& i, const uint8_t addr[16])
{
  Addr6 a = addr_at(addr);
  for (auto it = i.addr6.begin(); it != i.addr6.end(); ++it)
    if (*it == a) {
      i.addr6.erase(it);
      return;
    }
}

bool Interface::source6_for(const Addr6& dst, Addr6& out) const
{
  bool local = is_linklocal(dst) || is_multicast(dst);
  const Addr6* fallback = nullptr;
  for (auto& a : addr6) {
    if (is_linklocal(a) == local) {
      out = a;
      return true;
    }
    fallback = fallback ? fallback : &a;
  }
  if (fallback)
    out = *fallback;
  return fallback != nullptr;
}

// ---- receive ----------------------------------------------------------------------------

void Interface::ip6_receive(const uint8_t* f, size_t len)
{
  const uint8_t* ip = f + ETH_HDR;
  size_t avail = len - ETH_HDR;
  if (avail < IP6_HDR || (ip[0] >> 4) != 6 || IP6_HDR + get16(ip + 4) > avail) {
    rx_dropped++;
    return;
  }
  size_t plen = get16(ip + 4);
  Addr6 dst = addr_at(ip + 24);
  bool for_us = dst == ALL_NODES;
  for (auto& a : addr6)
    for_us = for_us || a == dst || solicited_node(a) == dst;
  if (!for_us) {
    rx_dropped++;
    return;
  }
  uint8_t next = ip[6];
  const uint8_t* payload = ip + IP6_HDR;
  if (next == NEXT_HOP_BY_HOP) {                   // options for routers and listeners: skipped
    if (plen < 8 || size_t(payload[1] + 1) * 8 > plen) {
      rx_dropped++;
      return;
    }
    size_t skip = size_t(payload[1] + 1) * 8;
    next = payload[0];
    payload += skip, plen -= skip;
  }
  if (next == NEXT_ICMP6)
    icmp6_receive(f, ip, payload, plen);
  else if (next == NEXT_UDP && !is_multicast(dst))
    udp6_receive(*this, ip, payload, plen);
  else if (next == NEXT_TCP && !is_multicast(dst))
    tcp6_receive(*this, ip, payload, plen);
  else
    rx_dropped++;
}

void Interface::icmp6_receive(const uint8_t* f, const uint8_t* ip, const uint8_t* icmp, size_t len)
{
  Addr6 src = addr_at(ip + 8), dst = addr_at(ip + 24);
  if (len < 8 || checksum6(src, dst, NEXT_ICMP6, icmp, len) != 0) {
    rx_dropped++;
    return;
  }
  uint8_t type = icmp[0];
  bool nd = type == ND_SOLICIT || type == ND_ADVERT;
  if (nd && (ip[7] != 255 || icmp[1] != 0 || len < 24)) {
    rx_dropped++;                                  // not from this link (RFC 4861 7.1)
    return;
  }
  if (type == ND_SOLICIT) {
    Addr6 target = addr_at(icmp + 8);
    bool mine = false;
    for (auto& a : addr6)
      mine = mine || a == target;
    if (!mine)
      return;
    const uint8_t* sll = nd_option(icmp, len, 24, OPT_SOURCE_LL);
    bool unspecified = is_any(src);
    if (!unspecified)
      ndp_learn(src, sll ? sll : f + 6);
    // The advertisement: solicited (unless answering duplicate address
    // detection, to all nodes), overriding, with our link-layer address.
    uint8_t adv[32] = {ND_ADVERT, 0, 0, 0, uint8_t(unspecified ? 0x20 : 0x60), 0, 0, 0};
    std::memcpy(adv + 8, target.b, 16);
    adv[24] = OPT_TARGET_LL;
    adv[25] = 1;
    std::memcpy(adv + 26, nic->mac, 6);
    Addr6 to = unspecified ? ALL_NODES : src;
    put16(adv + 2, checksum6(target, to, NEXT_ICMP6, adv, sizeof adv));
    send_ip6(target, to, NEXT_ICMP6, adv, sizeof adv, 255);
  } else if (type == ND_ADVERT) {
    const uint8_t* tll = nd_option(icmp, len, 24, OPT_TARGET_LL);
    ndp_learn(addr_at(icmp + 8), tll ? tll : f + 6);
  } else if (type == ICMP6_ECHO_REQUEST && !is_multicast(dst)) {
    std::vector<uint8_t> reply(icmp, icmp + len);
    reply[0] = ICMP6_ECHO_REPLY;
    reply[2] = reply[3] = 0;
    put16(reply.data() + 2, checksum6(dst, src, NEXT_ICMP6, reply.data(), reply.size()));
    send_ip6(dst, src, NEXT_ICMP6, reply.data(), reply.size());
  }
}

// ---- neighbours -------------------------------------------------------------------------

void Interface::ndp_learn(const Addr6& ip, const uint8_t* mac)
{
  uint64_t now = clock_monotonic_ns();
  Neighbor6* entry = nullptr;
  for (auto& n : neighbors6_)
    if (n.ip == ip)
      entry = &n;
  if (!entry) {
    if (neighbors6_.size() >= MAX_NEIGHBORS)
      neighbors6_.erase(neighbors6_.begin());      // the oldest
    neighbors6_.push_back(Neighbor6{ip, {}, 0});
    entry = &neighbors6_.back();
  }
  std::memcpy(entry->mac, mac, 6);
  entry->expires = now + REACHABLE_NS;
  for (auto it = pending6_.begin(); it != pending6_.end(); ++it) {
    if (!(it->ip == ip))
      continue;
    auto frames = std::move(it->frames);
    pending6_.erase(it);
    for (auto& frame : frames) {
      std::memcpy(frame.data(), mac, 6);
      transmit6(std::move(frame));
    }
    return;
  }
}

void Interface::ndp_solicit(const Addr6& target)
{
  Addr6 src;
  if (!source6_for(target, src))
    return;
  Addr6 group = solicited_node(target);
  uint8_t sol[32] = {ND_SOLICIT, 0, 0, 0, 0, 0, 0, 0};
  std::memcpy(sol + 8, target.b, 16);
  sol[24] = OPT_SOURCE_LL;
  sol[25] = 1;
  std::memcpy(sol + 26, nic->mac, 6);
  put16(sol + 2, checksum6(src, group, NEXT_ICMP6, sol, sizeof sol));
  send_ip6(src, group, NEXT_ICMP6, sol, sizeof sol, 255);
}

// ---- send -------------------------------------------------------------------------------

bool Interface::transmit6(std::vector<uint8_t> frame)
{
  if (frame.size() > Nic::MAX_FRAME) {
    tx_dropped++;
    return false;
  }
  if (backlog_.empty()) {
    if (uint8_t* out = nic->tx_buffer()) {
      std::memcpy(out, frame.data(), frame.size());
      nic->transmit(out, frame.size());
      tx_packets++;
      return true;
    }
  }
  return queue_frame(std::move(frame));
}

bool Interface::send_ip6(const Addr6& src, const Addr6& dst, uint8_t next, const uint8_t* payload,
                         size_t len, uint8_t hop_limit)
{
  std::vector<uint8_t> frame(ETH_HDR + IP6_HDR + len);
  uint8_t* f = frame.data();
  std::memcpy(f + 6, nic->mac, 6);
  put16(f + 12, ETH_IPV6);
  uint8_t* ip = f + ETH_HDR;
  ip[0] = 0x60;                                    // version 6, traffic class and flow label 0
  put16(ip + 4, static_cast<uint16_t>(len));
  ip[6] = next;
  ip[7] = hop_limit;
  std::memcpy(ip + 8, src.b, 16);
  std::memcpy(ip + 24, dst.b, 16);
  std::memcpy(ip + IP6_HDR, payload, len);
  if (is_multicast(dst)) {
    multicast_mac(dst, f);
    return transmit6(std::move(frame));
  }
  uint64_t now = clock_monotonic_ns();
  for (auto& n : neighbors6_)
    if (n.ip == dst && n.expires > now) {
      std::memcpy(f, n.mac, 6);
      return transmit6(std::move(frame));
    }
  for (auto& p : pending6_)
    if (p.ip == dst) {
      if (p.frames.size() >= MAX_WAITING) {
        p.frames.pop_front();
        tx_dropped++;
      }
      p.frames.push_back(std::move(frame));
      return true;
    }
  pending6_.push_back(Pending6{dst, 1, {}});
  pending6_.back().frames.push_back(std::move(frame));
  ndp_solicit(dst);
  // Ask again a second later, twice; then give up on what waits.
  std::function<void(Timers::id_t)> retry = [this, dst](Timers::id_t) {
    for (auto it = pending6_.begin(); it != pending6_.end(); ++it) {
      if (!(it->ip == dst))
        continue;
      if (it->tries >= 3) {
        tx_dropped += it->frames.size();
        pending6_.erase(it);
        return;
      }
      it->tries++;
      ndp_solicit(dst);
      return;
    }
  };
  for (int i = 1; i <= 3; i++)
    Timers::oneshot(std::chrono::seconds(i), retry);
  return true;
}

// ---- UDP ------------------------------------------------------------------------------------

int udp6_bind(const uint8_t addr[16], uint16_t& port, Udp6_receiver* r)
{
  Addr6 a = addr_at(addr);
  auto& b = bindings6();
  auto taken = [&](uint16_t p) {
    auto range = b.equal_range(p);
    for (auto it = range.first; it != range.second; ++it)
      if (it->second.addr == a || is_any(it->second.addr) || is_any(a))
        return true;
    return false;
  };
  if (port == 0) {
    uint32_t start = 0;
    random_bytes(&start, sizeof start);
    for (uint32_t i = 0; i < 16384 && port == 0; i++) {
      uint16_t p = static_cast<uint16_t>(49152 + (start + i) % 16384);
      if (!taken(p))
        port = p;
    }
    if (port == 0)
      return -EADDRINUSE;
  } else if (taken(port)) {
    return -EADDRINUSE;
  }
  b.emplace(port, Binding6{a, r});
  return 0;
}

void udp6_unbind(const uint8_t addr[16], uint16_t port)
{
  Addr6 a = addr_at(addr);
  auto& b = bindings6();
  auto range = b.equal_range(port);
  for (auto it = range.first; it != range.second; ++it)
    if (it->second.addr == a) {
      b.erase(it);
      return;
    }
}

int udp6_send(Interface& iface, const uint8_t src_addr[16], uint16_t src_port,
              const uint8_t dst_addr[16], uint16_t dst_port, const void* data, size_t len)
{
  if (len > UDP6_MAX_PAYLOAD)
    return -EMSGSIZE;
  Addr6 dst = addr_at(dst_addr), src = addr_at(src_addr);
  if (is_any(src) && !iface.source6_for(dst, src))
    return -EADDRNOTAVAIL;
  std::vector<uint8_t> udp(8 + len);
  put16(udp.data(), src_port);
  put16(udp.data() + 2, dst_port);
  put16(udp.data() + 4, static_cast<uint16_t>(8 + len));
  std::memcpy(udp.data() + 8, data, len);
  uint16_t sum = checksum6(src, dst, NEXT_UDP, udp.data(), udp.size());
  put16(udp.data() + 6, sum ? sum : 0xFFFF);       // 0 means "none", which IPv6 forbids
  return iface.send_ip6(src, dst, NEXT_UDP, udp.data(), udp.size()) ? 0 : -ENOBUFS;
}

}  // namespace ukbase::net
