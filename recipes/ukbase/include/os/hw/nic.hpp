// A network device, as IncludeOS's hw/nic.hpp sees it: Inet::nic(),
// Interfaces::get_nic(). ukbase's drivers are the kernel's; this is the
// view services get (name, address, MTU, counters). It is a hw::Device,
// so os::machine().get<hw::Nic>(N) lists it too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <hw/device.hpp>
#include <hw/mac_addr.hpp>

namespace hw {

class Nic : public Device {
 public:
  /// Device `index` (eth<index>) as the kernel found it.
  explicit Nic(unsigned index);
  Nic(const Nic&) = delete;
  Nic& operator=(const Nic&) = delete;

  /// "virtio-net"
  const char* driver_name() const noexcept { return driver_.c_str(); }
  /// "eth0"
  std::string device_name() const { return name_; }
  const MAC::Addr& mac() const noexcept { return mac_; }
  uint16_t MTU() const noexcept { return 1500; }
  /// The frame buffers the driver has free to send now.
  size_t transmit_queue_available();

  /// Frames received and sent, and those dropped (either way: not for
  /// us, malformed, or no buffer).
  uint64_t get_packets_rx();
  uint64_t get_packets_tx();
  uint64_t get_packets_dropped();

  /// The kernel sends at once and polls from its event loop.
  void flush() {}
  void poll() {}

  unsigned index() const noexcept { return index_; }

  Type device_type() const noexcept { return Type::Nic; }
  /// The kernel's driver owns the device.
  void deactivate() {}

 private:
  unsigned index_;
  std::string name_, driver_;
  MAC::Addr mac_;
};

}  // namespace hw
