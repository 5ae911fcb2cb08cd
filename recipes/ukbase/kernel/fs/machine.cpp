// os::machine(): the machine's parts by type, with the kernel's block
// devices and network devices in it, and the older hw::Devices.
#include <algorithm>
#include <cstdio>
#include <map>
#include <typeindex>

#include <hal/machine.hpp>
#include <hw/devices.hpp>
#include <info>
#include <net/interfaces.hpp>

#include "kernel/arch.h"
#include "kernel/block.hpp"
#include "kernel/inet.hpp"

namespace os {

namespace {

struct Part {
  void* object;
  Machine::Destroy destroy;     // null: the kernel's own
  Machine::Describe describe;
};

struct Parts {
  std::map<std::type_index, std::vector<Part>> by_type;
  std::map<std::type_index, std::vector<void*>> views;    // what get() walks
  size_t kernel_disks = 0, kernel_nics = 0;
};

Parts& parts_of()
{
  static auto* p = new Parts;
  return *p;
}

void rebuild_view(Parts& p, const std::type_index& t)
{
  auto& view = p.views[t];
  view.clear();
  for (auto& part : p.by_type[t])
    view.push_back(part.object);
}

std::string describe_disk(void* p) { return static_cast<hw::Block_device*>(p)->to_string(); }
std::string describe_nic(void* p) { return static_cast<hw::Nic*>(p)->to_string(); }

// The devices the kernel found since the last look: disks in the order
// they were found (the memdisk last), network devices as eth0, eth1, ...
// Kept in front of parts a service added, in that order.
void sync_kernel_parts()
{
  Parts& p = parts_of();
  const auto& disks = ukbase::block_devices();
  if (disks.size() > p.kernel_disks) {
    std::type_index t(typeid(hw::Block_device));
    auto& v = p.by_type[t];
    std::vector<Part> found;
    for (size_t i = p.kernel_disks; i < disks.size(); i++)
      found.push_back(Part{disks[i].dev, nullptr, &describe_disk});
    v.insert(v.begin() + static_cast<std::ptrdiff_t>(p.kernel_disks), found.begin(), found.end());
    p.kernel_disks = disks.size();
    rebuild_view(p, t);
  }
  size_t nics = ukbase::net::interface_count();
  if (nics > p.kernel_nics) {
    std::type_index t(typeid(hw::Nic));
    auto& v = p.by_type[t];
    std::vector<Part> found;
    for (size_t i = p.kernel_nics; i < nics; i++)
      found.push_back(Part{&net::Interfaces::get_nic(static_cast<int>(i)), nullptr, &describe_nic});
    v.insert(v.begin() + static_cast<std::ptrdiff_t>(p.kernel_nics), found.begin(), found.end());
    p.kernel_nics = nics;
    rebuild_view(p, t);
  }
}

}  // namespace

Machine& machine() noexcept
{
  static auto* m = new Machine;
  return *m;
}

const char* Machine::name() noexcept { return "PC"; }
const char* Machine::id() noexcept { return "x86_64-pc"; }
const char* Machine::arch() noexcept { return "x86_64"; }

void Machine::poweroff() noexcept
{
  std::fflush(nullptr);
  arch_poweroff();
}

void Machine::reboot() noexcept
{
  poweroff();
}

ssize_t Machine::add_part(const std::type_info& type, void* part, Destroy destroy, Describe describe)
{
  sync_kernel_parts();
  Parts& p = parts_of();
  std::type_index t(type);
  auto& v = p.by_type[t];
  v.push_back(Part{part, destroy, describe});
  rebuild_view(p, t);
  return static_cast<ssize_t>(v.size() - 1);
}

const std::vector<void*>& Machine::parts(const std::type_info& type)
{
  sync_kernel_parts();
  Parts& p = parts_of();
  auto it = p.views.find(std::type_index(type));
  if (it == p.views.end())
    throw detail::Machine_access_error("Requested machine parts not found");
  return it->second;
}

ssize_t Machine::count_parts(const std::type_info& type)
{
  sync_kernel_parts();
  Parts& p = parts_of();
  auto it = p.views.find(std::type_index(type));
  return it == p.views.end() ? 0 : static_cast<ssize_t>(it->second.size());
}

void Machine::remove_part(const std::type_info& type, int i)
{
  sync_kernel_parts();
  Parts& p = parts_of();
  std::type_index t(type);
  auto it = p.by_type.find(t);
  if (it == p.by_type.end() || i < 0 || static_cast<size_t>(i) >= it->second.size())
    throw std::out_of_range("No machine part " + std::to_string(i) + " of that type");
  Part part = it->second[static_cast<size_t>(i)];
  if (!part.destroy)
    throw std::runtime_error("The kernel's own devices cannot be removed");
  it->second.erase(it->second.begin() + i);
  rebuild_view(p, t);
  part.destroy(part.object);
}

void Machine::deactivate_devices()
{
  sync_kernel_parts();
  for (auto& [type, list] : parts_of().by_type) {
    if (type == std::type_index(typeid(hw::Block_device)))
      for (auto& part : list)
        static_cast<hw::Block_device*>(part.object)->deactivate();
    else if (type == std::type_index(typeid(hw::Nic)))
      for (auto& part : list)
        static_cast<hw::Nic*>(part.object)->deactivate();
  }
}

void Machine::print_devices() const
{
  sync_kernel_parts();
  INFO("Machine", "Listing registered devices");
  for (auto& [type, list] : parts_of().by_type) {
    if (list.empty())
      continue;
    INFO2("|");
    INFO2("+--+ %s", type == std::type_index(typeid(hw::Block_device)) ? "Block devices"
                     : type == std::type_index(typeid(hw::Nic))      ? "Network devices"
                                                                     : type.name());
    for (auto& part : list)
      INFO2("|  +--+ %s", part.describe(part.object).c_str());
  }
  INFO2("|");
  INFO2("o");
}

}  // namespace os

namespace hw {

int Devices::nic_index(const MAC::Addr& mac)
{
  return net::Interfaces::get_nic_index(mac);
}

void Devices::flush_all()
{
  if (os::machine().count<Block_device>())
    for (auto& d : os::machine().get<Block_device>())
      d.get().flush();
  if (os::machine().count<Nic>())
    for (auto& n : os::machine().get<Nic>())
      n.get().flush();
}

}  // namespace hw
