// The virtual file system tree (IncludeOS's fs/vfs.hpp): any object, a
// file system, a folder of one, or a disk, mounted at a path.
//
//   int counter = 0;
//   fs::mount("/proc/counter", counter, "A counter");          // folders made as needed
//   fs::get<int>("/proc/counter")++;                            // the object itself
//   fs::mount("/etc", disk->fs().stat("/config"), "Config");    // a folder of a disk
//   fs::mount({"dev", dev.device_name()}, dev, "A disk");       // a hw::Block_device: a Disk_ptr
//   fs::VFS::mount({"/mnt/pics"}, disk->device_id(), {"/pictures"}, "Pictures", cb);
//   auto ent = fs::stat_sync("/etc/ip4/config.txt");            // walks into the mount
//   fs::print_tree();
//
// This is the tree the POSIX file calls see: what is mounted here (a
// Dirent, a File_system, an fs::Disk or Disk_ptr with a file system) can
// be opened, stat()ed and listed through its path with open(), fopen(),
// std::ifstream, opendir(), stat(), ... Other objects show up there as
// names that cannot be opened.
//
// The kernel's own mount points (/memdisk, /disk/<name>, /dev/random,
// /dev/urandom) are in the tree too, but root().child_count() and
// print_tree() leave them out, so that the tree looks as the service
// (and config.json's "vfs" part, and the "vfs" plugin, which shows
// /dev/random and /dev/urandom) built it, as on IncludeOS.
//
// Objects are borrowed (they must outlive the mount), except Dirents,
// which are copied, and block devices, for which a Disk is made.
#pragma once

#include <cstddef>
#include <cstdio>
#include <iostream>     // IncludeOS's brings it along; services print with std::cout
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include <delegate>
#include <fs/common.hpp>
#include <fs/dirent.hpp>
#include <fs/disk.hpp>
#include <fs/filesystem.hpp>
#include <fs/path.hpp>
#include <hw/block_device.hpp>

namespace fs {

struct VFS_err : public std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct Err_bad_cast : public VFS_err {
  using VFS_err::VFS_err;
};
struct Err_not_leaf : public VFS_err {
  using VFS_err::VFS_err;
};
struct Err_not_parent : public VFS_err {
  using VFS_err::VFS_err;
};
struct Err_not_found : public VFS_err {
  using VFS_err::VFS_err;
};
struct Err_mountpoint_invalid : public VFS_err {
  using VFS_err::VFS_err;
};

/// "int", "fs::Dirent": a type's name, demangled; cut to `max_chars`
/// (with "..") when that is not 0.
std::string demangled_name(const std::type_info& type, size_t max_chars = 0);

/// A node of the tree: a folder (no object) or a mounted object, with
/// children either way.
class VFS_entry {
 public:
  /// Holds `obj` (borrowed).
  template <typename T>
  VFS_entry(T& obj, const std::string& name, const std::string& desc)
      : obj_(const_cast<void*>(static_cast<const void*>(std::addressof(obj)))), type_(&typeid(T)),
        is_const_(std::is_const<T>::value), name_(name), desc_(desc)
  {
  }
  /// A folder.
  VFS_entry(std::string name, std::string desc);

  VFS_entry(const VFS_entry&) = delete;
  VFS_entry& operator=(const VFS_entry&) = delete;
  virtual ~VFS_entry();

  virtual std::string name() const { return name_; }
  virtual std::string desc() const { return desc_; }

  /// The object's type (typeid(std::nullptr_t) for a folder).
  const std::type_info& type() const noexcept { return *type_; }
  std::string type_name(size_t max_chars = 0) const { return demangled_name(*type_, max_chars); }
  /// It holds an object.
  bool is_leaf() const noexcept { return obj_ != nullptr; }

  /// The object, as exactly the type it was mounted as (a base class
  /// will not do): Err_not_leaf for a folder, Err_bad_cast for another
  /// type, or for a const object asked for as non-const.
  template <typename T>
  T& obj() const
  {
    if (!obj_)
      throw Err_not_leaf(name_ + " does not hold an object ");
    if (typeid(T) != *type_)
      throw Err_bad_cast(name_ + " is not of type " + demangled_name(typeid(T)));
    if (is_const_ && !std::is_const<T>::value)
      throw Err_bad_cast(name_ + " must be retrieved as const " + type_name());
    return *static_cast<T*>(obj_);
  }
  template <typename T>
  operator T&()
  {
    return obj<T>();
  }

  /// "-- name (type)", then the children below, indented.
  void print_tree(std::string tabs = "") const;
  /// Children shown in the tree (see above).
  int child_count() const;

  /// Follow `path` down from here, taking the names it finds off its
  /// front. With `create`, missing names become folders. Without it, a
  /// missing name gives nullptr, or with `partial` the deepest entry
  /// found (`path` then holds the rest).
  template <bool create = false>
  VFS_entry* walk(Path& path, bool partial = false)
  {
    return walk_path(path, partial, create);
  }

  /// The child called `name`, or nullptr.
  VFS_entry* child(const std::string& name) const;
  /// Add a child; Err_mountpoint_invalid if the name is taken.
  VFS_entry& insert(std::unique_ptr<VFS_entry> child);
  /// Remove the child called `name` (and what is below it); false if none.
  bool remove(const std::string& name);
  const std::vector<std::unique_ptr<VFS_entry>>& children() const noexcept { return children_; }

  /// ukbase: an entry the kernel made (shown only with shown children).
  bool builtin() const noexcept { return builtin_; }
  void set_builtin(bool b) noexcept { builtin_ = b; }
  bool shown() const;
  /// ukbase: something the entry keeps alive (a copied Dirent, a Disk).
  void keep(std::shared_ptr<void> p) { keep_ = std::move(p); }

 private:
  VFS_entry* walk_path(Path& path, bool partial, bool create);

  void* obj_ = nullptr;
  const std::type_info* type_;
  bool is_const_ = false;
  bool builtin_ = false;
  std::string name_, desc_;
  std::vector<std::unique_ptr<VFS_entry>> children_;
  std::shared_ptr<void> keep_;
};

struct VFS {
  using Disk_id = int;
  using on_mount_delg = delegate<void(fs::error_t)>;
  using insert_dirent_delg = delegate<void(fs::error_t, Dirent&)>;

  /// Mount `obj` at `path`: its last name is the new entry's. The folders
  /// above are made if `create_path` (else Err_mountpoint_invalid
  /// "<name> doesn't exist"); a name that is taken gives
  /// Err_mountpoint_invalid "Mount point <name> occupied". A Dirent is
  /// copied; a hw::Block_device becomes a Disk_ptr (insert_disk()).
  template <bool create_path = true, typename T>
  static void mount(Path path, T& obj, std::string desc)
  {
    using U = std::remove_const_t<T>;
    if constexpr (std::is_same<U, hw::Block_device>::value) {
      mount_disk(std::move(path), const_cast<U&>(obj), std::move(desc), create_path);
    } else if constexpr (std::is_same<U, Dirent>::value) {
      auto copy = std::make_shared<U>(obj);
      auto entry = std::make_unique<VFS_entry>(static_cast<T&>(*copy), leaf_of(path), desc);
      entry->keep(copy);
      insert_entry(std::move(path), std::move(entry), create_path);
    } else {
      auto entry = std::make_unique<VFS_entry>(obj, leaf_of(path), desc);
      insert_entry(std::move(path), std::move(entry), create_path);
    }
  }

  /// Mount the folder (or file) `remote` of disk `disk` (a Disk made by
  /// insert_disk(), with a file system: init_fs() done) at `local`; the
  /// callback gets the stat's error. Throws Err_not_found when there is
  /// no such disk and Disk::Err_not_mounted when it has no file system.
  static void mount(Path local, Disk_id disk, Path remote, std::string desc, on_mount_delg fn);

  /// The entry at `path` (Err_not_found "Path <p> does not exist").
  template <typename P = Path>
  static VFS_entry& get_entry(P path)
  {
    return entry_at(Path{path});
  }
  /// Its object (see VFS_entry::obj()).
  template <typename T, typename P = Path>
  static T& get(P path)
  {
    return get_entry(path).template obj<T>();
  }

  /// The entry of a mounted file system at `path`: down the tree to the
  /// deepest mount on the way (a Dirent, a File_system, a Disk), then the
  /// rest of the path in it. An invalid Dirent when there is none.
  template <typename P = Path>
  static void stat(P path, on_stat_func fn)
  {
    stat_path(Path{path}, std::move(fn));
  }
  template <typename P = Path>
  static Dirent stat_sync(P path)
  {
    return stat_path(Path{path});
  }

  static const VFS_entry& root();

  /// The Disk of a block device, made on first use; keyed by its id().
  static Disk_ptr& insert_disk(hw::Block_device& dev);
  /// Stat `path` on disk `disk` and keep the entry; the callback gets it.
  static void insert_dirent(Disk_id disk, Path path, insert_dirent_delg fn);

  // What the templates above call.
  static std::string leaf_of(const Path& path);
  static void insert_entry(Path path, std::unique_ptr<VFS_entry> entry, bool create_path);
  static void mount_disk(Path path, hw::Block_device& dev, std::string desc, bool create_path);
  static VFS_entry& entry_at(Path path);
  static void stat_path(Path path, on_stat_func fn);
  static Dirent stat_path(Path path);
};

/// fs::mount("/a/b", obj, "what it is"): VFS::mount.
template <bool create_path = true, typename T = void, typename P = Path>
void mount(P path, T& obj, std::string desc = "N/A")
{
  VFS::mount<create_path>(Path{path}, obj, std::move(desc));
}

inline const VFS_entry& root() { return VFS::root(); }

template <typename T, typename P = Path>
T& get(P path)
{
  return VFS::get<T>(path);
}

template <typename P = Path>
Dirent stat_sync(P path)
{
  return VFS::stat_sync(path);
}

template <typename P = Path>
void stat(P path, on_stat_func fn)
{
  VFS::stat(path, std::move(fn));
}

/// The tree, between two lines, under the heading "Mount points".
void print_tree();

}  // namespace fs
