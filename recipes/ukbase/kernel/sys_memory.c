/*
 * Memory system calls over the page heap (memory.c). Only anonymous memory
 * exists; it is handed out zeroed, as Linux does. Protection is the page
 * tables' (arch_protect): PROT_NONE pages are not mapped (musl's thread
 * stacks have such a guard page below them), read-only ones fault on a
 * write, and only PROT_EXEC pages may run code. Pages go back to the heap
 * readable and writable.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>

#include "kernel/arch.h"
#include "kernel/memory.h"
#include "kernel/syscall.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static size_t to_pages(uint64_t len) { return page_align_up(len) / KPAGE_SIZE; }

#define PROT_DEFAULT (PROT_READ | PROT_WRITE)

/* Pages handed out with rights other than the heap's own. */
static long protect(uintptr_t p, size_t n, int prot)
{
  if ((prot & PROT_DEFAULT) == PROT_DEFAULT && !(prot & PROT_EXEC))
    return 0;
  return arch_protect(p, n * KPAGE_SIZE, prot & (PROT_READ | PROT_WRITE | PROT_EXEC));
}

/* Pages back to the heap, readable and writable again (those of the heap:
 * it is one range, so they are one run of [p, p + n)). */
static void give_back(uintptr_t p, size_t n)
{
  size_t first = 0, count = 0;
  while (first < n && !pages_in_heap(p + first * KPAGE_SIZE, 1))
    first++;
  while (first + count < n && pages_in_heap(p + (first + count) * KPAGE_SIZE, 1))
    count++;
  if (count)
    arch_protect(p + first * KPAGE_SIZE, count * KPAGE_SIZE, PROT_DEFAULT);
  pages_free(p, n);
}

long sys_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t off)
{
  if (len == 0 || len > (1ull << 46))
    return -EINVAL;
  if (!(flags & MAP_ANONYMOUS))
    return fd < 0 ? -EBADF : -ENODEV;      /* no files to map */
  size_t n = to_pages(len);

  if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
    if (addr & KPAGE_MASK)
      return -EINVAL;
    if ((flags & MAP_FIXED_NOREPLACE) && !pages_are_free(addr, n))
      return pages_in_heap(addr, n) ? -EEXIST : -ENOMEM;
    if (!pages_are_free(addr, n) && pages_in_heap(addr, n))
      arch_protect(addr, n * KPAGE_SIZE, PROT_DEFAULT);    /* replacing a mapping */
    if (pages_claim(addr, n) < 0)
      return -ENOMEM;
    mem_zero((void*)addr, n * KPAGE_SIZE);
    protect(addr, n, prot);
    return (long)addr;
  }

  uintptr_t p = pages_alloc(n, addr & ~KPAGE_MASK);
  if (!p)
    return -ENOMEM;
  mem_zero((void*)p, n * KPAGE_SIZE);
  if (protect(p, n, prot) < 0) {
    give_back(p, n);
    return -ENOMEM;
  }
  return (long)p;
}

long sys_munmap(uint64_t addr, uint64_t len)
{
  if ((addr & KPAGE_MASK) || len == 0)
    return -EINVAL;
  give_back(addr, to_pages(len));       /* partial unmaps are fine */
  return 0;
}

long sys_mremap(uint64_t old, uint64_t old_len, uint64_t new_len, int flags, uint64_t new_addr)
{
  if ((old & KPAGE_MASK) || new_len == 0 || (flags & ~MREMAP_MAYMOVE))
    return -EINVAL;
  size_t old_n = to_pages(old_len), new_n = to_pages(new_len);
  if (!pages_in_heap(old, old_n))
    return -EFAULT;
  if (new_n <= old_n) {                          /* shrink in place */
    give_back(old + new_n * KPAGE_SIZE, old_n - new_n);
    return (long)old;
  }
  uintptr_t tail = old + old_n * KPAGE_SIZE;
  if (pages_are_free(tail, new_n - old_n)) {     /* grow in place */
    pages_claim(tail, new_n - old_n);
    mem_zero((void*)tail, (new_n - old_n) * KPAGE_SIZE);
    return (long)old;
  }
  if (!(flags & MREMAP_MAYMOVE))
    return -ENOMEM;
  uintptr_t p = pages_alloc(new_n, 0);
  if (!p)
    return -ENOMEM;
  arch_protect(old, old_n * KPAGE_SIZE, PROT_DEFAULT);   /* readable to copy; the copy is */
  mem_copy((void*)p, (const void*)old, old_n * KPAGE_SIZE);
  mem_zero((void*)(p + old_n * KPAGE_SIZE), (new_n - old_n) * KPAGE_SIZE);
  pages_free(old, old_n);
  return (long)p;
}

long sys_mprotect(uint64_t addr, uint64_t len, int prot)
{
  if ((addr & KPAGE_MASK) || (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)))
    return -EINVAL;
  size_t n = to_pages(len);
  if (n == 0)
    return 0;
  if (!pages_in_heap(addr, n))
    return -ENOMEM;                     /* only mmap()'s memory: not the kernel image */
  return arch_protect(addr, n * KPAGE_SIZE, prot);
}

long sys_madvise(uint64_t addr, uint64_t len, int advice)
{
  if (addr & KPAGE_MASK)
    return -EINVAL;
  /* After MADV_DONTNEED, anonymous memory reads back as zeros. */
  if (advice == MADV_DONTNEED && pages_in_heap(addr, to_pages(len)))
    mem_zero((void*)addr, to_pages(len) * KPAGE_SIZE);
  return 0;
}

long sys_brk(uint64_t addr)
{
  /* No program break: report 0 and never move it, so malloc uses mmap. */
  return 0;
}
