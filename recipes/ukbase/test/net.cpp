// ukbase selftest: the network stack, through IncludeOS's network API
// (<net/interfaces>). A UDP echo on port 7 (each echo one datagram,
// fragmented when large); "shutdown" ends the service; "stats" answers
// the interface counters; "send N" answers with N datagrams sent from
// outside the callback (a timer).
#include <cstdio>
#include <string>
#include <string_view>

#include <net/interfaces>
#include <os>
#include <service>
#include <timers>

void Service::start()
{
  auto& stacks = net::Interfaces::get();
  for (size_t n = 0; n < stacks.size(); n++) {
    auto& inet = net::Interfaces::get(static_cast<int>(n));
    std::printf("[net] %s %s %s %s\n", inet.ifname().c_str(), inet.nic().driver_name(),
                inet.link_addr().to_string().c_str(), inet.ip_addr().str().c_str());
  }
  auto& inet = net::Interfaces::get(0);
  auto& sock = inet.udp().bind(7);
  sock.on_read([&sock, &inet](net::udp::addr_t addr, net::udp::port_t port, const char* data,
                              size_t len) {
    std::string_view t(data, len);
    if (t == "shutdown") {
      std::printf("[net] shutdown from %s:%u\n", addr.to_string().c_str(), port);
      sock.sendto(addr, port, "bye", 3);
      os::shutdown();
    } else if (t == "stats") {
      auto& nic = inet.nic();
      char buf[128];
      int n = std::snprintf(buf, sizeof buf, "rx %llu tx %llu dropped %llu",
                            (unsigned long long)nic.get_packets_rx(),
                            (unsigned long long)nic.get_packets_tx(),
                            (unsigned long long)nic.get_packets_dropped());
      sock.sendto(addr, port, buf, static_cast<size_t>(n));
    } else if (t.substr(0, 5) == "send ") {
      int count = std::stoi(std::string(t.substr(5)));
      Timers::oneshot(std::chrono::milliseconds(1), [&sock, addr, port, count](Timers::id_t) {
        for (int k = 0; k < count; k++) {
          std::string msg = "timer " + std::to_string(k);
          sock.sendto(addr, port, msg.data(), msg.size());
        }
      });
    } else {
      sock.sendto_whole(addr, port, data, len);
    }
  });
  bool refused = false;
  try {
    inet.udp().bind(7);
  } catch (const net::UDP::Port_in_use_exception&) {
    refused = true;
  }
  std::printf("[net] bound port 7: %s, second bind refused: %s\n",
              inet.udp().is_bound(7) ? "yes" : "no", refused ? "yes" : "no");
}

void Service::stop()
{
  std::printf("[net] Service::stop\n");
}
