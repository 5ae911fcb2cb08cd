// A note a panic prints, as IncludeOS's kernel/crash_context.hpp:
//
//   SET_CRASH("serving %s", req.c_str());     // replaces the previous note
//
// The note (at most get_crash_context_length() - 1 bytes) is printed as
// "Context: <note>" by a panic, from the os::on_panic handler the first
// SET_CRASH installs. os::on_panic keeps one handler: a service that sets
// its own after that takes the place of the note's. DISABLE_CRASH_CONTEXT
// makes SET_CRASH do nothing; a SET_CRASH_CONTEXT defined beforehand is
// the one SET_CRASH uses.
#pragma once

#include <cstdio>
#include <sys/types.h>

extern "C" {
/// The note's buffer (installs the panic handler the first time).
char* get_crash_context_buffer();
size_t get_crash_context_length();
}

#ifndef SET_CRASH_CONTEXT
#define SET_CRASH_CONTEXT(X, ...) \
  snprintf(get_crash_context_buffer(), get_crash_context_length(), X, ##__VA_ARGS__);
#endif

#ifndef DISABLE_CRASH_CONTEXT
#define SET_CRASH SET_CRASH_CONTEXT
#else
#define SET_CRASH(...) /* */
#endif
