/*
 * Kernel console output: a small printf (no floating point) writing to the
 * architecture console (COM1). Safe in any context: no allocation, no locks
 * beyond the console's own interrupt masking.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/arch.h"
#include "kernel/kprint.h"

struct out {
  char* buf;
  size_t size, len;
};

static void put(struct out* o, char c)
{
  if (o->len + 1 < o->size)
    o->buf[o->len] = c;
  o->len++;
}

static void put_padded(struct out* o, const char* s, size_t n, int width, int left, char pad)
{
  int fill = width > (int)n ? width - (int)n : 0;
  if (!left)
    while (fill-- > 0)
      put(o, pad);
  for (size_t i = 0; i < n; i++)
    put(o, s[i]);
  if (left)
    while (fill-- > 0)
      put(o, ' ');
}

int kvsnprintf(char* buf, size_t size, const char* fmt, va_list ap)
{
  struct out o = { buf, size, 0 };
  for (const char* f = fmt; *f; f++) {
    if (*f != '%') {
      put(&o, *f);
      continue;
    }
    f++;
    int left = 0, width = 0, lng = 0;
    char pad = ' ';
    for (;; f++) {
      if (*f == '-') left = 1;
      else if (*f == '0') pad = '0';
      else break;
    }
    if (*f == '*') {
      width = va_arg(ap, int);
      f++;
    } else {
      while (*f >= '0' && *f <= '9')
        width = width * 10 + (*f++ - '0');
    }
    while (*f == 'l' || *f == 'z' || *f == 'h') {
      if (*f != 'h')
        lng = 1;
      f++;
    }
    char tmp[24];
    size_t n = 0;
    switch (*f) {
    case 'c':
      tmp[0] = (char)va_arg(ap, int);
      put_padded(&o, tmp, 1, width, left, ' ');
      break;
    case 's': {
      const char* s = va_arg(ap, const char*);
      if (!s)
        s = "(null)";
      size_t len = 0;
      while (s[len])
        len++;
      put_padded(&o, s, len, width, left, ' ');
      break;
    }
    case 'd':
    case 'i': {
      int64_t v = lng ? va_arg(ap, long) : va_arg(ap, int);
      uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
      do { tmp[sizeof tmp - 1 - n++] = (char)('0' + u % 10); u /= 10; } while (u);
      if (v < 0)
        tmp[sizeof tmp - 1 - n++] = '-';
      put_padded(&o, tmp + sizeof tmp - n, n, width, left, pad);
      break;
    }
    case 'u':
    case 'x':
    case 'X':
    case 'p': {
      uint64_t u;
      unsigned base = *f == 'u' ? 10 : 16;
      const char* digits = *f == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
      if (*f == 'p') {
        u = (uint64_t)(uintptr_t)va_arg(ap, void*);
        put(&o, '0');
        put(&o, 'x');
      } else {
        u = lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
      }
      do { tmp[sizeof tmp - 1 - n++] = digits[u % base]; u /= base; } while (u);
      put_padded(&o, tmp + sizeof tmp - n, n, width, left, pad);
      break;
    }
    case '%':
      put(&o, '%');
      break;
    case 0:
      f--;
      break;
    default:
      put(&o, '%');
      put(&o, *f);
    }
  }
  if (size)
    buf[o.len < size ? o.len : size - 1] = 0;
  return (int)o.len;
}

int ksnprintf(char* buf, size_t size, const char* fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = kvsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}

void kwrite(const char* s, size_t len)
{
  arch_console_write(s, len);
}

void kline_break(void)
{
  if (!arch_console_at_line_start())
    kwrite("\n", 1);
}

void kprint(const char* s)
{
  size_t n = 0;
  while (s[n])
    n++;
  kwrite(s, n);
}

void kprintf(const char* fmt, ...)
{
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = kvsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  kwrite(buf, n < (int)sizeof buf ? (size_t)n : sizeof buf - 1);
}
