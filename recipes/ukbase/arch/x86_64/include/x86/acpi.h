/* The few ACPI facts the kernel needs, collected once at boot. */
#pragma once
#include <stdint.h>

struct acpi_info {
  int found;                  /* RSDP and FADT found */
  int hw_reduced;             /* FADT flag HW_REDUCED_ACPI (microvm) */
  uint16_t pm1a_cnt, pm1b_cnt; /* I/O ports of PM1x_CNT (0 if absent) */
  uint8_t slp_typ_a, slp_typ_b; /* _S5 sleep types from the DSDT */
  int has_s5;
  uint8_t sleep_ctl_space;    /* GAS address space of the sleep control register */
  uint64_t sleep_ctl_addr;    /* hardware-reduced sleep control register */
  uint32_t lapic_addr;        /* from the MADT, 0 if not found */
  unsigned ioapic_count;      /* the MADT's I/O APICs (at most 4 kept) */
  uint32_t ioapic_addr[4];
  uint32_t ioapic_gsi_base[4];
  uint8_t revision;
  char oem[7];
};
extern struct acpi_info acpi_info;

void acpi_init(void);
