/*
 * Multiboot v1 information, copied into boot_info before anything else runs.
 *
 * QEMU's loader puts the info structure, the command line and the memory
 * map right after the kernel's end of BSS: that memory becomes the page
 * heap, so everything we need is copied here first. Modules (QEMU's
 * -initrd) are also put there; their contents are not copied: the heap
 * starts after the last of them instead.
 */
#include <stddef.h>
#include <stdint.h>

#include "kernel/arch.h"
#include "kernel/boot.h"
#include "kernel/kprint.h"
#include "kernel/panic.h"
#include "x86/serial.h"

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u

#define MBI_FLAG_MEM      (1u << 0)
#define MBI_FLAG_CMDLINE  (1u << 2)
#define MBI_FLAG_MODS     (1u << 3)
#define MBI_FLAG_MMAP     (1u << 6)
#define MBI_FLAG_LOADER   (1u << 9)

#define MMAP_AVAILABLE    1

struct multiboot_info {
  uint32_t flags;
  uint32_t mem_lower, mem_upper;        /* KiB */
  uint32_t boot_device;
  uint32_t cmdline;
  uint32_t mods_count, mods_addr;
  uint32_t syms[4];
  uint32_t mmap_length, mmap_addr;
  uint32_t drives_length, drives_addr;
  uint32_t config_table;
  uint32_t boot_loader_name;
} __attribute__((packed));

struct multiboot_mmap_entry {
  uint32_t size;                        /* of the rest of the entry */
  uint64_t addr, len;
  uint32_t type;
} __attribute__((packed));

struct multiboot_module {
  uint32_t mod_start, mod_end;
  uint32_t cmdline;
  uint32_t reserved;
} __attribute__((packed));

struct boot_info boot_info;

void arch_boot(uint32_t magic, uint32_t mbi_addr);

static void copy_string(char* dst, size_t size, const char* src)
{
  size_t i = 0;
  for (; src && src[i] && i + 1 < size; i++)
    dst[i] = src[i];
  dst[i] = 0;
}

static void add_region(uint64_t base, uint64_t len)
{
  /* Page-align inward and skip empties (qboot ends its map with zeros). */
  uint64_t start = (base + 0xFFF) & ~0xFFFull;
  uint64_t end = (base + len) & ~0xFFFull;
  if (end <= start || boot_info.ram_count == BOOT_MAX_REGIONS)
    return;
  /* Insert sorted: some loaders hand the map over unsorted. */
  unsigned i = boot_info.ram_count++;
  while (i > 0 && boot_info.ram[i - 1].base > start) {
    boot_info.ram[i] = boot_info.ram[i - 1];
    i--;
  }
  boot_info.ram[i].base = start;
  boot_info.ram[i].length = end - start;
}

/* The modules' list and command lines (QEMU: -initrd "a args,b"); their
 * contents stay in place, kept out of the heap through reserved_end. */
static void copy_modules(const struct multiboot_info* mbi)
{
  const struct multiboot_module* m = (const void*)(uintptr_t)mbi->mods_addr;
  size_t text = 0;
  for (uint32_t i = 0; i < mbi->mods_count && boot_info.module_count < BOOT_MAX_MODULES; i++) {
    struct boot_module* b = &boot_info.modules[boot_info.module_count++];
    b->mod_start = m[i].mod_start;
    b->mod_end = m[i].mod_end;
    b->pad = 0;
    char* params = &boot_info.module_text[text];
    copy_string(params, sizeof boot_info.module_text - text,
                (const char*)(uintptr_t)m[i].cmdline);
    while (text < sizeof boot_info.module_text - 1 && boot_info.module_text[text])
      text++;
    if (text < sizeof boot_info.module_text - 1)
      text++;
    b->params = (uint32_t)(uintptr_t)params;
    if (m[i].mod_end > boot_info.reserved_end)
      boot_info.reserved_end = m[i].mod_end;
  }
}

static void parse_multiboot(const struct multiboot_info* mbi)
{
  if (mbi->flags & MBI_FLAG_CMDLINE)
    copy_string(boot_info.cmdline, sizeof boot_info.cmdline,
                (const char*)(uintptr_t)mbi->cmdline);
  if (mbi->flags & MBI_FLAG_LOADER)
    copy_string(boot_info.loader, sizeof boot_info.loader,
                (const char*)(uintptr_t)mbi->boot_loader_name);
  if ((mbi->flags & MBI_FLAG_MODS) && mbi->mods_count)
    copy_modules(mbi);

  if (mbi->flags & MBI_FLAG_MMAP) {
    uintptr_t p = mbi->mmap_addr, end = p + mbi->mmap_length;
    while (p + sizeof(struct multiboot_mmap_entry) <= end) {
      const struct multiboot_mmap_entry* e = (const void*)p;
      if (e->type == MMAP_AVAILABLE)
        add_region(e->addr, e->len);
      p += e->size + sizeof e->size;
    }
  } else if (mbi->flags & MBI_FLAG_MEM) {
    add_region(0, (uint64_t)mbi->mem_lower * 1024);
    add_region(0x100000, (uint64_t)mbi->mem_upper * 1024);
  }

  /* The multiboot command line starts with the kernel image's path
   * (QEMU, GRUB and syslinux all do this): the service's arguments are
   * the words after it. */
  const char* a = boot_info.cmdline;
  while (*a == ' ')
    a++;
  while (*a && *a != ' ')
    a++;
  while (*a == ' ')
    a++;
  boot_info.args = a;
}

/* Called from boot.S in long mode, on the boot stack. */
void arch_boot(uint32_t magic, uint32_t mbi_addr)
{
  serial_init();
  if (magic != MULTIBOOT_BOOTLOADER_MAGIC)
    kernel_panicf("not started by a multiboot loader (eax=0x%x)", magic);
  parse_multiboot((const struct multiboot_info*)(uintptr_t)mbi_addr);
  kernel_main();
}
