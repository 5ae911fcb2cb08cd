// The older device registry, IncludeOS's hw/devices.hpp (services written
// before os::machine() use it): the N-th disk and network device, over
// os::machine().
//
//   auto& disk = hw::Devices::drive(0);     // os::machine().get<hw::Block_device>(0)
//   auto& nic = hw::Devices::nic(0);
#pragma once

#include <stdexcept>
#include <string>
#include <typeinfo>

#include <hal/machine.hpp>
#include <hw/block_device.hpp>
#include <hw/mac_addr.hpp>
#include <hw/nic.hpp>

namespace hw {

/// "Device of type <type> not found at position #<n>"
class Device_not_found : public std::out_of_range {
 public:
  Device_not_found(const std::string& type, int n)
      : std::out_of_range("Device of type " + type + " not found at position #" + std::to_string(n))
  {
  }
};

class Devices {
 public:
  /// The N-th part of type T; throws Device_not_found.
  template <typename T>
  static T& get(const int N)
  {
    try {
      return os::machine().get<T>(N);
    } catch (const std::exception&) {
      throw Device_not_found(type_name<T>(), N);
    }
  }

  static Block_device& drive(const int N) { return get<Block_device>(N); }
  static Nic& nic(const int N) { return get<Nic>(N); }

  /// The index of the network device with this address, -1 if none.
  static int nic_index(const MAC::Addr& mac);

  template <typename T>
  static void register_device(std::unique_ptr<T> dev)
  {
    os::machine().add<T>(std::move(dev));
  }

  static void print_devices() { os::machine().print_devices(); }
  /// flush() every device.
  static void flush_all();
  static void deactivate_all() { os::machine().deactivate_devices(); }

 private:
  template <typename T>
  static std::string type_name()
  {
    if constexpr (std::is_same<T, Block_device>::value)
      return "Block device";
    else if constexpr (std::is_same<T, Nic>::value)
      return "Network device";
    else
      return typeid(T).name();
  }
};

}  // namespace hw
