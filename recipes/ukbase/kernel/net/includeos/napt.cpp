// IncludeOS's net::nat::NAPT: address and port translation over a
// Conntrack's entries.
#include <net/inet.hpp>
#include <net/nat/napt.hpp>

namespace net::nat {

namespace {

constexpr uint8_t ICMP_ECHO_REPLY = 0, ICMP_ECHO_REQUEST = 8;
constexpr uint16_t FIRST_PORT = 49152;     // where chosen ports start (RFC 6335's dynamic range)

uint16_t get16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
void put16(uint8_t* p, uint16_t v)
{
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}

/// Rewrite the source (`src`) or destination of a packet, address and
/// port, with its checksums.
void rewrite(IP4::IP_packet& pkt, bool src, const Socket& to)
{
  uint32_t old_addr = (src ? pkt.ip_src() : pkt.ip_dst()).whole;
  uint32_t new_addr = to.address().v4().whole;
  if (src)
    pkt.set_ip_src(new_addr);
  else
    pkt.set_ip_dst(new_addr);
  if (pkt.ip_frag_offs() != 0)
    return;                                  // no upper-layer header in this fragment
  uint8_t* l4 = pkt.ip_data_ptr();
  int len = pkt.ip_data_length();
  uint8_t* port = l4 + (src ? 0 : 2);
  switch (pkt.ip_protocol()) {
  case Protocol::TCP:
    if (len < 20)
      return;
    put16(l4 + 16, Checksum::adjust32(get16(l4 + 16), old_addr, new_addr));
    put16(l4 + 16, Checksum::adjust16(get16(l4 + 16), get16(port), to.port()));
    put16(port, to.port());
    break;
  case Protocol::UDP:
    if (len < 8)
      return;
    if (get16(l4 + 6)) {                     // 0: sent without a checksum
      uint16_t sum = Checksum::adjust32(get16(l4 + 6), old_addr, new_addr);
      sum = Checksum::adjust16(sum, get16(port), to.port());
      put16(l4 + 6, sum ? sum : 0xFFFF);
    }
    put16(port, to.port());
    break;
  case Protocol::ICMPv4:
    // An echo's identifier is its chooser's port (see Conntrack::get_quadruple).
    if (len >= 8 && ((l4[0] == ICMP_ECHO_REQUEST && src) || (l4[0] == ICMP_ECHO_REPLY && !src))) {
      put16(l4 + 2, Checksum::adjust16(get16(l4 + 2), get16(l4 + 4), to.port()));
      put16(l4 + 4, to.port());
    }
    break;
  default: break;
  }
}

}  // namespace

NAPT::NAPT(std::shared_ptr<Conntrack> ct) : ct_(std::move(ct)) {}

// A flow's first-direction packet: its `side` becomes `to`, decided on the
// flow's first packet (its entry's second tuple then says so) and kept.
void NAPT::translate(IP4::IP_packet& pkt, Conntrack::Entry_ptr e, Side side, Socket to)
{
  if (!e || Conntrack::get_quadruple(pkt) != e->first)
    return;
  bool src = side == Side::SOURCE;
  Socket& now = src ? e->second.dst : e->second.src;
  const Socket& orig = src ? e->first.src : e->first.dst;
  if (now == orig) {                         // not translated yet
    Quadruple next = e->second;
    (src ? next.dst : next.src) = to;
    if (next == e->second || !ct_->update_entry(e->proto, e->second, next))
      return;                                // the same, or another flow has that tuple
  }
  rewrite(pkt, src, src ? e->second.dst : e->second.src);
}

uint16_t NAPT::free_port(Protocol proto, Socket peer, ip4::Addr addr, uint16_t wanted)
{
  auto taken = [&](uint16_t port) {
    return ct_->get(Quadruple{peer, {addr, port}}, proto) != nullptr;
  };
  if (wanted == 0 || !taken(wanted))
    return wanted;                           // no port to choose (0), or the flow's own is free
  for (int tries = 0; tries < 65536 - FIRST_PORT; tries++) {
    uint16_t port = uint16_t(FIRST_PORT + next_port_++ % (65536 - FIRST_PORT));
    if (!taken(port))
      return port;
  }
  return wanted;
}

void NAPT::masquerade(IP4::IP_packet& pkt, Inet& stack, Conntrack::Entry_ptr e)
{
  if (!e || pkt.ip_src() == stack.ip_addr() || Conntrack::get_quadruple(pkt) != e->first)
    return;
  Socket to = e->second.dst;                 // made already, or chosen now:
  if (to == e->first.src)
    to = {stack.ip_addr(), free_port(e->proto, e->second.src, stack.ip_addr(), e->first.src.port())};
  translate(pkt, e, Side::SOURCE, to);
}

void NAPT::demasquerade(IP4::IP_packet& pkt, const Inet& stack, Conntrack::Entry_ptr e)
{
  if (e && pkt.ip_dst() == stack.ip_addr())
    dnat(pkt, e);
}

void NAPT::dnat(IP4::IP_packet& pkt, Conntrack::Entry_ptr e, ip4::Addr addr)
{
  if (e)
    translate(pkt, e, Side::DESTINATION, {addr, e->first.dst.port()});
}

void NAPT::dnat(IP4::IP_packet& pkt, Conntrack::Entry_ptr e, Socket sock)
{
  translate(pkt, e, Side::DESTINATION, sock);
}

void NAPT::dnat(IP4::IP_packet& pkt, Conntrack::Entry_ptr e, uint16_t port)
{
  if (e)
    translate(pkt, e, Side::DESTINATION, {e->first.dst.address(), port});
}

void NAPT::dnat(IP4::IP_packet& pkt, Conntrack::Entry_ptr e)
{
  restore(pkt, e, Side::DESTINATION);    // a reply to a source-NATed flow: to its real source
}

// A reply of a translated flow: its `side` becomes what the flow's first
// packet had on the other (a reply's destination is the flow's source).
void NAPT::restore(IP4::IP_packet& pkt, Conntrack::Entry_ptr e, Side side)
{
  if (!e || Conntrack::get_quadruple(pkt) != e->second)
    return;
  bool src = side == Side::SOURCE;
  const Socket& now = src ? e->second.src : e->second.dst;
  const Socket& was = src ? e->first.dst : e->first.src;
  if (now != was)
    rewrite(pkt, src, was);
}

void NAPT::snat(IP4::IP_packet& pkt, Conntrack::Entry_ptr e, ip4::Addr addr)
{
  if (e)
    translate(pkt, e, Side::SOURCE, {addr, e->first.src.port()});
}

void NAPT::snat(IP4::IP_packet& pkt, Conntrack::Entry_ptr e, Socket sock)
{
  translate(pkt, e, Side::SOURCE, sock);
}

void NAPT::snat(IP4::IP_packet& pkt, Conntrack::Entry_ptr e, uint16_t port)
{
  if (e)
    translate(pkt, e, Side::SOURCE, {e->first.src.address(), port});
}

void NAPT::snat(IP4::IP_packet& pkt, Conntrack::Entry_ptr e)
{
  restore(pkt, e, Side::SOURCE);         // a reply to a destination-NATed flow: from where
}                                        // the client sent it

}  // namespace net::nat
