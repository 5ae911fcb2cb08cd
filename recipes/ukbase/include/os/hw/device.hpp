// A device as IncludeOS's HAL sees one (hw/device.hpp): what every block
// device and network device answers. os::Machine lists them.
#pragma once

#include <string>

namespace hw {

class Device {
 public:
  enum class Type { Block, Nic, Timer, Serial, Pmem, Fs };

  virtual ~Device() = default;

  virtual Type device_type() const noexcept = 0;
  /// "vblk0", "ide0", "memdisk2", "eth0"
  virtual std::string device_name() const = 0;
  /// "VirtioBlk", "IDE Controller", "MemDisk", "virtio-net"
  virtual const char* driver_name() const noexcept = 0;
  /// "vblk0 (VirtioBlk)": one line for Machine::print_devices().
  virtual std::string to_string() const
  {
    return device_name() + " (" + driver_name() + ")";
  }
  /// Stop using the hardware (before a reboot or power-off).
  virtual void deactivate() = 0;
  /// Push out what is queued.
  virtual void flush() {}

  /// "Block device", "Network device", ...
  static const char* to_string(Type t) noexcept
  {
    switch (t) {
    case Type::Block: return "Block device";
    case Type::Nic: return "Network device";
    case Type::Timer: return "Timer";
    case Type::Serial: return "Serial port";
    case Type::Pmem: return "Persistent memory";
    case Type::Fs: return "File system device";
    }
    return "Unknown device";
  }
};

}  // namespace hw
