// The machine's parts, as IncludeOS's hal/machine.hpp: os::machine() holds
// the devices by type.
//
//   #include <hal/machine.hpp>
//   auto& disk = os::machine().get<hw::Block_device>(0);     // the first disk
//   for (auto& d : os::machine().get<hw::Block_device>())    // all of them
//     printf("%s\n", d.get().device_name().c_str());
//   auto nics = os::machine().count<hw::Nic>();
//
// Parts are kept by their exact type (typeid(T)), not by base class:
// the kernel adds its disks as hw::Block_device (virtio-blk, IDE, then
// the memdisk) and its network devices as hw::Nic, in the order it found
// them. A service may add parts of its own (add, add_new); the machine
// then owns them. get<T>() and get<T>(i) throw for a type nothing was
// added as (os::detail::Machine_access_error), get<T>(i) std::out_of_range
// for an index past the end; count<T>() is then 0.
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <sys/types.h>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include <hw/block_device.hpp>
#include <hw/device.hpp>
#include <hw/nic.hpp>

namespace os {

namespace detail {
struct Machine_access_error : public std::runtime_error {
  using std::runtime_error::runtime_error;
};
}  // namespace detail

class Machine {
 public:
  template <class T>
  using Ref = std::reference_wrapper<T>;
  template <class T>
  using Allocator = std::allocator<T>;
  template <class T>
  using Vector = std::vector<Ref<T>, Allocator<Ref<T>>>;

  /// "PC"
  const char* name() noexcept;
  /// "x86_64-pc"
  const char* id() noexcept;
  /// "x86_64"
  const char* arch() noexcept;

  /// Nothing to do: the kernel sets the machine up before the service.
  void init() noexcept {}
  /// Power off now (without Service::stop(); os::shutdown() is the way
  /// out that runs it).
  [[noreturn]] void poweroff() noexcept;
  /// There is no reboot on ukbase: this powers off too.
  [[noreturn]] void reboot() noexcept;

  /// Add a part; the machine owns it. Its index among the parts of type
  /// T, or -1 when there was no memory for it.
  template <class T>
  ssize_t add(std::unique_ptr<T> part) noexcept
  {
    try {
      T* p = part.get();
      ssize_t i = add_part(typeid(T), p, &destroy<T>, &describe<T>);
      part.release();
      return i;
    } catch (...) {
      return -1;
    }
  }

  template <class T, class... Args>
  ssize_t add_new(Args&&... args)
  {
    return add<T>(std::make_unique<T>(std::forward<Args>(args)...));
  }

  /// All parts of type T.
  template <class T>
  Vector<T> get()
  {
    const std::vector<void*>& all = parts(typeid(T));
    Vector<T> out;
    out.reserve(all.size());
    for (void* p : all)
      out.emplace_back(*static_cast<T*>(p));
    return out;
  }

  /// The i-th part of type T.
  template <class T>
  T& get(int i)
  {
    return *static_cast<T*>(parts(typeid(T)).at(static_cast<size_t>(i)));
  }

  /// Remove (and, if the machine owns it, delete) the i-th part of type T.
  template <class T>
  void remove(int i)
  {
    remove_part(typeid(T), i);
  }

  /// How many parts of type T there are (0 if none was ever added).
  template <class T>
  ssize_t count()
  {
    return count_parts(typeid(T));
  }

  /// deactivate() every device.
  void deactivate_devices();
  /// "[ Machine ] Listing registered devices", then one line per device.
  void print_devices() const;

  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  /// How a part is deleted (nullptr: the kernel's own) and described.
  using Destroy = void (*)(void*);
  using Describe = std::string (*)(void*);

 private:
  Machine() = default;
  friend Machine& machine() noexcept;

  template <class T>
  static void destroy(void* p)
  {
    delete static_cast<T*>(p);
  }
  template <class T>
  static std::string describe(void* p)
  {
    if constexpr (std::is_base_of<hw::Device, T>::value)
      return static_cast<T*>(p)->to_string();
    else
      return typeid(T).name();
  }

  ssize_t add_part(const std::type_info& type, void* part, Destroy destroy, Describe describe);
  const std::vector<void*>& parts(const std::type_info& type);
  ssize_t count_parts(const std::type_info& type);
  void remove_part(const std::type_info& type, int i);
};

/// The machine the service runs on.
Machine& machine() noexcept;

}  // namespace os
