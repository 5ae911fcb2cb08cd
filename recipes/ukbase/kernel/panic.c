/*
 * Fatal errors, reported as IncludeOS reports them, so that its test
 * runner (vmrunner) and tests that read these lines work:
 *
 *   \x15\x07\t**** PANIC ****          (NAK, BEL, TAB: vmrunner's signal)
 *   CPU: 0, Reason: <why>
 *   Heap is at: ... / Heap area: ... / Total memory use: ...
 *   *** Backtrace:
 *   [0] 0x... + 0x...: <function>
 *   ...
 *
 * then the service's on_panic handler, ukbase's uptime line, EOT (0x04:
 * vmrunner reads up to it) and the panic action: power off by default
 * (so QEMU exits by itself; IncludeOS halts), halt or reboot.
 */
#include <stdarg.h>
#include <stdint.h>

#include "kernel/arch.h"
#include "kernel/backtrace.h"
#include "kernel/clock.h"
#include "kernel/kprint.h"
#include "kernel/memory.h"
#include "kernel/panic.h"

#define PANIC_SIGNATURE "\x15\x07\t**** PANIC ****"
#define EOT "\x04"

static int panicking;
static int action = KERNEL_PANIC_SHUTDOWN;
static void (*on_panic_handler)(const char* why);

void kernel_set_panic_action(int a)
{
  if (a == KERNEL_PANIC_HALT || a == KERNEL_PANIC_REBOOT || a == KERNEL_PANIC_SHUTDOWN)
    action = a;
}

int kernel_panic_action(void) { return action; }

void kernel_on_panic(void (*handler)(const char* why)) { on_panic_handler = handler; }

/* SET_CRASH's note (kernel/net/http/crash_context.cpp), when a service
 * uses it: a weak reference, so that the panic path alone does not link it. */
extern char* get_crash_context_buffer(void) __attribute__((weak));
extern size_t get_crash_context_length(void) __attribute__((weak));

static void print_context(void)
{
  if (!get_crash_context_buffer || !get_crash_context_length)
    return;
  const char* context = get_crash_context_buffer();
  if (context[0])
    kprintf("Context: %.*s\n", (int)(get_crash_context_length() - 1), context);
}

static void print_memory(void)
{
  size_t heap = memory_heap_bytes();
  if (!heap)
    return;                            /* before memory_init() */
  uintptr_t start = memory_heap_start(), top = memory_heap_top();
  size_t used = memory_used_bytes(), in_use = memory_in_use();
  size_t total = in_use - used + heap;
  kprintf("Heap is at: %p / %p  (diff=%lu)\n", (void*)start, (void*)top,
          (unsigned long)(top - start));
  kprintf("Heap area: %lu / %lu Kb (allocated %lu kb)\n", (unsigned long)(used >> 10),
          (unsigned long)(heap >> 10), (unsigned long)((top - start) >> 10));
  kprintf("Total memory use: ~%lu%% (%lu of %lu b)\n",
          (unsigned long)(total ? in_use * 100 / total : 0), (unsigned long)in_use,
          (unsigned long)total);
}

NORETURN static void stop(void)
{
  if (action == KERNEL_PANIC_REBOOT)
    arch_reboot();
  if (action == KERNEL_PANIC_HALT)
    for (;;)
      __asm__ volatile("cli; hlt");
  arch_poweroff();
}

void kernel_panic(const char* why)
{
  arch_irq_disable();
  if (__atomic_fetch_add(&panicking, 1, __ATOMIC_SEQ_CST)) {
    /* A panic while reporting one: say so, and stop. */
    kline_break();
    kprintf("\n\n%s\nDouble fault! \nCPU: %d, Reason: %s\n", PANIC_SIGNATURE, 0, why);
    kprint("*** PANIC while panicking, powering off\n" EOT);
    arch_poweroff();
  }
  kline_break();
  kprintf("\n%s\nCPU: %d, Reason: %s\n", PANIC_SIGNATURE, 0, why);
  print_memory();
  kprint("\n*** Backtrace:\n");
  backtrace_print(__builtin_frame_address(0), kwrite);
  print_context();
  if (on_panic_handler) {
    void (*handler)(const char*) = on_panic_handler;
    on_panic_handler = 0;               /* once */
    handler(why);
  }
  kline_break();
  uint64_t ms = clock_monotonic_ns() / 1000000;
  kprintf("     [ Kernel ] panic after %lu ms of uptime, %s\n", (unsigned long)ms,
          action == KERNEL_PANIC_HALT ? "halting"
          : action == KERNEL_PANIC_REBOOT ? "rebooting" : "powering off");
  kprint(EOT);
  stop();
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

/* The stack protector's check failed in code compiled with it (services:
 * platform.toml's -fstack-protector-strong; the link wraps musl's
 * __stack_chk_fail, which would only halt). IncludeOS's words. */
NORETURN void __wrap___stack_chk_fail(void);
NORETURN void __wrap___stack_chk_fail(void)
{
  kernel_panic("Stack protector: canary modified");
}
