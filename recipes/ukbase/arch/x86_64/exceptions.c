/*
 * CPU exceptions are fatal. As on IncludeOS, the handler (named
 * __cpu_exception, which IncludeOS's tests look for in the backtrace)
 * prints
 *
 *   >>>> !!! CPU 0 EXCEPTION !!! <<<<
 *   <name> (<vector>)   EIP  <rip>   CODE <error code>
 *
 * with IncludeOS's names for the vectors, what a page fault was about and
 * the registers, then panics with "<name> (<vector>)" as the reason. The
 * panic prints the backtrace, which goes on from here into the code that
 * faulted (interrupts.S gives the dispatcher a frame record of it).
 */
#include <stdint.h>

#include "kernel/arch.h"
#include "kernel/kprint.h"
#include "kernel/memory.h"
#include "kernel/panic.h"
#include "x86/cpu.h"
#include "x86/interrupts.h"

static const char* const exception_names[32] = {
  "Divide-by-zero Error", "Debug", "Non-maskable Interrupt", "Breakpoint",
  "Overflow", "Bound Range Exceeded", "Invalid Opcode", "Device Not Available",
  "Double Fault", "Reserved", "Invalid TSS", "Segment Not Present",
  "Stack-Segment Fault", "General Protection Fault", "Page Fault", "Reserved",
  "x87 Floating-point Exception", "Alignment Check", "Machine Check",
  "SIMD Floating-point Exception", "Virtualization Exception", "Reserved",
  "Reserved", "Reserved", "Reserved", "Reserved", "Reserved", "Reserved",
  "Reserved", "Reserved", "Security Exception", "Reserved",
};

#define PF_PRESENT  (1u << 0)
#define PF_WRITE    (1u << 1)
#define PF_FETCH    (1u << 4)

static uint64_t read_cr0(void)
{
  uint64_t v;
  __asm__ volatile("mov %%cr0, %0" : "=r"(v));
  return v;
}

static uint64_t read_cr4(void)
{
  uint64_t v;
  __asm__ volatile("mov %%cr4, %0" : "=r"(v));
  return v;
}

static void pair(const char* a, uint64_t x, const char* b, uint64_t y)
{
  kprintf("  %s:  %016lx  %s:  %016lx\n", a, (unsigned long)x, b, (unsigned long)y);
}

static void print_registers(const struct interrupt_frame* f)
{
  pair("RAX", f->rax, "R 8", f->r8);
  pair("RBX", f->rbx, "R 9", f->r9);
  pair("RCX", f->rcx, "R10", f->r10);
  pair("RDX", f->rdx, "R11", f->r11);
  pair("RBP", f->rbp, "R12", f->r12);
  pair("RSP", f->rsp, "R13", f->r13);
  pair("RSI", f->rsi, "R14", f->r14);
  pair("RDI", f->rdi, "R15", f->r15);
  pair("RIP", f->rip, "FLA", f->rflags);
  pair("CR0", read_cr0(), "CR2", read_cr2());
  pair("CR3", read_cr3(), "CR4", read_cr4());
  pair("FS ", rdmsr(MSR_FS_BASE), "CS ", f->cs);
}

static void print_page_fault(uint64_t code)
{
  kprintf("  %s, trying to access 0x%lx\n",
          code & PF_PRESENT ? "Protection violation" : "Page not present",
          (unsigned long)read_cr2());
  kprint(code & PF_FETCH ? "  Instruction fetch failed.\n"
         : code & PF_WRITE ? "  Page write failed.\n" : "  Page read failed.\n");
}

/* What a page fault means, when it is one of the protections' (NULL for
 * an access to memory that is not there, such as a null pointer). */
static const char* page_fault_cause(const struct interrupt_frame* f)
{
  uint64_t addr = read_cr2(), code = f->error_code;
  uintptr_t page = (uintptr_t)addr & ~(uintptr_t)(KPAGE_SIZE - 1);
  if (!(code & PF_PRESENT)) {
    int none = pages_in_heap(page, 1) && !pages_are_free(page, 1);   /* mapped PROT_NONE */
    if (arch_is_stack_guard(addr) || (none && addr < f->rsp + 4 * KPAGE_SIZE
                                      && addr + 64 * KPAGE_SIZE > f->rsp))
      return "stack overflow (the stack's guard page)";
    return none ? "access to memory mapped PROT_NONE" : 0;
  }
  if (code & PF_FETCH)
    return "execution of non-executable memory";
  if (code & PF_WRITE)
    return arch_is_code(addr) ? "write to code (read-only)" : "write to read-only memory";
  return 0;
}

void __cpu_exception(struct interrupt_frame* f)
{
  static int handling;
  unsigned v = (unsigned)f->vector & 31;
  if (handling++)
    kernel_panic("Double CPU exception");
  kline_break();
  kprintf("\n>>>> !!! CPU %u EXCEPTION !!! <<<<\n", 0u);
  kprintf("%s (%u)   EIP  %p   CODE %#lx\n", exception_names[v], v,
          (void*)(uintptr_t)f->rip, (unsigned long)f->error_code);
  const char* cause = v == 14 ? page_fault_cause(f) : 0;
  if (v == 14)
    print_page_fault(f->error_code);
  if (cause)
    kprintf("  Cause: %s\n", cause);
  print_registers(f);
  char reason[96];
  if (cause)
    ksnprintf(reason, sizeof reason, "%s (%u): %s", exception_names[v], v, cause);
  else
    ksnprintf(reason, sizeof reason, "%s (%u)", exception_names[v], v);
  kernel_panic(reason);
}
