// net::dhcp::DHCPD (net/dhcp/dhcpd.hpp): a DHCP server on the IncludeOS
// UDP API (RFC 2131, the options of RFC 2132 it needs).
#include <net/dhcp/dhcpd.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>

#include <net/inet.hpp>

namespace net::dhcp {

namespace {

constexpr uint16_t SERVER_PORT = 67, CLIENT_PORT = 68;
constexpr size_t FIXED = 236;               // op .. file
constexpr uint8_t MAGIC[4] = {99, 130, 83, 99};
enum : uint8_t { DISCOVER = 1, OFFER = 2, REQUEST = 3, DECLINE = 4, ACK = 5, NAK = 6, RELEASE = 7 };
enum : uint8_t { OPT_MASK = 1, OPT_ROUTER = 3, OPT_DNS = 6, OPT_REQUESTED = 50, OPT_LEASE = 51,
                 OPT_TYPE = 53, OPT_SERVER = 54, OPT_END = 255, OPT_PAD = 0 };

uint32_t get32(const uint8_t* p)
{
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
void put32(uint8_t* p, uint32_t v)
{
  p[0] = uint8_t(v >> 24); p[1] = uint8_t(v >> 16); p[2] = uint8_t(v >> 8); p[3] = uint8_t(v);
}

/// The option `code` of a message: its bytes, or null.
const uint8_t* option(const uint8_t* msg, size_t len, uint8_t code, uint8_t& optlen)
{
  for (size_t i = FIXED + 4; i < len;) {
    uint8_t c = msg[i];
    if (c == OPT_PAD) { i++; continue; }
    if (c == OPT_END || i + 1 >= len || i + 2 + msg[i + 1] > len)
      return nullptr;
    if (c == code) {
      optlen = msg[i + 1];
      return msg + i + 2;
    }
    i += 2 + msg[i + 1];
  }
  return nullptr;
}

ip4::Addr option_addr(const uint8_t* msg, size_t len, uint8_t code)
{
  uint8_t n = 0;
  const uint8_t* p = option(msg, len, code, n);
  return p && n == 4 ? ip4::Addr{get32(p)} : ip4::Addr{};
}

int64_t now_s()
{
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

DHCPD::DHCPD(UDP& udp, ip4::Addr pool_start, ip4::Addr pool_end, uint32_t lease,
             uint32_t max_lease, uint8_t pending)
    : udp_(udp), pool_start_(pool_start), pool_end_(pool_end), lease_(lease),
      max_lease_(max_lease), pending_(pending)
{
  if (pool_end.whole < pool_start.whole)
    throw std::runtime_error("DHCPD: the pool ends before it starts");
  // on the interface's address: broadcasts to port 67 reach every binding of it
  sock_ = &udp.bind(SERVER_PORT);
  sock_->on_read([this](udp::addr_t, udp::port_t, const char* data, size_t len) {
    receive(reinterpret_cast<const uint8_t*>(data), len);
  });
}

DHCPD::~DHCPD()
{
  if (sock_)
    sock_->close();
}

ip4::Addr DHCPD::address_of(const std::string& mac) const
{
  auto it = leases_.find(mac);
  return it == leases_.end() ? ip4::Addr{} : it->second.addr;
}

ip4::Addr DHCPD::pick(const std::string& mac, ip4::Addr wanted)
{
  const int64_t now = now_s();
  for (auto it = leases_.begin(); it != leases_.end();)   // offers nobody took up
    it = (!it->second.bound && it->first != mac && now - it->second.offered > pending_)
             ? leases_.erase(it) : std::next(it);
  if (auto it = leases_.find(mac); it != leases_.end()) {
    it->second.offered = now;
    return it->second.addr;
  }
  auto taken = [this](ip4::Addr a) {
    for (auto& [m, l] : leases_)
      if (l.addr == a)
        return true;
    return false;
  };
  if (wanted.whole >= pool_start_.whole && wanted.whole <= pool_end_.whole && !taken(wanted))
    return leases_[mac] = Lease{wanted, false, now}, wanted;
  for (uint32_t a = pool_start_.whole; a <= pool_end_.whole; a++)
    if (!taken(ip4::Addr{a}))
      return leases_[mac] = Lease{ip4::Addr{a}, false, now}, ip4::Addr{a};
  return ip4::Addr{};   // the pool is used up
}

void DHCPD::receive(const uint8_t* msg, size_t len)
{
  if (len < FIXED + 4 || msg[0] != 1 /* BOOTREQUEST */ || msg[1] != 1 || msg[2] != 6
      || std::memcmp(msg + FIXED, MAGIC, 4) != 0)
    return;
  uint8_t n = 0;
  const uint8_t* type = option(msg, len, OPT_TYPE, n);
  if (!type || n != 1)
    return;
  const std::string mac(reinterpret_cast<const char*>(msg + 28), 6);
  const ip4::Addr self = udp_.stack().ip_addr();
  switch (*type) {
  case DISCOVER: {
    ip4::Addr a = pick(mac, option_addr(msg, len, OPT_REQUESTED));
    if (a != ip4::Addr{})
      reply(msg, len, OFFER, a);
    break;
  }
  case REQUEST: {
    ip4::Addr server = option_addr(msg, len, OPT_SERVER);
    if (server != ip4::Addr{} && server != self) {   // the client took another server's offer
      if (auto it = leases_.find(mac); it != leases_.end() && !it->second.bound)
        leases_.erase(it);
      break;
    }
    ip4::Addr wanted = option_addr(msg, len, OPT_REQUESTED);
    if (wanted == ip4::Addr{})
      wanted = ip4::Addr{get32(msg + 12)};          // ciaddr: renewing
    auto it = leases_.find(mac);
    if (it == leases_.end() && wanted != ip4::Addr{})
      pick(mac, wanted), it = leases_.find(mac);
    if (it != leases_.end() && it->second.addr == wanted) {
      it->second.bound = true;
      reply(msg, len, ACK, wanted);
    } else {
      reply(msg, len, NAK, ip4::Addr{});
    }
    break;
  }
  case RELEASE:
  case DECLINE:
    leases_.erase(mac);
    break;
  default:
    break;
  }
}

void DHCPD::reply(const uint8_t* request, size_t len, uint8_t type, ip4::Addr yiaddr)
{
  uint8_t n = 0;
  const uint8_t* asked = option(request, len, OPT_LEASE, n);
  uint32_t lease = asked && n == 4 ? std::min(get32(asked), max_lease_) : lease_;
  auto& inet = udp_.stack();
  std::vector<uint8_t> out(FIXED + 4, 0);
  out[0] = 2;                                        // BOOTREPLY
  out[1] = 1; out[2] = 6;                            // Ethernet, 6-byte addresses
  std::memcpy(out.data() + 4, request + 4, 4);       // xid
  std::memcpy(out.data() + 10, request + 10, 2);     // flags
  put32(out.data() + 16, yiaddr.whole);
  put32(out.data() + 20, inet.ip_addr().whole);      // siaddr
  std::memcpy(out.data() + 24, request + 24, 4);     // giaddr
  std::memcpy(out.data() + 28, request + 28, 16);    // chaddr
  std::memcpy(out.data() + FIXED, MAGIC, 4);
  auto add = [&out](uint8_t code, uint32_t value, uint8_t len = 4) {
    out.push_back(code);
    out.push_back(len);
    for (int i = len - 1; i >= 0; i--)
      out.push_back(uint8_t(value >> (8 * i)));
  };
  add(OPT_TYPE, type, 1);
  add(OPT_SERVER, inet.ip_addr().whole);
  if (type != NAK) {
    add(OPT_LEASE, lease);
    add(OPT_MASK, inet.netmask().whole);
    add(OPT_ROUTER, inet.ip_addr().whole);
    add(OPT_DNS, (inet.dns_addr() != ip4::Addr{} ? inet.dns_addr() : inet.ip_addr()).whole);
  }
  out.push_back(OPT_END);
  sock_->bcast(net::Addr{inet.ip_addr()}, CLIENT_PORT, out.data(), out.size());
}

}  // namespace net::dhcp
