/*
 * Memory system calls over the page heap (memory.c). Only anonymous memory
 * exists; it is handed out zeroed, as Linux does. There is no protection:
 * mprotect() succeeds and changes nothing.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>

#include "kernel/memory.h"
#include "kernel/syscall.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static size_t to_pages(uint64_t len) { return page_align_up(len) / KPAGE_SIZE; }

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
    if (pages_claim(addr, n) < 0)
      return -ENOMEM;
    mem_zero((void*)addr, n * KPAGE_SIZE);
    return (long)addr;
  }

  uintptr_t p = pages_alloc(n, addr & ~KPAGE_MASK);
  if (!p)
    return -ENOMEM;
  mem_zero((void*)p, n * KPAGE_SIZE);
  return (long)p;
}

long sys_munmap(uint64_t addr, uint64_t len)
{
  if ((addr & KPAGE_MASK) || len == 0)
    return -EINVAL;
  pages_free(addr, to_pages(len));      /* partial unmaps are fine */
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
    pages_free(old + new_n * KPAGE_SIZE, old_n - new_n);
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
  mem_copy((void*)p, (const void*)old, old_n * KPAGE_SIZE);
  mem_zero((void*)(p + old_n * KPAGE_SIZE), (new_n - old_n) * KPAGE_SIZE);
  pages_free(old, old_n);
  return (long)p;
}

long sys_mprotect(uint64_t addr, uint64_t len, int prot)
{
  return (addr & KPAGE_MASK) ? -EINVAL : 0;
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
