// ARP (RFC 826) for IPv4 over Ethernet: answer requests for our address,
// resolve next hops with a small cache, hold frames while resolving.
#include <timers>

#include "kernel/clock.h"
#include "stack.hpp"

namespace ukbase::net {

namespace {

constexpr size_t ARP_LEN = 28;
constexpr uint16_t OP_REQUEST = 1, OP_REPLY = 2;
constexpr size_t CACHE_SIZE = 64;
constexpr uint64_t ENTRY_LIFETIME_NS = 300ull * 1000000000;   // 5 minutes
constexpr int MAX_TRIES = 3;
constexpr size_t MAX_WAITING = 64;          // frames per next hop (a 64 KiB datagram is 45)

void write_arp(uint8_t* a, uint16_t op, const uint8_t* sha, uint32_t spa,
               const uint8_t* tha, uint32_t tpa)
{
  put16(a, 1);                      // Ethernet
  put16(a + 2, ETH_IPV4);
  a[4] = 6;
  a[5] = 4;
  put16(a + 6, op);
  std::memcpy(a + 8, sha, 6);
  put32(a + 14, spa);
  std::memcpy(a + 18, tha, 6);
  put32(a + 24, tpa);
}

}  // namespace

const uint8_t* Interface::arp_lookup(uint32_t ip)
{
  if (arp_last_ < arp_cache_.size() && arp_cache_[arp_last_].ip == ip)
    return arp_cache_[arp_last_].mac;
  for (size_t i = 0; i < arp_cache_.size(); i++) {
    if (arp_cache_[i].ip != ip)
      continue;
    if (arp_cache_[i].expires < clock_monotonic_ns())
      return nullptr;               // stale: ask again (the entry is refreshed)
    arp_last_ = i;
    return arp_cache_[i].mac;
  }
  return nullptr;
}

void Interface::arp_learn(uint32_t ip, const uint8_t* mac)
{
  uint64_t expires = clock_monotonic_ns() + ENTRY_LIFETIME_NS;
  if (arp_last_ < arp_cache_.size() && arp_cache_[arp_last_].ip == ip) {
    std::memcpy(arp_cache_[arp_last_].mac, mac, 6);
    arp_cache_[arp_last_].expires = expires;
  } else {
    Arp_entry* slot = nullptr;
    for (auto& e : arp_cache_)
      if (e.ip == ip)
        slot = &e;
    if (!slot && arp_cache_.size() < CACHE_SIZE) {
      arp_cache_.push_back(Arp_entry{ip, {}, 0});
      slot = &arp_cache_.back();
    }
    if (!slot) {                    // full: replace the entry closest to expiry
      slot = &arp_cache_[0];
      for (auto& e : arp_cache_)
        if (e.expires < slot->expires)
          slot = &e;
      slot->ip = ip;
    }
    std::memcpy(slot->mac, mac, 6);
    slot->expires = expires;
  }
  // Frames waiting for this address can go now.
  for (size_t i = 0; i < arp_pending_.size(); i++) {
    if (arp_pending_[i].ip != ip)
      continue;
    auto frames = std::move(arp_pending_[i].frames);
    arp_pending_.erase(arp_pending_.begin() + static_cast<long>(i));
    for (auto& f : frames) {
      uint8_t* out = nic->tx_buffer();
      if (!out) {
        tx_dropped++;
        continue;
      }
      std::memcpy(out, f.data(), f.size());
      std::memcpy(out, mac, 6);
      nic->transmit(out, f.size());
      tx_packets++;
    }
    break;
  }
}

void Interface::arp_receive(const uint8_t* f, size_t len)
{
  if (len < ETH_HDR + ARP_LEN) {
    rx_dropped++;
    return;
  }
  const uint8_t* a = f + ETH_HDR;
  if (get16(a) != 1 || get16(a + 2) != ETH_IPV4 || a[4] != 6 || a[5] != 4) {
    rx_dropped++;
    return;
  }
  uint16_t op = get16(a + 6);
  const uint8_t* sha = a + 8;
  uint32_t spa = get32(a + 14), tpa = get32(a + 24);
  bool for_us = tpa == address;
  // RFC 826: update a known sender; add it when the packet is for us.
  bool known = false;
  for (auto& e : arp_cache_)
    known = known || e.ip == spa;
  if (spa && (known || for_us))
    arp_learn(spa, sha);
  // Proxy ARP (RFC 1027) answers askers on this subnet only: another
  // interface sharing the segment (routing to the same address through
  // us) would pass a packet back and forth until its TTL ran out.
  bool proxied = !for_us && op == OP_REQUEST && proxy_arp && tpa && tpa != spa
                 && !on_link(tpa) && on_link(spa) && proxy_arp(tpa);
  if (op == OP_REQUEST && (for_us || proxied)) {
    uint8_t* out = begin_frame(sha, ETH_ARP);
    if (!out)
      return;
    write_arp(out + ETH_HDR, OP_REPLY, nic->mac, tpa, sha, spa);
    std::memset(out + ETH_HDR + ARP_LEN, 0, 60 - ETH_HDR - ARP_LEN);   // minimum frame
    nic->transmit(out, 60);
    tx_packets++;
  }
}

void Interface::arp_announce()
{
  arp_request(address);             // sender and target: our own address
}

void Interface::arp_request(uint32_t ip)
{
  uint8_t* out = begin_frame(BROADCAST_MAC, ETH_ARP);
  if (!out)
    return;
  static const uint8_t unknown[6] = {};
  write_arp(out + ETH_HDR, OP_REQUEST, nic->mac, address, unknown, ip);
  std::memset(out + ETH_HDR + ARP_LEN, 0, 60 - ETH_HDR - ARP_LEN);
  nic->transmit(out, 60);
  tx_packets++;
}

void Interface::arp_queue(uint32_t hop, std::vector<uint8_t> frame)
{
  for (auto& p : arp_pending_) {
    if (p.ip != hop)
      continue;
    if (p.frames.size() >= MAX_WAITING) {
      p.frames.pop_front();         // keep the newest
      tx_dropped++;
    }
    p.frames.push_back(std::move(frame));
    return;
  }
  arp_pending_.push_back(Arp_pending{hop, 1, {}});
  arp_pending_.back().frames.push_back(std::move(frame));
  arp_request(hop);
  Timers::oneshot(std::chrono::seconds(1), [this, hop](Timers::id_t) { arp_retry(hop); });
}

void Interface::arp_retry(uint32_t ip)
{
  for (size_t i = 0; i < arp_pending_.size(); i++) {
    Arp_pending& p = arp_pending_[i];
    if (p.ip != ip)
      continue;
    if (p.tries >= MAX_TRIES) {
      tx_dropped += p.frames.size();
      arp_pending_.erase(arp_pending_.begin() + static_cast<long>(i));
      return;
    }
    p.tries++;
    arp_request(ip);
    Timers::oneshot(std::chrono::seconds(1), [this, ip](Timers::id_t) { arp_retry(ip); });
    return;
  }
}

}  // namespace ukbase::net
