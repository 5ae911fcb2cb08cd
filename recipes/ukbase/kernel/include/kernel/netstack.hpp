// Internal: how network drivers meet the network stack (kernel/net/).
//
// Receive: the driver calls deliver() for each frame, from its event-loop
// handler, with the frame still in its receive buffer; the stack parses
// it in place and runs the service's callback before deliver() returns,
// after which the driver gives the buffer back to the device.
// Transmit: the stack asks tx_buffer() for a buffer, writes the frame
// into it and hands it to transmit(). A driver may hold the device's
// notification back while it is inside its receive loop and send
// everything queued at the end (one notification per burst).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace ukbase::net {

class Interface;

class Nic {
 public:
  static constexpr size_t MAX_FRAME = 1514;      // Ethernet, 1500-byte MTU, no FCS
  static constexpr size_t VLAN_TAG = 4;          // an 802.1Q tag (kernel/net/vlan.cpp)

  virtual ~Nic() = default;

  /// Room for one frame of up to MAX_FRAME + VLAN_TAG bytes (a VLAN's
  /// frames are tagged in the buffer); nullptr when every transmit
  /// buffer is in flight.
  virtual uint8_t* tx_buffer() = 0;
  /// Send `len` bytes of a buffer tx_buffer() gave.
  virtual void transmit(uint8_t* frame, size_t len) = 0;
  /// True while the device still has frames it has not sent.
  virtual bool tx_pending() { return false; }

  /// For drivers: a received frame (the stack may modify it in place).
  void deliver(uint8_t* frame, size_t len);

  uint8_t mac[6] = {};
  std::string description;                       // "virtio-net 00:03.0"
  uint64_t tx_dropped = 0;                       // driver-side drops
  Interface* iface = nullptr;                    // set by add_nic()
};

/// Make an interface (eth<N>) of a driver's device.
void add_nic(std::unique_ptr<Nic> nic);

}  // namespace ukbase::net

namespace ukbase {
/// Configure the interfaces from [build] config and print their lines.
void net_init();
/// Before power-off: send what waits in the transmit backlogs and let the
/// devices finish sending (a reply a service sent just before
/// os::shutdown() must still leave), for at most 200 ms.
void net_drain();
/// What devices_init() calls after the drivers: net_init once add_nic()
/// has run (so services without a network driver link no network stack).
extern void (*net_start)();
/// What kernel_stop() calls before power-off: net_drain once add_nic() has run.
extern void (*net_stop)();
}
