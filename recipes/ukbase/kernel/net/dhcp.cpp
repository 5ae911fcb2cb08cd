// DHCP client (RFC 2131, options RFC 2132): DISCOVER and REQUEST are
// broadcast from 0.0.0.0:68 with the BOOTP broadcast flag set (so offers
// reach an interface without an address), retried every second until an
// ACK configures the interface or the time is up. The lease is renewed
// at T1 (half of it) from the server itself, rebound at T2 (7/8) from
// anyone, and given up when it runs out; a NAK starts over.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <vector>

#include <timers>

#include "kernel/clock.h"
#include "kernel/inet.hpp"
#include "kernel/kprint.h"
#include "stack.hpp"

namespace ukbase::net {

namespace {

constexpr uint16_t CLIENT_PORT = 68, SERVER_PORT = 67;
constexpr uint8_t BOOTREQUEST = 1, BOOTREPLY = 2;
constexpr uint8_t DISCOVER = 1, OFFER = 2, REQUEST = 3, ACK = 5, NAK = 6;
constexpr uint8_t OPT_PAD = 0, OPT_MASK = 1, OPT_ROUTER = 3, OPT_DNS = 6, OPT_HOSTNAME = 12,
                  OPT_REQUESTED = 50, OPT_LEASE = 51, OPT_TYPE = 53, OPT_SERVER = 54,
                  OPT_PARAMS = 55, OPT_MAX_SIZE = 57, OPT_T1 = 58, OPT_T2 = 59,
                  OPT_CLIENT_ID = 61, OPT_END = 255;
constexpr size_t FIXED = 236;                 // the BOOTP header, up to the options
constexpr uint32_t MAGIC = 0x63825363;
constexpr uint32_t BROADCAST = 0xFFFFFFFFu;

std::string dotted(uint32_t a)
{
  char buf[16];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
  return buf;
}

struct Reply {
  uint8_t type = 0;
  uint32_t yiaddr = 0, server = 0, mask = 0, router = 0, dns = 0;
  uint32_t lease = 0, t1 = 0, t2 = 0;
};

bool parse(const uint8_t* p, size_t len, uint32_t xid, const uint8_t* mac, Reply& r)
{
  if (len < FIXED + 4 || p[0] != BOOTREPLY || get32(p + 4) != xid
      || std::memcmp(p + 28, mac, 6) != 0 || get32(p + FIXED) != MAGIC)
    return false;
  r.yiaddr = get32(p + 16);
  for (size_t i = FIXED + 4; i < len;) {
    uint8_t code = p[i++];
    if (code == OPT_PAD)
      continue;
    if (code == OPT_END || i >= len)
      break;
    uint8_t n = p[i++];
    if (i + n > len)
      return false;
    const uint8_t* v = p + i;
    switch (code) {
    case OPT_TYPE: if (n >= 1) r.type = v[0]; break;
    case OPT_SERVER: if (n >= 4) r.server = get32(v); break;
    case OPT_MASK: if (n >= 4) r.mask = get32(v); break;
    case OPT_ROUTER: if (n >= 4) r.router = get32(v); break;
    case OPT_DNS: if (n >= 4) r.dns = get32(v); break;
    case OPT_LEASE: if (n >= 4) r.lease = get32(v); break;
    case OPT_T1: if (n >= 4) r.t1 = get32(v); break;
    case OPT_T2: if (n >= 4) r.t2 = get32(v); break;
    default: break;
    }
    i += n;
  }
  return r.type != 0;
}

class Client final : public Udp_receiver {
 public:
  explicit Client(Interface& i) : iface_(i) {}

  void start(double timeout_s, std::function<void(bool)> done)
  {
    if (done)
      waiting_.push_back(std::move(done));
    if (state_ == SELECTING || state_ == REQUESTING)
      return;                          // already asking
    deadline_ = clock_monotonic_ns() + static_cast<uint64_t>(timeout_s * 1e9);
    begin();
  }

  void udp_receive(const Udp_datagram& d) override
  {
    Reply r;
    if (d.iface != &iface_ || d.src_port != SERVER_PORT
        || !parse(d.data, d.size, xid_, mac_of(iface_), r))
      return;
    if (state_ == SELECTING && r.type == OFFER && r.yiaddr) {
      offered_ = r.yiaddr;
      server_ = r.server ? r.server : d.src;
      state_ = REQUESTING;
      tries_ = 0;
      send(REQUEST);
      return;
    }
    if (state_ == REQUESTING || state_ == RENEWING || state_ == REBINDING) {
      if (r.type == ACK && r.yiaddr)
        bound(r);
      else if (r.type == NAK) {
        kprintf("     [ DHCP ] %s: %s refused (NAK): asking again\n", iface_.name.c_str(),
                dotted(offered_).c_str());
        if (state_ != REQUESTING)
          configure(iface_, Iface_config{});
        begin();
      }
    }
  }

 private:
  enum State { IDLE, SELECTING, REQUESTING, BOUND, RENEWING, REBINDING };

  void begin()
  {
    random_bytes(&xid_, sizeof xid_);
    state_ = SELECTING;
    tries_ = 0;
    offered_ = server_ = 0;
    listen();
    send(DISCOVER);
  }

  void listen()
  {
    if (!listening_) {
      listening_ = port68().join(this);
      if (!listening_)
        kprintf("     [ DHCP ] %s: UDP port 68 is taken\n", iface_.name.c_str());
    }
  }

  void unlisten()
  {
    if (listening_)
      port68().leave(this);
    listening_ = false;
  }

  /// UDP port 68, shared by the clients of every interface: each datagram
  /// goes to all of them, and each takes its own (interface, xid).
  struct Port68 final : Udp_receiver {
    std::vector<Client*> clients;

    bool join(Client* c)
    {
      if (clients.empty()) {
        uint16_t port = CLIENT_PORT;
        if (udp_bind(0, port, this) != 0)
          return false;
      }
      clients.push_back(c);
      return true;
    }

    void leave(Client* c)
    {
      clients.erase(std::remove(clients.begin(), clients.end(), c), clients.end());
      if (clients.empty())
        udp_unbind(0, CLIENT_PORT);
    }

    void udp_receive(const Udp_datagram& d) override
    {
      auto all = clients;             // a client may leave from its callback
      for (Client* c : all)
        c->udp_receive(d);
    }
  };
  static Port68& port68()
  {
    static Port68 shared;
    return shared;
  }

  void send(uint8_t type)
  {
    std::vector<uint8_t> m(FIXED + 4, 0);
    const uint8_t* mac = mac_of(iface_);
    bool renew = state_ == RENEWING || state_ == REBINDING;
    m[0] = BOOTREQUEST;
    m[1] = 1;                          // Ethernet
    m[2] = 6;
    put32(m.data() + 4, xid_);
    put16(m.data() + 8, static_cast<uint16_t>(std::min<uint64_t>(0xFFFF, tries_)));
    put16(m.data() + 10, renew ? 0 : 0x8000);   // broadcast: we cannot take unicast yet
    if (renew)
      put32(m.data() + 12, iface_.address);     // ciaddr
    std::memcpy(m.data() + 28, mac, 6);
    put32(m.data() + FIXED, MAGIC);
    auto opt = [&](uint8_t code, std::initializer_list<uint8_t> bytes) {
      m.push_back(code);
      m.push_back(static_cast<uint8_t>(bytes.size()));
      m.insert(m.end(), bytes);
    };
    auto opt32 = [&](uint8_t code, uint32_t v) {
      opt(code, {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)});
    };
    opt(OPT_TYPE, {type});
    opt(OPT_CLIENT_ID, {1, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]});
    opt(OPT_MAX_SIZE, {0x05, 0xDC});
    if (type == REQUEST && state_ == REQUESTING) {
      opt32(OPT_REQUESTED, offered_);
      opt32(OPT_SERVER, server_);
    }
    opt(OPT_PARAMS, {OPT_MASK, OPT_ROUTER, OPT_DNS, OPT_LEASE, OPT_T1, OPT_T2, OPT_HOSTNAME});
    m.push_back(OPT_END);
    while (m.size() < 300)            // BOOTP's minimum message size
      m.push_back(OPT_PAD);
    uint32_t to = state_ == RENEWING ? server_ : BROADCAST;
    if (renew)
      udp_send(iface_.address, CLIENT_PORT, to, SERVER_PORT, m.data(), m.size(), &iface_);
    else
      udp_send_unspecified(CLIENT_PORT, to, SERVER_PORT, m.data(), m.size(), iface_);
    tries_++;
    arm(std::chrono::seconds(1), [this, type] { retry(type); });
  }

  void retry(uint8_t type)
  {
    if (state_ == SELECTING || state_ == REQUESTING) {
      if (clock_monotonic_ns() >= deadline_) {
        kprintf("     [ DHCP ] %s: no answer: giving up\n", iface_.name.c_str());
        state_ = IDLE;
        unlisten();
        finish(true);
        return;
      }
      if (state_ == REQUESTING && tries_ >= 4) {
        begin();                       // the offer went stale: start over
        return;
      }
      send(type);
    }
  }

  void bound(const Reply& r)
  {
    bool fresh = state_ == REQUESTING;
    state_ = BOUND;
    unlisten();
    stop_timer();
    uint32_t mask = r.mask ? r.mask : 0xFFFFFF00u;
    Iface_config c{r.yiaddr, mask, r.router, r.dns ? r.dns : r.router};
    uint32_t lease = r.lease ? r.lease : 3600;
    if (fresh || iface_.address != c.address) {
      kprintf("     [ DHCP ] %s: %s from %s, lease %u s\n", iface_.name.c_str(),
              dotted(c.address).c_str(), dotted(server_).c_str(), lease);
      configure(iface_, c);
    }
    // RFC 2131 4.4.5: T1 = half the lease, T2 = 7/8 of it.
    uint64_t t1 = r.t1 ? r.t1 : lease / 2, t2 = r.t2 ? r.t2 : uint64_t(lease) * 7 / 8;
    lease_end_ = clock_monotonic_ns() + uint64_t(lease) * 1000000000;
    t2_ = clock_monotonic_ns() + t2 * 1000000000;
    if (lease != 0xFFFFFFFFu)         // infinite
      arm(std::chrono::seconds(t1 ? t1 : 1), [this] { renew(); });
    finish(false);
  }

  void renew()
  {
    uint64_t now = clock_monotonic_ns();
    if (now >= lease_end_) {
      kprintf("     [ DHCP ] %s: the lease ran out\n", iface_.name.c_str());
      configure(iface_, Iface_config{});
      begin();
      return;
    }
    state_ = now >= t2_ ? REBINDING : RENEWING;
    random_bytes(&xid_, sizeof xid_);
    listen();
    tries_ = 0;
    send(REQUEST);
    // Retry at most once a minute while the lease lasts (RFC 2131 4.4.5).
    stop_timer();
    uint64_t left = (lease_end_ - now) / 1000000000;
    arm(std::chrono::seconds(left / 2 > 60 ? 60 : left / 2 + 1), [this] { renew(); });
  }

  void finish(bool timed_out)
  {
    auto all = std::move(waiting_);
    waiting_.clear();
    for (auto& f : all)
      f(timed_out);
  }

  template <class F>
  void arm(std::chrono::nanoseconds after, F f)
  {
    stop_timer();
    timer_ = Timers::oneshot(after, [this, f](Timers::id_t) {
      timer_ = -1;
      f();
    });
  }

  void stop_timer()
  {
    if (timer_ >= 0)
      Timers::stop(timer_);
    timer_ = -1;
  }

  Interface& iface_;
  State state_ = IDLE;
  uint32_t xid_ = 0, offered_ = 0, server_ = 0;
  uint64_t tries_ = 0, deadline_ = 0, lease_end_ = 0, t2_ = 0;
  bool listening_ = false;
  Timers::id_t timer_ = -1;
  std::vector<std::function<void(bool)>> waiting_;
};

std::vector<std::unique_ptr<Client>>& clients()
{
  static auto* c = new std::vector<std::unique_ptr<Client>>;
  return *c;
}

}  // namespace

void dhcp_start(Interface& i, double timeout_s, std::function<void(bool timed_out)> done)
{
  auto& all = clients();
  if (all.size() <= i.index)
    all.resize(i.index + 1);
  if (!all[i.index])
    all[i.index] = std::make_unique<Client>(i);
  unsigned ms = static_cast<unsigned>(timeout_s * 1000);
  kprintf("     [ DHCP ] %s: asking for an address (%u.%u s timeout)\n", i.name.c_str(), ms / 1000,
          ms % 1000 / 100);
  all[i.index]->start(timeout_s, std::move(done));
}

}  // namespace ukbase::net
