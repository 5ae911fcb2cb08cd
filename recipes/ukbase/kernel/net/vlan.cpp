// IEEE 802.1Q VLANs: an interface (eth0.2) over a physical one, whose
// frames carry the VLAN's tag on the wire.
//
// A VLAN's NIC lends the parent's transmit buffers, four bytes in: the
// stack writes an untagged frame there, and transmit() moves the two MAC
// addresses four bytes forward and puts the tag between them and the
// EtherType, so that the payload is never copied. On the way in the
// parent hands a tagged frame to the VLAN of its id with the tag taken
// out the same way, in place.
#include <cstdio>

#include "stack.hpp"

namespace ukbase::net {

namespace {

class Vlan_nic final : public Nic {
 public:
  Vlan_nic(Nic& parent, uint16_t id) : parent_(parent), id_(id)
  {
    std::memcpy(mac, parent.mac, 6);
    description = "802.1Q VLAN " + std::to_string(id) + " of " + parent.description;
  }

  uint8_t* tx_buffer() override
  {
    uint8_t* frame = parent_.tx_buffer();
    return frame ? frame + VLAN_TAG : nullptr;
  }

  void transmit(uint8_t* frame, size_t len) override
  {
    uint8_t* tagged = frame - VLAN_TAG;
    std::memmove(tagged, frame, 12);              // destination and source MAC
    put16(tagged + 12, ETH_VLAN);
    put16(tagged + 14, id_);                      // priority 0, DEI 0, the VLAN id
    parent_.transmit(tagged, len + VLAN_TAG);
  }

  bool tx_pending() override { return parent_.tx_pending(); }

 private:
  Nic& parent_;
  uint16_t id_;
};

}  // namespace

Interface* add_vlan(Interface& parent, uint16_t id)
{
  if (parent.parent || id == 0 || id >= 4095)
    return nullptr;                               // no VLANs in VLANs; ids 1..4094
  for (Interface* v : parent.vlans)
    if (v->vlan == id)
      return v;
  auto& all = all_interfaces();
  Nic* nic = new Vlan_nic(*parent.nic, id);       // lives as long as the kernel
  all.push_back(std::make_unique<Interface>(nic, static_cast<unsigned>(all.size())));
  Interface* v = all.back().get();
  nic->iface = v;
  v->vlan = id;
  v->parent = &parent;
  v->name = parent.name + "." + std::to_string(id);
  parent.vlans.push_back(v);
  return v;
}

Interface* vlan_of(const Interface& parent, uint16_t id)
{
  for (Interface* v : parent.vlans)
    if (v->vlan == id)
      return v;
  return nullptr;
}

void Interface::vlan_receive(uint8_t* f, size_t len)
{
  if (len < ETH_HDR + Nic::VLAN_TAG) {
    rx_dropped++;
    return;
  }
  Interface* v = vlan_of(*this, get16(f + 14) & 0x0FFF);
  if (!v) {
    rx_dropped++;                                 // a VLAN we are not on
    return;
  }
  std::memmove(f + Nic::VLAN_TAG, f, 12);
  v->receive(f + Nic::VLAN_TAG, len - Nic::VLAN_TAG);
}

}  // namespace ukbase::net
