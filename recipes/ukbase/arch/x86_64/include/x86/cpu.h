/* Control registers, MSRs, CPUID and small CPU helpers. */
#pragma once
#include <stdint.h>

#define MSR_EFER        0xC0000080u
#define MSR_STAR        0xC0000081u
#define MSR_LSTAR       0xC0000082u
#define MSR_FMASK       0xC0000084u
#define MSR_FS_BASE     0xC0000100u
#define MSR_GS_BASE     0xC0000101u
#define MSR_APIC_BASE   0x0000001Bu

#define EFER_SCE        (1u << 0)
#define EFER_NXE        (1u << 11)   /* the NX bit of page table entries */

#define RFLAGS_TF       (1u << 8)
#define RFLAGS_IF       (1u << 9)
#define RFLAGS_DF       (1u << 10)
#define RFLAGS_AC       (1u << 18)

static inline uint64_t rdmsr(uint32_t msr)
{
  uint32_t lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
  __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
  __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static inline uint64_t rdtsc(void)
{
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t read_cr2(void)
{
  uint64_t v;
  __asm__ volatile("mov %%cr2, %0" : "=r"(v));
  return v;
}

static inline uint64_t read_cr3(void)
{
  uint64_t v;
  __asm__ volatile("mov %%cr3, %0" : "=r"(v));
  return v;
}

static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }

static inline uint64_t irq_save(void)
{
  uint64_t flags;
  __asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
  return flags;
}

static inline void irq_restore(uint64_t flags)
{
  if (flags & RFLAGS_IF)
    irq_enable();
}

/* CPU features, filled by cpu_init(). */
struct cpu_features {
  uint32_t leaf1_ecx, leaf1_edx;  /* CPUID.1: the Linux AT_HWCAP is EDX */
  int has_rdrand;
  int has_apic;
  int has_nx;                     /* CPUID.80000001:EDX.NX */
  char vendor[13];
};
extern struct cpu_features cpu_features;

void cpu_init(void);
void syscall_init(void);
