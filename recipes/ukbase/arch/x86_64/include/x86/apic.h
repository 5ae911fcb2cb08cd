/* Local APIC (xAPIC, memory-mapped) and its timer. */
#pragma once
#include <stdint.h>

void lapic_init(void);
void lapic_eoi(void);
int  lapic_present(void);
uint32_t lapic_id(void);          /* this CPU's APIC id (MSI destination) */
/* Timer: one shot after `ns` nanoseconds (0 disarms). */
void lapic_timer_oneshot(uint64_t ns);
/* Calibration hooks used by clock.c while it measures against the PIT. */
void lapic_timer_calibrate_start(void);
uint32_t lapic_timer_calibrate_read(void);
void lapic_timer_set_rate(uint64_t ticks_per_second);
