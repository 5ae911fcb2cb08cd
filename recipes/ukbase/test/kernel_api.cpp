// ukbase selftest: IncludeOS's kernel-level service API, used the way
// IncludeOS's own tests use it. Each check prints "[test] <name> ok".
// Linked with the example and field_medic plugins and the boot_logger and
// ip4_reassembly drivers. The first argument picks what to do:
//   (none)        the checks, a backtrace, the multiboot modules
//   divide        a divide-by-zero in a named function
//   expects       a failing Expects
//   serial        read lines from COM1 until "quit"
//   on_panic      a panic with an on_panic handler and the reboot action
//   reboot        os::reboot()
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <sys/random.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <common>
#include <hw/serial.hpp>
#include <kprint>
#include <mem/vmap.hpp>
#include <net/packet.hpp>
#include <os>
#include <timers>

extern "C" uint32_t os_get_blocking_level();
extern "C" uint32_t os_get_highest_blocking_level();
extern bool example_plugin_registered;
extern bool example_plugin_run;

namespace {

bool booted_in_constructor = false;
bool plugin_before_constructors = false;

__attribute__((constructor)) void service_constructor()
{
  booted_in_constructor = os::is_booted();
  plugin_before_constructors = example_plugin_registered && example_plugin_run;
}

void check(bool ok, const char* name)
{
  std::printf("[test] %s %s\n", name, ok ? "ok" : "FAILED");
}

}  // namespace

__attribute__((noinline)) void backtrace_here()
{
  os::print_backtrace();
  __asm__ volatile("");
}

__attribute__((noinline)) int divide_by_zero(int x)
{
  int zero = 0;
  __asm__ volatile("" : "+r"(zero));
  return x / zero;
}

bool main_started = false;

// IncludeOS's order: after Service::start() (here: main) began, from the
// event loop (here: the first os::block()).
void Service::ready()
{
  std::printf("[test] Service::ready, %s\n", main_started ? "after main started" : "before main");
}

int main(int argc, const char* argv[])
{
  main_started = true;
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "divide") {
    std::printf("[test] dividing by zero\n");
    return divide_by_zero(argc);
  }
  if (mode == "expects") {
    std::printf("[test] expecting the impossible\n");
    Expects(argc == 42);
    return 1;
  }
  if (mode == "on_panic") {
    os::on_panic([](const char* why) { kprintf("[test] on_panic: %s\n", why); });
    os::set_panic_action(os::Panic_action::reboot);
    check(os::panic_action() == os::Panic_action::reboot, "panic action");
    os::panic("panicking on purpose");
  }
  if (mode == "reboot") {
    std::printf("[test] rebooting\n");
    std::fflush(stdout);
    os::reboot();
  }
  if (mode == "serial") {
    static bool done = false;
    auto& com1 = hw::Serial::port<1>();
    com1.on_readline([](const std::string& line) {
      std::printf("\n[test] serial line '%s'\n", line.c_str());
      if (line == "quit")
        done = true;
    });
    std::printf("[test] serial reader ready, %zu timers active\n", Timers::active());
    while (!done)
      os::block();
    hw::Serial::port<1>().on_data(nullptr);
    return 0;
  }

  check(booted_in_constructor && os::is_booted(), "booted before the service's constructors");
  check(plugin_before_constructors, "plugins ran before the service's constructors");
  bool late = false;
  os::register_plugin([&late] { late = true; }, "Late plugin");
  check(late, "a plugin registered late runs at once");
  check(os::panic_action() == os::Panic_action::shutdown, "panic action is shutdown");

  // kprintf: printf's integer, string and pointer formats, any length.
  kprintf("[test] kprintf |%5d|%-5d|%05d|%x|%#x|%X|%o|%+d|% d|%.3d|%c|%s|%.3s|%6.2s|%lu|%lld|%zu|%p|%%|\n",
          42, 42, 42, 255u, 255u, 255u, 8u, 7, 7, 5, 'c', "str", "string", "string",
          123456789012ul, -5ll, static_cast<size_t>(17), reinterpret_cast<void*>(0x1234));
  std::string longline(600, 'x');
  kprintf("[test] kprintf long %s END\n", longline.c_str());
  kprint("[test] kprint ok\n");
  __serial_print1("[test] __serial_print1 ok\n");

  struct utsname u;
  check(uname(&u) == 0 && std::strcmp(u.sysname, "IncludeOS") == 0
            && std::strcmp(u.nodename, "IncludeOS-node") == 0
            && std::strcmp(u.release, os::version()) == 0
            && std::strcmp(u.version, os::version()) == 0 && std::strcmp(u.machine, ARCH) == 0
            && std::strcmp(os::arch(), "x86_64") == 0,
        "uname");
  errno = 0;
  check(uname(nullptr) == -1 && errno == EFAULT, "uname(nullptr) EFAULT");
  std::printf("[test] sysconf: %ld cpus, page %ld, %ld pages, %ld free, %ld files, tick %ld\n",
              sysconf(_SC_NPROCESSORS_ONLN), sysconf(_SC_PAGESIZE), sysconf(_SC_PHYS_PAGES),
              sysconf(_SC_AVPHYS_PAGES), sysconf(_SC_OPEN_MAX), sysconf(_SC_CLK_TCK));
  check(sysconf(_SC_NPROCESSORS_ONLN) == 1 && sysconf(_SC_NPROCESSORS_CONF) == 1
            && sysconf(_SC_PAGESIZE) == 4096 && sysconf(_SC_PHYS_PAGES) > 1000
            && sysconf(_SC_AVPHYS_PAGES) > 0 && sysconf(_SC_AVPHYS_PAGES) <= sysconf(_SC_PHYS_PAGES)
            && sysconf(_SC_OPEN_MAX) == 1024,
        "sysconf");
  uint64_t r1[2] = {}, r2[2] = {};
  check(getrandom(r1, sizeof r1, 0) == sizeof r1 && getrandom(r2, sizeof r2, GRND_NONBLOCK) == sizeof r2
            && std::memcmp(r1, r2, sizeof r1) != 0,
        "getrandom");

  uint64_t c0 = os::cycles_since_boot();
  Timers::oneshot(std::chrono::milliseconds(2), [](Timers::id_t) {});
  os::halt();
  check(os::cycles_since_boot() > c0, "os::halt and cycles_since_boot");
  static uint32_t level_in_timer = 99;
  bool ticked = false;
  Timers::oneshot(std::chrono::milliseconds(1), [&ticked](Timers::id_t) {
    level_in_timer = os_get_blocking_level();
    ticked = true;
  });
  while (!ticked)
    os::block();
  check(level_in_timer == 1 && os_get_blocking_level() == 0 && os_get_highest_blocking_level() == 1,
        "os::block and its level");
  {
    // BufferStore and Packet chains (IncludeOS's net/bufstore test's use).
    net::BufferStore store(4, 256);
    auto packet = [&store] {
      return net::Packet_ptr(new (store.get_buffer()) net::Packet(0, 0, 200, &store));
    };
    auto head = packet();
    for (int i = 0; i < 9; i++)
      head->chain(packet());          // the store grows past its 4 buffers
    bool grown = store.total_buffers() == 12 && store.available() == 2
                 && head->chain_length() == 10 && head->last_in_chain() != nullptr;
    head->set_data_end(100);
    head->increment_layer_begin(14);
    bool layers = head->size() == 86 && head->capacity() == 186 && head->bufsize() == 200;
    uint8_t* inside = static_cast<uint8_t*>(static_cast<void*>(head.get())) + 1;
    bool owned = store.is_from_this_pool(inside) && !store.is_buffer(inside);
    auto tail = head->detach_tail();
    head = nullptr;                   // one back
    bool one = store.available() == 3 && tail->chain_length() == 9;
    while (tail)
      tail = tail->detach_tail();     // one by one
    check(grown && layers && owned && one && store.available() == 12, "BufferStore and Packet");
  }
  size_t mem = os::total_memuse();
  check(mem > 512 * 1024 && mem < 128u * 1024 * 1024, "total_memuse");

  os::print_timestamps(true);
  std::printf("[test] stamped\n");
  os::print_timestamps(false);

  Expects(argc >= 1);
  Ensures(mode.empty());
  check(LIKELY(argc > 0) && !UNLIKELY(argc < 0), "Expects, Ensures, LIKELY");

  // mem/vmap.hpp: the memory map, and a second mapping of heap memory
  auto& vmmap = os::mem::vmmap();
  auto code = vmmap.in_range(reinterpret_cast<uintptr_t>(&backtrace_here));
  check(vmmap.size() >= 3 && code != 0 && std::strcmp(vmmap.at(code).name(), "Kernel code") == 0,
        "vmmap: the kernel's ranges");
  bool refused = false;
  try {
    auto& r = vmmap.at(code);
    vmmap.assign_range({r.addr_start() + 16, r.addr_end() + 16, "overlapping"});
  } catch (const Memory_range_exception&) {
    refused = true;
  }
  check(refused && vmmap.at(code).size() > 0, "vmmap: an overlapping range is refused");
  using namespace util::literals;
  auto* block = static_cast<volatile uint64_t*>(std::aligned_alloc(2_MiB, 2_MiB));
  auto phys = reinterpret_cast<uintptr_t>(block);
  auto alias = os::mem::map({40_GiB, phys, os::mem::Access::read | os::mem::Access::write, 2_MiB},
                            "heap alias");
  auto* far = reinterpret_cast<volatile uint64_t*>(uintptr_t(40_GiB));
  far[7] = 0x5eed;                 // written through the new mapping...
  block[1000] = 0xfeed;
  check(alias && block[7] == 0x5eed && far[1000] == 0xfeed       // ...read through the old
            && vmmap.in_range(40_GiB + 12345) == 40_GiB && vmmap.at(40_GiB).size() == 2_MiB
            && os::mem::virt_to_phys(40_GiB + 8) == phys + 8,
        "os::mem::map: a second mapping of heap memory");
  refused = false;
  try {
    os::mem::map({40_GiB, phys, os::mem::Access::read, 2_MiB}, "again");
  } catch (const Memory_range_exception&) {
    refused = true;
  }
  check(refused && vmmap.size() >= 4, "os::mem::map refuses a range that is mapped");

  auto mods = os::modules();
  std::printf("[test] %zu modules\n", mods.size());
  for (auto& m : mods) {
    const char* text = reinterpret_cast<const char*>(static_cast<uintptr_t>(m.mod_start));
    std::string first(text, std::strcspn(text, "\n"));
    std::printf("[test] module '%s' %u bytes: %s\n", reinterpret_cast<const char*>(m.params),
                m.mod_end - m.mod_start, first.c_str());
  }
  if (mods.size() > 1)
    std::printf("[test] modules[1] is %s\n", reinterpret_cast<const char*>(mods[1].params));

  std::printf("[test] backtrace:\n");
  std::fflush(stdout);
  backtrace_here();
  std::printf("[test] all checks done\n");
  return 0;
}
