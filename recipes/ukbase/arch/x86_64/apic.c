/*
 * The local APIC, memory-mapped at its base MSR address (identity-mapped):
 * end of interrupt, the spurious vector, and the one-shot timer the event
 * loop and nanosleep use. Its rate is measured by clock.c at boot.
 */
#include <stdint.h>

#include "x86/acpi.h"
#include "x86/apic.h"
#include "x86/cpu.h"
#include "x86/interrupts.h"
#include "x86/io.h"

#define LAPIC_ID        0x020
#define LAPIC_TPR       0x080
#define LAPIC_EOI       0x0B0
#define LAPIC_SVR       0x0F0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3E0

#define LVT_MASKED      (1u << 16)
#define SVR_ENABLE      (1u << 8)
#define APIC_BASE_ENABLE (1u << 11)
#define TIMER_DIVIDE_16 0x3

static uintptr_t lapic_base;
static uint64_t ticks_per_ns_q32;     /* timer ticks per ns, 32.32 fixed point */

static inline uint32_t lapic_read(uint32_t reg) { return mmio_read32(lapic_base + reg); }
static inline void lapic_write(uint32_t reg, uint32_t v) { mmio_write32(lapic_base + reg, v); }

int lapic_present(void) { return lapic_base != 0; }

uint32_t lapic_id(void)
{
  return lapic_base ? lapic_read(LAPIC_ID) >> 24 : 0;
}

void lapic_init(void)
{
  if (!cpu_features.has_apic)
    return;
  uint64_t msr = rdmsr(MSR_APIC_BASE);
  wrmsr(MSR_APIC_BASE, msr | APIC_BASE_ENABLE);
  lapic_base = msr & 0xFFFFF000ull;
  lapic_write(LAPIC_TPR, 0);
  lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
  lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
  lapic_write(LAPIC_TIMER_DIV, TIMER_DIVIDE_16);
  lapic_write(LAPIC_SVR, SVR_ENABLE | VECTOR_SPURIOUS);
}

void lapic_eoi(void)
{
  if (lapic_base)
    lapic_write(LAPIC_EOI, 0);
}

void lapic_timer_calibrate_start(void)
{
  if (!lapic_base)
    return;
  lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
  lapic_write(LAPIC_TIMER_INIT, 0xFFFFFFFFu);
}

uint32_t lapic_timer_calibrate_read(void)
{
  if (!lapic_base)
    return 0;
  uint32_t used = 0xFFFFFFFFu - lapic_read(LAPIC_TIMER_CUR);
  lapic_write(LAPIC_TIMER_INIT, 0);
  return used;
}

void lapic_timer_set_rate(uint64_t ticks_per_second)
{
  ticks_per_ns_q32 = (uint64_t)(((unsigned __int128)ticks_per_second << 32) / 1000000000u);
}

void lapic_timer_oneshot(uint64_t ns)
{
  if (!lapic_base)
    return;
  if (ns == 0) {
    lapic_write(LAPIC_TIMER_INIT, 0);
    return;
  }
  uint64_t ticks = (uint64_t)(((unsigned __int128)ns * ticks_per_ns_q32) >> 32);
  if (ticks == 0)
    ticks = 1;
  if (ticks > 0xFFFFFFFFu)
    ticks = 0xFFFFFFFFu;        /* the caller re-arms when it wakes early */
  lapic_write(LAPIC_LVT_TIMER, IRQ_VECTOR_BASE + IRQ_LAPIC_TIMER);   /* one-shot */
  lapic_write(LAPIC_TIMER_INIT, (uint32_t)ticks);
}

/* ---- I/O APICs (from the MADT) -------------------------------------------- */

#define IOAPIC_REGSEL 0x00
#define IOAPIC_WINDOW 0x10
#define IOAPIC_VERSION 0x01
#define IOAPIC_REDIRECT(pin) (0x10 + 2 * (pin))

static uint32_t ioapic_read(uintptr_t base, uint32_t reg)
{
  mmio_write32(base + IOAPIC_REGSEL, reg);
  return mmio_read32(base + IOAPIC_WINDOW);
}

static void ioapic_write(uintptr_t base, uint32_t reg, uint32_t v)
{
  mmio_write32(base + IOAPIC_REGSEL, reg);
  mmio_write32(base + IOAPIC_WINDOW, v);
}

unsigned arch_ioapic_count(void) { return acpi_info.ioapic_count; }

/* Edge-triggered, active high, fixed delivery to this CPU: a level line
 * (virtio-mmio's) raises one interrupt per rise, which the driver allows
 * again by acknowledging the device before it looks at its work. */
int arch_route_gsi(unsigned gsi, unsigned irq)
{
  if (irq >= IRQ_COUNT)
    return -1;
  for (unsigned i = 0; i < acpi_info.ioapic_count; i++) {
    uintptr_t base = acpi_info.ioapic_addr[i];
    unsigned first = acpi_info.ioapic_gsi_base[i];
    unsigned pins = ((ioapic_read(base, IOAPIC_VERSION) >> 16) & 0xFF) + 1;
    if (gsi < first || gsi >= first + pins)
      continue;
    unsigned pin = gsi - first;
    ioapic_write(base, IOAPIC_REDIRECT(pin) + 1, lapic_id() << 24);
    ioapic_write(base, IOAPIC_REDIRECT(pin), IRQ_VECTOR_BASE + irq);
    return 0;
  }
  return -1;
}
