// SET_CRASH's note (<kernel/crash_context.hpp>): a buffer the service
// writes, printed by a panic. It lives with the HTTP code, whose servers
// are what IncludeOS services use it for.
#include <kernel/crash_context.hpp>

#include <kprint>
#include <os.hpp>

namespace {

constexpr size_t CONTEXT_LENGTH = 4096;
char context[CONTEXT_LENGTH];
bool installed = false;

void print_context(const char*)
{
  if (context[0])
    kprintf("Context: %.*s\n", static_cast<int>(CONTEXT_LENGTH - 1), context);
}

}  // namespace

extern "C" char* get_crash_context_buffer()
{
  if (!installed) {
    installed = true;
    os::on_panic(print_context);
  }
  return context;
}

extern "C" size_t get_crash_context_length() { return CONTEXT_LENGTH; }
