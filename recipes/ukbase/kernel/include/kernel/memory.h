/* Physical page allocator behind mmap(); RAM is identity-mapped. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "kernel/cdefs.h"

KERNEL_BEGIN_DECLS

#define KPAGE_SIZE  4096ul
#define KPAGE_MASK  (KPAGE_SIZE - 1)

static inline uintptr_t page_align_up(uintptr_t v) { return (v + KPAGE_MASK) & ~KPAGE_MASK; }

void memory_init(void);

/* npages contiguous free pages (at `hint` if that range is free), marked
 * used; 0 when there is no room. The memory is not cleared. */
uintptr_t pages_alloc(size_t npages, uintptr_t hint);
/* Marks [addr, addr + npages pages) used. -1 if outside the heap. */
int pages_claim(uintptr_t addr, size_t npages);
/* Marks pages free; pages outside the heap are ignored. */
void pages_free(uintptr_t addr, size_t npages);
/* 1 if every page of the range is inside the heap and free. */
int pages_are_free(uintptr_t addr, size_t npages);
/* 1 if the range lies inside the heap. */
int pages_in_heap(uintptr_t addr, size_t npages);

/* Zeroed, page-aligned memory for the kernel itself (device rings and
 * buffers: identity-mapped, so the pointer is the physical address a
 * device is given). Never freed; NULL when out of memory. */
void* kernel_pages(size_t bytes);

size_t memory_heap_bytes(void);
size_t memory_used_bytes(void);
uintptr_t memory_heap_start(void);
/* The end of the highest heap page in use. */
uintptr_t memory_heap_top(void);
/* Bytes of RAM in use: the kernel image, what is kept above it, and the
 * heap pages in use. */
size_t memory_in_use(void);

/* Small helpers that never touch SIMD registers. Eight bytes at a time,
 * then the rest: under QEMU's TCG a `rep stosb`/`rep movsb` runs one byte
 * per step, about seven times slower than the quadword forms (zeroing
 * pages for mmap is where it shows). */
static inline void mem_zero(void* p, size_t n)
{
  size_t q = n >> 3, r = n & 7;
  __asm__ volatile("rep stosq" : "+D"(p), "+c"(q) : "a"(0) : "memory");
  __asm__ volatile("rep stosb" : "+D"(p), "+c"(r) : "a"(0) : "memory");
}

static inline void mem_copy(void* dst, const void* src, size_t n)
{
  size_t q = n >> 3, r = n & 7;
  __asm__ volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(q) : : "memory");
  __asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(r) : : "memory");
}

KERNEL_END_DECLS
