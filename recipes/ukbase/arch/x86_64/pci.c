/*
 * PCI through configuration mechanism #1 (ports 0xCF8/0xCFC), which pc and
 * q35 have and microvm lacks (every read there answers 0xFFFFFFFF).
 *
 * At boot: enumerate every function on bus 0 and on the buses behind
 * PCI-PCI bridges, size every BAR, and assign the ones the firmware left
 * unassigned. qboot assigns nothing and leaves every command register 0;
 * SeaBIOS assigns everything (but may put 64-bit BARs above 4 GiB, beyond
 * what our page tables map: those are moved below 4 GiB too). New
 * assignments go into the first naturally aligned gap between the BARs
 * already in place: I/O from 0xC000, memory from 0xC0000000 (or the top
 * of RAM below 4 GiB, if higher) up to the IOAPIC at 0xFEC00000. Decoding
 * is then enabled for the spaces a function has BARs in; bus mastering
 * waits for a driver.
 */
#include <stddef.h>
#include <stdint.h>

#include "kernel/boot.h"
#include "kernel/kprint.h"
#include "kernel/pci.h"
#include "x86/apic.h"
#include "x86/interrupts.h"
#include "x86/io.h"

#define CONFIG_ADDRESS 0xCF8
#define CONFIG_DATA    0xCFC

#define PCI_VENDOR     0x00
#define PCI_COMMAND    0x04
#define PCI_STATUS     0x06
#define PCI_REVISION   0x08
#define PCI_HEADER     0x0E
#define PCI_BAR0       0x10
#define PCI_SUBSYS     0x2C
#define PCI_CAP_PTR    0x34
#define PCI_IRQ_LINE   0x3C
#define PCI_SECONDARY  0x19          /* bridges: secondary bus number */

#define CMD_IO         (1u << 0)
#define CMD_MEMORY     (1u << 1)
#define CMD_MASTER     (1u << 2)
#define CMD_INTX_OFF   (1u << 10)
#define STATUS_CAPS    (1u << 4)

#define CAP_MSIX       0x11
#define MSIX_ENABLE    (1u << 15)
#define MSIX_FN_MASK   (1u << 14)

#define IO_WINDOW_START   0xC000u
#define IO_WINDOW_END     0x10000u
#define MEM_WINDOW_START  0xC0000000ull
#define MEM_WINDOW_END    0xFEC00000ull     /* the IOAPIC, then the LAPIC */

static struct pci_device devices[PCI_MAX_DEVICES];
static unsigned device_count;

static uint32_t address(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
  return 0x80000000u | ((uint32_t)bus << 16) | ((uint32_t)dev << 11)
       | ((uint32_t)fn << 8) | (off & 0xFC);
}

static uint32_t cfg_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
  outl(CONFIG_ADDRESS, address(bus, dev, fn, off));
  return inl(CONFIG_DATA);
}

static void cfg_write32(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t v)
{
  outl(CONFIG_ADDRESS, address(bus, dev, fn, off));
  outl(CONFIG_DATA, v);
}

uint32_t pci_read32(const struct pci_device* d, uint16_t off)
{
  return cfg_read32(d->bus, d->dev, d->fn, off);
}

uint16_t pci_read16(const struct pci_device* d, uint16_t off)
{
  outl(CONFIG_ADDRESS, address(d->bus, d->dev, d->fn, off));
  return inw(CONFIG_DATA + (off & 2));
}

uint8_t pci_read8(const struct pci_device* d, uint16_t off)
{
  outl(CONFIG_ADDRESS, address(d->bus, d->dev, d->fn, off));
  return inb(CONFIG_DATA + (off & 3));
}

void pci_write32(const struct pci_device* d, uint16_t off, uint32_t v)
{
  cfg_write32(d->bus, d->dev, d->fn, off, v);
}

void pci_write16(const struct pci_device* d, uint16_t off, uint16_t v)
{
  outl(CONFIG_ADDRESS, address(d->bus, d->dev, d->fn, off));
  outw(CONFIG_DATA + (off & 2), v);
}

void pci_write8(const struct pci_device* d, uint16_t off, uint8_t v)
{
  outl(CONFIG_ADDRESS, address(d->bus, d->dev, d->fn, off));
  outb(CONFIG_DATA + (off & 3), v);
}

unsigned pci_device_count(void) { return device_count; }

struct pci_device* pci_device_at(unsigned index)
{
  return index < device_count ? &devices[index] : NULL;
}

uint8_t pci_find_capability(const struct pci_device* d, uint8_t id, uint8_t after)
{
  if (!(pci_read16(d, PCI_STATUS) & STATUS_CAPS))
    return 0;
  uint8_t off = after ? pci_read8(d, after + 1) : pci_read8(d, PCI_CAP_PTR);
  for (int guard = 0; off >= 0x40 && guard < 48; guard++) {
    off &= 0xFC;
    if (pci_read8(d, off) == id)
      return off;
    off = pci_read8(d, off + 1);
  }
  return 0;
}

/* ---- enumeration and BAR sizing ---------------------------------------- */

/* Size (and record the firmware's address of) every BAR of `d`, with
 * decoding off while the all-ones pattern is in the register. */
static void size_bars(struct pci_device* d)
{
  unsigned nbars = d->header_type == 0 ? 6 : d->header_type == 1 ? 2 : 0;
  uint16_t cmd = pci_read16(d, PCI_COMMAND);
  pci_write16(d, PCI_COMMAND, cmd & ~(CMD_IO | CMD_MEMORY));
  for (unsigned i = 0; i < nbars; i++) {
    uint16_t off = PCI_BAR0 + 4 * i;
    uint32_t orig = pci_read32(d, off);
    pci_write32(d, off, 0xFFFFFFFFu);
    uint32_t mask = pci_read32(d, off);
    pci_write32(d, off, orig);
    struct pci_bar* b = &d->bar[i];
    if (orig & 1) {                                   /* I/O */
      uint32_t m = mask & 0xFFFCu;
      if (!m)
        continue;
      b->flags = PCI_BAR_IO;
      b->size = (~m + 1) & 0xFFFFu;
      b->addr = orig & 0xFFFCu;
      continue;
    }
    uint64_t m = mask & ~0xFull, addr = orig & ~0xFull;
    if (((orig >> 1) & 3) == 2 && i + 1 < nbars) {    /* 64-bit: two slots */
      uint32_t orig_hi = pci_read32(d, off + 4);
      pci_write32(d, off + 4, 0xFFFFFFFFu);
      uint32_t mask_hi = pci_read32(d, off + 4);
      pci_write32(d, off + 4, orig_hi);
      m |= (uint64_t)mask_hi << 32;
      addr |= (uint64_t)orig_hi << 32;
      b->flags = PCI_BAR_64;
      i++;
    } else {
      m |= 0xFFFFFFFF00000000ull;
    }
    if (!(mask & ~0xFu))
      continue;
    if (orig & 8)
      b->flags |= PCI_BAR_PREFETCH;
    b->size = ~m + 1;
    b->addr = addr;
  }
  pci_write16(d, PCI_COMMAND, cmd);
}

static void scan_bus(uint8_t bus, int depth);

static void add_function(uint8_t bus, uint8_t dev, uint8_t fn, int depth)
{
  if (device_count == PCI_MAX_DEVICES)
    return;
  struct pci_device* d = &devices[device_count++];
  uint32_t id = cfg_read32(bus, dev, fn, PCI_VENDOR);
  uint32_t cls = cfg_read32(bus, dev, fn, PCI_REVISION);
  uint32_t sub = cfg_read32(bus, dev, fn, PCI_SUBSYS);
  d->bus = bus, d->dev = dev, d->fn = fn;
  d->vendor = id & 0xFFFF, d->device = id >> 16;
  d->revision = cls & 0xFF, d->prog_if = (cls >> 8) & 0xFF;
  d->subclass = (cls >> 16) & 0xFF, d->class_code = cls >> 24;
  d->header_type = pci_read8(d, PCI_HEADER) & 0x7F;
  d->subsys_vendor = d->header_type == 0 ? (sub & 0xFFFF) : 0;
  d->subsys_id = d->header_type == 0 ? (sub >> 16) : 0;
  d->irq_line = pci_read8(d, PCI_IRQ_LINE);
  d->irq_pin = pci_read8(d, PCI_IRQ_LINE + 1);
  d->msix_cap = pci_find_capability(d, CAP_MSIX, 0);
  size_bars(d);
  /* Buses behind bridges the firmware numbered. (qboot and SeaBIOS number
   * them; an unnumbered bridge's devices stay out of reach.) */
  if (d->header_type == 1 && depth < 8) {
    uint8_t secondary = pci_read8(d, PCI_SECONDARY);
    if (secondary > bus)
      scan_bus(secondary, depth + 1);
  }
}

static void scan_bus(uint8_t bus, int depth)
{
  for (uint8_t dev = 0; dev < 32; dev++) {
    if ((cfg_read32(bus, dev, 0, PCI_VENDOR) & 0xFFFF) == 0xFFFF)
      continue;
    uint8_t header;
    outl(CONFIG_ADDRESS, address(bus, dev, 0, PCI_HEADER));
    header = inb(CONFIG_DATA + (PCI_HEADER & 3));
    unsigned functions = (header & 0x80) ? 8 : 1;
    for (uint8_t fn = 0; fn < functions; fn++) {
      if (fn && (cfg_read32(bus, dev, fn, PCI_VENDOR) & 0xFFFF) == 0xFFFF)
        continue;
      add_function(bus, dev, fn, depth);
    }
  }
}

/* ---- assignment ---------------------------------------------------------- */

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

/* A BAR we can use as the firmware left it. */
static int bar_usable(const struct pci_bar* b)
{
  if (!b->size)
    return 0;
  if (b->flags & PCI_BAR_IO)
    return b->addr != 0;
  return b->addr != 0 && b->addr + b->size <= MEM_WINDOW_END;
}

static void write_bar(struct pci_device* d, unsigned i, uint64_t addr)
{
  struct pci_bar* b = &d->bar[i];
  uint16_t off = PCI_BAR0 + 4 * i;
  uint32_t low_flags = pci_read32(d, off) & ((b->flags & PCI_BAR_IO) ? 0x3u : 0xFu);
  pci_write32(d, off, (uint32_t)addr | low_flags);
  if (b->flags & PCI_BAR_64)
    pci_write32(d, off + 4, (uint32_t)(addr >> 32));
  b->addr = addr;
}

static int overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
  return a < b + blen && b < a + alen;
}

/* The lowest naturally aligned place in [start, end) that no assigned BAR
 * of the same space overlaps; 0 when there is none. */
static uint64_t find_gap(uint64_t start, uint64_t end, uint64_t size, uint64_t align, int io)
{
  uint64_t at = align_up(start, align);
  for (int moved = 1; moved;) {
    moved = 0;
    if (at + size > end)
      return 0;
    for (unsigned n = 0; n < device_count; n++)
      for (unsigned i = 0; i < 6; i++) {
        const struct pci_bar* b = &devices[n].bar[i];
        if (b->addr && b->size && !(b->flags & PCI_BAR_IO) == !io
            && overlaps(at, size, b->addr, b->size)) {
          at = align_up(b->addr + b->size, align);
          moved = 1;
        }
      }
  }
  return at;
}

static void assign_bars(void)
{
  /* Memory BARs go above RAM (and at least at 0xC0000000). */
  uint64_t mem_start = MEM_WINDOW_START;
  for (unsigned k = 0; k < boot_info.ram_count; k++) {
    uint64_t end = boot_info.ram[k].base + boot_info.ram[k].length;
    if (end <= MEM_WINDOW_END && end > mem_start)
      mem_start = end;
  }
  /* The BARs to place, largest first: natural alignment then wastes
   * little space. Their old addresses (0, or above 4 GiB) are dropped so
   * that only BARs in place count when looking for room. */
  struct { struct pci_device* d; unsigned i; } todo[PCI_MAX_DEVICES * 6];
  unsigned count = 0;
  for (unsigned n = 0; n < device_count; n++)
    for (unsigned i = 0; i < 6; i++) {
      if (!devices[n].bar[i].size || bar_usable(&devices[n].bar[i]))
        continue;
      devices[n].bar[i].addr = 0;
      unsigned at = count++;
      while (at > 0 && todo[at - 1].d->bar[todo[at - 1].i].size < devices[n].bar[i].size) {
        todo[at] = todo[at - 1];
        at--;
      }
      todo[at].d = &devices[n];
      todo[at].i = i;
    }
  for (unsigned k = 0; k < count; k++) {
    struct pci_device* d = todo[k].d;
    struct pci_bar* b = &d->bar[todo[k].i];
    int io = (b->flags & PCI_BAR_IO) != 0;
    uint64_t at = io ? find_gap(IO_WINDOW_START, IO_WINDOW_END, b->size, b->size < 4 ? 4 : b->size, 1)
                     : find_gap(mem_start, MEM_WINDOW_END, b->size, b->size < 4096 ? 4096 : b->size, 0);
    if (!at) {
      kprintf("     [ PCI ] %02x:%02x.%x: no %s space left for BAR%u\n",
              d->bus, d->dev, d->fn, io ? "I/O" : "memory", todo[k].i);
      continue;
    }
    write_bar(d, todo[k].i, at);
  }
}

static void enable_decoding(void)
{
  for (unsigned n = 0; n < device_count; n++) {
    struct pci_device* d = &devices[n];
    uint16_t want = 0;
    for (unsigned i = 0; i < 6; i++) {
      if (!d->bar[i].size || !d->bar[i].addr)
        continue;
      want |= (d->bar[i].flags & PCI_BAR_IO) ? CMD_IO : CMD_MEMORY;
    }
    /* IDE in compatibility mode decodes the legacy ports through I/O. */
    if (d->class_code == 0x01 && d->subclass == 0x01)
      want |= CMD_IO;
    uint16_t cmd = pci_read16(d, PCI_COMMAND);
    if ((cmd & want) != want)
      pci_write16(d, PCI_COMMAND, cmd | want);
  }
}

void pci_init(void)
{
  /* One read tells whether there is PCI at all (not on microvm). */
  if ((cfg_read32(0, 0, 0, PCI_VENDOR) & 0xFFFF) == 0xFFFF)
    return;
  scan_bus(0, 0);
  assign_bars();
  enable_decoding();
}

/* ---- drivers' helpers ---------------------------------------------------- */

void pci_enable_bus_master(struct pci_device* d)
{
  uint16_t cmd = pci_read16(d, PCI_COMMAND);
  pci_write16(d, PCI_COMMAND, cmd | CMD_MASTER | CMD_INTX_OFF);
}

static uintptr_t msix_table(const struct pci_device* d)
{
  uint32_t t = pci_read32(d, d->msix_cap + 4);
  const struct pci_bar* b = &d->bar[t & 7];
  if (!b->addr || (b->flags & PCI_BAR_IO))
    return 0;
  return (uintptr_t)(b->addr + (t & ~7u));
}

int pci_msix_enable(struct pci_device* d)
{
  if (!d->msix_cap || !msix_table(d))
    return -1;
  uint16_t ctrl = pci_read16(d, d->msix_cap + 2);
  unsigned size = (ctrl & 0x7FF) + 1;
  /* Enable with the whole function masked, mask each entry, unmask. */
  pci_write16(d, d->msix_cap + 2, ctrl | MSIX_ENABLE | MSIX_FN_MASK);
  uintptr_t table = msix_table(d);
  for (unsigned i = 0; i < size; i++)
    mmio_write32(table + 16 * i + 12, 1);
  pci_write16(d, d->msix_cap + 2, (ctrl | MSIX_ENABLE) & ~MSIX_FN_MASK);
  return (int)size;
}

int pci_msix_route(struct pci_device* d, unsigned entry, unsigned irq)
{
  uintptr_t table = d->msix_cap ? msix_table(d) : 0;
  if (!table || irq >= IRQ_COUNT)
    return -1;
  uint16_t ctrl = pci_read16(d, d->msix_cap + 2);
  if (entry > (ctrl & 0x7FFu))
    return -1;
  uintptr_t e = table + 16 * entry;
  /* Fixed delivery, edge, physical destination: the boot CPU's LAPIC. */
  mmio_write32(e + 0, 0xFEE00000u | (lapic_id() << 12));
  mmio_write32(e + 4, 0);
  mmio_write32(e + 8, IRQ_VECTOR_BASE + irq);
  mmio_write32(e + 12, 0);
  return 0;
}

/* IRQs 0-31 are left for legacy lines, 32 is the LAPIC timer. */
#define FIRST_MSI_IRQ (IRQ_LAPIC_TIMER + 1)
static unsigned next_msi_irq = FIRST_MSI_IRQ;

int arch_irq_alloc(void)
{
  if (next_msi_irq >= IRQ_COUNT)
    return -1;
  return (int)next_msi_irq++;
}
