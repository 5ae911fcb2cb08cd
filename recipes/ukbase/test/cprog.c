/* ukbase selftest: a plain C service (C headers through the package's
 * include dirs, musl's libm and qsort, symbols named like kernel
 * internals); main's status is 5. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Names the kernel uses internally: a service may have its own. */
int memory_init(void) { return 1; }
int cpu_init = 2;
void irq_handler(void) {}

static int cmp(const void* a, const void* b)
{
  return *(const int*)a - *(const int*)b;
}

int main(int argc, char** argv)
{
  int v[] = { 5, 3, 9, 1, 7 };
  qsort(v, 5, sizeof v[0], cmp);
  int sorted = v[0] == 1 && v[4] == 9 && memory_init() + cpu_init == 3;
  irq_handler();
  volatile double two = 2.0;
  printf("[test] C: %d args, sqrt(2)=%f, qsort %s\n", argc, sqrt(two), sorted ? "ok" : "BAD");
  for (int i = 1; i < argc; i++)
    puts(argv[i]);
  return 5;
}
