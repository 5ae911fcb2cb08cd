/* The CMOS real-time clock, read once at boot. */
#include <stdint.h>

#include "x86/io.h"
#include "x86/rtc.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA  0x71
#define NMI_OFF    0x80

enum { RTC_SEC = 0x00, RTC_MIN = 0x02, RTC_HOUR = 0x04, RTC_DAY = 0x07,
       RTC_MONTH = 0x08, RTC_YEAR = 0x09, RTC_STATUS_A = 0x0A,
       RTC_STATUS_B = 0x0B, RTC_CENTURY = 0x32 };

#define STATUS_A_UPDATING 0x80
#define STATUS_B_24H      0x02
#define STATUS_B_BINARY   0x04

struct rtc_time { uint8_t sec, min, hour, day, month, year, century; };

static uint8_t cmos_read(uint8_t reg)
{
  outb(CMOS_INDEX, NMI_OFF | reg);
  return inb(CMOS_DATA);
}

static void read_raw(struct rtc_time* t)
{
  for (int i = 0; i < 100000 && (cmos_read(RTC_STATUS_A) & STATUS_A_UPDATING); i++)
    ;
  t->sec = cmos_read(RTC_SEC);
  t->min = cmos_read(RTC_MIN);
  t->hour = cmos_read(RTC_HOUR);
  t->day = cmos_read(RTC_DAY);
  t->month = cmos_read(RTC_MONTH);
  t->year = cmos_read(RTC_YEAR);
  t->century = cmos_read(RTC_CENTURY);
}

static uint8_t from_bcd(uint8_t v) { return (uint8_t)((v & 0x0F) + (v >> 4) * 10); }

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

int64_t rtc_read_epoch(void)
{
  struct rtc_time a, b;
  /* Read until two reads agree, so no update happened in between. */
  read_raw(&a);
  for (int tries = 0; tries < 5; tries++) {
    read_raw(&b);
    if (a.sec == b.sec && a.min == b.min && a.hour == b.hour && a.day == b.day
        && a.month == b.month && a.year == b.year)
      break;
    a = b;
  }
  uint8_t status_b = cmos_read(RTC_STATUS_B);
  if (a.sec == 0xFF && a.month == 0xFF)
    return -1;                                /* nothing answers: no RTC */
  int pm = a.hour & 0x80;
  a.hour &= 0x7F;
  if (!(status_b & STATUS_B_BINARY)) {
    a.sec = from_bcd(a.sec); a.min = from_bcd(a.min); a.hour = from_bcd(a.hour);
    a.day = from_bcd(a.day); a.month = from_bcd(a.month); a.year = from_bcd(a.year);
    a.century = from_bcd(a.century);
  }
  if (!(status_b & STATUS_B_24H) && pm)
    a.hour = (uint8_t)((a.hour % 12) + 12);
  if (a.month < 1 || a.month > 12 || a.day < 1 || a.day > 31 || a.sec > 60)
    return -1;
  int64_t year = (a.century >= 19 && a.century <= 30) ? a.century * 100 + a.year
                                                      : 2000 + a.year;
  return days_from_civil(year, a.month, a.day) * 86400
       + a.hour * 3600 + a.min * 60 + a.sec;
}
