/* Random bytes: RDRAND when the CPU has it, else xorshift seeded from the TSC. */
#include <stddef.h>
#include <stdint.h>

#include "kernel/arch.h"
#include "x86/cpu.h"

static uint64_t prng_state;

static int rdrand64(uint64_t* out)
{
  for (int i = 0; i < 10; i++) {
    unsigned char ok;
    __asm__ volatile("rdrand %0; setc %1" : "=r"(*out), "=qm"(ok));
    if (ok)
      return 1;
  }
  return 0;
}

static uint64_t prng_next(void)
{
  if (!prng_state)
    prng_state = rdtsc() * 0x9E3779B97F4A7C15ull | 1;
  /* xorshift64* */
  prng_state ^= prng_state >> 12;
  prng_state ^= prng_state << 25;
  prng_state ^= prng_state >> 27;
  return prng_state * 0x2545F4914F6CDD1Dull;
}

void arch_random(void* buf, size_t len)
{
  uint8_t* p = buf;
  while (len) {
    uint64_t v;
    if (!(cpu_features.has_rdrand && rdrand64(&v)))
      v = prng_next() ^ rdtsc();
    for (int i = 0; i < 8 && len; i++, len--, v >>= 8)
      *p++ = (uint8_t)v;
  }
}
