/* 8254 PIT: used only as a reference clock for calibration at boot. */
#pragma once
#include <stdint.h>

#define PIT_HZ 1193182u

void pit_start_countdown(void);   /* channel 0 counting down from 0xFFFF */
uint16_t pit_read(void);          /* current channel 0 count */
void pit_stop(void);              /* one last terminal count; no periodic IRQ0 */
