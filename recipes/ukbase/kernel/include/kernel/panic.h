/* Fatal errors: print a line containing PANIC and power off. */
#pragma once
#include "kernel/cdefs.h"

KERNEL_BEGIN_DECLS

NORETURN void kernel_panic(const char* why);
NORETURN void kernel_panicf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

KERNEL_END_DECLS
