// ukbase selftest: the hosted C++ runtime inside the unikernel.
// Each check prints "[test] <name> ok"; the selftest looks for every line.
// Arguments select the ways out: "uncaught", "nullptr", "exit N", "status N".
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sys/syscall.h>
#include <unistd.h>

#include <os>

namespace {

int constructed = 0;

struct Global {
  Global() { constructed = 42; std::printf("[test] global constructor ran\n"); }
  ~Global()
  {
    std::printf("[test] global destructor ran\n");
    std::printf("[test] last words, flushed by exit()");   // no newline
  }
} global;

thread_local int tls_counter = 5;
thread_local std::string tls_string = "thread-local";

struct Base {
  virtual ~Base() = default;
  virtual std::string who() const { return "base"; }
};
struct Derived : Base {
  std::string who() const override { return "derived"; }
};
struct Other : Base {};

void check(bool ok, const char* name)
{
  if (!ok) {
    std::printf("[test] %s FAILED\n", name);
    std::exit(1);
  }
  std::printf("[test] %s ok\n", name);
}

__attribute__((noinline)) void thrower(const std::string& why) { throw std::runtime_error(why); }

void nested_exit(int n) { std::exit(n); }

}  // namespace

int main(int argc, const char* argv[])
{
  std::vector<std::string> args(argv, argv + argc);
  if (args.size() >= 2 && args[1] == "uncaught") {
    std::cout << "[test] throwing an uncaught exception" << std::endl;
    thrower("nobody catches this");
  }
  if (args.size() >= 2 && args[1] == "nullptr") {
    std::cout << "[test] dereferencing a null pointer" << std::endl;
    volatile int* p = nullptr;
    return *p;
  }
  if (args.size() >= 2 && args[1] == "syscall") {
    // System V message queues: nothing a unikernel answers.
    long a = syscall(SYS_msgget, 0, 0);
    int ea = errno;
    long b = syscall(SYS_msgget, 0, 0);
    int eb = errno;
    std::printf("[test] msgget: %ld %ld, ENOSYS: %s\n", a, b,
                ea == ENOSYS && eb == ENOSYS ? "yes" : "no");
    return 0;
  }
  if (args.size() >= 3 && args[1] == "exit")
    nested_exit(std::atoi(args[2].c_str()));
  if (args.size() >= 3 && args[1] == "status") {
    std::printf("[test] unflushed at return");   // flushed by the destructor's printf
    return std::atoi(args[2].c_str());
  }

  check(constructed == 42, "global constructor before main");
  std::cout << "[test] iostream ok" << std::endl;
  std::cerr << "[test] stderr ok" << std::endl;

  std::string s = "hello";
  s += ", world";
  s.append(100, '!');
  check(s.size() == 112 && s.substr(0, 5) == "hello", "string");

  std::vector<int> v;
  for (int i = 0; i < 10000; i++)
    v.push_back(i * 3);
  std::map<std::string, int> m;
  for (int i = 0; i < 500; i++)
    m["key" + std::to_string(i)] = i;
  check(v[9999] == 29997 && m.size() == 500 && m["key77"] == 77, "vector/map");

  try {
    thrower("boom");
    check(false, "exception thrown");
  } catch (const std::runtime_error& e) {
    check(std::strcmp(e.what(), "boom") == 0, "exception caught");
  }

  std::unique_ptr<Base> b = std::make_unique<Derived>();
  Other o;
  Base* ob = &o;
  check(dynamic_cast<Derived*>(b.get()) != nullptr && dynamic_cast<Derived*>(ob) == nullptr
            && b->who() == "derived" && typeid(*ob) == typeid(Other),
        "dynamic_cast/RTTI");

  tls_counter++;
  tls_string += "!";
  check(tls_counter == 6 && tls_string == "thread-local!", "thread_local");

  char buf[64];
  std::snprintf(buf, sizeof buf, "%d %s %.3f %x", 42, "str", 3.14159, 255u);
  check(std::strcmp(buf, "42 str 3.142 ff") == 0, "printf");
  std::ostringstream os;
  os << 2.5 << ' ' << 1e10;
  check(os.str() == "2.5 1e+10", "ostringstream/float");

  auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto t1 = std::chrono::steady_clock::now();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count();
  check(us >= 5000 && us < 500000, "steady_clock + sleep_for");
  check(os::nanos_since_boot() > 0, "os::nanos_since_boot");
  std::time_t now = std::time(nullptr);
  check(now > 1600000000, "realtime clock (RTC)");

  // Big allocations go through mmap/munmap/mremap.
  std::vector<char> big(8 << 20, 'x');
  big.resize(16 << 20, 'y');
  check(big[0] == 'x' && big[(16 << 20) - 1] == 'y', "large allocations");
  void* p = std::calloc(1 << 20, 4);
  check(p && static_cast<char*>(p)[123456] == 0, "calloc zeroed");
  std::free(p);

  // Signal dispositions are kept; raise() runs a handler at once; an
  // ignored signal does nothing.
  static int caught = 0;
  auto previous = std::signal(SIGPIPE, SIG_IGN);
  std::raise(SIGPIPE);
  std::signal(SIGUSR1, [](int sig) { caught = sig; });
  std::raise(SIGUSR1);
  struct sigaction now_set;
  sigaction(SIGPIPE, nullptr, &now_set);
  check(previous == SIG_DFL && caught == SIGUSR1 && now_set.sa_handler == SIG_IGN,
        "signal dispositions and raise");

  std::printf("[test] argc=%d argv0=%s cmdline='%s'\n", argc, argv[0], os::cmdline_args());
  std::printf("[test] all checks passed\n");
  return 0;
}
