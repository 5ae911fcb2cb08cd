// IncludeOS's net::Conntrack: the flows a stack's packets belong to.
#include <vector>

#include <net/conntrack.hpp>
#include <net/ip4/packet_ip4.hpp>
#include <timers>

extern "C" {
#include "kernel/clock.h"
}

namespace net {

namespace {

constexpr uint8_t ICMP_ECHO_REPLY = 0, ICMP_ECHO_REQUEST = 8;
constexpr uint8_t TCP_FIN = 1, TCP_RST = 4;
constexpr size_t DEFAULT_MAX_ENTRIES = 20000;

int64_t now_ns() { return static_cast<int64_t>(clock_monotonic_ns()); }

}  // namespace

std::string Conntrack::Entry::to_string() const
{
  static const char* states[] = {"UNCONFIRMED", "NEW", "ESTABLISHED"};
  return std::string(proto == Protocol::TCP ? "TCP" : proto == Protocol::UDP ? "UDP" : "ICMP")
         + " " + first.to_string() + " | " + second.to_string() + " "
         + states[static_cast<int>(state)];
}

Conntrack::Conntrack() : Conntrack(DEFAULT_MAX_ENTRIES) {}

Conntrack::Conntrack(size_t max_entries)
    : maximum_entries(max_entries), alive_(std::make_shared<bool>(true)) {}

Conntrack::~Conntrack() { *alive_ = false; }

// An ICMP echo's identifier is the port of the side that chose it: the
// request's source, the reply's destination (so that a reply's tuple is
// its request's mirrored).
Quadruple Conntrack::get_quadruple(const PacketIP4& pkt)
{
  uint16_t sport = 0, dport = 0;
  const uint8_t* l4 = pkt.ip_data_ptr();
  int len = pkt.ip_data_length();
  if (pkt.ip_frag_offs() == 0) {
    switch (pkt.ip_protocol()) {
    case Protocol::TCP:
    case Protocol::UDP:
      if (len >= 4) {
        sport = uint16_t(l4[0] << 8 | l4[1]);
        dport = uint16_t(l4[2] << 8 | l4[3]);
      }
      break;
    case Protocol::ICMPv4:
      if (len >= 8 && (l4[0] == ICMP_ECHO_REQUEST || l4[0] == ICMP_ECHO_REPLY)) {
        uint16_t id = uint16_t(l4[4] << 8 | l4[5]);
        (l4[0] == ICMP_ECHO_REQUEST ? sport : dport) = id;
      }
      break;
    default: break;
    }
  }
  return {{pkt.ip_src(), sport}, {pkt.ip_dst(), dport}};
}

Conntrack::Entry_ptr Conntrack::in(const PacketIP4& pkt)
{
  return track(get_quadruple(pkt), pkt.ip_protocol(), &pkt);
}

Conntrack::Entry_ptr Conntrack::confirm(Entry_ptr e)
{
  if (e && e->state == State::UNCONFIRMED) {
    e->state = State::NEW;
    touch(*e, e->first, nullptr);
  }
  return e;
}

Conntrack::Entry_ptr Conntrack::confirm(const PacketIP4& pkt) { return confirm(in(pkt)); }

Conntrack::Entry_ptr Conntrack::confirm(const Quadruple& q, Protocol proto)
{
  return confirm(get(q, proto));
}

Conntrack::Entry_ptr Conntrack::get(const Quadruple& q, Protocol proto) const
{
  auto it = table_.find(Key{q, proto});
  if (it == table_.end() || it->second->expires_ns < now_ns())
    return nullptr;
  return it->second.get();
}

Conntrack::Entry_ptr Conntrack::get(const PacketIP4& pkt) const
{
  return get(get_quadruple(pkt), pkt.ip_protocol());
}

Conntrack::Entry_ptr Conntrack::track(const Quadruple& q, Protocol proto, const PacketIP4* pkt)
{
  auto it = table_.find(Key{q, proto});
  if (it != table_.end()) {
    Entry& e = *it->second;
    if (e.expires_ns >= now_ns()) {
      touch(e, q, pkt);
      return &e;
    }
    remove(&e);                     // a new flow with an old flow's tuple
  }
  if (entries_ >= maximum_entries)
    return nullptr;
  auto e = std::make_shared<Entry>(q, proto);
  table_.emplace(Key{e->first, proto}, e);
  table_.emplace(Key{e->second, proto}, e);   // unless another flow's reply looks like ours
  entries_++;
  touch(*e, q, pkt);
  schedule_flush();
  return e.get();
}

void Conntrack::touch(Entry& e, const Quadruple& q, const PacketIP4* pkt)
{
  bool reply = q == e.second && !(q == e.first);
  if (reply && e.state == State::NEW)
    e.state = State::ESTABLISHED;
  if (pkt && e.proto == Protocol::TCP && pkt->ip_frag_offs() == 0 && pkt->ip_data_length() >= 14) {
    uint8_t flags = pkt->ip_data_ptr()[13];
    if (flags & TCP_RST)
      e.tcp_reset = true;
    if (flags & TCP_FIN)
      e.tcp_fins |= reply ? 2 : 1;
  }
  Seconds t = timeout.icmp_established;
  if (e.state == State::UNCONFIRMED)
    t = timeout.unconfirmed;
  else if (e.state == State::NEW)
    t = timeout.confirmed;
  else if (e.proto == Protocol::TCP)
    t = e.tcp_reset || e.tcp_fins == 3 ? timeout.tcp_closing : timeout.tcp_established;
  else if (e.proto == Protocol::UDP)
    t = timeout.udp_established;
  e.expires_ns = now_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(t).count();
}

bool Conntrack::update_entry(Protocol proto, const Quadruple& old, const Quadruple& now)
{
  auto it = table_.find(Key{old, proto});
  if (it == table_.end())
    return false;
  std::shared_ptr<Entry> e = it->second;
  auto taken = table_.find(Key{now, proto});
  if (taken != table_.end() && taken->second != e) {
    if (taken->second->expires_ns >= now_ns())
      return false;
    remove(taken->second.get());
  }
  if (e->first == old)
    e->first = now;
  else if (e->second == old)
    e->second = now;
  else
    return false;
  table_.erase(Key{old, proto});
  table_[Key{now, proto}] = e;
  return true;
}

void Conntrack::remove(Entry_ptr entry)
{
  if (!entry)
    return;
  std::shared_ptr<Entry> keep;                // alive until both of its keys are gone
  for (const Quadruple& q : {entry->first, entry->second}) {
    auto it = table_.find(Key{q, entry->proto});
    if (it != table_.end() && it->second.get() == entry) {
      keep = it->second;
      table_.erase(it);
    }
  }
  if (keep)
    entries_--;
}

void Conntrack::remove_expired()
{
  int64_t now = now_ns();
  std::vector<std::shared_ptr<Entry>> expired;
  for (auto& [key, e] : table_)
    if (e->expires_ns < now && key.q == e->first)
      expired.push_back(e);
  for (auto& e : expired)
    remove(e.get());
}

void Conntrack::schedule_flush()
{
  if (flush_timer_)
    return;
  flush_timer_ = true;
  Timers::oneshot(std::chrono::seconds(10), [this, alive = alive_](Timers::id_t) {
    if (!*alive)
      return;
    flush_timer_ = false;
    remove_expired();
    if (entries_)
      schedule_flush();
  });
}

}  // namespace net
