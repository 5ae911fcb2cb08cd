// ukbase selftest: a service that defines Service::start() and lives in the
// event loop: timers fire, then os::shutdown() ends it.
#include <cstdio>

#include <os>
#include <service>
#include <timers>

using namespace std::chrono;

namespace {
int ticks = 0;
uint64_t started = 0;
}

void Service::start()
{
  std::printf("[test] Service::start, cmdline '%s'\n", os::cmdline_args());
  started = os::nanos_since_boot();
  Timers::oneshot(milliseconds(20), [](Timers::id_t) {
    std::printf("[test] oneshot fired after %llu ms\n",
                (unsigned long long)((os::nanos_since_boot() - started) / 1000000));
  });
  Timers::periodic(milliseconds(5), milliseconds(5), [](Timers::id_t id) {
    if (++ticks == 6) {
      Timers::stop(id);
      std::printf("[test] periodic stopped after %d ticks\n", ticks);
      Timers::oneshot(milliseconds(1), [](Timers::id_t) {
        std::printf("[test] shutting down, %zu timers active\n", Timers::active());
        os::shutdown();
      });
    }
  });
}

void Service::stop()
{
  std::printf("[test] Service::stop ran\n");
}
