/* Helpers so kernel headers can be included from C and from C++. */
#pragma once

#ifdef __cplusplus
#define KERNEL_BEGIN_DECLS extern "C" {
#define KERNEL_END_DECLS }
#else
#define KERNEL_BEGIN_DECLS
#define KERNEL_END_DECLS
#endif

#define NORETURN __attribute__((noreturn))
