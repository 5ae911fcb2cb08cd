// Network interfaces: Ethernet in and out, configuration from [build]
// config, and the public address types of <net>.
#include <cerrno>
#include <cstdio>

#include <config>
#include <timers>

#include "kernel/arch.h"
#include "kernel/clock.h"
#include "kernel/fd.hpp"
#include "kernel/inet.hpp"
#include "kernel/json.hpp"
#include "kernel/kprint.h"
#include "kernel/wait.hpp"
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
  for (auto& i : all)
    if (i->address)
      return i.get();
  return nullptr;
}

Interface* route(uint32_t dst, uint32_t src)
{
  // The interface that has the source address, if it can reach `dst`:
  // what one interface's stack sends leaves through it (as on IncludeOS,
  // whose every interface has a stack of its own), even when another
  // interface is on the same subnet; or it is a VLAN's and eth0 is.
  if (src)
    for (auto& i : all_interfaces())
      if (i->address == src && (i->on_link(dst) || i->gateway))
        return i.get();
  return route(dst);
}

bool is_local_address(uint32_t addr)
{
  for (auto& i : all_interfaces())
    if (i->address && i->address == addr)
      return true;
  return false;
}

size_t interface_count()
{
  size_t n = 0;                          // the NICs' own interfaces come first
  for (auto& i : all_interfaces())
    n += !i->parent;
  return n;
}

Interface* interface(size_t index)
{
  auto& all = all_interfaces();
  return index < all.size() ? all[index].get() : nullptr;
}

unsigned index_of(const Interface& i) { return i.index; }
const uint8_t* mac_of(const Interface& i) { return i.nic->mac; }

Iface_config config_of(const Interface& i)
{
  return Iface_config{i.address, i.netmask, i.gateway, i.dns};
}

void random_bytes(void* buf, size_t len) { arch_random(buf, len); }

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
  // Without an address (while DHCP asks for one) everything is heard;
  // ip_deliver() then passes on UDP only.
  return !address || ip == address || is_broadcast(ip);
}

void Interface::receive(uint8_t* f, size_t len)
{
  rx_packets++;
  if (len < ETH_HDR) {
    rx_dropped++;
    return;
  }
  bool ip6_multicast = f[0] == 0x33 && f[1] == 0x33 && get16(f + 12) == ETH_IPV6;
  if (std::memcmp(f, nic->mac, 6) != 0 && std::memcmp(f, BROADCAST_MAC, 6) != 0 && !ip6_multicast) {
    rx_dropped++;                        // other multicast, or someone else's
    return;
  }
  switch (get16(f + 12)) {
  case ETH_IPV4: ip_receive(f, len); break;
  case ETH_IPV6: ip6_receive(f, len); break;
  case ETH_VLAN: vlan_receive(f, len); break;
  case ETH_ARP:
    if (address)
      arp_receive(f, len);
    break;
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
  bool hooked = hooks4 && address;             // the service's chains decide what is ours
  if (!hooked && !accepts(dst)) {
    rx_dropped++;
    return;
  }
  // Remember the sender's MAC (on our subnet): the answer then needs no
  // ARP round trip.
  if (address && on_link(src) && src != address)
    arp_learn(src, f + 6);
  if (hooked)
    hooks4->received(*this, ip, total);
  else
    ip_input(ip, total);
}

void Interface::ip_input(const uint8_t* ip, size_t len)
{
  size_t hl = size_t(ip[0] & 15) * 4;
  if (get16(ip + 6) & 0x3FFF)                  // more fragments, or an offset
    reassemble(ip, hl, ip + hl, len - hl);
  else
    ip_deliver(ip, ip + hl, len - hl);
}

// A whole IPv4 payload (`ip`: a header with its addresses and protocol).
void Interface::ip_deliver(const uint8_t* ip, const uint8_t* payload, size_t len)
{
  if (!address && ip[9] != PROTO_UDP) {
    rx_dropped++;
    return;
  }
  switch (ip[9]) {
  case PROTO_TCP: tcp_receive(*this, ip, payload, len); break;
  case PROTO_UDP: udp_receive(*this, ip, payload, len); break;
  case PROTO_ICMP: icmp_receive(ip, payload, len); break;
  default:
    rx_dropped++;
    if (!is_broadcast(get32(ip + 16)))
      icmp_unreachable(ip, 2 /* protocol unreachable */);
  }
}

namespace {

constexpr uint8_t ICMP_ECHO_REPLY = 0, ICMP_UNREACHABLE = 3, ICMP_ECHO_REQUEST = 8,
                  ICMP_TIME_EXCEEDED = 11;

// The errno an ICMP error means for a transport endpoint (RFC 1122 4.2.3.9).
int icmp_errno(uint8_t type, uint8_t code)
{
  if (type == ICMP_TIME_EXCEEDED)
    return EHOSTUNREACH;
  switch (code) {
  case 0: return ENETUNREACH;        // net unreachable
  case 1: return EHOSTUNREACH;       // host unreachable
  case 2: return ENOPROTOOPT;        // protocol unreachable
  case 3: return ECONNREFUSED;       // port unreachable
  case 4: return EMSGSIZE;           // fragmentation needed
  default: return EHOSTUNREACH;
  }
}

}  // namespace

void Interface::icmp_receive(const uint8_t* ip, const uint8_t* icmp, size_t len)
{
  if (len < 8 || checksum_finish(checksum_add(0, icmp, len)) != 0) {
    rx_dropped++;
    return;
  }
  if (icmp[0] == ICMP_UNREACHABLE || icmp[0] == ICMP_TIME_EXCEEDED) {
    // The quoted packet: its IP header and at least 8 bytes after it.
    const uint8_t* q = icmp + 8;
    size_t qlen = len - 8;
    if (qlen < IP_HDR || (q[0] >> 4) != 4 || qlen < size_t(q[0] & 15) * 4 + 8
        || get32(q + 12) != address) {
      rx_dropped++;
      return;
    }
    size_t qhl = size_t(q[0] & 15) * 4;
    if (q[9] == PROTO_TCP)
      tcp_icmp_error(icmp[0], icmp[1], get16(icmp + 6), q, qlen);
    else if (q[9] == PROTO_UDP)
      udp_icmp_error(get32(q + 16), get16(q + qhl), get16(q + qhl + 2), icmp_errno(icmp[0], icmp[1]));
    return;
  }
  if (icmp[0] == ICMP_ECHO_REPLY && echo_reply_handler) {
    echo_reply_handler(*this, Echo_reply{get32(ip + 12), get32(ip + 16), get16(icmp + 4),
                                         get16(icmp + 6), get16(icmp + 2), icmp[0], icmp[1],
                                         icmp + 8, len - 8});
    return;
  }
  if (icmp[0] != ICMP_ECHO_REQUEST) {
    rx_dropped++;
    return;
  }
  constexpr uint8_t ECHO_REPLY = ICMP_ECHO_REPLY;
  uint32_t to = get32(ip + 12);
  send_ip(to, PROTO_ICMP, len, [&](uint8_t* out) {
    std::memcpy(out, icmp, len);
    out[0] = ECHO_REPLY;
    out[2] = out[3] = 0;
    put16(out + 2, checksum_finish(checksum_add(0, out, len)));
  });
}

void (*echo_reply_handler)(Interface&, const Echo_reply&) = nullptr;

bool icmp_echo_request(Interface& iface, uint32_t dst, uint16_t id, uint16_t seq,
                       const uint8_t* payload, size_t len)
{
  return iface.send_ip(dst, PROTO_ICMP, 8 + len, [&](uint8_t* out) {
    out[0] = ICMP_ECHO_REQUEST;
    out[1] = 0;
    put16(out + 2, 0);
    put16(out + 4, id);
    put16(out + 6, seq);
    std::memcpy(out + 8, payload, len);
    put16(out + 2, checksum_finish(checksum_add(0, out, 8 + len)));
  });
}

void Interface::icmp_error(const uint8_t* ip, uint8_t type, uint8_t code, uint32_t info)
{
  // A token bucket: 100 a second, bursts of 10.
  uint64_t now = clock_monotonic_ns();
  uint64_t earned = (now - icmp_tokens_at_) / 10000000;
  if (earned) {
    icmp_tokens_ = static_cast<unsigned>(std::min<uint64_t>(10, icmp_tokens_ + earned));
    icmp_tokens_at_ = now;
  }
  if (!icmp_tokens_ || !address)
    return;
  icmp_tokens_--;
  size_t hl = size_t(ip[0] & 15) * 4;
  size_t quoted = std::min<size_t>(get16(ip + 2), hl + 8);
  uint32_t to = get32(ip + 12);
  send_ip(to, PROTO_ICMP, 8 + quoted, [&](uint8_t* out) {
    out[0] = type;
    out[1] = code;
    put16(out + 2, 0);
    put32(out + 4, info);
    std::memcpy(out + 8, ip, quoted);
    put16(out + 2, checksum_finish(checksum_add(0, out, 8 + quoted)));
  });
}

// ---- send -------------------------------------------------------------------------

void Interface::write_ip_header(uint8_t* ip, uint32_t src, uint32_t dst, uint8_t proto,
                                size_t l4_len, uint16_t id, uint16_t fragment)
{
  ip[0] = 0x45;                          // v4, 20-byte header
  ip[1] = 0;
  put16(ip + 2, static_cast<uint16_t>(IP_HDR + l4_len));
  put16(ip + 4, id);
  put16(ip + 6, fragment);               // flags and offset
  ip[8] = 64;                            // TTL
  ip[9] = proto;
  put16(ip + 10, 0);
  put32(ip + 12, src);
  put32(ip + 16, dst);
  put16(ip + 10, checksum_finish(checksum_add(0, ip, IP_HDR)));
}

bool Interface::next_hop(uint32_t dst, uint32_t& hop, const uint8_t*& mac)
{
  bool broadcast = is_broadcast(dst);
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

// The transmit backlog: frames that found the NIC's ring full wait here
// (in order) and go out as the device gives buffers back, retried every
// millisecond while any wait. Like a qdisc: TCP's bursts are not lost
// just because they came faster than the device takes them.
constexpr size_t MAX_BACKLOG = 2048;

bool Interface::queue_frame(std::vector<uint8_t> frame)
{
  if (backlog_.size() >= MAX_BACKLOG) {
    tx_dropped++;
    return false;
  }
  backlog_.push_back(std::move(frame));
  if (!backlog_timer_) {
    backlog_timer_ = true;
    Timers::oneshot(std::chrono::milliseconds(1), [this](Timers::id_t) {
      backlog_timer_ = false;
      flush_backlog();
    });
  }
  return true;
}

void Interface::flush_backlog()
{
  while (!backlog_.empty()) {
    uint8_t* out = nic->tx_buffer();
    if (!out)
      break;
    std::vector<uint8_t>& f = backlog_.front();
    std::memcpy(out, f.data(), f.size());
    nic->transmit(out, f.size());
    tx_packets++;
    backlog_.pop_front();
  }
  if (!backlog_.empty() && !backlog_timer_) {
    backlog_timer_ = true;
    Timers::oneshot(std::chrono::milliseconds(1), [this](Timers::id_t) {
      backlog_timer_ = false;
      flush_backlog();
    });
  }
}

// Fragments of at most MTU bytes, offsets in 8-byte units (RFC 791).
bool Interface::send_fragmented(uint32_t src, uint32_t dst, uint8_t proto, const uint8_t* l4,
                                size_t len)
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
    std::vector<uint8_t> heap;
    uint8_t* frame = frame_buffer(mac, flen, heap);
    std::memcpy(frame + 6, nic->mac, 6);
    put16(frame + 12, ETH_IPV4);
    write_ip_header(frame + ETH_HDR, src, dst, proto, n, id,
                    static_cast<uint16_t>((more ? 0x2000 : 0) | (off / 8)));
    std::memcpy(frame + ETH_HDR + IP_HDR, l4 + off, n);
    if (!finish_frame(frame, flen, mac, hop, heap))
      return false;
  }
  return true;
}

uint8_t* Interface::frame_buffer(const uint8_t* mac, size_t len, std::vector<uint8_t>& heap)
{
  uint8_t* frame = mac && backlog_.empty() ? nic->tx_buffer() : nullptr;
  if (!frame) {
    heap.resize(len);
    frame = heap.data();
  }
  return frame;
}

bool Interface::finish_frame(uint8_t* frame, size_t len, const uint8_t* mac, uint32_t hop,
                             std::vector<uint8_t>& heap)
{
  if (!mac) {
    arp_queue(hop, std::move(heap));
    return true;
  }
  if (!heap.empty()) {
    std::memcpy(frame, mac, 6);
    return queue_frame(std::move(heap));
  }
  send_frame(frame, len, mac, hop);
  return true;
}

bool Interface::send_hooked(std::vector<uint8_t> packet)
{
  if (hooks4->sending(*this, packet.data(), packet.size()))
    return true;
  tx_dropped++;
  return false;
}

bool Interface::send_packet(const uint8_t* ip, size_t len, uint32_t hop)
{
  if (len < IP_HDR || !address) {
    tx_dropped++;
    return false;
  }
  if (!backlog_.empty())
    flush_backlog();
  uint32_t dst = get32(ip + 16);
  size_t hl = size_t(ip[0] & 15) * 4;
  if (len > MTU) {
    if (get16(ip + 6) & 0x4000) {              // don't fragment: tell the sender (RFC 1191)
      if (get32(ip + 12) != address)
        icmp_error(ip, 3, 4 /* fragmentation needed */, MTU);
      tx_dropped++;
      return false;
    }
    return send_fragmented(get32(ip + 12), dst, ip[9], ip + hl, len - hl);
  }
  const uint8_t* mac;
  if (hop)
    mac = is_broadcast(hop) ? BROADCAST_MAC : arp_lookup(hop);
  else
    next_hop(dst, hop, mac);
  size_t flen = ETH_HDR + len;
  std::vector<uint8_t> heap;
  uint8_t* frame = frame_buffer(mac, flen, heap);
  std::memcpy(frame + 6, nic->mac, 6);
  put16(frame + 12, ETH_IPV4);
  std::memcpy(frame + ETH_HDR, ip, len);
  return finish_frame(frame, flen, mac, hop, heap);
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
  net_stop = net_drain;
  Nic* n = nic.release();                // lives as long as the kernel
  all.push_back(std::make_unique<Interface>(n, static_cast<unsigned>(all.size())));
  n->iface = all.back().get();
}

}  // namespace ukbase::net

// ---- configuration ------------------------------------------------------------

namespace ukbase::net {

namespace {

std::vector<std::function<void(Interface&)>>& config_hooks()
{
  static auto* hooks = new std::vector<std::function<void(Interface&)>>;
  return *hooks;
}

unsigned prefix_length(uint32_t mask)
{
  return static_cast<unsigned>(__builtin_popcount(mask));
}

std::string dotted(uint32_t a)
{
  char buf[16];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
  return buf;
}

}  // namespace

void on_configured(std::function<void(Interface&)> hook)
{
  config_hooks().push_back(std::move(hook));
}

void configure(Interface& i, const Iface_config& c)
{
  bool changed = c.address != i.address;
  i.address = c.address;
  i.netmask = c.netmask;
  i.gateway = c.gateway;
  i.dns = c.dns;
  const uint8_t* m = i.nic->mac;
  char mac[18];
  std::snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  if (!i.address)
    kprintf("     [ Network ] %s %s not configured\n", i.name.c_str(), mac);
  else
    kprintf("     [ Network ] %s %s %s/%u gw %s\n", i.name.c_str(), mac, dotted(i.address).c_str(),
            prefix_length(i.netmask), dotted(i.gateway).c_str());
  if (i.address && changed)
    i.arp_announce();
  auto hooks = config_hooks();        // a hook may add hooks
  for (auto& h : hooks)
    h(i);
}

}  // namespace ukbase::net

namespace ukbase {

namespace {

using net::Iface_config;

constexpr uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d)
{
  return a << 24 | b << 16 | c << 8 | d;
}

// QEMU user networking's addresses.
Iface_config user_net_defaults()
{
  return Iface_config{ip(10, 0, 2, 15), ip(255, 255, 255, 0), ip(10, 0, 2, 2), ip(10, 0, 2, 3)};
}

// A dotted quad: four numbers 0-255.
bool parse_dotted(const std::string& s, uint32_t& out)
{
  uint32_t v = 0;
  size_t i = 0;
  for (int part = 0; part < 4; part++) {
    if (part && (i >= s.size() || s[i++] != '.'))
      return false;
    size_t start = i;
    uint32_t n = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 3)
      n = n * 10 + uint32_t(s[i++] - '0');
    if (i == start || n > 255)
      return false;
    v = v << 8 | n;
  }
  if (i != s.size())
    return false;
  out = v;
  return true;
}

// A dotted quad, or "a.b.c.d/bits" (which then also gives the netmask).
bool parse_address(const std::string& text, uint32_t& addr, uint32_t* mask)
{
  size_t slash = text.find('/');
  if (!parse_dotted(text.substr(0, slash), addr))
    return false;
  if (slash != std::string::npos) {
    const std::string bits = text.substr(slash + 1);
    if (bits.empty() || bits.size() > 2 || bits.find_first_not_of("0123456789") != std::string::npos)
      return false;
    unsigned n = static_cast<unsigned>(std::stoi(bits));
    if (n > 32 || !mask)
      return false;
    *mask = n ? ~0u << (32 - n) : 0;
  }
  return true;
}

// The first string of a member that may be a string or an array of them.
std::string first_string(const json::Value& cfg, const char* key)
{
  const json::Value* v = cfg.get(key);
  if (!v)
    return "";
  if (v->type == json::Value::String)
    return v->string;
  if (v->type == json::Value::Array)
    for (auto& item : v->items)
      if (item.type == json::Value::String && item.string.find(':') == std::string::npos)
        return item.string;
  return "";
}

// The static part of an entry: address (a.b.c.d or a.b.c.d/bits),
// netmask, gateway, dns (defaulting to the gateway, as IncludeOS does).
bool static_config(const std::string& name, const json::Value& cfg, Iface_config& out)
{
  uint32_t mask = 0xFFFFFF00u;
  bool mask_from_address = false;
  std::string addr = first_string(cfg, "address");
  if (addr.empty()) {
    kprintf("     [ Network ] %s: the config has no \"address\"\n", name.c_str());
    return false;
  }
  if (!parse_address(addr, out.address, &mask)) {
    kprintf("     [ Network ] %s: bad \"address\" %s in the config\n", name.c_str(), addr.c_str());
    return false;
  }
  mask_from_address = addr.find('/') != std::string::npos;
  std::string nm = first_string(cfg, "netmask");
  if (!mask_from_address && !nm.empty() && !parse_address(nm, mask, nullptr)) {
    kprintf("     [ Network ] %s: bad \"netmask\" %s in the config\n", name.c_str(), nm.c_str());
    return false;
  }
  out.netmask = mask;
  std::string gw = first_string(cfg, "gateway"), dns = first_string(cfg, "dns");
  if ((!gw.empty() && !parse_address(gw, out.gateway, nullptr))
      || (!dns.empty() && !parse_address(dns, out.dns, nullptr))) {
    kprintf("     [ Network ] %s: bad \"gateway\" or \"dns\" in the config\n", name.c_str());
    return false;
  }
  if (!out.dns)
    out.dns = out.gateway;
  return true;
}

// DHCP at start-up: the service starts once the interface has an address
// (or the time is up), so that its first socket calls find the network
// ready.
bool dhcp_now(net::Interface& i, double timeout)
{
  bool done = false, timed_out = false;
  net::dhcp_start(i, timeout, [&](bool t) {
    done = true;
    timed_out = t;
  });
  block_until([&] { return done; }, 0);
  return !timed_out;
}

// One entry of the config's "net" array (or none), in IncludeOS's format:
// "config": "static" | "dhcp" | "dhcp4" | "dhcp-with-fallback" | "none"
// (or an array of them, tried in order), "address", "netmask",
// "gateway", "dns", "timeout" (seconds, for DHCP; default 10).
void configure_from(net::Interface& i, const json::Value* cfg)
{
  if (!cfg) {
    // No entry: eth0 gets QEMU user networking's addresses.
    net::configure(i, i.index == 0 ? user_net_defaults() : Iface_config{});
    return;
  }
  std::vector<std::string> modes;
  if (const json::Value* m = cfg->get("config")) {
    if (m->type == json::Value::String)
      modes.push_back(m->string);
    else if (m->type == json::Value::Array)
      for (auto& item : m->items)
        if (item.type == json::Value::String)
          modes.push_back(item.string);
  } else {
    modes.push_back("static");
  }
  double timeout = 10.0;
  if (const json::Value* t = cfg->get("timeout"); t && t->type == json::Value::Number && t->number > 0)
    timeout = t->number;
  for (const std::string& mode : modes) {
    Iface_config c;
    if (mode == "static" || mode == "static4") {
      if (static_config(i.name, *cfg, c)) {
        net::configure(i, c);
        return;
      }
    } else if (mode == "dhcp" || mode == "dhcp4") {
      if (dhcp_now(i, timeout))
        return;
    } else if (mode == "dhcp-with-fallback") {
      if (dhcp_now(i, timeout))
        return;
      kprintf("     [ Network ] %s: no DHCP answer: falling back to the static configuration\n",
              i.name.c_str());
      if (static_config(i.name, *cfg, c)) {
        net::configure(i, c);
        return;
      }
    } else if (mode == "none") {
      net::configure(i, Iface_config{});
      return;
    } else {
      kprintf("     [ Network ] %s: unknown config method \"%s\" (static, dhcp, "
              "dhcp-with-fallback, none)\n", i.name.c_str(), mode.c_str());
    }
  }
  net::configure(i, Iface_config{});
}

}  // namespace

void net_drain()
{
  auto busy = [] {
    bool any = false;
    for (auto& i : net::all_interfaces()) {
      i->flush_backlog();
      any = any || !i->backlog_empty() || i->nic->tx_pending();
    }
    return any;
  };
  wait_for([&] { return !busy(); }, 200000000);
}

namespace {

// The config's "net" array, or null (`complain`: say why it is unusable).
const json::Value* net_entries(json::Value& root, bool complain)
{
  const Config& config = Config::get();
  if (config.empty())
    return nullptr;
  std::string error;
  if (!json::parse(config.view(), root, &error)) {
    if (complain)
      kprintf("     [ Network ] the config is not valid JSON (%s): using defaults\n", error.c_str());
    return nullptr;
  }
  const json::Value* list = root.get("net");
  return list && list->type == json::Value::Array ? list : nullptr;
}

const json::Value* entry_of(const json::Value* list, unsigned index)
{
  const json::Value* found = nullptr;
  if (list)
    for (auto& item : list->items) {
      const json::Value* idx = item.get("iface");
      if (idx && idx->type == json::Value::Number && idx->number == index)
        found = &item;
    }
  return found;
}

}  // namespace

void net_init()
{
  auto& all = net::all_interfaces();
  if (all.empty())
    return;
  json::Value root;
  const json::Value* list = net_entries(root, true);
  net::tcp();                         // the engine exists before the service opens sockets
  for (auto& i : all)
    configure_from(*i, entry_of(list, i->index));
}

size_t net_setup_vlans()
{
  json::Value root;
  const json::Value* list = net_entries(root, false);
  size_t made = 0;
  for (size_t n = 0, count = net::interface_count(); n < count; n++) {
    const json::Value* entry = entry_of(list, static_cast<unsigned>(n));
    const json::Value* vlans = entry ? entry->get("vlan") : nullptr;
    if (!vlans || vlans->type != json::Value::Array)
      continue;
    for (auto& v : vlans->items) {
      const json::Value* id = v.get("id");
      net::Interface* parent = net::interface(n);
      bool good = id && id->type == json::Value::Number && id->number >= 1 && id->number <= 4094
                  && id->number == static_cast<uint16_t>(id->number);
      net::Interface* vlan = good ? net::add_vlan(*parent, static_cast<uint16_t>(id->number)) : nullptr;
      if (!vlan) {
        kprintf("     [ Network ] %s: a \"vlan\" entry without an \"id\" of 1..4094\n",
                parent->name.c_str());
        continue;
      }
      Iface_config c;
      if (static_config(vlan->name, v, c)) {
        net::configure(*vlan, c);
        made++;
      }
    }
  }
  return made;
}

}  // namespace ukbase

