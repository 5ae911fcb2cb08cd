/*
 * The page heap: every 4 KiB page of RAM after the kernel image, tracked
 * by a bitmap (1 = in use). mmap() and friends allocate from it; there is
 * no other allocator in the kernel. Memory is identity-mapped, so a page's
 * physical address is the pointer handed out.
 *
 * The heap is the usable RAM region that contains the end of the kernel
 * image (on QEMU: 1 MiB up to the top of low RAM), capped at what the boot
 * page tables map.
 */
#include <stddef.h>
#include <stdint.h>

#include "kernel/arch.h"
#include "kernel/boot.h"
#include "kernel/kprint.h"
#include "kernel/memory.h"
#include "kernel/panic.h"

extern char __image_start[], _end[];   /* linker.ld: the kernel image */

static uint64_t* bitmap;
static uintptr_t heap_base;      /* address of page 0 of the bitmap */
static size_t heap_pages;
static size_t used_pages;
static size_t next_fit;          /* where the next search starts */

static inline int page_used(size_t i) { return (bitmap[i / 64] >> (i % 64)) & 1; }
static inline void page_set(size_t i) { bitmap[i / 64] |= 1ull << (i % 64); }
static inline void page_clear(size_t i) { bitmap[i / 64] &= ~(1ull << (i % 64)); }

void memory_init(void)
{
  /* After the image and whatever must stay above it (multiboot modules,
   * the symbol table). */
  uintptr_t start = page_align_up((uintptr_t)_end);
  if (boot_info.reserved_end > start)
    start = page_align_up(boot_info.reserved_end);
  uint64_t end = 0;
  for (unsigned i = 0; i < boot_info.ram_count; i++) {
    const struct mem_region* r = &boot_info.ram[i];
    if (r->base <= start && start < r->base + r->length)
      end = r->base + r->length;
  }
  if (end > arch_mapped_limit())
    end = arch_mapped_limit();
  if (end <= start + 64 * KPAGE_SIZE)
    kernel_panicf("no usable RAM after the kernel image (ends at 0x%lx)", (unsigned long)start);

  /* The bitmap takes the first pages of the region itself. */
  size_t pages = (end - start) / KPAGE_SIZE;
  size_t bitmap_bytes = page_align_up((pages + 63) / 64 * 8);
  bitmap = (uint64_t*)start;
  mem_zero(bitmap, bitmap_bytes);
  heap_base = start + bitmap_bytes;
  heap_pages = (end - heap_base) / KPAGE_SIZE;
  used_pages = 0;
  next_fit = 0;
}

int pages_in_heap(uintptr_t addr, size_t npages)
{
  return addr >= heap_base && (addr & KPAGE_MASK) == 0
      && (addr - heap_base) / KPAGE_SIZE + npages <= heap_pages;
}

int pages_are_free(uintptr_t addr, size_t npages)
{
  if (!pages_in_heap(addr, npages))
    return 0;
  size_t first = (addr - heap_base) / KPAGE_SIZE;
  for (size_t i = first; i < first + npages; i++)
    if (page_used(i))
      return 0;
  return 1;
}

static void mark_used(size_t first, size_t npages)
{
  for (size_t i = first; i < first + npages; i++) {
    if (!page_used(i)) {
      page_set(i);
      used_pages++;
    }
  }
}

/* First fit from `from` to `limit`; returns the first page index or -1. */
static long find_run(size_t from, size_t limit, size_t npages)
{
  size_t run = 0;
  for (size_t i = from; i < limit; i++) {
    if ((i % 64) == 0 && run == 0 && bitmap[i / 64] == ~0ull) {
      i += 63;                    /* a full word: skip it */
      continue;
    }
    if (page_used(i)) {
      run = 0;
      continue;
    }
    if (++run == npages)
      return (long)(i + 1 - npages);
  }
  return -1;
}

uintptr_t pages_alloc(size_t npages, uintptr_t hint)
{
  if (npages == 0 || npages > heap_pages)
    return 0;
  if (hint && pages_are_free(hint, npages)) {
    mark_used((hint - heap_base) / KPAGE_SIZE, npages);
    return hint;
  }
  long first = find_run(next_fit, heap_pages, npages);
  if (first < 0)
    first = find_run(0, heap_pages, npages);
  if (first < 0)
    return 0;
  mark_used((size_t)first, npages);
  next_fit = (size_t)first + npages;
  return heap_base + (size_t)first * KPAGE_SIZE;
}

int pages_claim(uintptr_t addr, size_t npages)
{
  if (!pages_in_heap(addr, npages))
    return -1;
  mark_used((addr - heap_base) / KPAGE_SIZE, npages);
  return 0;
}

void pages_free(uintptr_t addr, size_t npages)
{
  for (size_t k = 0; k < npages; k++, addr += KPAGE_SIZE) {
    if (!pages_in_heap(addr, 1))
      continue;
    size_t i = (addr - heap_base) / KPAGE_SIZE;
    if (page_used(i)) {
      page_clear(i);
      used_pages--;
      if (i < next_fit)
        next_fit = i;
    }
  }
}

void* kernel_pages(size_t bytes)
{
  size_t n = page_align_up(bytes) / KPAGE_SIZE;
  uintptr_t p = pages_alloc(n ? n : 1, 0);
  if (p)
    mem_zero((void*)p, (n ? n : 1) * KPAGE_SIZE);
  return (void*)p;
}

size_t memory_heap_bytes(void) { return heap_pages * KPAGE_SIZE; }
size_t memory_used_bytes(void) { return used_pages * KPAGE_SIZE; }
uintptr_t memory_heap_start(void) { return heap_base; }

uintptr_t memory_heap_top(void)
{
  /* The end of the highest page in use. */
  for (size_t w = (heap_pages + 63) / 64; w-- > 0;) {
    if (bitmap[w]) {
      size_t page = w * 64 + 63 - (size_t)__builtin_clzll(bitmap[w]);
      return heap_base + (page + 1) * KPAGE_SIZE;
    }
  }
  return heap_base;
}

size_t memory_in_use(void)
{
  /* The image, what sits between it and the heap (the bitmap, modules,
   * symbols) and the heap pages in use. */
  return (heap_base - (uintptr_t)__image_start) + used_pages * KPAGE_SIZE;
}
