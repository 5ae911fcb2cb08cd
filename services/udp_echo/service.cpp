// udp_echo: an NFV-style UDP echo. Every datagram to port 7 goes back to
// its sender, straight from the receive callback (the event loop runs it
// as soon as the NIC's interrupt arrives); nothing is printed per
// datagram. The datagram "shutdown" ends the service.
#include <cstdint>
#include <cstdio>

#include <net>
#include <os>
#include <service>

namespace {
constexpr uint16_t PORT = 7;
uint64_t echoed = 0;
}

void Service::start()
{
  net::udp::bind(PORT, [](const net::udp::Datagram& d) {
    if (d.text() == "shutdown") {
      std::printf("udp_echo: shutdown from %s\n", d.src.str().c_str());
      os::shutdown();             // returns; the event loop then stops the service
      return;
    }
    d.reply(d.data, d.size);
    echoed++;
  });
  auto interfaces = net::interfaces();
  if (interfaces.empty()) {
    std::printf("udp_echo: no network interface (is \"virtionet\" in [platform] drivers?)\n");
    os::shutdown();
    return;
  }
  std::printf("udp_echo: echoing on %s port %u\n", interfaces[0].address.str().c_str(), PORT);
  // Returning keeps the service running in the event loop.
}

void Service::stop()
{
  std::printf("udp_echo: %llu datagrams echoed\n", static_cast<unsigned long long>(echoed));
}
