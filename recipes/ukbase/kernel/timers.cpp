// Timers: deadlines on the monotonic clock, run by the event loop. The
// LAPIC one-shot timer is armed for the earliest one when the loop halts.
#include <map>

#include <os>

#include "kernel/clock.h"
#include "kernel/loop.hpp"

namespace {

struct Timer {
  uint64_t deadline;
  uint64_t period;                 // 0: one-shot
  Timers::handler_t handler;
  bool kernel = false;             // the kernel's own: not in active()
};

std::map<Timers::id_t, Timer> timers;
std::multimap<uint64_t, Timers::id_t> queue;   // deadline -> id; stale entries skipped
Timers::id_t next_id = 0;

uint64_t to_ns(Timers::duration_t d)
{
  return d.count() > 0 ? static_cast<uint64_t>(d.count()) : 0;
}

Timers::id_t add(uint64_t delay, uint64_t period, Timers::handler_t handler, bool kernel = false)
{
  Timers::id_t id = next_id++;
  uint64_t deadline = clock_monotonic_ns() + delay;
  timers[id] = Timer{deadline, period, std::move(handler), kernel};
  queue.emplace(deadline, id);
  return id;
}

}  // namespace

Timers::id_t Timers::oneshot(duration_t when, handler_t handler)
{
  return add(to_ns(when), 0, std::move(handler));
}

Timers::id_t Timers::periodic(duration_t when, duration_t period, handler_t handler)
{
  return add(to_ns(when), to_ns(period), std::move(handler));
}

void Timers::stop(id_t id) { timers.erase(id); }

size_t Timers::active()
{
  size_t n = 0;
  for (const auto& t : timers)
    n += !t.second.kernel;
  return n;
}

int32_t ukbase::kernel_periodic(uint64_t period_ns, std::function<void()> handler)
{
  return add(period_ns, period_ns, [h = std::move(handler)](Timers::id_t) { h(); }, true);
}

int32_t ukbase::kernel_oneshot(uint64_t delay_ns, std::function<void()> handler)
{
  return add(delay_ns, 0, [h = std::move(handler)](Timers::id_t) { h(); }, true);
}

void ukbase::timers_run_expired()
{
  uint64_t now = clock_monotonic_ns();
  while (!queue.empty() && queue.begin()->first <= now) {
    auto [deadline, id] = *queue.begin();
    queue.erase(queue.begin());
    auto it = timers.find(id);
    if (it == timers.end() || it->second.deadline != deadline)
      continue;                    // stopped or rescheduled
    Timers::handler_t handler;
    if (it->second.period) {
      // Next tick, skipping ticks that were missed entirely.
      uint64_t next = deadline + it->second.period;
      if (next <= now)
        next = now + it->second.period;
      it->second.deadline = next;
      queue.emplace(next, id);
      handler = it->second.handler;     // a copy: the handler may stop itself
    } else {
      handler = std::move(it->second.handler);
      timers.erase(it);
    }
    handler(id);
  }
}

uint64_t ukbase::timers_next_deadline()
{
  while (!queue.empty()) {
    auto [deadline, id] = *queue.begin();
    auto it = timers.find(id);
    if (it != timers.end() && it->second.deadline == deadline)
      return deadline ? deadline : 1;
    queue.erase(queue.begin());
  }
  return 0;
}
