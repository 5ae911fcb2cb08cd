/*
 * CPU exceptions are fatal: print what happened and where, then panic
 * (which powers off, so QEMU exits by itself).
 */
#include <stdint.h>

#include "kernel/kprint.h"
#include "kernel/panic.h"
#include "x86/cpu.h"
#include "x86/interrupts.h"

static const char* const exception_names[32] = {
  "#DE divide error", "#DB debug", "NMI", "#BP breakpoint",
  "#OF overflow", "#BR bound range", "#UD invalid opcode", "#NM device not available",
  "#DF double fault", "coprocessor segment overrun", "#TS invalid TSS", "#NP segment not present",
  "#SS stack fault", "#GP general protection", "#PF page fault", "reserved",
  "#MF x87 floating point", "#AC alignment check", "#MC machine check", "#XM SIMD floating point",
  "#VE virtualization", "#CP control protection", "reserved", "reserved",
  "reserved", "reserved", "reserved", "reserved",
  "#HV hypervisor injection", "#VC VMM communication", "#SX security", "reserved",
};

/* Follow the frame-pointer chain while it stays in plausible memory. */
static void backtrace(uint64_t rbp)
{
  for (int depth = 0; depth < 12; depth++) {
    if (rbp < 0x1000 || rbp >= (4ull << 30) || (rbp & 7))
      break;
    const uint64_t* frame = (const uint64_t*)rbp;
    if (frame[1] == 0)
      break;
    kprintf("    #%d 0x%016lx\n", depth, (unsigned long)frame[1]);
    if (frame[0] <= rbp)
      break;
    rbp = frame[0];
  }
}

void exception_handler(struct interrupt_frame* f)
{
  unsigned v = (unsigned)f->vector;
  kline_break();
  kprintf(">>> CPU exception %u (%s), error code 0x%lx\n", v,
          exception_names[v & 31], (unsigned long)f->error_code);
  kprintf("    RIP 0x%016lx  RSP 0x%016lx  RFLAGS 0x%lx  CR2 0x%016lx\n",
          (unsigned long)f->rip, (unsigned long)f->rsp,
          (unsigned long)f->rflags, (unsigned long)read_cr2());
  kprintf("    RAX 0x%016lx  RBX 0x%016lx  RCX 0x%016lx  RDX 0x%016lx\n",
          (unsigned long)f->rax, (unsigned long)f->rbx,
          (unsigned long)f->rcx, (unsigned long)f->rdx);
  kprintf("    RSI 0x%016lx  RDI 0x%016lx  RBP 0x%016lx  FS  0x%016lx\n",
          (unsigned long)f->rsi, (unsigned long)f->rdi,
          (unsigned long)f->rbp, (unsigned long)rdmsr(MSR_FS_BASE));
  kprint("    backtrace (frame pointers):\n");
  kprintf("    #- 0x%016lx\n", (unsigned long)f->rip);
  backtrace(f->rbp);
  kernel_panicf("CPU exception %u (%s) at RIP 0x%lx", v, exception_names[v & 31],
                (unsigned long)f->rip);
}
