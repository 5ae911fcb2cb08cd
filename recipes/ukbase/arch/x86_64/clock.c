/*
 * Clocks. Monotonic time is the TSC, whose rate is measured against the
 * PIT at boot (the LAPIC timer's rate in the same window). Real time is
 * the CMOS RTC read at boot plus monotonic time since.
 */
#include <stdint.h>

#include "kernel/clock.h"
#include "kernel/kprint.h"
#include "x86/apic.h"
#include "x86/cpu.h"
#include "x86/pit.h"
#include "x86/rtc.h"

/* ~2 ms of PIT ticks: enough for 0.05% precision, cheap at boot. */
#define CALIBRATION_PIT_TICKS 2386u
#define FALLBACK_TSC_HZ 2000000000ull

static uint64_t tsc_boot;            /* TSC at the start of clock_init() */
static uint64_t tsc_hz;
static uint64_t ns_per_tick_q32;     /* ns per TSC tick, 32.32 fixed point */
static uint64_t realtime_boot_ns;    /* Unix time in ns when the TSC read tsc_boot */

static uint64_t ticks_to_ns(uint64_t ticks)
{
  return (uint64_t)(((unsigned __int128)ticks * ns_per_tick_q32) >> 32);
}

static void calibrate(void)
{
  pit_start_countdown();
  /* Start on a counter edge so the window is measured precisely. */
  uint16_t first = pit_read(), start;
  uint64_t guard = rdtsc();
  while ((start = pit_read()) == first) {
    if (rdtsc() - guard > 1000000000ull) {   /* no PIT counting */
      tsc_hz = FALLBACK_TSC_HZ;
      lapic_timer_set_rate(FALLBACK_TSC_HZ / 16);
      kprint("     [ Clock ] no PIT: assuming a 2 GHz TSC\n");
      return;
    }
  }
  uint64_t t0 = rdtsc();
  lapic_timer_calibrate_start();
  uint16_t elapsed;
  do {
    elapsed = (uint16_t)(start - pit_read());
  } while (elapsed < CALIBRATION_PIT_TICKS);
  uint64_t t1 = rdtsc();
  uint32_t lapic_ticks = lapic_timer_calibrate_read();
  pit_stop();

  tsc_hz = (t1 - t0) * PIT_HZ / elapsed;
  lapic_timer_set_rate((uint64_t)lapic_ticks * PIT_HZ / elapsed);
}

void clock_init(void)
{
  tsc_boot = rdtsc();
  calibrate();
  ns_per_tick_q32 = (uint64_t)((1000000000ull << 32) / tsc_hz);
  int64_t epoch = rtc_read_epoch();
  if (epoch > 0)
    realtime_boot_ns = (uint64_t)epoch * 1000000000ull - clock_monotonic_ns();
}

uint64_t clock_monotonic_ns(void)
{
  return ticks_to_ns(rdtsc() - tsc_boot);
}

uint64_t clock_realtime_ns(void)
{
  return realtime_boot_ns + clock_monotonic_ns();
}

uint64_t clock_resolution_ns(void)
{
  return 1;
}

uint64_t clock_tsc_hz(void)
{
  return tsc_hz;
}
