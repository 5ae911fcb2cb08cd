/* Fatal errors: IncludeOS's panic report (see panic.c), then the panic
 * action. */
#pragma once
#include "kernel/cdefs.h"

KERNEL_BEGIN_DECLS

NORETURN void kernel_panic(const char* why);
NORETURN void kernel_panicf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

/* What a panic ends in; the values are os::Panic_action's. */
enum {
  KERNEL_PANIC_HALT = 0,
  KERNEL_PANIC_REBOOT = 1,
  KERNEL_PANIC_SHUTDOWN = 2,      /* power off: the default */
};
void kernel_set_panic_action(int action);
int kernel_panic_action(void);

/* Called once, after the report and before the panic action. */
void kernel_on_panic(void (*handler)(const char* why));

KERNEL_END_DECLS
