/* Function names for addresses, and backtraces along the frame pointers. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "kernel/cdefs.h"

KERNEL_BEGIN_DECLS

/* Check the symbol table tools/mkkernel.py put into the kernel image and
 * keep the page heap clear of it (called before memory_init). */
void symbols_init(void);

/* The function containing `pc`: its start address and (mangled) name.
 * 0 when the image has no symbol table or no function precedes pc. */
int symbol_lookup(uintptr_t pc, uintptr_t* start, const char** name);

/* Print the call chain starting at frame pointer `frame` (a frame record:
 * saved frame pointer, return address), one line per frame as IncludeOS
 * prints it: "[N] 0x<function> + 0x<offset>: <demangled name>". */
void backtrace_print(const void* frame, void (*out)(const char* s, size_t len));

KERNEL_END_DECLS
