/* What the generic kernel needs from the architecture layer (libarch). */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "kernel/cdefs.h"

KERNEL_BEGIN_DECLS

/* Called by the boot code once the boot information is recorded. */
void kernel_main(void);

void arch_init(void);                       /* CPU tables, interrupts, ACPI, clocks */
void arch_console_write(const char* s, size_t len);   /* early/kernel console */
int arch_console_at_line_start(void);       /* last byte written was '\n' */
NORETURN void arch_poweroff(void);         /* ACPI S5; QEMU exits by itself */
NORETURN void arch_reboot(void);           /* a CPU reset (QEMU -no-reboot: it exits) */

void arch_irq_enable(void);
void arch_irq_disable(void);
/* Interrupts off; returns the previous state for arch_irq_restore(). */
uint64_t arch_irq_save(void);
void arch_irq_restore(uint64_t state);

/* Thread pointer (FS base) for arch_prctl. */
void arch_set_tls_base(uint64_t base);
uint64_t arch_get_tls_base(void);

/* Fill buf with random bytes (RDRAND when present, else a TSC-seeded PRNG). */
void arch_random(void* buf, size_t len);

/* The CPUID feature word Linux puts in AT_HWCAP. */
uint64_t arch_hwcap(void);

/* Sleep until an interrupt arrives or until the monotonic clock reaches
 * deadline_ns (0: no deadline). Returns at once when an IRQ is pending. */
void arch_idle(uint64_t deadline_ns);

/* Halt until the monotonic clock reaches deadline_ns or any interrupt
 * arrives (pending IRQs do not make it return early). */
void arch_wait_until(uint64_t deadline_ns);

/* Interrupts seen since the last call, as a mask of IRQ numbers (bit n:
 * IRQ n); clears them. ARCH_TIMER_IRQ is the event-loop timer. */
uint64_t arch_take_pending_irqs(void);
#define ARCH_TIMER_IRQ 32

/* Threads (thread.c, thread_switch.S). A new thread's first context on
 * `stack_top`, made from its creator's clone() call: once switched to,
 * it calls thread_entered(), then returns from the call with rax = 0,
 * rsp = stack_top and every other register (SSE/x87 state included) as
 * the creator had them. Returns the stack pointer to switch to. */
struct syscall_frame;
uint64_t arch_thread_context(uint64_t stack_top, const struct syscall_frame* f);
/* Save this thread's context on its stack, store the stack pointer at
 * *save_sp and continue the thread whose saved stack pointer is next_sp;
 * returns when some thread switches back. */
void arch_thread_switch(uint64_t* save_sp, uint64_t next_sp);

/* Page protection (4 KiB granularity): PROT_READ/WRITE/EXEC's bits. */
#define ARCH_PROT_NONE  0
#define ARCH_PROT_READ  1
#define ARCH_PROT_WRITE 2
#define ARCH_PROT_EXEC  4
/* Set the rights of [lin, lin + len) (page-aligned, mapped): 0, or -EINVAL
 * / -ENOMEM. PROT_NONE unmaps the pages (their frames stay theirs). */
int arch_protect(uint64_t lin, uint64_t len, int prot);
/* W^X for the kernel image, NX for everything else, the boot stack's guard
 * page; after memory_init() (page tables come from the page heap). */
void arch_protect_kernel(void);
/* Is `lin` in the kernel's code, or the boot stack's guard page? */
int arch_is_code(uint64_t lin);
int arch_is_stack_guard(uint64_t lin);

/* Highest physical address + 1 the page tables identity-map. */
uint64_t arch_mapped_limit(void);

/* Map `size` bytes at virtual `lin` to physical `phys` in 2 MiB pages
 * (all three 2 MiB-aligned), read-only unless `writable`. 0, or -EINVAL
 * (misaligned), -EEXIST (some of it is mapped already), -ENOMEM. */
int arch_map_2m(uint64_t lin, uint64_t phys, uint64_t size, int writable);

KERNEL_END_DECLS
