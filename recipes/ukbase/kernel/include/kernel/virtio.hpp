// Internal: virtio 1.x over PCI ("modern" interface, through the vendor
// capabilities) or over MMIO (version 2 registers: QEMU's microvm, with
// -global virtio-mmio.force-legacy=false) with split virtqueues. QEMU's
// default virtio-*-pci devices are transitional (ids 0x1000-0x103F) and
// offer this interface next to the legacy one; modern-only devices
// (0x1040 + type) have only this one. Used by the virtioblk and virtionet
// drivers.
#pragma once

#include <cstdint>

#include "kernel/pci.h"

namespace ukbase::virtio {

constexpr uint64_t F_VERSION_1 = 1ull << 32;
constexpr uint16_t NO_VECTOR = 0xFFFF;

struct Desc {
  uint64_t addr;
  uint32_t len;
  uint16_t flags;
  uint16_t next;
};
constexpr uint16_t DESC_NEXT = 1;
constexpr uint16_t DESC_WRITE = 2;        // device writes this buffer

struct Used_elem {
  uint32_t id;
  uint32_t len;
};

/// A split virtqueue. Drivers own the descriptor table: they decide which
/// descriptors form a request and hand the head to publish().
class Queue {
 public:
  uint16_t index = 0;
  uint16_t size = 0;
  Desc* desc = nullptr;

  /// Offer the chain starting at descriptor `head` to the device (the
  /// device sees it after the next notify, or at once if it is polling).
  void publish(uint16_t head);
  /// Next completed chain, if any: its head and the bytes written.
  bool pop_used(uint32_t& head, uint32_t& len);
  bool has_used() const;
  /// Ask the device for no interrupts when it uses buffers.
  void suppress_interrupts();
  /// False when the device said it needs no notification now.
  bool needs_notify() const;

 private:
  friend class Device;
  struct Avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[];
  };
  struct Used {
    uint16_t flags;
    uint16_t idx;
    Used_elem ring[];
  };
  volatile Avail* avail = nullptr;
  volatile Used* used = nullptr;
  uint16_t avail_idx = 0;                  // our copy of avail->idx
  uint16_t last_used = 0;                  // used entries consumed
  volatile uint16_t* notify_addr = nullptr;
};

class Device {
 public:
  /// Find the capabilities, enable bus mastering and MSI-X, reset the
  /// device (firmware may have left it running) and acknowledge it.
  bool init(pci_device& pci);
  /// A virtio-mmio device at `base` (its registers) whose interrupt line
  /// is global system interrupt `gsi`, reset and acknowledged.
  bool init_mmio(uintptr_t base, unsigned gsi);
  pci_device* pci() const { return pci_; }
  /// Where it is: "00:04.0", or "mmio 0xfeb00e00".
  const char* location() const { return location_; }
  /// Acknowledge the device's interrupt (virtio-mmio's line stays raised
  /// until then; nothing to do over PCI's MSI-X).
  void ack_interrupt();

  uint64_t device_features();
  /// Write the driver's features (F_VERSION_1 is added) and check that
  /// the device accepts them.
  bool negotiate(uint64_t wanted);
  /// Allocate and enable queue `index` with at most `max_size` entries;
  /// MSI-X entry `msix_entry` (or NO_VECTOR) signals its completions.
  bool setup_queue(Queue& q, uint16_t index, uint16_t max_size, uint16_t msix_entry);
  void driver_ok();
  void failed();
  void notify(const Queue& q);

  /// MSI-X entry `entry` raises Events IRQ `irq` (virtio-mmio: the
  /// device's one line, whatever the entry). False without either.
  bool route_vector(uint16_t entry, unsigned irq);
  bool has_msix() const { return msix_vectors_ > 0; }

  /// The device-specific configuration structure.
  volatile uint8_t* config() const { return device_cfg_; }

 private:
  volatile uint8_t* cap_address(uint8_t cap, uint32_t* length);
  uint8_t status();
  void set_status(uint8_t s);
  bool reset_and_acknowledge();
  void write64(unsigned off, uint64_t v);
  pci_device* pci_ = nullptr;
  volatile uint8_t* common_ = nullptr;
  volatile uint8_t* notify_base_ = nullptr;
  uint32_t notify_multiplier_ = 0;
  volatile uint8_t* device_cfg_ = nullptr;
  volatile uint8_t* mmio_ = nullptr;       // the MMIO transport's registers
  unsigned gsi_ = 0;                       // ... and its interrupt line
  int msix_vectors_ = 0;
  char location_[24] = {};
};

/// The device type (1: network, 2: block) of each virtio-mmio transport
/// that has a device, found by probing QEMU's microvm transport area when
/// there is no PCI bus; `visit(base, gsi, type)` for each, in the order of
/// QEMU's command line.
void for_each_mmio_device(void (*visit)(uintptr_t base, unsigned gsi, uint32_t type));

}  // namespace ukbase::virtio
