/*
 * Backtraces with function names.
 *
 * The bootable kernel carries a compact table of its function symbols in
 * a loaded segment of its own, which tools/mkkernel.py (the platform's
 * [kernel] command) adds when it makes the kernel from the linked ELF; it
 * also writes the table's place into __ukbase_symbols below. The table:
 *
 *   "UKSYMS01", u32 count, u32 offset of the names,
 *   count x { u32 address, u32 offset of the name }   sorted by address
 *   the names, NUL-terminated, mangled as the linker saw them
 *
 * Kernel, runtime and service code are compiled with frame pointers, so
 * a call chain is a list of frame records {saved rbp, return address}.
 * The interrupt and system-call entries build records too, so chains go
 * on into the code that was interrupted or made the call.
 */
#include <stddef.h>
#include <stdint.h>

#include "kernel/memory.h"
#include "kernel/arch.h"
#include "kernel/backtrace.h"
#include "kernel/boot.h"
#include "kernel/kprint.h"

#define REF_MAGIC    0x4C4F424D59534B55ull /* "UKSYMBOL" */
#define MAX_FRAMES   32

/* Filled in by tools/mkkernel.py in the kernel image (it finds the
 * variable by name and checks the magic). Initialised, so that it lives
 * in .data, which is in the image file. */
struct symbols_ref {
  uint64_t magic;
  uint32_t addr, size;
};
__attribute__((used)) volatile struct symbols_ref __ukbase_symbols = { REF_MAGIC, 0, 0 };

struct table_entry {
  uint32_t addr, name;
};

static const struct table_entry* entries;
static const char* names;
static uint32_t count;

/* linker.ld and interrupts.S */
extern char __image_start[], __etext[], _end[];
extern char interrupt_resume[];

/* libc++abi */
char* __cxa_demangle(const char* mangled, char* buf, size_t* len, int* status);

void symbols_init(void)
{
  uint32_t addr = __ukbase_symbols.addr, size = __ukbase_symbols.size;
  if (!addr || size < 16)
    return;
  const uint8_t* t = (const uint8_t*)(uintptr_t)addr;
  static const char magic[] = "UKSYMS01";
  for (int i = 0; i < 8; i++)
    if (t[i] != (uint8_t)magic[i])
      return;
  uint32_t n = *(const uint32_t*)(t + 8), names_at = *(const uint32_t*)(t + 12);
  if (16 + (uint64_t)n * sizeof(struct table_entry) > names_at || names_at > size)
    return;
  entries = (const struct table_entry*)(t + 16);
  names = (const char*)t + names_at;
  count = n;
  /* Above the image, the table's pages must not become heap. */
  if ((uintptr_t)addr + size > (uintptr_t)_end && (uintptr_t)addr + size > boot_info.reserved_end)
    boot_info.reserved_end = (uintptr_t)addr + size;
}

int symbol_lookup(uintptr_t pc, uintptr_t* start, const char** name)
{
  if (!count || pc < entries[0].addr)
    return 0;
  uint32_t lo = 0, hi = count;        /* the last entry with addr <= pc */
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (entries[mid].addr <= pc)
      lo = mid;
    else
      hi = mid;
  }
  *start = entries[lo].addr;
  *name = names + entries[lo].name;
  return 1;
}

static int libc_ready(void)
{
  /* Demangling allocates; musl's malloc needs its thread pointer. */
  return arch_get_tls_base() != 0;
}

static const char* demangled(const char* name)
{
  static char* buf;
  static size_t len;
  if (name[0] != '_' || name[1] != 'Z' || !libc_ready())
    return name;
  size_t n = len;
  int status = -1;
  char* out = __cxa_demangle(name, buf, &n, &status);
  if (status != 0 || !out)
    return name;
  buf = out;
  if (n > len)
    len = n;
  return out;
}

/* A frame record on the boot stack (in the image) or on a thread's stack
 * (heap pages, mmap()ed for it): memory that is mapped, so reading a
 * record there cannot fault even if a frame pointer is stale. */
static int frame_ok(uintptr_t fp)
{
  if (fp & 7)
    return 0;
  if (fp >= (uintptr_t)__image_start && fp + 16 <= (uintptr_t)_end)
    return 1;
  uintptr_t heap = memory_heap_start();
  return heap && fp >= heap && fp + 16 <= heap + memory_heap_bytes();
}

static int text_ok(uintptr_t pc)
{
  return pc >= (uintptr_t)__image_start && pc < (uintptr_t)__etext;
}

static void print_frame(int n, uintptr_t pc, int exact, void (*out)(const char*, size_t))
{
  uintptr_t start = pc;
  const char* name = "?";
  /* A return address follows the call: look up the call itself (a call
   * that never returns may be the last instruction of its function). */
  if (!symbol_lookup(exact ? pc : pc - 1, &start, &name)) {
    start = pc;
    name = "?";
  }
  char line[64];
  int len = ksnprintf(line, sizeof line, "[%d] 0x%016lx + 0x%.3lx: ", n,
                      (unsigned long)start, (unsigned long)(pc - start));
  out(line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
  name = demangled(name);
  size_t nlen = 0;
  while (name[nlen])
    nlen++;
  out(name, nlen);
  out("\n", 1);
}

void backtrace_print(const void* frame, void (*out)(const char*, size_t))
{
  if (!count) {
    static const char note[] = "(the kernel image has no symbol table: addresses only)\n";
    out(note, sizeof note - 1);
  }
  uintptr_t fp = (uintptr_t)frame;
  int exact = 0;
  for (int n = 0; n < MAX_FRAMES && frame_ok(fp); n++) {
    const uintptr_t* record = (const uintptr_t*)fp;
    uintptr_t pc = record[1], next = record[0];
    if (!text_ok(pc))
      break;
    print_frame(n, pc, exact, out);
    /* interrupts.S calls the dispatcher with a record of the interrupted
     * code as the caller's frame: its address is where the CPU stopped,
     * not a return address. */
    exact = pc == (uintptr_t)interrupt_resume;
    if (!exact && next <= fp)
      break;                          /* frames only go up the stack */
    fp = next;
  }
}
