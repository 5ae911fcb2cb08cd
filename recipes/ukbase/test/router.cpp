// ukbase selftest: IncludeOS's packet path for network functions
// (<net/router.hpp>, <net/conntrack.hpp>, <net/nat/napt.hpp>, filter
// chains, IP4::ship) in one guest that is a small site's router.
//
//   eth0  10.0.2.15/24   the host, through QEMU user networking (its
//                        port 8080 forwarded to the host: a port forward)
//   eth1  10.7.0.1/24    the router's LAN side     } six NICs on one
//   eth2  172.16.0.1/24  the router's uplink       } QEMU hub but eth0
//   eth3  10.7.0.50/24   a client on the LAN, through 10.7.0.1
//   eth4  172.16.0.9/24  a remote host beyond the uplink
//   eth5  10.7.0.80/24   a server on the LAN, through 10.7.0.1
//
// The router (eth0-eth2) forwards between its interfaces, masquerades
// what leaves through the uplink (eth2), forwards TCP to eth0:8080 to the
// server's port 80 (DNAT, and the replies' source back), and its forward
// chain drops pings from the server; the uplink answers ARP for what it
// routes (proxy ARP). Each check prints "[router] PASS
// name" or "[router] FAIL name: why"; then "[router] guest checks: N
// passed, M failed" and "[router] ready for the host". The host then
// talks to the server through eth0:8080; "bye" from it ends the service.
#include <cstdio>
#include <memory>
#include <string>

#include <net/conntrack.hpp>
#include <net/interfaces>
#include <net/nat/napt.hpp>
#include <net/router.hpp>
#include <net/tcp/packet4_view.hpp>
#include <os>
#include <service>
#include <timers>

using namespace net;
using namespace std::chrono_literals;

namespace {

int passed = 0, failed = 0, pending = 0;

void check(bool ok, const std::string& name, const std::string& why = "")
{
  if (ok)
    passed++;
  else
    failed++;
  std::printf("[router] %s %s%s%s\n", ok ? "PASS" : "FAIL", name.c_str(), ok ? "" : ": ",
              ok ? "" : why.c_str());
}

// An asynchronous check is done: once all are, the guest's part is over.
void done()
{
  if (--pending == 0) {
    std::printf("[router] guest checks: %d passed, %d failed\n", passed, failed);
    std::printf("[router] ready for the host\n");
  }
}

std::unique_ptr<Router<IP4>> router;
std::shared_ptr<Conntrack> ct;
std::unique_ptr<nat::NAPT> napt;
int forward_drops = 0;
int time_exceeded_seen = 0;

constexpr uint16_t FORWARDED_PORT = 8080, SERVER_PORT = 80;

Filter_verdict<IP4> accept(IP4::IP_packet_ptr pkt)
{
  return {std::move(pkt), Filter_verdict_type::ACCEPT};
}

void setup_router(Inet& wan, Inet& lan, Inet& uplink, Inet& server)
{
  Router<IP4>::Routing_table table{
      {{10, 7, 0, 0}, {255, 255, 255, 0}, 0, lan, 1},
      {{172, 16, 0, 0}, {255, 255, 255, 0}, 0, uplink, 1},
      {{0, 0, 0, 0}, {0, 0, 0, 0}, {10, 0, 2, 2}, wan, 10},
  };
  router = std::make_unique<Router<IP4>>(table);
  for (Inet* s : {&wan, &lan, &uplink})
    s->ip_obj().set_packet_forwarding(router->forward_delg());

  ct = std::make_shared<Conntrack>();
  for (Inet* s : {&wan, &lan, &uplink})
    s->enable_conntrack(ct);
  napt = std::make_unique<nat::NAPT>(ct);

  // The uplink: masquerade.
  uplink.ip_obj().postrouting_chain().chain.push_back(
      [](IP4::IP_packet_ptr pkt, Inet& stack, Conntrack::Entry_ptr e) {
        napt->masquerade(*pkt, stack, e);
        return accept(std::move(pkt));
      });
  uplink.ip_obj().prerouting_chain().chain.push_back(
      [](IP4::IP_packet_ptr pkt, Inet& stack, Conntrack::Entry_ptr e) {
        napt->demasquerade(*pkt, stack, e);
        return accept(std::move(pkt));
      });

  // The host side: a port forward to the server.
  static const ip4::Addr server_addr = server.ip_addr();
  wan.ip_obj().prerouting_chain().chain.push_back(
      [](IP4::IP_packet_ptr pkt, Inet&, Conntrack::Entry_ptr e) {
        if (pkt->ip_protocol() == Protocol::TCP
            && tcp::Packet4_view_raw(pkt.get()).dst_port() == FORWARDED_PORT)
          napt->dnat(*pkt, e, Socket{server_addr, SERVER_PORT});
        return accept(std::move(pkt));
      });
  wan.ip_obj().postrouting_chain().chain.push_back(
      [](IP4::IP_packet_ptr pkt, Inet&, Conntrack::Entry_ptr e) {
        napt->snat(*pkt, e);
        return accept(std::move(pkt));
      });

  // The firewall: no pings from the server.
  router->forward_chain.chain.push_back(
      [](IP4::IP_packet_ptr pkt, Inet&, Conntrack::Entry_ptr) -> Filter_verdict<IP4> {
        if (pkt->ip_protocol() == Protocol::ICMPv4 && pkt->ip_src() == server_addr) {
          forward_drops++;
          return {std::move(pkt), Filter_verdict_type::DROP};
        }
        return accept(std::move(pkt));
      });
}

void route_checks(Inet& wan, Inet& lan, Inet& uplink)
{
  auto* r = router->get_most_specific_route({172, 16, 0, 42});
  check(r && r->interface() == &uplink, "the most specific route to 172.16.0.42 is the uplink's");
  r = router->get_most_specific_route({8, 8, 8, 8});
  check(r && r->interface() == &wan && r->nexthop({8, 8, 8, 8}) == ip4::Addr(10, 0, 2, 2),
        "8.8.8.8 goes by the default route, through 10.0.2.2");
  check(router->get_first_interface({10, 7, 0, 99}) == &lan && router->route_check({10, 7, 0, 99}),
        "10.7.0.99 is on the LAN side");
}

void masquerade_checks(Inet& client, Inet& remote, Inet& uplink)
{
  // TCP through the NAT: the remote host sees the uplink's address.
  static std::string seen_peer;
  remote.tcp().listen(7000, [](auto conn) {
    seen_peer = conn->remote().address().to_string();
    conn->on_read(1024, [conn](tcp::buffer_t buf) {
      std::string s(reinterpret_cast<const char*>(buf->data()), buf->size());
      for (auto& c : s)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      conn->write(s);
    });
  });
  pending++;
  static const std::string uplink_addr = uplink.ip_addr().to_string();
  client.tcp().connect({{172, 16, 0, 9}, 7000}, [](auto conn) {
    if (!conn) {
      check(false, "TCP through the NAT", "connect failed");
      done();
      return;
    }
    conn->on_read(1024, [conn](tcp::buffer_t buf) {
      std::string s(reinterpret_cast<const char*>(buf->data()), buf->size());
      check(seen_peer == uplink_addr, "TCP through the NAT: the remote host sees " + uplink_addr,
            "it saw " + seen_peer);
      check(s == "MASQUERADED", "TCP through the NAT: the reply comes back", "got '" + s + "'");
      conn->close();
      done();
    });
    conn->write("masqueraded");
  });

  // UDP through the NAT, both ways.
  static std::string udp_seen;
  auto& echo = remote.udp().bind(7001);
  echo.on_read([&echo](udp::addr_t addr, udp::port_t port, const char* data, size_t len) {
    udp_seen = addr.to_string();
    echo.sendto(addr, port, data, len);
  });
  pending++;
  auto& sock = client.udp().bind(40001);
  sock.on_read([](udp::addr_t addr, udp::port_t port, const char* data, size_t len) {
    check(udp_seen == uplink_addr, "UDP through the NAT: the remote host sees " + uplink_addr,
          "it saw " + udp_seen);
    check(addr.to_string() == "172.16.0.9" && port == 7001 && std::string(data, len) == "datagram",
          "UDP through the NAT: the echo comes back from 172.16.0.9:7001");
    done();
  });
  sock.sendto({172, 16, 0, 9}, 7001, "datagram", 8);
}

void icmp_checks(Inet& client, Inet& server, Inet& uplink)
{
  pending += 3;
  client.icmp().ping(ip4::Addr{172, 16, 0, 9}, [](ICMP_view reply) {
    check(bool(reply) && reply.src() == ip4::Addr(172, 16, 0, 9),
          "a ping through the NAT is answered by 172.16.0.9");
    done();
  }, 3);
  // The router's other interface: forwarded to eth2, which answers itself.
  client.icmp().ping(uplink.ip_addr(), [](ICMP_view reply) {
    check(bool(reply), "the router answers a ping to its uplink address from the LAN");
    done();
  }, 3);
  server.icmp().ping(ip4::Addr{172, 16, 0, 9}, [](ICMP_view reply) {
    check(!reply && forward_drops > 0, "the forward chain drops the server's pings",
          reply ? "a reply came" : "nothing counted");
    done();
  }, 1);
}

// A packet made by hand, shipped with TTL 1: the router answers "time
// exceeded", which the client's own prerouting chain sees.
void ttl_check(Inet& client)
{
  client.ip_obj().prerouting_chain().chain.push_back(
      [](IP4::IP_packet_ptr pkt, Inet&, Conntrack::Entry_ptr) {
        if (pkt->ip_protocol() == Protocol::ICMPv4 && pkt->ip_data_length() >= 8
            && pkt->ip_data_ptr()[0] == 11 && pkt->ip_src() == ip4::Addr(10, 7, 0, 1))
          time_exceeded_seen++;
        return accept(std::move(pkt));
      });
  uint8_t raw[28] = {0x45, 0, 0, 28, 0, 1, 0, 0, 1 /* TTL */, 17, 0, 0,
                     10, 7, 0, 50, 172, 16, 0, 9,
                     0x9c, 0x41, 0, 9, 0, 8, 0, 0};
  auto pkt = PacketIP4::make(raw, sizeof raw);
  pkt->set_ip_checksum();
  check(pkt->ip_checksum_ok() && pkt->ip_ttl() == 1 && pkt->ip_dst() == ip4::Addr(172, 16, 0, 9),
        "a hand-made packet's header reads back");
  client.ip_obj().ship(std::move(pkt), {10, 7, 0, 1});
  pending++;
  Timers::oneshot(500ms, [](Timers::id_t) {
    check(time_exceeded_seen == 1, "a packet with TTL 1 is answered with time exceeded",
          std::to_string(time_exceeded_seen) + " seen");
    done();
  });
}

// Proxy ARP: the remote host (no gateway: it asks ARP for everything)
// sends to 10.7.0.99, which nobody on the hub has; the uplink answers for
// it (its route check says yes) and so gets the datagram.
int proxied_seen = 0;
void proxy_arp_check(Inet& remote, Inet& uplink)
{
  uplink.set_route_checker([](ip4::Addr a) { return router->route_check(a); });
  uplink.ip_obj().prerouting_chain().chain.push_back(
      [](IP4::IP_packet_ptr pkt, Inet&, Conntrack::Entry_ptr) {
        if (pkt->ip_dst() == ip4::Addr(10, 7, 0, 99) && pkt->ip_protocol() == Protocol::UDP)
          proxied_seen++;
        return accept(std::move(pkt));
      });
  remote.udp().bind(40002).sendto({10, 7, 0, 99}, 9, "proxied", 7);
  pending++;
  Timers::oneshot(1s, [](Timers::id_t) {
    check(proxied_seen == 1, "proxy ARP: the uplink answers for an address behind it",
          std::to_string(proxied_seen) + " datagrams reached it");
    done();
  });
}

void serve_the_host(Inet& server)
{
  server.tcp().listen(SERVER_PORT, [](auto conn) {
    conn->on_read(1024, [conn](tcp::buffer_t buf) {
      std::string s(reinterpret_cast<const char*>(buf->data()), buf->size());
      if (s.rfind("bye", 0) == 0) {
        std::printf("[router] conntrack entries at the end: %zu\n", ct->number_of_entries());
        conn->write("bye\n");
        Timers::oneshot(100ms, [](Timers::id_t) { os::shutdown(); });
        return;
      }
      conn->write("server at " + conn->local().to_string() + " saw " + conn->remote().to_string()
                  + ": " + s);
    });
  });
}

}  // namespace

void Service::start()
{
  auto& wan = Interfaces::get(0);
  wan.network_config({10, 0, 2, 15}, {255, 255, 255, 0}, {10, 0, 2, 2});
  auto& lan = Inet::ifconfig<1>({10, 7, 0, 1}, {255, 255, 255, 0}, 0);
  auto& uplink = Inet::ifconfig<2>({172, 16, 0, 1}, {255, 255, 255, 0}, 0);
  auto& client = Inet::ifconfig<3>({10, 7, 0, 50}, {255, 255, 255, 0}, {10, 7, 0, 1});
  auto& remote = Inet::ifconfig<4>({172, 16, 0, 9}, {255, 255, 255, 0}, 0);
  auto& server = Inet::ifconfig<5>({10, 7, 0, 80}, {255, 255, 255, 0}, {10, 7, 0, 1});

  setup_router(wan, lan, uplink, server);
  route_checks(wan, lan, uplink);
  pending++;                      // until everything below has started
  masquerade_checks(client, remote, uplink);
  icmp_checks(client, server, uplink);
  ttl_check(client);
  proxy_arp_check(remote, uplink);
  serve_the_host(server);
  done();
}
