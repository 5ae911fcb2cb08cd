/*
 * Fatal errors. Prints a line with "PANIC" and the reason (what a test
 * harness looks for), then powers off so QEMU exits by itself.
 */
#include <stdarg.h>

#include "kernel/arch.h"
#include "kernel/clock.h"
#include "kernel/kprint.h"
#include "kernel/panic.h"

static int panicking;

void kernel_panic(const char* why)
{
  arch_irq_disable();
  if (__atomic_fetch_add(&panicking, 1, __ATOMIC_SEQ_CST)) {
    kline_break();
    kprint("*** PANIC while panicking\n");
    arch_poweroff();
  }
  kline_break();
  kprintf("*** PANIC: %s\n", why);
  uint64_t ms = clock_monotonic_ns() / 1000000;
  kprintf("     [ Kernel ] panic after %lu ms of uptime, powering off\n", (unsigned long)ms);
  arch_poweroff();
}

void kernel_panicf(const char* fmt, ...)
{
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  kvsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  kernel_panic(buf);
}
