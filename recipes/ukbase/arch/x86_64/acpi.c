/*
 * ACPI table discovery, just enough to power off: RSDP -> RSDT/XSDT ->
 * FADT (PM1 control ports, hardware-reduced sleep control register) and
 * the DSDT's \_S5 package (the sleep type for soft-off). Everything is
 * read once at boot, before the page heap may reuse the memory.
 */
#include <stddef.h>
#include <stdint.h>

#include "kernel/kprint.h"
#include "x86/acpi.h"

struct acpi_info acpi_info;

extern uint32_t boot_ebda_segment;   /* boot.S, from the BIOS data area */

struct rsdp {
  char signature[8];
  uint8_t checksum;
  char oem[6];
  uint8_t revision;
  uint32_t rsdt;
  /* revision >= 2 */
  uint32_t length;
  uint64_t xsdt;
  uint8_t ext_checksum;
  uint8_t reserved[3];
} __attribute__((packed));

struct sdt_header {
  char signature[4];
  uint32_t length;
  uint8_t revision;
  uint8_t checksum;
  char oem[6];
  char oem_table[8];
  uint32_t oem_revision;
  uint32_t creator, creator_revision;
} __attribute__((packed));

struct gas {                     /* generic address structure */
  uint8_t space;                 /* 0 memory, 1 I/O */
  uint8_t bit_width, bit_offset, access_size;
  uint64_t address;
} __attribute__((packed));

/* FADT field offsets (ACPI 6.x, table 5.9) */
#define FADT_DSDT            40
#define FADT_PM1A_CNT        64
#define FADT_PM1B_CNT        68
#define FADT_FLAGS           112
#define FADT_X_DSDT          140
#define FADT_X_PM1A_CNT      172
#define FADT_X_PM1B_CNT      184
#define FADT_SLEEP_CONTROL   244
#define FADT_HW_REDUCED      (1u << 20)

static int checksum_ok(const void* p, size_t len)
{
  uint8_t sum = 0;
  for (size_t i = 0; i < len; i++)
    sum += ((const uint8_t*)p)[i];
  return sum == 0;
}

static int sig_is(const char* s, const char* want)
{
  return s[0] == want[0] && s[1] == want[1] && s[2] == want[2] && s[3] == want[3];
}

static const struct rsdp* rsdp_scan(uintptr_t start, size_t len)
{
  for (uintptr_t p = start; p + 20 <= start + len; p += 16) {
    const struct rsdp* r = (const void*)p;
    const char* s = r->signature;
    if (s[0] == 'R' && s[1] == 'S' && s[2] == 'D' && s[3] == ' ' && s[4] == 'P'
        && s[5] == 'T' && s[6] == 'R' && s[7] == ' ' && checksum_ok(r, 20))
      return r;
  }
  return NULL;
}

static const struct rsdp* rsdp_find(void)
{
  uintptr_t ebda = (uintptr_t)boot_ebda_segment << 4;
  const struct rsdp* r = NULL;
  if (ebda >= 0x80000 && ebda < 0xA0000)
    r = rsdp_scan(ebda, 1024);
  if (!r)
    r = rsdp_scan(0xE0000, 0x20000);
  return r;
}

static const struct sdt_header* table_at(uint64_t addr)
{
  if (!addr || addr >= (4ull << 30))
    return NULL;
  const struct sdt_header* h = (const void*)(uintptr_t)addr;
  if (h->length < sizeof *h || h->length > (16u << 20) || !checksum_ok(h, h->length))
    return NULL;
  return h;
}

static uint32_t rd32(const struct sdt_header* t, unsigned off)
{
  if (off + 4 > t->length)
    return 0;
  const uint8_t* p = (const uint8_t*)t + off;
  return p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint64_t rd64(const struct sdt_header* t, unsigned off)
{
  if (off + 8 > t->length)
    return 0;
  return rd32(t, off) | ((uint64_t)rd32(t, off + 4) << 32);
}

static int read_gas(const struct sdt_header* t, unsigned off, struct gas* g)
{
  if (off + sizeof *g > t->length)
    return 0;
  const uint8_t* p = (const uint8_t*)t + off;
  for (size_t i = 0; i < sizeof *g; i++)
    ((uint8_t*)g)[i] = p[i];
  return g->address != 0;
}

/* One AML integer: ZeroOp, OneOp, BytePrefix, WordPrefix, DWordPrefix. */
static const uint8_t* aml_small_int(const uint8_t* p, const uint8_t* end, uint8_t* out)
{
  if (p >= end)
    return NULL;
  switch (*p) {
  case 0x00: *out = 0; return p + 1;
  case 0x01: *out = 1; return p + 1;
  case 0x0A: if (p + 2 > end) return NULL; *out = p[1]; return p + 2;
  case 0x0B: if (p + 3 > end) return NULL; *out = p[1]; return p + 3;
  case 0x0C: if (p + 5 > end) return NULL; *out = p[1]; return p + 5;
  default: return NULL;
  }
}

/* Name(_S5, Package() { SLP_TYPa, SLP_TYPb, ... }) somewhere in the DSDT. */
static void parse_s5(const struct sdt_header* dsdt)
{
  const uint8_t* aml = (const uint8_t*)dsdt + sizeof *dsdt;
  const uint8_t* end = (const uint8_t*)dsdt + dsdt->length;
  for (const uint8_t* p = aml; p + 4 < end; p++) {
    if (p[0] != '_' || p[1] != 'S' || p[2] != '5' || p[3] != '_')
      continue;
    /* NameOp, optionally with a root prefix, just before the name */
    if (!(p > aml && (p[-1] == 0x08 || (p[-1] == '\\' && p - 1 > aml && p[-2] == 0x08))))
      continue;
    const uint8_t* q = p + 4;
    if (q >= end || *q != 0x12)            /* PackageOp */
      continue;
    q++;
    if (q >= end)
      return;
    q += 1 + (*q >> 6);                     /* PkgLength: 1-4 bytes */
    q++;                                    /* NumElements */
    uint8_t a, b = 0;
    q = aml_small_int(q, end, &a);
    if (!q)
      return;
    if (!aml_small_int(q, end, &b))
      b = a;
    acpi_info.slp_typ_a = a;
    acpi_info.slp_typ_b = b;
    acpi_info.has_s5 = 1;
    return;
  }
}

static void parse_fadt(const struct sdt_header* fadt)
{
  uint32_t flags = rd32(fadt, FADT_FLAGS);
  acpi_info.hw_reduced = (flags & FADT_HW_REDUCED) != 0;
  acpi_info.pm1a_cnt = (uint16_t)rd32(fadt, FADT_PM1A_CNT);
  acpi_info.pm1b_cnt = (uint16_t)rd32(fadt, FADT_PM1B_CNT);
  struct gas g;
  if (!acpi_info.pm1a_cnt && read_gas(fadt, FADT_X_PM1A_CNT, &g) && g.space == 1)
    acpi_info.pm1a_cnt = (uint16_t)g.address;
  if (!acpi_info.pm1b_cnt && read_gas(fadt, FADT_X_PM1B_CNT, &g) && g.space == 1)
    acpi_info.pm1b_cnt = (uint16_t)g.address;
  if (read_gas(fadt, FADT_SLEEP_CONTROL, &g)) {
    acpi_info.sleep_ctl_space = g.space;
    acpi_info.sleep_ctl_addr = g.address;
  }
  uint64_t dsdt_addr = rd64(fadt, FADT_X_DSDT);
  if (!dsdt_addr)
    dsdt_addr = rd32(fadt, FADT_DSDT);
  const struct sdt_header* dsdt = table_at(dsdt_addr);
  if (dsdt && sig_is(dsdt->signature, "DSDT"))
    parse_s5(dsdt);
}

/* The MADT's interrupt controller structures after its 44-byte header:
 * type 1 is an I/O APIC (id, reserved, address, GSI base). */
static void parse_madt(const struct sdt_header* madt)
{
  const uint8_t* p = (const uint8_t*)madt + 44;
  const uint8_t* end = (const uint8_t*)madt + madt->length;
  while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
    if (p[0] == 1 && p[1] >= 12 && acpi_info.ioapic_count < 4) {
      unsigned i = acpi_info.ioapic_count++;
      acpi_info.ioapic_addr[i] = *(const uint32_t*)(p + 4);
      acpi_info.ioapic_gsi_base[i] = *(const uint32_t*)(p + 8);
    }
    p += p[1];
  }
}

void acpi_init(void)
{
  const struct rsdp* rsdp = rsdp_find();
  if (!rsdp)
    return;
  acpi_info.revision = rsdp->revision;
  for (int i = 0; i < 6; i++)
    acpi_info.oem[i] = rsdp->oem[i];

  /* XSDT (64-bit entries) when present, else RSDT (32-bit entries). */
  const struct sdt_header* root = NULL;
  unsigned entry_size = 4;
  if (rsdp->revision >= 2 && checksum_ok(rsdp, sizeof *rsdp))
    root = table_at(rsdp->xsdt), entry_size = 8;
  if (!root)
    root = table_at(rsdp->rsdt), entry_size = 4;
  if (!root)
    return;

  unsigned n = (root->length - sizeof *root) / entry_size;
  for (unsigned i = 0; i < n; i++) {
    unsigned off = sizeof *root + i * entry_size;
    uint64_t addr = entry_size == 8 ? rd64(root, off) : rd32(root, off);
    const struct sdt_header* t = table_at(addr);
    if (!t)
      continue;
    if (sig_is(t->signature, "FACP")) {
      parse_fadt(t);
      acpi_info.found = 1;
    } else if (sig_is(t->signature, "APIC")) {
      acpi_info.lapic_addr = rd32(t, 36);
      parse_madt(t);
    }
  }
}

