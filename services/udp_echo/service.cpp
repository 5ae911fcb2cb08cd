// udp_echo: an NFV-style UDP echo, on IncludeOS's network API. Every
// datagram to port 7 goes back to its sender, straight from the receive
// callback (the event loop runs it as soon as the NIC's interrupt
// arrives); nothing is printed per datagram. The datagram "shutdown"
// ends the service.
#include <cstdint>
#include <cstdio>
#include <string_view>

#include <net/interfaces>
#include <os>
#include <service>

namespace {
constexpr uint16_t PORT = 7;
uint64_t echoed = 0;
}

void Service::start()
{
  if (net::Interfaces::get().empty()) {
    std::printf("udp_echo: no network interface (is \"virtionet\" in [platform] drivers?)\n");
    os::shutdown();
    return;
  }
  auto& inet = net::Interfaces::get(0);
  auto& sock = inet.udp().bind(PORT);
  sock.on_read([&sock](net::udp::addr_t addr, net::udp::port_t port, const char* data, size_t len) {
    if (std::string_view(data, len) == "shutdown") {
      std::printf("udp_echo: shutdown from %s\n", addr.to_string().c_str());
      os::shutdown();             // returns; the event loop then stops the service
      return;
    }
    // The echo is one datagram however large (IP fragments above 1472
    // bytes): sendto_whole is ukbase's; IncludeOS's sendto would split
    // it into datagrams of max_datagram_size() bytes.
    sock.sendto_whole(addr, port, data, len);
    echoed++;
  });
  std::printf("udp_echo: echoing on %s port %u\n", inet.ip_addr().str().c_str(), PORT);
  // Returning keeps the service running in the event loop.
}

void Service::stop()
{
  std::printf("udp_echo: %llu datagrams echoed\n", static_cast<unsigned long long>(echoed));
}
