/*
 * Kernel console output: a small printf writing to the architecture
 * console (COM1). Safe in any context: no allocation, no locks beyond the
 * console's own interrupt masking.
 *
 * The format language is printf's for integers, characters, strings and
 * pointers: flags "-+ #0", width and precision (numbers or '*'), the
 * length modifiers hh h l ll z j t. There is no floating point (the kernel
 * is built without SSE): %f and friends are printed as written.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/arch.h"
#include "kernel/kprint.h"

/* Where formatted text goes: a buffer, which a flush function (if any)
 * empties when it is full, so that kprintf never truncates. */
struct out {
  char* buf;
  size_t size, used;           /* bytes in buf */
  size_t len;                  /* bytes produced in all */
  void (*flush)(const char* s, size_t n);
};

static void put(struct out* o, char c)
{
  if (o->flush && o->used == o->size) {
    o->flush(o->buf, o->used);
    o->used = 0;
  }
  if (o->used + (o->flush ? 0 : 1) < o->size)
    o->buf[o->used++] = c;
  o->len++;
}

static void put_n(struct out* o, char c, int n)
{
  while (n-- > 0)
    put(o, c);
}

struct spec {
  int left, plus, space, alt, zero;
  int width;
  int precision;               /* -1: none */
};

/* A converted number: sign/prefix, zero padding to the precision, digits. */
static void put_number(struct out* o, const struct spec* s, const char* prefix,
                       const char* digits, int ndigits)
{
  int nprefix = 0;
  while (prefix[nprefix])
    nprefix++;
  int zeros = s->precision > ndigits ? s->precision - ndigits : 0;
  int body = nprefix + zeros + ndigits;
  int fill = s->width > body ? s->width - body : 0;
  if (s->zero && !s->left && s->precision < 0) {
    zeros += fill;
    fill = 0;
  }
  if (!s->left)
    put_n(o, ' ', fill);
  for (int i = 0; i < nprefix; i++)
    put(o, prefix[i]);
  put_n(o, '0', zeros);
  for (int i = 0; i < ndigits; i++)
    put(o, digits[i]);
  if (s->left)
    put_n(o, ' ', fill);
}

static void format(struct out* o, const char* fmt, va_list ap_in)
{
  va_list ap;
  va_copy(ap, ap_in);
  for (const char* f = fmt; *f; f++) {
    if (*f != '%') {
      put(o, *f);
      continue;
    }
    const char* start = f++;
    struct spec s = { 0, 0, 0, 0, 0, 0, -1 };
    for (;; f++) {
      if (*f == '-') s.left = 1;
      else if (*f == '+') s.plus = 1;
      else if (*f == ' ') s.space = 1;
      else if (*f == '#') s.alt = 1;
      else if (*f == '0') s.zero = 1;
      else break;
    }
    if (*f == '*') {
      s.width = va_arg(ap, int);
      if (s.width < 0) {
        s.left = 1;
        s.width = -s.width;
      }
      f++;
    } else {
      while (*f >= '0' && *f <= '9')
        s.width = s.width * 10 + (*f++ - '0');
    }
    if (*f == '.') {
      f++;
      s.precision = 0;
      if (*f == '*') {
        s.precision = va_arg(ap, int);
        f++;
      } else {
        while (*f >= '0' && *f <= '9')
          s.precision = s.precision * 10 + (*f++ - '0');
      }
    }
    int size = 0;             /* -2 hh, -1 h, 0 int, 1 long and wider */
    for (;; f++) {
      if (*f == 'h') size--;
      else if (*f == 'l' || *f == 'z' || *f == 'j' || *f == 't') size = 1;
      else if (*f == 'L') ;
      else break;
    }
    char tmp[24];
    int n = 0;
    switch (*f) {
    case 'c': {
      char c = (char)va_arg(ap, int);
      struct spec cs = s;
      cs.precision = -1;
      cs.zero = 0;
      put_number(o, &cs, "", &c, 1);
      break;
    }
    case 's': {
      const char* str = va_arg(ap, const char*);
      if (!str)
        str = "(null)";
      int len = 0;
      while (str[len] && (s.precision < 0 || len < s.precision))
        len++;
      struct spec ss = s;
      ss.precision = -1;
      ss.zero = 0;
      put_number(o, &ss, "", str, len);
      break;
    }
    case 'd':
    case 'i': {
      int64_t v = size > 0 ? va_arg(ap, long) : va_arg(ap, int);
      if (size == -1) v = (short)v;
      if (size == -2) v = (signed char)v;
      uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
      if (!(u == 0 && s.precision == 0))
        do { tmp[sizeof tmp - 1 - n++] = (char)('0' + u % 10); u /= 10; } while (u);
      put_number(o, &s, v < 0 ? "-" : s.plus ? "+" : s.space ? " " : "",
                 tmp + sizeof tmp - n, n);
      break;
    }
    case 'u':
    case 'x':
    case 'X':
    case 'o':
    case 'p': {
      uint64_t u;
      const char* prefix = "";
      unsigned base = *f == 'u' ? 10 : *f == 'o' ? 8 : 16;
      const char* digits = *f == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
      if (*f == 'p') {
        u = (uint64_t)(uintptr_t)va_arg(ap, void*);
        prefix = "0x";
      } else {
        u = size > 0 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
        if (size == -1) u = (unsigned short)u;
        if (size == -2) u = (unsigned char)u;
        if (s.alt && u && *f == 'x') prefix = "0x";
        if (s.alt && u && *f == 'X') prefix = "0X";
      }
      if (!(u == 0 && s.precision == 0))
        do { tmp[sizeof tmp - 1 - n++] = digits[u % base]; u /= base; } while (u);
      if (*f == 'o' && s.alt && (n == 0 || tmp[sizeof tmp - n] != '0'))
        tmp[sizeof tmp - 1 - n++] = '0';
      put_number(o, &s, prefix, tmp + sizeof tmp - n, n);
      break;
    }
    case '%':
      put(o, '%');
      break;
    case 0:
      f--;
      break;
    default:
      /* Not ours (floating point, %n): shown as written. */
      for (const char* p = start; p <= f; p++)
        put(o, *p);
    }
  }
  va_end(ap);
}

int kvsnprintf(char* buf, size_t size, const char* fmt, va_list ap)
{
  struct out o = { buf, size, 0, 0, 0 };
  format(&o, fmt, ap);
  if (size)
    buf[o.used < size ? o.used : size - 1] = 0;
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

void kvprintf(const char* fmt, va_list ap)
{
  /* Written in pieces of up to 256 bytes: any length, little stack. */
  char buf[256];
  struct out o = { buf, sizeof buf, 0, 0, kwrite };
  format(&o, fmt, ap);
  if (o.used)
    kwrite(buf, o.used);
}

void kprintf(const char* fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  kvprintf(fmt, ap);
  va_end(ap);
}
