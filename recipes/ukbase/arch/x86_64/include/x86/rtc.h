/* CMOS real-time clock. */
#pragma once
#include <stdint.h>
/* Seconds since the Unix epoch, or -1 when there is no readable RTC. */
int64_t rtc_read_epoch(void);
