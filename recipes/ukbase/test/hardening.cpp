// ukbase selftest: a contained guest. With no argument, what protection
// allows: code read and run, mmap'd memory made read-only and back,
// code written to a page and run once it is made executable (mprotect),
// a PROT_NONE page made usable, a thread on its own guarded stack. With
// one, what it refuses, each ending in a panic that names it:
//   write-code    a write to the service's own code
//   exec-heap     a call into a heap buffer
//   exec-stack    a call into a buffer on the stack
//   recurse       recursion without bound on the main stack
//   thread-recurse  the same on a std::thread's stack
//   write-rodata  a write to a string literal
//   read-only     a write to memory mprotect'ed read-only
//   smash         a buffer overrun on the stack (the stack protector)
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

namespace {

int failures = 0;

void check(bool ok, const char* what)
{
  std::printf("[hardening] %s %s\n", ok ? "ok" : "FAIL", what);
  failures += !ok;
}

__attribute__((noinline)) int answer() { return 42; }

// The depth reached, so that the compiler cannot make the recursion a loop.
volatile unsigned long depth = 0;

__attribute__((noinline)) unsigned long recurse(unsigned long n)
{
  volatile char frame[256];
  frame[0] = static_cast<char>(n);
  depth = n;
  return recurse(n + 1) + frame[0];
}

__attribute__((noinline)) void overrun(const volatile char* text)
{
  char buf[16];
  size_t i = 0;
  for (; text[i]; i++)             // longer than buf: over the canary
    buf[i] = text[i];
  buf[i] = 0;
  std::printf("[hardening] copied %zu bytes into 16: %s\n", i, buf);
}

using Fn = int (*)();

// x86-64: mov eax, 7; ret
const unsigned char returns_7[] = {0xB8, 0x07, 0x00, 0x00, 0x00, 0xC3};

void allowed()
{
  auto code = reinterpret_cast<const unsigned char*>(&answer);
  check(code[0] != 0 || code[1] != 0, "the service reads its own code");
  check(answer() == 42, "the service runs its own code");

  long page = sysconf(_SC_PAGESIZE);
  auto* p = static_cast<unsigned char*>(mmap(nullptr, page, PROT_READ | PROT_WRITE,
                                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  check(p != MAP_FAILED, "mmap gives a read-write page");
  std::memcpy(p, returns_7, sizeof returns_7);
  check(mprotect(p, page, PROT_READ | PROT_EXEC) == 0, "mprotect makes it read-only and executable");
  check(reinterpret_cast<Fn>(p)() == 7, "code written there runs once it is executable");
  check(mprotect(p, page, PROT_READ | PROT_WRITE) == 0 && (p[0] = 1, p[0] == 1),
        "mprotect makes it writable again");
  munmap(p, page);

  auto* none = static_cast<unsigned char*>(mmap(nullptr, 2 * page, PROT_NONE,
                                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  check(none != MAP_FAILED && mprotect(none + page, page, PROT_READ | PROT_WRITE) == 0,
        "a PROT_NONE mapping's second page made usable");
  none[page] = 5;
  check(none[page] == 5, "and written");
  munmap(none, 2 * page);
  check(mprotect(reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(&answer) & ~uintptr_t(4095)),
                 page, PROT_READ | PROT_WRITE) != 0,
        "mprotect refuses to make the kernel image writable");

  int from_thread = 0;
  std::thread t([&] { from_thread = answer(); });
  t.join();
  check(from_thread == 42, "a thread runs on its own guarded stack");
  std::printf("[hardening] %s\n", failures ? "some checks failed" : "all checks passed");
}

}  // namespace

int main(int argc, const char* argv[])
{
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode.empty()) {
    allowed();
    return failures;
  }
  std::printf("[hardening] trying: %s\n", mode.c_str());
  std::fflush(stdout);
  if (mode == "write-code") {
    auto* code = reinterpret_cast<volatile unsigned char*>(&answer);
    code[0] = 0xC3;
  } else if (mode == "exec-heap") {
    auto* buf = new unsigned char[sizeof returns_7];
    std::memcpy(buf, returns_7, sizeof returns_7);
    std::printf("[hardening] returned %d\n", reinterpret_cast<Fn>(buf)());
  } else if (mode == "exec-stack") {
    volatile unsigned char buf[sizeof returns_7];
    for (size_t i = 0; i < sizeof returns_7; i++)
      buf[i] = returns_7[i];
    std::printf("[hardening] running the stack at %p\n", static_cast<void*>(const_cast<unsigned char*>(buf)));
    std::printf("[hardening] returned %d\n", reinterpret_cast<Fn>(const_cast<unsigned char*>(buf))());
  } else if (mode == "recurse") {
    recurse(0);
  } else if (mode == "thread-recurse") {
    std::thread t([] { recurse(0); });
    t.join();
  } else if (mode == "write-rodata") {
    auto* text = const_cast<volatile char*>(static_cast<const volatile char*>("constant"));
    text[0] = 'C';
  } else if (mode == "read-only") {
    long page = sysconf(_SC_PAGESIZE);
    auto* p = static_cast<volatile char*>(mmap(nullptr, page, PROT_READ | PROT_WRITE,
                                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    mprotect(const_cast<char*>(p), page, PROT_READ);
    p[0] = 1;
  } else if (mode == "smash") {
    overrun("this text is longer than sixteen bytes, well over the canary");
  }
  std::printf("[hardening] %s was not stopped (depth %lu)\n", mode.c_str(), depth);
  return 1;
}
