// Service start and stop: what the kernel calls once the C library is up.
#include <cstdlib>
#include <string>
#include <vector>

#include <os>

#include "kernel/drivers.hpp"
#include "kernel/kprint.h"
#include "kernel/loop.hpp"
#include "kernel/service.h"

// The service's main(), if it has one: services may instead define only
// Service::start(). (Named through an asm label: C++ forbids declaring
// `main` with attributes.)
extern "C" int service_main(int argc, const char* argv[]) __asm__("main") __attribute__((weak));

__attribute__((weak)) void Service::start()
{
  Service::start(os::cmdline_args());
}

__attribute__((weak)) void Service::start(const std::string& args)
{
  if (!service_main)
    return;                       // no main(): keep running in the event loop
  std::vector<std::string> words;
  size_t i = 0;
  while (i < args.size()) {
    size_t j = args.find_first_of(" \t", i);
    if (j == std::string::npos)
      j = args.size();
    if (j > i)
      words.push_back(args.substr(i, j - i));
    i = j + 1;
  }
  std::vector<const char*> argv;
  argv.push_back(Service::binary_name());
  for (const auto& w : words)
    argv.push_back(w.c_str());
  argv.push_back(nullptr);

  int status = service_main(static_cast<int>(argv.size() - 1), argv.data());
  kline_break();
  kprintf("       [ main ] returned with status %d\n", status);
  std::exit(status);              // atexit handlers, destructors, then kernel_exit()
}

__attribute__((weak)) void Service::ready() {}

__attribute__((weak)) void Service::stop() {}

namespace {

struct Plugin_entry {
  os::Plugin plugin;
  const char* name;
};

// Filled from plugins' global constructors, which run before this file's:
// created on first use.
std::vector<Plugin_entry>& plugins()
{
  static auto* list = new std::vector<Plugin_entry>;
  return *list;
}

bool booted = false;

// The end of the boot sequence, as on IncludeOS: drivers registered
// themselves from global constructors: probe them, mount file systems
// and bring the network up; then run the registered plugins. linker.ld
// runs this from .init_array after the constructors of drivers, plugins
// and the platform's libraries, and before the service's own.
void boot()
{
  if (booted)
    return;
  ukbase::devices_init();
  if (!plugins().empty()) {
    kline_break();
    kprint("     [ Kernel ] Initializing plugins\n");
    for (auto& p : plugins()) {
      kprintf("                * Initializing %s\n", p.name);
      p.plugin();
    }
  }
  booted = true;
}

__attribute__((used, section(".init_array.ukbase_boot"))) void (*boot_entry)() = boot;

}  // namespace

bool os::is_booted() noexcept { return booted; }

void os::register_plugin(Plugin plugin, const char* name)
{
  kline_break();
  kprintf("     [ Kernel ] Registering plugin %s\n", name);
  if (booted) {
    plugin();             // the boot sequence is over: run it now
    return;
  }
  plugins().push_back({std::move(plugin), name});
}

extern "C" int __ukbase_service_main(int, char**, char**)
{
  boot();                 // (ran from .init_array, unless linked otherwise)
  kline_break();
  kprintf(" +--> Running [ %s ]\n", Service::name());
  // IncludeOS calls Service::ready() from the event loop once its timers
  // run: after start() returns, or within the first blocking call start()
  // makes (os::block(), a blocking system call).
  ukbase::kernel_oneshot(0, [] { Service::ready(); });
  Service::start();
  // Service::start() returned: the service lives on in the event loop.
  ukbase::event_loop();
  kernel_stop();
}

extern "C" void __ukbase_service_stop(void)
{
  Service::stop();
}

extern "C" const char* __ukbase_service_binary_name(void)
{
  return Service::binary_name();
}
