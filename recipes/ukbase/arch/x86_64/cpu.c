/* CPU identification, the SYSCALL MSRs and the thread pointer. */
#include <stddef.h>
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

/* boot.S's tables; further PDPTs and page directories come from the page heap. */
extern uint64_t boot_pml4[512];
void* kernel_pages(size_t bytes);

#define PTE_PRESENT 0x001ull
#define PTE_WRITE   0x002ull
#define PTE_HUGE    0x080ull
#define PTE_ADDR    0x000FFFFFFFFFF000ull
#define SIZE_2M     (2ull << 20)

/* The table an entry points to, made (empty) when there is none; NULL when
 * the entry maps a page itself or no page is left. */
static uint64_t* next_table(uint64_t* entry)
{
  if (*entry & PTE_PRESENT)
    return (*entry & PTE_HUGE) ? 0 : (uint64_t*)(uintptr_t)(*entry & PTE_ADDR);
  uint64_t* table = kernel_pages(4096);
  if (table)
    *entry = (uint64_t)(uintptr_t)table | PTE_PRESENT | PTE_WRITE;
  return table;
}

static uint64_t* pd_entry(uint64_t lin, int make)
{
  uint64_t* e4 = &boot_pml4[(lin >> 39) & 511];
  if (!make && !(*e4 & PTE_PRESENT))
    return 0;
  uint64_t* pdpt = next_table(e4);
  if (!pdpt)
    return 0;
  uint64_t* e3 = &pdpt[(lin >> 30) & 511];
  if (!make && !(*e3 & PTE_PRESENT))
    return 0;
  uint64_t* pd = next_table(e3);
  return pd ? &pd[(lin >> 21) & 511] : 0;
}

int arch_map_2m(uint64_t lin, uint64_t phys, uint64_t size, int writable)
{
  if (!size || (lin | phys | size) % SIZE_2M || lin + size < lin || lin + size > (1ull << 47))
    return -22;   /* EINVAL */
  for (uint64_t off = 0; off < size; off += SIZE_2M) {   /* nothing there yet? */
    uint64_t* e = pd_entry(lin + off, 0);
    if (e && (*e & PTE_PRESENT))
      return -17;   /* EEXIST */
  }
  for (uint64_t off = 0; off < size; off += SIZE_2M) {
    uint64_t* e = pd_entry(lin + off, 1);
    if (!e)
      return -12;   /* ENOMEM */
    *e = (phys + off) | PTE_PRESENT | PTE_HUGE | (writable ? PTE_WRITE : 0);
  }
  uint64_t cr3;
  __asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
  return 0;
}
