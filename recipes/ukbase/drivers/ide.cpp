// ide: ATA disks on a PCI IDE controller (the pc machine's PIIX3; QEMU
// -device ide-hd), by programmed I/O.
//
// Both channels, both drives. A channel in compatibility mode uses the
// legacy ports (0x1F0/0x3F6, 0x170/0x376), one in native mode its BARs.
// Commands are READ MULTIPLE (EXT) with the largest block the drive
// offers, so the drive interrupts the data flow once per block, not per
// sector; interrupts are disabled at the drive (nIEN) and the status
// register is polled. Writes are WRITE SECTORS (EXT), a sector per DRQ,
// then FLUSH CACHE (EXT), so that they are on the disk image when they
// report. ATAPI devices (CD-ROMs) are skipped. The device's name is its
// serial number (IDENTIFY words 10-19). IncludeOS's three names for its
// IDE drivers (ide, ide_readonly, ide_writeonly) all get this one, which
// reads and writes.
#include <cstring>

#include "kernel/block.hpp"
#include "kernel/clock.h"
#include "kernel/drivers.hpp"
#include "kernel/kprint.h"

namespace {

using namespace ukbase;

// Task file registers, from the channel's command block base.
constexpr uint16_t REG_DATA = 0, REG_ERROR = 1, REG_COUNT = 2, REG_LBA0 = 3, REG_LBA1 = 4,
                   REG_LBA2 = 5, REG_DRIVE = 6, REG_STATUS = 7, REG_COMMAND = 7;
constexpr uint8_t ST_ERR = 0x01, ST_DRQ = 0x08, ST_DF = 0x20, ST_BSY = 0x80;
constexpr uint8_t CTL_NIEN = 0x02;
constexpr uint8_t CMD_IDENTIFY = 0xEC, CMD_SET_MULTIPLE = 0xC6, CMD_READ_MULTIPLE = 0xC4,
                  CMD_READ_MULTIPLE_EXT = 0x29, CMD_WRITE_SECTORS = 0x30,
                  CMD_WRITE_SECTORS_EXT = 0x34, CMD_FLUSH_CACHE = 0xE7, CMD_FLUSH_CACHE_EXT = 0xEA;
constexpr uint64_t IDENTIFY_TIMEOUT_NS = 500ull * 1000000;
constexpr uint64_t READ_TIMEOUT_NS = 10ull * 1000000000;

inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
inline uint8_t inb(uint16_t port)
{
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
inline void insw(uint16_t port, void* dst, size_t words)
{
  __asm__ volatile("rep insw" : "+D"(dst), "+c"(words) : "d"(port) : "memory");
}
inline void outsw(uint16_t port, const void* src, size_t words)
{
  __asm__ volatile("rep outsw" : "+S"(src), "+c"(words) : "d"(port) : "memory");
}

unsigned unnamed = 0;

class Ata_disk final : public Block_device {
 public:
  Ata_disk(uint16_t base, uint16_t ctl, unsigned channel, unsigned drive)
      : base_(base), ctl_(ctl), drive_(drive)
  {
    description_ = "ide " + std::to_string(channel) + ":" + std::to_string(drive);
    read_only_ = false;
  }
  bool identify();
  bool read_sectors(uint64_t lba, uint32_t count, void* buf) override;
  bool write_sectors(uint64_t lba, uint32_t count, const void* buf) override;

 private:
  void select();
  /// Select the drive and send `command` for `n` sectors at `lba` (LBA48
  /// when the drive has it); false if the drive stays busy.
  bool start(uint8_t command, uint8_t command_ext, uint64_t lba, uint32_t n);
  /// Wait for the drive to want (or give) the next block; false on an error.
  bool ready_for_data(const char* what, uint64_t lba);
  // Wait until BSY clears; the final status, or 0xFF on timeout.
  uint8_t wait_ready(uint64_t timeout_ns);
  void delay() { for (int i = 0; i < 4; i++) inb(ctl_); }   // ~400 ns

  uint16_t base_, ctl_;
  unsigned drive_;
  bool lba48_ = false;
  unsigned multiple_ = 1;               // sectors per DRQ block
};

void Ata_disk::select()
{
  outb(base_ + REG_DRIVE, static_cast<uint8_t>(0xE0 | (drive_ << 4)));   // LBA mode
  delay();
}

uint8_t Ata_disk::wait_ready(uint64_t timeout_ns)
{
  uint64_t deadline = clock_monotonic_ns() + timeout_ns;
  for (;;) {
    uint8_t s = inb(base_ + REG_STATUS);
    if (!(s & ST_BSY))
      return s;
    if (clock_monotonic_ns() > deadline)
      return 0xFF;
    __asm__ volatile("pause");
  }
}

bool Ata_disk::identify()
{
  outb(ctl_, CTL_NIEN);
  select();
  uint8_t s = inb(base_ + REG_STATUS);
  if (s == 0xFF || s == 0x00)
    return false;                       // nothing there (floating bus, or no drive)
  outb(base_ + REG_COUNT, 0);
  outb(base_ + REG_LBA0, 0);
  outb(base_ + REG_LBA1, 0);
  outb(base_ + REG_LBA2, 0);
  outb(base_ + REG_COMMAND, CMD_IDENTIFY);
  delay();
  if (inb(base_ + REG_STATUS) == 0)
    return false;
  s = wait_ready(IDENTIFY_TIMEOUT_NS);
  if (s == 0xFF || inb(base_ + REG_LBA1) != 0 || inb(base_ + REG_LBA2) != 0)
    return false;                       // timed out, or ATAPI (signature 14h/EBh)
  if ((s & ST_ERR) || !(s & ST_DRQ))
    return false;
  uint16_t id[256];
  insw(base_ + REG_DATA, id, 256);

  // Serial number: 20 ASCII bytes, two per word, high byte first.
  char serial[21];
  for (int i = 0; i < 10; i++) {
    serial[2 * i] = static_cast<char>(id[10 + i] >> 8);
    serial[2 * i + 1] = static_cast<char>(id[10 + i] & 0xFF);
  }
  serial[20] = 0;
  size_t start = 0, end = 20;
  while (start < end && (serial[start] == ' ' || serial[start] == 0))
    start++;
  while (end > start && (serial[end - 1] == ' ' || serial[end - 1] == 0))
    end--;
  name_.assign(serial + start, end - start);
  if (name_.empty())
    name_ = "hd" + std::to_string(unnamed++);

  lba48_ = (id[83] & (1u << 10)) != 0;
  if (lba48_)
    sectors_ = uint64_t(id[100]) | uint64_t(id[101]) << 16 | uint64_t(id[102]) << 32
             | uint64_t(id[103]) << 48;
  else
    sectors_ = uint32_t(id[60]) | uint32_t(id[61]) << 16;

  // The largest READ MULTIPLE block the drive offers (QEMU: 16 sectors).
  unsigned max_multiple = id[47] & 0xFF;
  if (max_multiple > 1) {
    outb(base_ + REG_COUNT, static_cast<uint8_t>(max_multiple));
    outb(base_ + REG_COMMAND, CMD_SET_MULTIPLE);
    s = wait_ready(IDENTIFY_TIMEOUT_NS);
    if (s != 0xFF && !(s & (ST_ERR | ST_DF)))
      multiple_ = max_multiple;
  }
  return sectors_ > 0;
}

bool Ata_disk::start(uint8_t command, uint8_t command_ext, uint64_t lba, uint32_t n)
{
  select();
  if (wait_ready(READ_TIMEOUT_NS) == 0xFF)
    return false;
  if (lba48_) {
    outb(base_ + REG_COUNT, static_cast<uint8_t>(n >> 8));     // high bytes first
    outb(base_ + REG_LBA0, static_cast<uint8_t>(lba >> 24));
    outb(base_ + REG_LBA1, static_cast<uint8_t>(lba >> 32));
    outb(base_ + REG_LBA2, static_cast<uint8_t>(lba >> 40));
    outb(base_ + REG_DRIVE, static_cast<uint8_t>(0x40 | (drive_ << 4)));
  } else {
    outb(base_ + REG_DRIVE, static_cast<uint8_t>(0xE0 | (drive_ << 4) | ((lba >> 24) & 0x0F)));
  }
  outb(base_ + REG_COUNT, static_cast<uint8_t>(n));             // 0 means 256 / 65536
  outb(base_ + REG_LBA0, static_cast<uint8_t>(lba));
  outb(base_ + REG_LBA1, static_cast<uint8_t>(lba >> 8));
  outb(base_ + REG_LBA2, static_cast<uint8_t>(lba >> 16));
  outb(base_ + REG_COMMAND, lba48_ ? command_ext : command);
  return true;
}

bool Ata_disk::ready_for_data(const char* what, uint64_t lba)
{
  delay();
  uint8_t s = wait_ready(READ_TIMEOUT_NS);
  if (s == 0xFF || (s & (ST_ERR | ST_DF)) || !(s & ST_DRQ)) {
    kprintf("     [ ide ] %s: %s error at sector %lu (status 0x%x, error 0x%x)\n",
            name_.c_str(), what, (unsigned long)lba, s, inb(base_ + REG_ERROR));
    return false;
  }
  return true;
}

bool Ata_disk::read_sectors(uint64_t lba, uint32_t count, void* buf)
{
  auto* p = static_cast<uint16_t*>(buf);
  if (lba + count > sectors_)
    return false;
  while (count) {
    uint32_t max = lba48_ ? 65536 : 256;
    uint32_t n = count < max ? count : max;
    if (!start(CMD_READ_MULTIPLE, CMD_READ_MULTIPLE_EXT, lba, n))
      return false;
    for (uint32_t left = n; left;) {
      if (!ready_for_data("read", lba))
        return false;
      uint32_t block = left < multiple_ ? left : multiple_;
      insw(base_ + REG_DATA, p, size_t(block) * 256);
      p += size_t(block) * 256;
      left -= block;
    }
    lba += n, count -= n;
  }
  return true;
}

bool Ata_disk::write_sectors(uint64_t lba, uint32_t count, const void* buf)
{
  auto* p = static_cast<const uint16_t*>(buf);
  if (lba + count > sectors_)
    return false;
  while (count) {
    uint32_t max = lba48_ ? 65536 : 256;
    uint32_t n = count < max ? count : max;
    if (!start(CMD_WRITE_SECTORS, CMD_WRITE_SECTORS_EXT, lba, n))
      return false;
    for (uint32_t left = n; left; left--, p += 256) {
      if (!ready_for_data("write", lba))
        return false;
      outsw(base_ + REG_DATA, p, 256);
    }
    lba += n, count -= n;
  }
  // The last sector's completion, then the drive's cache out to the image.
  delay();
  uint8_t s = wait_ready(READ_TIMEOUT_NS);
  if (s == 0xFF || (s & (ST_ERR | ST_DF)))
    return false;
  outb(base_ + REG_COMMAND, lba48_ ? CMD_FLUSH_CACHE_EXT : CMD_FLUSH_CACHE);
  delay();
  s = wait_ready(READ_TIMEOUT_NS);
  return s != 0xFF && !(s & (ST_ERR | ST_DF));
}

bool match(const pci_device& d)
{
  return d.class_code == 0x01 && d.subclass == 0x01;
}

void probe(pci_device& pci)
{
  for (unsigned channel = 0; channel < 2; channel++) {
    // prog-if bit 0 (primary) / bit 2 (secondary): native mode, ports in BARs.
    bool native = pci.prog_if & (1u << (2 * channel));
    uint16_t base = channel ? 0x170 : 0x1F0, ctl = channel ? 0x376 : 0x3F6;
    if (native) {
      const pci_bar& cmd = pci.bar[2 * channel];
      const pci_bar& alt = pci.bar[2 * channel + 1];
      if (!cmd.addr || !alt.addr || !(cmd.flags & PCI_BAR_IO))
        continue;
      base = static_cast<uint16_t>(cmd.addr);
      ctl = static_cast<uint16_t>(alt.addr + 2);
    }
    for (unsigned drive = 0; drive < 2; drive++) {
      auto disk = std::make_unique<Ata_disk>(base, ctl, channel, drive);
      if (disk->identify())
        add_block_device(std::move(disk));
    }
  }
}

struct Register {
  Register() { register_pci_driver(Pci_driver{"ide", match, probe}); }
} registration;

}  // namespace
