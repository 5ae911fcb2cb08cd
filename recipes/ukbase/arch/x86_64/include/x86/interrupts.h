/* Interrupt vectors, the frame the entry stubs build, and IDT setup. */
#pragma once
#include <stdint.h>

/* Vectors 0-31 are CPU exceptions; device interrupt "IRQ n" uses vector
 * IRQ_VECTOR_BASE + n. The LAPIC timer is IRQ 32. */
#define IRQ_VECTOR_BASE   32
#define IRQ_COUNT         64
#define IRQ_LAPIC_TIMER   32
#define VECTOR_SPURIOUS   0xFF

/* Interrupt stack table slots (TSS.IST1..3). */
#define IST_EXCEPTION     1
#define IST_IRQ           2
#define IST_CRITICAL      3    /* NMI, double fault, machine check */

/* Saved state, lowest address first: what interrupts.S pushes on top of
 * the hardware frame. */
struct interrupt_frame {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
  uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
  uint64_t vector, error_code;
  uint64_t rip, cs, rflags, rsp, ss;   /* pushed by the CPU */
};

void idt_init(void);
void gdt_init(void);
/* CPU exceptions (exceptions.c); IncludeOS's name for its handler. */
void __cpu_exception(struct interrupt_frame* f);
void irq_handler(struct interrupt_frame* f);

/* Called from irq_handler(); marks IRQ `irq` pending for the event loop. */
void irq_raise(unsigned irq);
