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
  cpuid(0x80000000u, 0, r);
  if (r[0] >= 0x80000001u) {
    cpuid(0x80000001u, 0, r);
    cpu_features.has_nx = (r[3] >> 20) & 1;
  }
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
#define PTE_NX      (1ull << 63)
#define PTE_ADDR    0x000FFFFFFFFFF000ull
#define SIZE_2M     (2ull << 20)
#define SIZE_4K     4096ull
#define CR0_WP      (1ull << 16)

/* NX on data, once EFER.NXE is on (0 before: the bit is reserved until then). */
static uint64_t pte_nx;

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
    *e = (phys + off) | PTE_PRESENT | PTE_HUGE | pte_nx | (writable ? PTE_WRITE : 0);
  }
  uint64_t cr3;
  __asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
  return 0;
}

/* ---- page protection ------------------------------------------------------ */

/* The 4 KiB entry for `lin`, its 2 MiB page split into 4 KiB ones (same
 * rights) when it is one; NULL if `lin` is not mapped or no page is left. */
static uint64_t* pt_entry(uint64_t lin)
{
  uint64_t* pde = pd_entry(lin, 0);
  if (!pde || !(*pde & PTE_PRESENT))
    return 0;
  if (*pde & PTE_HUGE) {
    uint64_t* pt = kernel_pages(4096);
    if (!pt)
      return 0;
    uint64_t base = *pde & PTE_ADDR & ~(SIZE_2M - 1);
    uint64_t rights = *pde & (PTE_PRESENT | PTE_WRITE | PTE_NX);
    for (unsigned i = 0; i < 512; i++)
      pt[i] = (base + i * SIZE_4K) | rights;
    /* The directory entry itself stays writable and executable: the page
     * entries decide. */
    *pde = (uint64_t)(uintptr_t)pt | PTE_PRESENT | PTE_WRITE;
  }
  uint64_t* pt = (uint64_t*)(uintptr_t)(*pde & PTE_ADDR);
  return &pt[(lin >> 12) & 511];
}

static uint64_t rights_of(int prot)
{
  if (!(prot & (ARCH_PROT_READ | ARCH_PROT_WRITE | ARCH_PROT_EXEC)))
    return 0;                                   /* PROT_NONE: not present */
  return PTE_PRESENT | ((prot & ARCH_PROT_WRITE) ? PTE_WRITE : 0)
         | ((prot & ARCH_PROT_EXEC) ? 0 : pte_nx);
}

int arch_protect(uint64_t lin, uint64_t len, int prot)
{
  if ((lin | len) % SIZE_4K)
    return -22;                                 /* EINVAL */
  uint64_t want = rights_of(prot);
  for (uint64_t a = lin; a < lin + len; a += SIZE_4K) {
    uint64_t* pde = pd_entry(a, 0);
    if (!pde || !(*pde & PTE_ADDR))
      return -12;                               /* ENOMEM: not mapped */
    /* A whole 2 MiB page that already has these rights stays whole. */
    if ((*pde & PTE_HUGE) && (*pde & (PTE_PRESENT | PTE_WRITE | PTE_NX)) == want) {
      a = (a | (SIZE_2M - 1)) + 1 - SIZE_4K;
      continue;
    }
    uint64_t* e = pt_entry(a);
    if (!e)
      return -12;
    *e = (*e & PTE_ADDR) | want;
    __asm__ volatile("invlpg (%0)" : : "r"(a) : "memory");
  }
  return 0;
}

extern char __image_start[], __etext[], __data_start_page[], _end[];
extern char boot_stack_guard[];
extern uint64_t boot_pd[2048];
extern uint64_t boot_pt0[512];

/*
 * W^X from here on: the kernel's code read-only and executable, its
 * read-only data read-only, everything else (data, heap, stacks, devices)
 * not executable; page 0 (left out by boot.S) and the boot stack's guard
 * page not mapped. CR0.WP makes ring 0 (where services run) obey
 * read-only pages.
 */
void arch_protect_kernel(void)
{
  if (cpu_features.has_nx) {
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    pte_nx = PTE_NX;
  }
  /* The image's 2 MiB pages first (split, so code stays executable while
   * the rest loses that), then every other page. */
  uint64_t code = (uint64_t)(uintptr_t)__image_start & ~(SIZE_4K - 1);
  uint64_t rodata = ((uint64_t)(uintptr_t)__etext + SIZE_4K - 1) & ~(SIZE_4K - 1);
  uint64_t data = (uint64_t)(uintptr_t)__data_start_page;
  uint64_t split_end = ((uint64_t)(uintptr_t)_end + SIZE_2M - 1) & ~(SIZE_2M - 1);
  arch_protect(code, rodata - code, ARCH_PROT_READ | ARCH_PROT_EXEC);
  if (data > rodata)
    arch_protect(rodata, data - rodata, ARCH_PROT_READ);
  arch_protect(data, split_end - data, ARCH_PROT_READ | ARCH_PROT_WRITE);
  arch_protect((uint64_t)(uintptr_t)boot_stack_guard, SIZE_4K, ARCH_PROT_NONE);
  if (pte_nx) {
    for (unsigned i = 0; i < 2048; i++)
      if (boot_pd[i] & PTE_HUGE)
        boot_pd[i] |= PTE_NX;
    for (unsigned i = 1; i < 512; i++)
      boot_pt0[i] |= PTE_NX;
  }
  uint64_t cr0;
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
  __asm__ volatile("mov %0, %%cr0" : : "r"(cr0 | CR0_WP) : "memory");
  uint64_t cr3;
  __asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
}

int arch_is_code(uint64_t lin)
{
  return lin >= (uint64_t)(uintptr_t)__image_start && lin < (uint64_t)(uintptr_t)__etext;
}

int arch_is_stack_guard(uint64_t lin)
{
  uint64_t g = (uint64_t)(uintptr_t)boot_stack_guard;
  return lin >= g && lin < g + SIZE_4K;
}
