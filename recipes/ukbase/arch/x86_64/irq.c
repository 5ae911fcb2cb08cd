/*
 * Device interrupts: acknowledge, record as pending, return. Handlers run
 * later from the event loop (kernel/events.cpp), in normal context, so
 * interrupt context never runs service code.
 */
#include <stdint.h>

#include "kernel/arch.h"
#include "kernel/clock.h"
#include "x86/apic.h"
#include "x86/cpu.h"
#include "x86/interrupts.h"

static volatile uint64_t pending_irqs;

void irq_raise(unsigned irq)
{
  if (irq < IRQ_COUNT)
    __atomic_or_fetch(&pending_irqs, 1ull << irq, __ATOMIC_SEQ_CST);
}

void irq_handler(struct interrupt_frame* f)
{
  unsigned v = (unsigned)f->vector;
  if (v == VECTOR_SPURIOUS)
    return;                     /* no EOI for spurious interrupts */
  irq_raise(v - IRQ_VECTOR_BASE);
  lapic_eoi();
}

uint64_t arch_take_pending_irqs(void)
{
  return __atomic_exchange_n(&pending_irqs, 0, __ATOMIC_SEQ_CST);
}

/* Halt until an interrupt, with the LAPIC timer armed for deadline_ns
 * (0: none). Called with interrupts off; "sti; hlt" lets no interrupt
 * slip in between (sti takes effect after the next instruction), so a
 * wake-up is never lost. Returns with interrupts on. */
static void halt_until(uint64_t deadline_ns)
{
  if (deadline_ns) {
    uint64_t now = clock_monotonic_ns();
    if (deadline_ns <= now) {
      irq_enable();
      return;
    }
    lapic_timer_oneshot(deadline_ns - now);
  }
  __asm__ volatile("sti; hlt" ::: "memory");
}

/* The event loop's wait: returns at once when an IRQ is pending. */
void arch_idle(uint64_t deadline_ns)
{
  irq_disable();
  if (pending_irqs) {
    irq_enable();
    return;
  }
  halt_until(deadline_ns);
}

/* A sleeping system call's wait: only the deadline matters. Keeps the
 * caller's interrupt state. */
void arch_wait_until(uint64_t deadline_ns)
{
  uint64_t flags = irq_save();
  halt_until(deadline_ns);
  if (!(flags & RFLAGS_IF))
    irq_disable();
}
