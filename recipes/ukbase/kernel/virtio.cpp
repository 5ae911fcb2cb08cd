// virtio 1.x PCI transport and split virtqueues (virtio spec 1.1, 4.1 and
// 2.6). The device's structures are found through vendor-specific PCI
// capabilities that point into its BARs (QEMU: BAR4, 64-bit memory);
// everything is identity-mapped, so BAR and buffer addresses are used
// directly.
#include "kernel/virtio.hpp"

#include <cstdio>

#include "kernel/drivers.hpp"

#include "kernel/memory.h"
#include "kernel/wait.hpp"

namespace ukbase::virtio {

namespace {

// Capability structure types (cfg_type).
constexpr uint8_t CAP_COMMON = 1;
constexpr uint8_t CAP_NOTIFY = 2;
constexpr uint8_t CAP_DEVICE = 4;
constexpr uint8_t PCI_CAP_VENDOR = 0x09;

// Common configuration layout.
constexpr unsigned DEVICE_FEATURE_SELECT = 0x00;
constexpr unsigned DEVICE_FEATURE = 0x04;
constexpr unsigned DRIVER_FEATURE_SELECT = 0x08;
constexpr unsigned DRIVER_FEATURE = 0x0C;
constexpr unsigned CONFIG_MSIX_VECTOR = 0x10;
constexpr unsigned DEVICE_STATUS = 0x14;
constexpr unsigned QUEUE_SELECT = 0x16;
constexpr unsigned QUEUE_SIZE = 0x18;
constexpr unsigned QUEUE_MSIX_VECTOR = 0x1A;
constexpr unsigned QUEUE_ENABLE = 0x1C;
constexpr unsigned QUEUE_NOTIFY_OFF = 0x1E;
constexpr unsigned QUEUE_DESC = 0x20;
constexpr unsigned QUEUE_DRIVER = 0x28;
constexpr unsigned QUEUE_DEVICE = 0x30;

// Device status bits.
constexpr uint8_t ACKNOWLEDGE = 1;
constexpr uint8_t DRIVER = 2;
constexpr uint8_t DRIVER_OK = 4;
constexpr uint8_t FEATURES_OK = 8;
constexpr uint8_t FAILED = 0x80;

// virtio-mmio registers (virtio 1.1, 4.2.2).
constexpr unsigned MMIO_MAGIC = 0x000;
constexpr unsigned MMIO_VERSION = 0x004;
constexpr unsigned MMIO_DEVICE_ID = 0x008;
constexpr unsigned MMIO_DEVICE_FEATURES = 0x010;
constexpr unsigned MMIO_DEVICE_FEATURES_SEL = 0x014;
constexpr unsigned MMIO_DRIVER_FEATURES = 0x020;
constexpr unsigned MMIO_DRIVER_FEATURES_SEL = 0x024;
constexpr unsigned MMIO_QUEUE_SEL = 0x030;
constexpr unsigned MMIO_QUEUE_NUM_MAX = 0x034;
constexpr unsigned MMIO_QUEUE_NUM = 0x038;
constexpr unsigned MMIO_QUEUE_READY = 0x044;
constexpr unsigned MMIO_QUEUE_NOTIFY = 0x050;
constexpr unsigned MMIO_INTERRUPT_STATUS = 0x060;
constexpr unsigned MMIO_INTERRUPT_ACK = 0x064;
constexpr unsigned MMIO_STATUS = 0x070;
constexpr unsigned MMIO_QUEUE_DESC = 0x080;
constexpr unsigned MMIO_QUEUE_DRIVER = 0x090;
constexpr unsigned MMIO_QUEUE_DEVICE = 0x0A0;
constexpr unsigned MMIO_CONFIG = 0x100;
constexpr uint32_t MMIO_MAGIC_VALUE = 0x74726976;   // "virt"
// QEMU's microvm: transports of 512 bytes from here, at most 24; a
// command line's first device sits in the highest one that has one.
constexpr uintptr_t MICROVM_MMIO_BASE = 0xFEB00000;
constexpr unsigned MICROVM_MMIO_SLOTS = 24;
constexpr uintptr_t MMIO_SLOT = 512;

constexpr uint16_t AVAIL_NO_INTERRUPT = 1;
constexpr uint16_t USED_NO_NOTIFY = 1;

template <class T> T rd(volatile uint8_t* base, unsigned off)
{
  return *reinterpret_cast<volatile T*>(base + off);
}
template <class T> void wr(volatile uint8_t* base, unsigned off, T v)
{
  *reinterpret_cast<volatile T*>(base + off) = v;
}

inline void barrier() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

}  // namespace

// ---- queue -----------------------------------------------------------------

void Queue::publish(uint16_t head)
{
  avail->ring[avail_idx % size] = head;
  // The ring entry must be visible before the index that makes it valid.
  __atomic_thread_fence(__ATOMIC_RELEASE);
  avail->idx = ++avail_idx;
}

bool Queue::has_used() const
{
  return __atomic_load_n(&used->idx, __ATOMIC_ACQUIRE) != last_used;
}

bool Queue::pop_used(uint32_t& head, uint32_t& len)
{
  if (!has_used())
    return false;
  volatile Used_elem& e = used->ring[last_used % size];
  head = e.id;
  len = e.len;
  last_used++;
  return true;
}

void Queue::suppress_interrupts()
{
  avail->flags = AVAIL_NO_INTERRUPT;
}

bool Queue::needs_notify() const
{
  // Our avail->idx store must be ordered before reading the device's flag.
  barrier();
  return !(used->flags & USED_NO_NOTIFY);
}

// ---- device ----------------------------------------------------------------

// The status register: one byte in PCI's common configuration, a 32-bit
// register over MMIO.
uint8_t Device::status()
{
  return mmio_ ? static_cast<uint8_t>(rd<uint32_t>(mmio_, MMIO_STATUS))
               : rd<uint8_t>(common_, DEVICE_STATUS);
}

void Device::set_status(uint8_t s)
{
  if (mmio_)
    wr<uint32_t>(mmio_, MMIO_STATUS, s);
  else
    wr<uint8_t>(common_, DEVICE_STATUS, s);
}

bool Device::reset_and_acknowledge()
{
  set_status(0);
  wait_for([&] { return status() == 0; }, 100000000);
  set_status(ACKNOWLEDGE);
  set_status(ACKNOWLEDGE | DRIVER);
  return true;
}

bool Device::init_mmio(uintptr_t base, unsigned gsi)
{
  mmio_ = reinterpret_cast<volatile uint8_t*>(base);
  gsi_ = gsi;
  if (rd<uint32_t>(mmio_, MMIO_MAGIC) != MMIO_MAGIC_VALUE || rd<uint32_t>(mmio_, MMIO_VERSION) != 2)
    return false;               // a legacy (version 1) transport: not supported
  device_cfg_ = mmio_ + MMIO_CONFIG;
  std::snprintf(location_, sizeof location_, "mmio %#lx", static_cast<unsigned long>(base));
  return reset_and_acknowledge();
}

void Device::ack_interrupt()
{
  if (mmio_)
    wr<uint32_t>(mmio_, MMIO_INTERRUPT_ACK, rd<uint32_t>(mmio_, MMIO_INTERRUPT_STATUS));
}

void for_each_mmio_device(void (*visit)(uintptr_t base, unsigned gsi, uint32_t type))
{
  if (pci_device_count())
    return;                     // a PCI machine: its devices are on the bus
  // microvm's lines: the second I/O APIC's (GSI 24 on) when it has one,
  // else 16 on with ACPI, else 5 on.
  unsigned first_gsi = arch_ioapic_count() >= 2 ? 24 : arch_ioapic_count() ? 16 : 5;
  for (unsigned i = MICROVM_MMIO_SLOTS; i-- > 0;) {
    auto* regs = reinterpret_cast<volatile uint8_t*>(MICROVM_MMIO_BASE + i * MMIO_SLOT);
    if (rd<uint32_t>(regs, MMIO_MAGIC) != MMIO_MAGIC_VALUE)
      continue;
    uint32_t type = rd<uint32_t>(regs, MMIO_DEVICE_ID);
    if (type)
      visit(MICROVM_MMIO_BASE + i * MMIO_SLOT, first_gsi + i, type);
  }
}

volatile uint8_t* Device::cap_address(uint8_t cap, uint32_t* length)
{
  uint8_t bar = pci_read8(pci_, cap + 4);
  uint32_t offset = pci_read32(pci_, cap + 8);
  if (length)
    *length = pci_read32(pci_, cap + 12);
  if (bar > 5 || !pci_->bar[bar].addr || (pci_->bar[bar].flags & PCI_BAR_IO))
    return nullptr;
  return reinterpret_cast<volatile uint8_t*>(pci_->bar[bar].addr + offset);
}

bool Device::init(pci_device& pci)
{
  pci_ = &pci;
  for (uint8_t cap = pci_find_capability(&pci, PCI_CAP_VENDOR, 0); cap;
       cap = pci_find_capability(&pci, PCI_CAP_VENDOR, cap)) {
    switch (pci_read8(&pci, cap + 3)) {
    case CAP_COMMON:
      if (!common_)
        common_ = cap_address(cap, nullptr);
      break;
    case CAP_NOTIFY:
      if (!notify_base_) {
        notify_base_ = cap_address(cap, nullptr);
        notify_multiplier_ = pci_read32(&pci, cap + 16);
      }
      break;
    case CAP_DEVICE:
      if (!device_cfg_)
        device_cfg_ = cap_address(cap, nullptr);
      break;
    }
  }
  if (!common_ || !notify_base_)
    return false;                 // a legacy-only device: not supported
  pci_enable_bus_master(&pci);
  msix_vectors_ = pci_msix_enable(&pci);
  if (msix_vectors_ < 0)
    msix_vectors_ = 0;

  char at[8];
  pci_location(pci, at);
  std::snprintf(location_, sizeof location_, "%s", at);
  // Reset: SeaBIOS leaves the disk it booted from running.
  reset_and_acknowledge();
  wr<uint16_t>(common_, CONFIG_MSIX_VECTOR, NO_VECTOR);
  return true;
}

uint64_t Device::device_features()
{
  volatile uint8_t* regs = mmio_ ? mmio_ : common_;
  unsigned sel = mmio_ ? MMIO_DEVICE_FEATURES_SEL : DEVICE_FEATURE_SELECT;
  unsigned val = mmio_ ? MMIO_DEVICE_FEATURES : DEVICE_FEATURE;
  wr<uint32_t>(regs, sel, 0);
  uint64_t lo = rd<uint32_t>(regs, val);
  wr<uint32_t>(regs, sel, 1);
  uint64_t hi = rd<uint32_t>(regs, val);
  return lo | (hi << 32);
}

bool Device::negotiate(uint64_t wanted)
{
  uint64_t f = (wanted | F_VERSION_1) & device_features();
  if (!(f & F_VERSION_1))
    return false;
  volatile uint8_t* regs = mmio_ ? mmio_ : common_;
  unsigned sel = mmio_ ? MMIO_DRIVER_FEATURES_SEL : DRIVER_FEATURE_SELECT;
  unsigned val = mmio_ ? MMIO_DRIVER_FEATURES : DRIVER_FEATURE;
  wr<uint32_t>(regs, sel, 0);
  wr<uint32_t>(regs, val, static_cast<uint32_t>(f));
  wr<uint32_t>(regs, sel, 1);
  wr<uint32_t>(regs, val, static_cast<uint32_t>(f >> 32));
  set_status(status() | FEATURES_OK);
  return (status() & FEATURES_OK) != 0;
}

bool Device::setup_queue(Queue& q, uint16_t index, uint16_t max_size, uint16_t msix_entry)
{
  uint16_t size;
  if (mmio_) {
    wr<uint32_t>(mmio_, MMIO_QUEUE_SEL, index);
    size = static_cast<uint16_t>(rd<uint32_t>(mmio_, MMIO_QUEUE_NUM_MAX));
  } else {
    wr<uint16_t>(common_, QUEUE_SELECT, index);
    size = rd<uint16_t>(common_, QUEUE_SIZE);
  }
  if (size == 0)
    return false;
  while (size > max_size)           // sizes are powers of two
    size /= 2;

  // Descriptors (16 B each), then the driver ring, then the device ring,
  // each on its own pages.
  size_t desc_bytes = 16u * size;
  size_t avail_bytes = 6 + 2u * size;
  size_t used_bytes = 6 + 8u * size;
  auto* desc = static_cast<uint8_t*>(kernel_pages(desc_bytes));
  auto* avail = static_cast<uint8_t*>(kernel_pages(avail_bytes));
  auto* used = static_cast<uint8_t*>(kernel_pages(used_bytes));
  if (!desc || !avail || !used)
    return false;
  q.index = index;
  q.size = size;
  q.desc = reinterpret_cast<Desc*>(desc);
  q.avail = reinterpret_cast<volatile Queue::Avail*>(avail);
  q.used = reinterpret_cast<volatile Queue::Used*>(used);
  q.avail_idx = q.last_used = 0;
  if (mmio_) {
    wr<uint32_t>(mmio_, MMIO_QUEUE_NUM, size);
    write64(MMIO_QUEUE_DESC, reinterpret_cast<uintptr_t>(desc));
    write64(MMIO_QUEUE_DRIVER, reinterpret_cast<uintptr_t>(avail));
    write64(MMIO_QUEUE_DEVICE, reinterpret_cast<uintptr_t>(used));
    wr<uint32_t>(mmio_, MMIO_QUEUE_READY, 1);
    return true;
  }
  wr<uint16_t>(common_, QUEUE_SIZE, size);
  uint16_t notify_off = rd<uint16_t>(common_, QUEUE_NOTIFY_OFF);
  q.notify_addr = reinterpret_cast<volatile uint16_t*>(
      notify_base_ + static_cast<uint32_t>(notify_off) * notify_multiplier_);

  write64(QUEUE_DESC, reinterpret_cast<uintptr_t>(desc));
  write64(QUEUE_DRIVER, reinterpret_cast<uintptr_t>(avail));
  write64(QUEUE_DEVICE, reinterpret_cast<uintptr_t>(used));
  uint16_t vector = msix_vectors_ ? msix_entry : NO_VECTOR;
  wr<uint16_t>(common_, QUEUE_MSIX_VECTOR, vector);
  if (rd<uint16_t>(common_, QUEUE_MSIX_VECTOR) != vector)
    wr<uint16_t>(common_, QUEUE_MSIX_VECTOR, NO_VECTOR);
  wr<uint16_t>(common_, QUEUE_ENABLE, 1);
  return true;
}

// 64-bit fields are written as two 32-bit halves (the spec's advice).
void Device::write64(unsigned off, uint64_t v)
{
  volatile uint8_t* regs = mmio_ ? mmio_ : common_;
  wr<uint32_t>(regs, off, static_cast<uint32_t>(v));
  wr<uint32_t>(regs, off + 4, static_cast<uint32_t>(v >> 32));
}

void Device::driver_ok() { set_status(status() | DRIVER_OK); }

void Device::failed() { set_status(status() | FAILED); }

void Device::notify(const Queue& q)
{
  if (mmio_)
    wr<uint32_t>(mmio_, MMIO_QUEUE_NOTIFY, q.index);   // registers take 32-bit accesses
  else
    *q.notify_addr = q.index;
}

bool Device::route_vector(uint16_t entry, unsigned irq)
{
  if (mmio_)
    return arch_route_gsi(gsi_, irq) == 0;
  if (static_cast<int>(entry) >= msix_vectors_)
    return false;
  return pci_msix_route(pci_, entry, irq) == 0;
}

}  // namespace ukbase::virtio
