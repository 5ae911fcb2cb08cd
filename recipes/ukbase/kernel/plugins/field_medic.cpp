// field_medic ([platform] plugins = ["field_medic"]): a health check of
// the runtime, run as a plugin before the service starts, under the name
// and with the verdict line IncludeOS's kernel/osinit test reads:
//
//   [ Field medic ] Diagnose complete. Healthy        (or "... failed: <what>")
//
// It checks thread-local storage (initialised and zeroed parts), deep
// recursion on the service stack, and C++ exceptions thrown through many
// frames.
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include <os>

namespace {

constexpr int TLS_BYTES = 256;
thread_local char tls_data[TLS_BYTES] = {42, 42, 42, 42, 42, 42, 42, 42};
thread_local char tls_zero[TLS_BYTES];

bool tls_check()
{
  for (int i = 0; i < TLS_BYTES; i++)
    if (tls_zero[i] != 0 || (i < 8 && tls_data[i] != 42) || (i >= 8 && tls_data[i] != 0))
      return false;
  std::memset(tls_zero, '!', sizeof tls_zero);
  for (int i = 0; i < TLS_BYTES; i++)
    if (tls_zero[i] != '!')
      return false;
  return true;
}

__attribute__((noinline)) int recurse(int depth)
{
  volatile char frame[256];
  for (auto& c : frame)
    c = static_cast<char>(depth);
  int below = depth > 0 ? recurse(depth - 1) : 0;
  for (auto& c : frame)
    if (c != static_cast<char>(depth))
      return -1;
  return below < 0 ? -1 : below + 1;
}

bool stack_check() { return recurse(10) == 11 && recurse(100) == 101; }

__attribute__((noinline)) void throw_from(int depth)
{
  if (depth == 0)
    throw std::runtime_error("from 100 frames down");
  throw_from(depth - 1);
  std::printf("%d", depth);     // not a tail call
}

bool exceptions_check()
{
  try {
    throw_from(100);
  } catch (const std::runtime_error& e) {
    return std::strcmp(e.what(), "from 100 frames down") == 0;
  }
  return false;
}

void diagnose()
{
  INFO("Field medic", "Checking vital signs");
  std::string failed;
  auto check = [&failed](const char* what, bool (*test)()) {
    bool ok = false;
    try {
      ok = test();
    } catch (const std::exception& e) {
      std::printf("%16s[ ] %s failed: %s\n", "", what, e.what());
      failed += failed.empty() ? what : std::string(", ") + what;
      return;
    }
    std::printf("%16s[%s] %s\n", "", ok ? "+" : " ", what);
    if (!ok)
      failed += failed.empty() ? what : std::string(", ") + what;
  };
  check("Stack check", stack_check);
  check("TLS check", tls_check);
  check("Exceptions test", exceptions_check);
  if (failed.empty())
    INFO("Field medic", "Diagnose complete. Healthy");
  else
    INFO("Field medic", "Diagnose complete. failed: %s", failed.c_str());
}

struct Register {
  Register() { os::register_plugin(diagnose, "Field medic"); }
} register_field_medic;

}  // namespace
