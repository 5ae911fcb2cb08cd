/* What the boot loader told us, copied out of loader memory early. */
#pragma once
#include <stdint.h>
#include "kernel/cdefs.h"

KERNEL_BEGIN_DECLS

#define BOOT_CMDLINE_MAX  4096
#define BOOT_MAX_REGIONS  64

struct mem_region {
  uint64_t base;
  uint64_t length;
};

struct boot_info {
  char cmdline[BOOT_CMDLINE_MAX];  /* the whole command line: "<kernel path> args..." */
  const char* args;                /* cmdline without its first word (the kernel path) */
  char loader[32];                 /* boot loader name, if given */
  struct mem_region ram[BOOT_MAX_REGIONS];  /* usable RAM, sorted by base */
  unsigned ram_count;
};

extern struct boot_info boot_info;

KERNEL_END_DECLS
