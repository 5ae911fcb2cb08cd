/* What the boot loader told us, copied out of loader memory early. */
#pragma once
#include <stdint.h>
#include "kernel/cdefs.h"

KERNEL_BEGIN_DECLS

#define BOOT_CMDLINE_MAX  4096
#define BOOT_MAX_REGIONS  64
#define BOOT_MAX_MODULES  32
#define BOOT_MODULE_TEXT  4096      /* room for the modules' command lines */

struct mem_region {
  uint64_t base;
  uint64_t length;
};

/* A multiboot module, laid out as IncludeOS's os::Module: its contents
 * stay where the loader put them (the page heap starts after them);
 * params points at a copy of its command line. */
struct boot_module {
  uint32_t mod_start, mod_end;
  uint32_t params;
  uint32_t pad;
};

struct boot_info {
  char cmdline[BOOT_CMDLINE_MAX];  /* the whole command line: "<kernel path> args..." */
  const char* args;                /* cmdline without its first word (the kernel path) */
  char loader[32];                 /* boot loader name, if given */
  struct mem_region ram[BOOT_MAX_REGIONS];  /* usable RAM, sorted by base */
  unsigned ram_count;
  struct boot_module modules[BOOT_MAX_MODULES];
  unsigned module_count;
  char module_text[BOOT_MODULE_TEXT];
  /* The end of what lies above the kernel image and must stay (modules,
   * the symbol table): the page heap starts after it. */
  uintptr_t reserved_end;
};

extern struct boot_info boot_info;

KERNEL_END_DECLS
