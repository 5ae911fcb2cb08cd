/* The IDT: every vector points at its stub in interrupts.S, on an IST stack. */
#include <stdint.h>

#include "x86/interrupts.h"

struct idt_gate {
  uint16_t offset_low;
  uint16_t selector;
  uint8_t ist;
  uint8_t type_attr;
  uint16_t offset_mid;
  uint32_t offset_high;
  uint32_t reserved;
} __attribute__((packed));

struct descriptor_pointer {
  uint16_t limit;
  uint64_t base;
} __attribute__((packed));

#define GATE_INTERRUPT 0x8E     /* present, ring 0, 64-bit interrupt gate */
#define STUB_SIZE      16

extern char interrupt_stubs[];
static struct idt_gate idt[256];

static unsigned ist_for_vector(unsigned v)
{
  switch (v) {
  case 2:   /* NMI */
  case 8:   /* double fault */
  case 18:  /* machine check */
    return IST_CRITICAL;
  default:
    return v < 32 ? IST_EXCEPTION : IST_IRQ;
  }
}

void idt_init(void)
{
  for (unsigned v = 0; v < 256; v++) {
    uint64_t addr = (uint64_t)(uintptr_t)(interrupt_stubs + v * STUB_SIZE);
    idt[v].offset_low = addr & 0xFFFF;
    idt[v].selector = 0x08;
    idt[v].ist = ist_for_vector(v);
    idt[v].type_attr = GATE_INTERRUPT;
    idt[v].offset_mid = (addr >> 16) & 0xFFFF;
    idt[v].offset_high = addr >> 32;
    idt[v].reserved = 0;
  }
  struct descriptor_pointer p = { sizeof idt - 1, (uint64_t)(uintptr_t)idt };
  __asm__ volatile("lidt %0" : : "m"(p));
}

/* Called by interrupt_common with the saved state. */
void interrupt_dispatch(struct interrupt_frame* f)
{
  if (f->vector < 32)
    __cpu_exception(f);
  else
    irq_handler(f);
}
