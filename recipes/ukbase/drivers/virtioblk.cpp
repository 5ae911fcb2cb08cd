// virtioblk: virtio-blk over PCI (QEMU -device virtio-blk-pci), virtio 1.x.
//
// One request at a time, synchronous: header, data and status
// descriptors, then a halt until the completion's MSI-X interrupt (see
// wait.hpp). The data buffer is the caller's own memory (everything is
// identity-mapped), so reads land where they are wanted and writes leave
// from where they are, without a copy. A write is followed by a flush
// when the device has a write cache (VIRTIO_BLK_F_FLUSH), so that it is
// on the disk image when it reports; a device that offers
// VIRTIO_BLK_F_RO (QEMU's readonly=on) is not written. The device's name
// is its serial number (VIRTIO_BLK_T_GET_ID).
#include <cstring>

#include "kernel/block.hpp"
#include "kernel/drivers.hpp"
#include "kernel/kprint.h"
#include "kernel/memory.h"
#include "kernel/virtio.hpp"
#include "kernel/wait.hpp"

namespace {

using namespace ukbase;

constexpr uint32_t T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8;
constexpr uint64_t F_RO = 1ull << 5, F_FLUSH = 1ull << 9;
constexpr uint32_t MAX_SECTORS = 2048;             // per request: 1 MiB
constexpr uint64_t TIMEOUT_NS = 10ull * 1000000000;
unsigned unnamed = 0;

struct Request_header {
  uint32_t type;
  uint32_t reserved;
  uint64_t sector;
};

class Virtio_blk final : public Block_device {
 public:
  bool init(pci_device& pci);
  bool init_mmio(uintptr_t base, unsigned gsi);
  bool read_sectors(uint64_t lba, uint32_t count, void* buf) override;
  bool write_sectors(uint64_t lba, uint32_t count, const void* buf) override;

 private:
  /// A request of `type` with `len` bytes of data at `buf` (none: 0),
  /// which the device writes (reads, GET_ID) or reads (writes).
  bool request(uint32_t type, uint64_t sector, void* buf, uint32_t len);
  bool setup();

  bool flush_ = false;
  virtio::Device dev_;
  virtio::Queue q_;
  Request_header* header_ = nullptr;                // in a DMA page of our own
  volatile uint8_t* status_ = nullptr;
};

bool Virtio_blk::init(pci_device& pci)
{
  return dev_.init(pci) && setup();
}

bool Virtio_blk::init_mmio(uintptr_t base, unsigned gsi)
{
  return dev_.init_mmio(base, gsi) && setup();
}

bool Virtio_blk::setup()
{
  uint64_t offered = dev_.device_features();
  if (!dev_.negotiate(offered & (F_RO | F_FLUSH)) || !dev_.config())
    return false;
  read_only_ = (offered & F_RO) != 0;
  flush_ = (offered & F_FLUSH) != 0;
  if (!dev_.setup_queue(q_, 0, 16, 0))
    return false;
  auto* page = static_cast<uint8_t*>(kernel_pages(4096));
  if (!page)
    return false;
  header_ = reinterpret_cast<Request_header*>(page);
  status_ = page + 64;
  int irq = arch_irq_alloc();          // only to wake the halted CPU
  if (irq >= 0)
    dev_.route_vector(0, static_cast<unsigned>(irq));
  dev_.driver_ok();

  volatile uint8_t* cfg = dev_.config();
  uint32_t lo = *reinterpret_cast<volatile uint32_t*>(cfg);
  uint32_t hi = *reinterpret_cast<volatile uint32_t*>(cfg + 4);
  sectors_ = uint64_t(hi) << 32 | lo;

  char id[21] = {};
  if (request(T_GET_ID, 0, id, 20)) {
    size_t n = std::strlen(id);
    while (n && id[n - 1] == ' ')
      n--;
    name_.assign(id, n);
  }
  if (name_.empty())
    name_ = "vblk" + std::to_string(unnamed++);
  description_ = std::string("virtio-blk ") + dev_.location();
  return true;
}

bool Virtio_blk::request(uint32_t type, uint64_t sector, void* buf, uint32_t len)
{
  header_->type = type;
  header_->reserved = 0;
  header_->sector = sector;
  *status_ = 0xFF;
  uint16_t status = len ? 2 : 1;
  q_.desc[0] = virtio::Desc{reinterpret_cast<uintptr_t>(header_), sizeof(Request_header),
                            virtio::DESC_NEXT, 1};
  if (len) {
    uint16_t to_device = type == T_OUT ? 0 : virtio::DESC_WRITE;
    q_.desc[1] = virtio::Desc{reinterpret_cast<uintptr_t>(buf), len,
                              static_cast<uint16_t>(virtio::DESC_NEXT | to_device), 2};
  }
  q_.desc[status] = virtio::Desc{reinterpret_cast<uintptr_t>(status_), 1, virtio::DESC_WRITE, 0};
  q_.publish(0);
  dev_.notify(q_);
  if (!wait_for([&] { return q_.has_used(); }, TIMEOUT_NS)) {
    kprintf("     [ virtio-blk ] %s: request timed out\n", name_.c_str());
    return false;
  }
  uint32_t head, written;
  q_.pop_used(head, written);
  dev_.ack_interrupt();
  return *status_ == 0;
}

bool Virtio_blk::read_sectors(uint64_t lba, uint32_t count, void* buf)
{
  auto* p = static_cast<uint8_t*>(buf);
  if (lba + count > sectors_)
    return false;
  while (count) {
    uint32_t n = count < MAX_SECTORS ? count : MAX_SECTORS;
    if (!request(T_IN, lba, p, n * SECTOR))
      return false;
    lba += n, count -= n, p += size_t(n) * SECTOR;
  }
  return true;
}

bool Virtio_blk::write_sectors(uint64_t lba, uint32_t count, const void* buf)
{
  auto* p = static_cast<uint8_t*>(const_cast<void*>(buf));   // the device only reads it
  if (read_only_ || lba + count > sectors_)
    return false;
  while (count) {
    uint32_t n = count < MAX_SECTORS ? count : MAX_SECTORS;
    if (!request(T_OUT, lba, p, n * SECTOR))
      return false;
    lba += n, count -= n, p += size_t(n) * SECTOR;
  }
  return !flush_ || request(T_FLUSH, 0, nullptr, 0);
}

bool match(const pci_device& d)
{
  return d.vendor == 0x1AF4 && (d.device == 0x1001 || d.device == 0x1042);
}

void probe(pci_device& pci)
{
  auto dev = std::make_unique<Virtio_blk>();
  if (!dev->init(pci)) {
    char at[8];
    pci_location(pci, at);
    kprintf("     [ virtio-blk ] %s: could not be set up (no virtio 1.x interface?)\n", at);
    return;
  }
  add_block_device(std::move(dev));
}

void probe_mmio(uintptr_t base, unsigned gsi)
{
  auto dev = std::make_unique<Virtio_blk>();
  if (!dev->init_mmio(base, gsi)) {
    kprintf("     [ virtio-blk ] mmio %#lx: could not be set up (a legacy transport? QEMU: "
            "-global virtio-mmio.force-legacy=false)\n", static_cast<unsigned long>(base));
    return;
  }
  add_block_device(std::move(dev));
}

struct Register {
  Register()
  {
    register_pci_driver(Pci_driver{"virtioblk", match, probe});
    register_mmio_driver(Mmio_driver{"virtioblk", 2, probe_mmio});
  }
} registration;

}  // namespace
