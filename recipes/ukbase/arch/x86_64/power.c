/*
 * Power-off through ACPI soft-off (S5), as found in the tables at boot, so
 * that QEMU exits by itself with status 0. Works on pc and q35 (PM1a_CNT)
 * and on microvm (hardware-reduced ACPI: the sleep control register).
 * And a reset, for os::reboot().
 */
#include <stdint.h>

#include "kernel/arch.h"
#include "x86/acpi.h"
#include "x86/cpu.h"
#include "x86/io.h"

#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_TYP_MASK  (7u << PM1_SLP_TYP_SHIFT)
#define PM1_SLP_EN        (1u << 13)
#define SLEEP_CTL_TYP_SHIFT 2
#define SLEEP_CTL_SLP_EN  (1u << 5)

/* What QEMU's machines use when no ACPI tables could be read. */
#define QEMU_PIIX_PM1A_CNT 0x604
#define QEMU_MICROVM_SLEEP_CTL 0xFEA00200u
#define QEMU_MICROVM_S5    5

static void pm1_write(uint16_t port, uint8_t slp_typ)
{
  uint16_t v = inw(port) & ~PM1_SLP_TYP_MASK;
  outw(port, v | (uint16_t)(slp_typ << PM1_SLP_TYP_SHIFT) | PM1_SLP_EN);
}

static void sleep_ctl_write(uint8_t space, uint64_t addr, uint8_t slp_typ)
{
  uint8_t v = (uint8_t)((slp_typ << SLEEP_CTL_TYP_SHIFT) | SLEEP_CTL_SLP_EN);
  if (space == 1)
    outb((uint16_t)addr, v);
  else
    mmio_write8((uintptr_t)addr, v);
}

void arch_poweroff(void)
{
  irq_disable();
  const struct acpi_info* a = &acpi_info;
  if (a->found) {
    if (a->hw_reduced && a->sleep_ctl_addr) {
      sleep_ctl_write(a->sleep_ctl_space, a->sleep_ctl_addr,
                      a->has_s5 ? a->slp_typ_a : QEMU_MICROVM_S5);
    } else if (a->pm1a_cnt) {
      pm1_write(a->pm1a_cnt, a->slp_typ_a);
      if (a->pm1b_cnt)
        pm1_write(a->pm1b_cnt, a->slp_typ_b);
    }
  } else {
    /* No tables: try QEMU's fixed locations. */
    outw(QEMU_PIIX_PM1A_CNT, PM1_SLP_EN);
    mmio_write8(QEMU_MICROVM_SLEEP_CTL, (QEMU_MICROVM_S5 << SLEEP_CTL_TYP_SHIFT) | SLEEP_CTL_SLP_EN);
  }
  /* The power-off request completes asynchronously: stop here. */
  for (;;)
    __asm__ volatile("cli; hlt");
}

/* A reset: the reset control register of the pc's and q35's chipsets
 * (0xCF9), then the keyboard controller's reset line, then a triple
 * fault (no IDT), which resets any x86 machine. */
void arch_reboot(void)
{
  irq_disable();
  outb(0xCF9, 0x02);
  outb(0xCF9, 0x06);
  for (int i = 0; i < 100000; i++)
    cpu_relax();
  outb(0x64, 0xFE);
  for (int i = 0; i < 100000; i++)
    cpu_relax();
  struct __attribute__((packed)) { uint16_t limit; uint64_t base; } none = { 0, 0 };
  __asm__ volatile("lidt %0; int3" : : "m"(none));
  for (;;)
    __asm__ volatile("cli; hlt");
}
