// virtionet: virtio-net over PCI (QEMU -device virtio-net-pci), virtio 1.x.
//
// Receive queue 0: every descriptor is one 2 KiB buffer, posted once and
// reposted as soon as the stack is done with the frame in it (no copy).
// Its completions raise an MSI-X vector; the event loop then runs
// receive_all(), which hands each frame to the stack and so to the
// service's callback. Transmit queue 1: no interrupts; used buffers are
// taken back when the next one is needed. Notifications to the device
// are held back during a receive burst and sent once at its end.
#include <os>

#include "kernel/drivers.hpp"
#include "kernel/kprint.h"
#include "kernel/memory.h"
#include "kernel/netstack.hpp"
#include "kernel/virtio.hpp"

#include <cstdio>
#include <vector>

namespace {

using namespace ukbase;

constexpr uint64_t F_MAC = 1ull << 5;
constexpr size_t HDR = 12;               // struct virtio_net_hdr, virtio 1.x size
constexpr size_t BUF = 2048;             // header + a 1514-byte frame
constexpr uint16_t QUEUE_MAX = 256;
constexpr uint16_t RX = 0, TX = 1;

class Virtio_net final : public net::Nic {
 public:
  bool init(pci_device& pci);
  bool init_mmio(uintptr_t base, unsigned gsi);
  uint8_t* tx_buffer() override;
  void transmit(uint8_t* frame, size_t len) override;
  bool tx_pending() override;

 private:
  bool setup(unsigned fallback_id);
  void receive_all();
  void reclaim_tx();
  void kick_tx();

  virtio::Device dev_;
  virtio::Queue rx_, tx_;
  uint8_t* rx_bufs_ = nullptr;
  uint8_t* tx_bufs_ = nullptr;
  std::vector<uint16_t> tx_free_;
  bool in_rx_ = false, tx_kick_ = false;
};

bool Virtio_net::init(pci_device& pci)
{
  return dev_.init(pci) && setup(pci.dev);
}

bool Virtio_net::init_mmio(uintptr_t base, unsigned gsi)
{
  return dev_.init_mmio(base, gsi) && setup(static_cast<unsigned>(base >> 9));
}

bool Virtio_net::setup(unsigned fallback_id)
{
  uint64_t features = dev_.device_features();
  if (!dev_.negotiate(F_MAC))
    return false;
  if ((features & F_MAC) && dev_.config()) {
    for (int i = 0; i < 6; i++)
      mac[i] = dev_.config()[i];
  } else {                               // a locally administered address
    static const uint8_t fallback[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
    std::copy(fallback, fallback + 6, mac);
    mac[5] = static_cast<uint8_t>(fallback_id);
  }
  if (!dev_.setup_queue(rx_, RX, QUEUE_MAX, 0) || !dev_.setup_queue(tx_, TX, QUEUE_MAX, virtio::NO_VECTOR))
    return false;
  tx_.suppress_interrupts();

  rx_bufs_ = static_cast<uint8_t*>(kernel_pages(size_t(rx_.size) * BUF));
  tx_bufs_ = static_cast<uint8_t*>(kernel_pages(size_t(tx_.size) * BUF));
  if (!rx_bufs_ || !tx_bufs_)
    return false;
  for (uint16_t i = 0; i < rx_.size; i++) {
    rx_.desc[i] = virtio::Desc{reinterpret_cast<uintptr_t>(rx_bufs_ + size_t(i) * BUF),
                               static_cast<uint32_t>(BUF), virtio::DESC_WRITE, 0};
    rx_.publish(i);
  }
  for (uint16_t i = 0; i < tx_.size; i++) {
    tx_.desc[i] = virtio::Desc{reinterpret_cast<uintptr_t>(tx_bufs_ + size_t(i) * BUF), 0, 0, 0};
    tx_free_.push_back(static_cast<uint16_t>(tx_.size - 1 - i));
  }

  int irq = arch_irq_alloc();
  if (irq >= 0 && dev_.route_vector(0, static_cast<unsigned>(irq))) {
    Events::subscribe(static_cast<uint8_t>(irq), [this] {
      dev_.ack_interrupt();             // first: what comes after raises the line again
      receive_all();
    });
  } else {
    // No interrupt to be had: look at the ring every millisecond instead.
    Timers::periodic(std::chrono::milliseconds(1), [this](Timers::id_t) {
      dev_.ack_interrupt();
      receive_all();
    });
  }
  dev_.driver_ok();
  dev_.notify(rx_);
  description = std::string("virtio-net ") + dev_.location();
  return true;
}

void Virtio_net::receive_all()
{
  in_rx_ = true;
  bool reposted = false;
  uint32_t id, len;
  while (rx_.pop_used(id, len)) {
    if (id < rx_.size && len > HDR && len <= BUF)
      deliver(rx_bufs_ + size_t(id) * BUF + HDR, len - HDR);
    rx_.publish(static_cast<uint16_t>(id));       // the service is done with it
    reposted = true;
  }
  in_rx_ = false;
  if (reposted && rx_.needs_notify())
    dev_.notify(rx_);
  if (tx_kick_)
    kick_tx();
}

/// Take back the transmit buffers the device has sent.
void Virtio_net::reclaim_tx()
{
  uint32_t id, len;
  while (tx_.pop_used(id, len))
    if (id < tx_.size)
      tx_free_.push_back(static_cast<uint16_t>(id));
}

uint8_t* Virtio_net::tx_buffer()
{
  reclaim_tx();
  if (tx_free_.empty()) {
    // The device may be waiting for the kick held back in a burst.
    if (tx_kick_)
      kick_tx();
    return nullptr;                      // the stack counts the drop
  }
  uint16_t i = tx_free_.back();
  tx_free_.pop_back();
  return tx_bufs_ + size_t(i) * BUF + HDR;
}

void Virtio_net::transmit(uint8_t* frame, size_t len)
{
  size_t i = static_cast<size_t>(frame - HDR - tx_bufs_) / BUF;
  tx_.desc[i].len = static_cast<uint32_t>(HDR + len);
  tx_.publish(static_cast<uint16_t>(i));
  if (in_rx_)
    tx_kick_ = true;
  else
    kick_tx();
}

bool Virtio_net::tx_pending()
{
  reclaim_tx();
  if (tx_kick_)
    kick_tx();
  return tx_free_.size() < tx_.size;
}

void Virtio_net::kick_tx()
{
  tx_kick_ = false;
  if (tx_.needs_notify())
    dev_.notify(tx_);
}

bool match(const pci_device& d)
{
  return d.vendor == 0x1AF4 && (d.device == 0x1000 || d.device == 0x1041);
}

void probe(pci_device& pci)
{
  auto nic = std::make_unique<Virtio_net>();
  char at[8];
  pci_location(pci, at);
  if (!nic->init(pci)) {
    kprintf("     [ virtio-net ] %s: could not be set up (no virtio 1.x interface?)\n", at);
    return;
  }
  net::add_nic(std::move(nic));
}

void probe_mmio(uintptr_t base, unsigned gsi)
{
  auto nic = std::make_unique<Virtio_net>();
  if (!nic->init_mmio(base, gsi)) {
    kprintf("     [ virtio-net ] mmio %#lx: could not be set up (a legacy transport? QEMU: "
            "-global virtio-mmio.force-legacy=false)\n", static_cast<unsigned long>(base));
    return;
  }
  net::add_nic(std::move(nic));
}

struct Register {
  Register()
  {
    register_pci_driver(Pci_driver{"virtionet", match, probe});
    register_mmio_driver(Mmio_driver{"virtionet", 1, probe_mmio});
  }
} registration;

}  // namespace
