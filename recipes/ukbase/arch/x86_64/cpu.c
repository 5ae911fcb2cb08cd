/* CPU identification, the SYSCALL MSRs and the thread pointer. */
#include <stdint.h>

#include "kernel/arch.h"
#include "x86/cpu.h"

struct cpu_features cpu_features;

/* syscall_entry.S */
extern char syscall_entry[];

#define KERNEL_CS 0x08

void cpu_init(void)
{
  uint32_t r[4];
  cpuid(0, 0, r);
  *(uint32_t*)&cpu_features.vendor[0] = r[1];
  *(uint32_t*)&cpu_features.vendor[4] = r[3];
  *(uint32_t*)&cpu_features.vendor[8] = r[2];
  cpu_features.vendor[12] = 0;
  cpuid(1, 0, r);
  cpu_features.leaf1_ecx = r[2];
  cpu_features.leaf1_edx = r[3];
  cpu_features.has_rdrand = (r[2] >> 30) & 1;
  cpu_features.has_apic = (r[3] >> 9) & 1;
}

/*
 * The service runs in ring 0 and still uses the SYSCALL instruction (musl
 * is unmodified). SYSCALL loads CS from STAR[47:32] and SS from that + 8,
 * both our ring-0 selectors, masks RFLAGS with FMASK (interrupts, direction,
 * trap and alignment-check off) and jumps to LSTAR. It does not switch
 * stacks: syscall_entry.S steps over the caller's red zone instead, and
 * returns with a plain jump (SYSRET would drop to ring 3).
 */
void syscall_init(void)
{
  wrmsr(MSR_STAR, (uint64_t)KERNEL_CS << 32);
  wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)syscall_entry);
  wrmsr(MSR_FMASK, RFLAGS_IF | RFLAGS_DF | RFLAGS_TF | RFLAGS_AC);
  wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}

void arch_set_tls_base(uint64_t base) { wrmsr(MSR_FS_BASE, base); }
uint64_t arch_get_tls_base(void) { return rdmsr(MSR_FS_BASE); }
uint64_t arch_hwcap(void) { return cpu_features.leaf1_edx; }

void arch_irq_enable(void) { irq_enable(); }
void arch_irq_disable(void) { irq_disable(); }
uint64_t arch_irq_save(void) { return irq_save(); }
void arch_irq_restore(uint64_t state) { irq_restore(state); }

uint64_t arch_mapped_limit(void)
{
  /* boot.S maps the first 4 GiB. */
  return 4ull << 30;
}
