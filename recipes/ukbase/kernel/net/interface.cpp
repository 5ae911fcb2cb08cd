// Network interfaces: Ethernet in and out, configuration from [build]
// config, and the public address types of <net>.
#include <cstdio>

#include <config>

#include "kernel/json.hpp"
#include "kernel/kprint.h"
#include "stack.hpp"

namespace ukbase::net {

const uint8_t BROADCAST_MAC[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

std::vector<std::unique_ptr<Interface>>& all_interfaces()
{
  static auto* list = new std::vector<std::unique_ptr<Interface>>;
  return *list;
}

Interface* route(uint32_t dst)
{
  auto& all = all_interfaces();
  for (auto& i : all)
    if (i->address && i->on_link(dst))
      return i.get();
  return all.empty() ? nullptr : all.front().get();
}

// ---- checksums ----------------------------------------------------------------

uint64_t checksum_add(uint64_t sum, const uint8_t* p, size_t len)
{
  // 32-bit big-endian words into a 64-bit accumulator: no carries lost.
  while (len >= 4) {
    sum += get32(p);
    p += 4, len -= 4;
  }
  if (len >= 2) {
    sum += get16(p);
    p += 2, len -= 2;
  }
  if (len)
    sum += uint32_t(p[0]) << 8;
  return sum;
}

uint16_t checksum_finish(uint64_t sum)
{
  while (sum >> 16)
    sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

uint64_t pseudo_header(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
  return uint64_t(src) + dst + proto + len;
}

// ---- receive --------------------------------------------------------------------

void Nic::deliver(uint8_t* frame, size_t len)
{
  if (iface)
    iface->receive(frame, len);
}

Interface::Interface(Nic* n, unsigned i) : nic(n), index(i), name("eth" + std::to_string(i)) {}

bool Interface::accepts(uint32_t ip) const
{
  return ip == address || ip == 0xFFFFFFFFu || (netmask && ip == (address | ~netmask));
}

void Interface::receive(uint8_t* f, size_t len)
{
  rx_packets++;
  if (len < ETH_HDR || !address) {
    rx_dropped++;
    return;
  }
  if (std::memcmp(f, nic->mac, 6) != 0 && std::memcmp(f, BROADCAST_MAC, 6) != 0) {
    rx_dropped++;                        // multicast, or someone else's
    return;
  }
  switch (get16(f + 12)) {
  case ETH_IPV4: ip_receive(f, len); break;
  case ETH_ARP: arp_receive(f, len); break;
  default: rx_dropped++;
  }
}

void Interface::ip_receive(uint8_t* f, size_t len)
{
  const uint8_t* ip = f + ETH_HDR;
  size_t avail = len - ETH_HDR;
  if (avail < IP_HDR || (ip[0] >> 4) != 4) {
    rx_dropped++;
    return;
  }
  size_t hl = size_t(ip[0] & 15) * 4, total = get16(ip + 2);
  if (hl < IP_HDR || total < hl || total > avail
      || checksum_finish(checksum_add(0, ip, hl)) != 0) {
    rx_dropped++;
    return;
  }
  uint32_t src = get32(ip + 12), dst = get32(ip + 16);
  if (!accepts(dst)) {
    rx_dropped++;
    return;
  }
  // Remember the sender's MAC (on our subnet): the answer then needs no
  // ARP round trip.
  if (on_link(src) && src != address)
    arp_learn(src, f + 6);
  if (get16(ip + 6) & 0x3FFF)                  // more fragments, or an offset
    reassemble(ip, hl, ip + hl, total - hl);
  else
    ip_deliver(ip, ip + hl, total - hl);
}

// A whole IPv4 payload (`ip`: a header with its addresses and protocol).
void Interface::ip_deliver(const uint8_t* ip, const uint8_t* payload, size_t len)
{
  switch (ip[9]) {
  case PROTO_UDP: udp_receive(*this, ip, payload, len); break;
  case PROTO_ICMP: icmp_receive(ip, payload, len); break;
  default: rx_dropped++;
  }
}

void Interface::icmp_receive(const uint8_t* ip, const uint8_t* icmp, size_t len)
{
  constexpr uint8_t ECHO_REQUEST = 8, ECHO_REPLY = 0;
  if (len < 8 || icmp[0] != ECHO_REQUEST || checksum_finish(checksum_add(0, icmp, len)) != 0) {
    rx_dropped++;
    return;
  }
  uint32_t to = get32(ip + 12);
  send_ip(to, PROTO_ICMP, len, [&](uint8_t* out) {
    std::memcpy(out, icmp, len);
    out[0] = ECHO_REPLY;
    out[2] = out[3] = 0;
    put16(out + 2, checksum_finish(checksum_add(0, out, len)));
  });
}

// ---- send -------------------------------------------------------------------------

void Interface::write_ip_header(uint8_t* ip, uint32_t dst, uint8_t proto, size_t l4_len,
                                uint16_t id, uint16_t fragment)
{
  ip[0] = 0x45;                          // v4, 20-byte header
  ip[1] = 0;
  put16(ip + 2, static_cast<uint16_t>(IP_HDR + l4_len));
  put16(ip + 4, id);
  put16(ip + 6, fragment);               // flags and offset
  ip[8] = 64;                            // TTL
  ip[9] = proto;
  put16(ip + 10, 0);
  put32(ip + 12, address);
  put32(ip + 16, dst);
  put16(ip + 10, checksum_finish(checksum_add(0, ip, IP_HDR)));
}

bool Interface::next_hop(uint32_t dst, uint32_t& hop, const uint8_t*& mac)
{
  bool broadcast = dst == 0xFFFFFFFFu || (netmask && dst == (address | ~netmask));
  hop = broadcast || on_link(dst) || !gateway ? dst : gateway;
  mac = broadcast ? BROADCAST_MAC : arp_lookup(hop);
  return true;
}

void Interface::send_frame(uint8_t* frame, size_t len, const uint8_t* mac, uint32_t)
{
  std::memcpy(frame, mac, 6);
  nic->transmit(frame, len);
  tx_packets++;
}

// Fragments of at most MTU bytes, offsets in 8-byte units (RFC 791).
bool Interface::send_fragmented(uint32_t dst, uint8_t proto, const uint8_t* l4, size_t len)
{
  uint32_t hop;
  const uint8_t* mac;
  next_hop(dst, hop, mac);
  constexpr size_t PER_FRAGMENT = (MTU - IP_HDR) & ~size_t(7);
  uint16_t id = ip_id_++;
  for (size_t off = 0; off < len; off += PER_FRAGMENT) {
    size_t n = len - off < PER_FRAGMENT ? len - off : PER_FRAGMENT;
    bool more = off + n < len;
    size_t flen = ETH_HDR + IP_HDR + n;
    std::vector<uint8_t> waiting;
    uint8_t* frame = mac ? nic->tx_buffer() : (waiting.resize(flen), waiting.data());
    if (!frame) {
      tx_dropped++;
      return false;
    }
    std::memcpy(frame + 6, nic->mac, 6);
    put16(frame + 12, ETH_IPV4);
    write_ip_header(frame + ETH_HDR, dst, proto, n, id,
                    static_cast<uint16_t>((more ? 0x2000 : 0) | (off / 8)));
    std::memcpy(frame + ETH_HDR + IP_HDR, l4 + off, n);
    if (mac)
      send_frame(frame, flen, mac, hop);
    else
      arp_queue(hop, std::move(waiting));
  }
  return true;
}

uint8_t* Interface::begin_frame(const uint8_t* dst_mac, uint16_t type)
{
  uint8_t* f = nic->tx_buffer();
  if (!f) {
    tx_dropped++;
    return nullptr;
  }
  std::memcpy(f, dst_mac, 6);
  std::memcpy(f + 6, nic->mac, 6);
  put16(f + 12, type);
  return f;
}

void add_nic(std::unique_ptr<Nic> nic)
{
  auto& all = all_interfaces();
  net_start = net_init;
  Nic* n = nic.release();                // lives as long as the kernel
  all.push_back(std::make_unique<Interface>(n, static_cast<unsigned>(all.size())));
  n->iface = all.back().get();
}

}  // namespace ukbase::net

// ---- configuration ------------------------------------------------------------

namespace ukbase {

namespace {

unsigned prefix_length(uint32_t mask)
{
  return static_cast<unsigned>(__builtin_popcount(mask));
}

void set_defaults(net::Interface& i)
{
  // QEMU user networking's addresses.
  i.address = ::net::ip4(10, 0, 2, 15).value;
  i.netmask = ::net::ip4(255, 255, 255, 0).value;
  i.gateway = ::net::ip4(10, 0, 2, 2).value;
}

// One entry of the config's "net" array (or none): IncludeOS's keys
// "config" ("static"; "dhcp", "dhcp-with-fallback": no DHCP client here,
// the static fields or the defaults are used), "address", "netmask",
// "gateway".
void configure(net::Interface& i, const json::Value* cfg)
{
  if (!cfg) {
    if (i.index == 0)
      set_defaults(i);
    return;
  }
  std::string mode = cfg->get_string("config", "static");
  bool has_address = cfg->get("address") != nullptr;
  if (mode != "static") {
    kprintf("     [ Network ] %s: no DHCP client (config \"%s\"): using %s\n", i.name.c_str(),
            mode.c_str(), has_address ? "the static address" : "the defaults");
    if (!has_address) {
      set_defaults(i);
      return;
    }
  }
  auto addr = ::net::ip4::parse(cfg->get_string("address"));
  auto mask = ::net::ip4::parse(cfg->get_string("netmask", "255.255.255.0"));
  auto gw = ::net::ip4::parse(cfg->get_string("gateway", "0.0.0.0"));
  if (!addr || !mask || !gw) {
    kprintf("     [ Network ] %s: bad address, netmask or gateway in the config\n", i.name.c_str());
    return;
  }
  i.address = addr->value;
  i.netmask = mask->value;
  i.gateway = gw->value;
}

}  // namespace

void net_init()
{
  auto& all = net::all_interfaces();
  if (all.empty())
    return;
  json::Value root;
  const json::Value* list = nullptr;
  const Config& config = Config::get();
  if (!config.empty()) {
    std::string error;
    if (!json::parse(config.view(), root, &error))
      kprintf("     [ Network ] the config is not valid JSON (%s): using defaults\n", error.c_str());
    else if ((list = root.get("net")) && list->type != json::Value::Array)
      list = nullptr;
  }
  for (auto& i : all) {
    const json::Value* cfg = nullptr;
    if (list)
      for (auto& item : list->items) {
        const json::Value* idx = item.get("iface");
        if (idx && idx->type == json::Value::Number && idx->number == i->index)
          cfg = &item;
      }
    configure(*i, cfg);
    std::string mac = ::net::MAC{{i->nic->mac[0], i->nic->mac[1], i->nic->mac[2],
                                  i->nic->mac[3], i->nic->mac[4], i->nic->mac[5]}}.str();
    if (!i->address) {
      kprintf("     [ Network ] %s %s not configured\n", i->name.c_str(), mac.c_str());
      continue;
    }
    kprintf("     [ Network ] %s %s %s/%u gw %s\n", i->name.c_str(), mac.c_str(),
            ::net::ip4(i->address).str().c_str(), prefix_length(i->netmask),
            ::net::ip4(i->gateway).str().c_str());
    i->arp_announce();
  }
}

}  // namespace ukbase

// ---- <net>: addresses and interfaces ----------------------------------------

namespace net {

std::optional<ip4> ip4::parse(std::string_view s)
{
  uint32_t v = 0;
  int parts = 0;
  size_t i = 0;
  while (parts < 4) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9')
      return std::nullopt;
    uint32_t n = 0;
    size_t digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && digits < 4) {
      n = n * 10 + uint32_t(s[i++] - '0');
      digits++;
    }
    if (n > 255)
      return std::nullopt;
    v = v << 8 | n;
    if (++parts < 4) {
      if (i >= s.size() || s[i] != '.')
        return std::nullopt;
      i++;
    }
  }
  if (i != s.size())
    return std::nullopt;
  return ip4(v);
}

std::string ip4::str() const
{
  char buf[16];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", value >> 24, (value >> 16) & 255,
                (value >> 8) & 255, value & 255);
  return buf;
}

std::string MAC::str() const
{
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1],
                bytes[2], bytes[3], bytes[4], bytes[5]);
  return buf;
}

std::vector<Interface> interfaces()
{
  std::vector<Interface> out;
  for (auto& i : ukbase::net::all_interfaces()) {
    Interface x;
    x.name = i->name;
    x.driver = i->nic->description;
    std::copy(i->nic->mac, i->nic->mac + 6, x.mac.bytes.begin());
    x.address = ip4(i->address);
    x.netmask = ip4(i->netmask);
    x.gateway = ip4(i->gateway);
    x.rx_packets = i->rx_packets;
    x.tx_packets = i->tx_packets;
    x.rx_dropped = i->rx_dropped;
    x.tx_dropped = i->tx_dropped + i->nic->tx_dropped;
    out.push_back(std::move(x));
  }
  return out;
}

}  // namespace net
