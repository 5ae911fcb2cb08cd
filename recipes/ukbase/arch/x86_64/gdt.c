/*
 * The final GDT: ring-0 code and data (the selectors boot.S already uses)
 * and a TSS whose only job is the interrupt stack table.
 */
#include <stdint.h>

#include "x86/interrupts.h"

#define IST_STACK_SIZE (16 * 1024)

struct tss {
  uint32_t reserved0;
  uint64_t rsp[3];
  uint64_t reserved1;
  uint64_t ist[7];
  uint64_t reserved2;
  uint16_t reserved3;
  uint16_t iomap_base;
} __attribute__((packed));

static struct tss tss;
static uint64_t gdt[5];
static uint8_t ist_stacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));

struct descriptor_pointer {
  uint16_t limit;
  uint64_t base;
} __attribute__((packed));

void gdt_init(void)
{
  for (int i = 0; i < 3; i++)
    tss.ist[i] = (uint64_t)(uintptr_t)&ist_stacks[i][IST_STACK_SIZE];
  tss.iomap_base = sizeof tss;    /* no I/O permission bitmap */

  uint64_t base = (uint64_t)(uintptr_t)&tss, limit = sizeof tss - 1;
  gdt[0] = 0;
  gdt[1] = 0x00AF9A000000FFFFull;          /* 0x08: 64-bit code */
  gdt[2] = 0x00CF92000000FFFFull;          /* 0x10: data */
  gdt[3] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ull << 40)
         | (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
  gdt[4] = base >> 32;                     /* 0x18: 64-bit available TSS */

  struct descriptor_pointer p = { sizeof gdt - 1, (uint64_t)(uintptr_t)gdt };
  __asm__ volatile(
      "lgdt %0\n\t"
      "pushq $0x08\n\t"                    /* reload CS with a far return */
      "leaq 1f(%%rip), %%rax\n\t"
      "pushq %%rax\n\t"
      "lretq\n"
      "1:\n\t"
      "movw $0x10, %%ax\n\t"
      "movw %%ax, %%ds\n\t"
      "movw %%ax, %%es\n\t"
      "movw %%ax, %%ss\n\t"
      "movw $0x18, %%ax\n\t"
      "ltr %%ax"
      : : "m"(p) : "rax", "memory");
}
