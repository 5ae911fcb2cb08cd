/*
 * PCI devices as the architecture layer found them at boot: every function
 * on every bus reachable from bus 0, with its BARs sized and assigned (qboot
 * assigns none; SeaBIOS assigns all) and its decoding enabled. Drivers look
 * devices up here, turn on bus mastering and route MSI-X vectors.
 */
#pragma once
#include <stdint.h>
#include "kernel/cdefs.h"

KERNEL_BEGIN_DECLS

#define PCI_MAX_DEVICES 64

#define PCI_BAR_IO      1u      /* I/O space (else memory) */
#define PCI_BAR_64      2u      /* 64-bit memory BAR (occupies two slots) */
#define PCI_BAR_PREFETCH 4u

struct pci_bar {
  uint64_t addr;                /* I/O port or physical address; 0: none */
  uint64_t size;
  uint32_t flags;               /* PCI_BAR_* */
};

struct pci_device {
  uint8_t bus, dev, fn;
  uint8_t header_type;          /* 0 device, 1 PCI-PCI bridge */
  uint16_t vendor, device;
  uint16_t subsys_vendor, subsys_id;
  uint8_t class_code, subclass, prog_if, revision;
  uint8_t irq_line, irq_pin;
  uint8_t msix_cap;             /* offset of the MSI-X capability, 0: none */
  uint8_t claimed;              /* a driver took it */
  struct pci_bar bar[6];
};

/* Enumerate, size and assign (libarch calls this from arch_init). */
void pci_init(void);

unsigned pci_device_count(void);
struct pci_device* pci_device_at(unsigned index);

uint32_t pci_read32(const struct pci_device* d, uint16_t off);
uint16_t pci_read16(const struct pci_device* d, uint16_t off);
uint8_t  pci_read8(const struct pci_device* d, uint16_t off);
void pci_write32(const struct pci_device* d, uint16_t off, uint32_t v);
void pci_write16(const struct pci_device* d, uint16_t off, uint16_t v);
void pci_write8(const struct pci_device* d, uint16_t off, uint8_t v);

/* Offset of the first capability with this id at or after `after` (0:
 * from the start of the list); 0 when there is none. */
uint8_t pci_find_capability(const struct pci_device* d, uint8_t id, uint8_t after);

/* Turn on bus mastering (DMA) and turn off legacy INTx. */
void pci_enable_bus_master(struct pci_device* d);

/* MSI-X: enable the capability with every vector masked; returns the
 * table size, or -1 when the device has no MSI-X. */
int pci_msix_enable(struct pci_device* d);
/* Send table entry `entry` to the boot CPU as IRQ `irq` (see
 * arch_irq_alloc) and unmask it. */
int pci_msix_route(struct pci_device* d, unsigned entry, unsigned irq);

/* A free device IRQ number for MSI/MSI-X (Events::subscribe's numbering:
 * vector 32 + irq); -1 when none is left. */
int arch_irq_alloc(void);
/* Deliver global system interrupt `gsi` (an I/O APIC input) as IRQ `irq`;
 * -1 if no I/O APIC has it. How many I/O APICs the machine has. */
int arch_route_gsi(unsigned gsi, unsigned irq);
unsigned arch_ioapic_count(void);

KERNEL_END_DECLS
