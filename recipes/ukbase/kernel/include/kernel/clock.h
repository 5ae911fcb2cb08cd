/* Time sources (implemented by the architecture layer). */
#pragma once
#include <stdint.h>
#include "kernel/cdefs.h"

KERNEL_BEGIN_DECLS

void clock_init(void);
uint64_t clock_monotonic_ns(void);   /* since boot, from the calibrated TSC */
uint64_t clock_realtime_ns(void);    /* since the Unix epoch (RTC at boot + monotonic) */
uint64_t clock_resolution_ns(void);
uint64_t clock_tsc_hz(void);

KERNEL_END_DECLS
