// Devices: PCI drivers registered by the driver archives, probed once the
// constructors have run; then the memdisk, the file systems and the
// network interfaces.
#include <cstdio>
#include <cstring>
#include <vector>

#include "kernel/block.hpp"
#include "kernel/drivers.hpp"
#include "kernel/kprint.h"
#include "kernel/netstack.hpp"
#include "kernel/service.h"
#include "kernel/vfs.hpp"
#include "kernel/virtio.hpp"

namespace ukbase {

namespace {

// Filled from global constructors of driver archives, which run before
// this file's: created on first use.
std::vector<Pci_driver>& pci_drivers()
{
  static auto* drivers = new std::vector<Pci_driver>;
  return *drivers;
}

// Devices ukbase has a driver for, to say which one a service forgot.
const char* known_driver(const pci_device& d)
{
  if (d.vendor == 0x1AF4 && (d.device == 0x1000 || d.device == 0x1041))
    return "virtionet";
  if (d.vendor == 0x1AF4 && (d.device == 0x1001 || d.device == 0x1042))
    return "virtioblk";
  if (d.class_code == 0x01 && d.subclass == 0x01)
    return "ide";
  return nullptr;
}

}  // namespace

void (*net_start)() = nullptr;
void (*net_stop)() = nullptr;

void register_pci_driver(const Pci_driver& driver)
{
  pci_drivers().push_back(driver);
}

namespace {

std::vector<Mmio_driver>& mmio_drivers()
{
  static std::vector<Mmio_driver> drivers;
  return drivers;
}

void probe_mmio(uintptr_t base, unsigned gsi, uint32_t type)
{
  for (const auto& drv : mmio_drivers())
    if (drv.type == type) {
      drv.probe(base, gsi);
      return;
    }
  kprintf("     [ virtio-mmio ] %#lx: device type %u, no driver (add \"%s\" to [platform] drivers)\n",
          static_cast<unsigned long>(base), static_cast<unsigned>(type),
          type == 1 ? "virtionet" : type == 2 ? "virtioblk" : "?");
}

}  // namespace

void register_mmio_driver(const Mmio_driver& driver)
{
  mmio_drivers().push_back(driver);
}

void pci_location(const pci_device& dev, char (&out)[8])
{
  std::snprintf(out, sizeof out, "%02x:%02x.%x", dev.bus, dev.dev, dev.fn);
}

void devices_init()
{
  for (unsigned i = 0; i < pci_device_count(); i++) {
    pci_device& dev = *pci_device_at(i);
    for (const auto& drv : pci_drivers()) {
      if (!dev.claimed && drv.match(dev)) {
        dev.claimed = 1;
        drv.probe(dev);
      }
    }
    const char* want = known_driver(dev);
    if (!dev.claimed && want && std::strcmp(want, "ide") != 0) {
      // (The pc's IDE controller is always there: only mention virtio.)
      char at[8];
      pci_location(dev, at);
      kprintf("     [ PCI ] %s %04x:%04x: no driver (add \"%s\" to [platform] drivers)\n",
              at, dev.vendor, dev.device, want);
    }
  }
  virtio::for_each_mmio_device(probe_mmio);
  register_memdisk();
  mount_filesystems();
  if (net_start)
    net_start();
}

}  // namespace ukbase

extern "C" void __ukbase_devices_stop(void)
{
  if (ukbase::net_stop)
    ukbase::net_stop();
}
