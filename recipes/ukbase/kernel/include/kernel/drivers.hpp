// Internal: how driver archives (drivers/lib<name>.a, linked whole when a
// service names them in [platform] drivers) plug into the kernel.
//
// A driver registers itself from a global constructor; linker.ld runs the
// constructors of driver archives before everything else but stdout
// handlers. The kernel calls devices_init() after all constructors and
// before Service::start(): it hands every PCI function to the first
// driver whose match() accepts it, then mounts file systems and brings
// the network interfaces up.
#pragma once

#include <cstdint>

#include "kernel/pci.h"

namespace ukbase {

struct Pci_driver {
  const char* name;                            // as in [platform] drivers
  bool (*match)(const pci_device& dev);
  void (*probe)(pci_device& dev);              // dev.claimed is set before
};

void register_pci_driver(const Pci_driver& driver);

/// A driver of virtio-mmio devices (microvm): `type` is the virtio device
/// type (1: network, 2: block); probe() gets the transport's address and
/// its interrupt line (a global system interrupt).
struct Mmio_driver {
  const char* name;
  uint32_t type;
  void (*probe)(uintptr_t base, unsigned gsi);
};

void register_mmio_driver(const Mmio_driver& driver);

/// Probe drivers, register the memdisk, mount, configure networking.
void devices_init();

/// "00:04.0"
void pci_location(const pci_device& dev, char (&out)[8]);

}  // namespace ukbase
