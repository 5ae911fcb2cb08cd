// ukbase selftest: the network stack. A UDP echo on port 7; "shutdown"
// ends the service; "stats" answers the interface counters; "send N"
// answers with N datagrams sent from outside the callback (a timer).
#include <cstdio>
#include <string>

#include <net>
#include <os>
#include <service>
#include <timers>

void Service::start()
{
  auto ifs = net::interfaces();
  for (auto& i : ifs)
    std::printf("[net] %s %s %s %s\n", i.name.c_str(), i.driver.c_str(), i.mac.str().c_str(),
                i.address.str().c_str());
  bool ok = net::udp::bind(7, [](const net::udp::Datagram& d) {
    std::string_view t = d.text();
    if (t == "shutdown") {
      std::printf("[net] shutdown from %s:%u\n", d.src.str().c_str(), d.src_port);
      d.reply("bye");
      os::shutdown();
    } else if (t == "stats") {
      auto i = net::interfaces().at(0);
      char buf[128];
      int n = std::snprintf(buf, sizeof buf, "rx %llu tx %llu rxdrop %llu txdrop %llu",
                            (unsigned long long)i.rx_packets, (unsigned long long)i.tx_packets,
                            (unsigned long long)i.rx_dropped, (unsigned long long)i.tx_dropped);
      d.reply(buf, static_cast<size_t>(n));
    } else if (t.substr(0, 5) == "send ") {
      int count = std::stoi(std::string(t.substr(5)));
      net::ip4 to = d.src;
      uint16_t port = d.src_port;
      Timers::oneshot(std::chrono::milliseconds(1), [=](Timers::id_t) {
        for (int k = 0; k < count; k++)
          net::udp::send(to, port, 7, "timer " + std::to_string(k));
      });
    } else {
      d.reply(d.data, d.size);
    }
  });
  std::printf("[net] bound port 7: %s, second bind refused: %s\n", ok ? "yes" : "no",
              net::udp::bind(7, [](const net::udp::Datagram&) {}) ? "no" : "yes");
}

void Service::stop()
{
  std::printf("[net] Service::stop\n");
}
