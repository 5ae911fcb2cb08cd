/*
 * A new thread's first context (see thread_switch.S).
 *
 * musl's __clone (src/thread/x86_64/clone.s) expects the child to come
 * back from the SYSCALL with rax = 0, rsp = the stack it passed (the
 * start function's argument is the word there) and the other registers
 * as they were: r9 holds the start function. So the child gets copies of
 * what its creator's syscall_entry.S saved, laid out below its own stack
 * as syscall_entry.S lays them out below a caller's, and returns the same
 * way. The SSE/x87 state is the live one: kernel C never touches it
 * (-mno-sse -mno-80387), so between the SYSCALL and here it is still the
 * creator's.
 *
 * Below stack_top, highest first: 128 bytes (the red zone syscall_entry.S
 * steps over), struct syscall_saved, the FXSAVE image (16-byte aligned),
 * then arch_thread_switch's saved context returning to arch_thread_entry.
 */
#include <stdint.h>

#include "kernel/arch.h"
#include "kernel/memory.h"
#include "kernel/syscall.h"

extern char arch_thread_entry[];

#define RED_ZONE 128
#define FXSAVE_BYTES 512
#define RFLAGS_RESERVED 0x2ull       /* interrupts off until the return to its code */

uint64_t arch_thread_context(uint64_t stack_top, const struct syscall_frame* f)
{
  const struct syscall_saved* saved = (const struct syscall_saved*)(f + 1);
  struct syscall_saved* regs = (struct syscall_saved*)(stack_top - RED_ZONE) - 1;
  mem_copy(regs, saved, sizeof *regs);

  uint8_t* fx = (uint8_t*)(((uintptr_t)regs - FXSAVE_BYTES) & ~(uintptr_t)15);
  __asm__ volatile("fxsave (%0)" : : "r"(fx) : "memory");
  uint16_t fcw = *(const uint16_t*)fx;            /* FXSAVE: FCW at 0, MXCSR at 24 */
  uint32_t mxcsr = *(const uint32_t*)(fx + 24);

  /* arch_thread_switch pops these; its `ret` leaves rsp at fx, aligned. */
  uint64_t* sp = (uint64_t*)fx;
  *--sp = (uint64_t)(uintptr_t)arch_thread_entry;
  *--sp = 0;                                      /* rbp: the end of backtraces */
  *--sp = (uint64_t)(uintptr_t)regs;              /* rbx */
  *--sp = (uint64_t)(uintptr_t)fx;                /* r12 */
  *--sp = 0;                                      /* r13 */
  *--sp = 0;                                      /* r14 */
  *--sp = 0;                                      /* r15 */
  *--sp = RFLAGS_RESERVED;
  *--sp = mxcsr | (uint64_t)fcw << 32;
  return (uint64_t)(uintptr_t)sp;
}
