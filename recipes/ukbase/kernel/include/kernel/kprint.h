/* Kernel console output (COM1), usable from any context. */
#pragma once
#include <stdarg.h>
#include <stddef.h>
#include "kernel/cdefs.h"

KERNEL_BEGIN_DECLS

void kwrite(const char* s, size_t len);
void kprint(const char* s);
/* Start a new line unless the console is at the start of one (service
 * output may end without a newline). */
void kline_break(void);
/* printf for integers, characters, strings and pointers (no floating
 * point); any length: the text is written in pieces. */
void kprintf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char* fmt, va_list ap);
int  kvsnprintf(char* buf, size_t size, const char* fmt, va_list ap);
int  ksnprintf(char* buf, size_t size, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

KERNEL_END_DECLS
