// SET_CRASH's note (<kernel/crash_context.hpp>): a buffer the service
// writes, printed by a panic (kernel/panic.c, whatever os::on_panic
// handler the service set). It lives with the HTTP code, whose servers
// are what IncludeOS services use it for.
#include <kernel/crash_context.hpp>

namespace {

constexpr size_t CONTEXT_LENGTH = 4096;
char context[CONTEXT_LENGTH];

}  // namespace

extern "C" char* get_crash_context_buffer() { return context; }

extern "C" size_t get_crash_context_length() { return CONTEXT_LENGTH; }
