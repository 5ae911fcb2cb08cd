// A file, folder or other entry of a file system (IncludeOS's
// fs/dirent.hpp), as File_system::stat() and ls() give them.
//
//   auto ent = fs.stat("/etc/motd.txt");
//   if (ent.is_file()) puts(ent.read().c_str());
//   auto conf = folder.stat_sync({"ip4", "config.txt"});    // relative to a folder
//
// A path that is not there stats to an entry whose is_valid() is false
// (type INVALID_ENTITY); nothing throws.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

#include <fs/common.hpp>
#include <fs/path.hpp>

namespace fs {

class Dirent {
 public:
  explicit Dirent(const File_system* fs, const Enttype t = INVALID_ENTITY, const std::string& name = "",
                  uint64_t blk = 0, uint64_t parent = 0, uint64_t size = 0, uint32_t attr = 0,
                  uint32_t modt = 0)
      : fs_(fs), type_(t), name_(name), block_(blk), parent_(parent), size_(size), attrib_(attr),
        modif_(modt)
  {
  }
  Dirent(const Dirent&) noexcept = default;
  Dirent& operator=(const Dirent&) = default;

  Enttype type() const noexcept { return type_; }
  const std::string& name() const noexcept { return name_; }
  /// The first cluster of its data (FAT).
  uint64_t block() const noexcept { return block_; }
  /// The first cluster of the folder it is in.
  uint64_t parent() const noexcept { return parent_; }
  /// The id of the device its file system is on, -1 if none.
  int device_id() const noexcept;
  /// Bytes (files; 0 for folders).
  uint64_t size() const noexcept { return size_; }
  /// The FAT attribute byte (0x01 read-only, 0x10 folder, ...).
  uint32_t attrib() const noexcept { return attrib_; }
  /// Last modified, seconds since the Unix epoch (FAT keeps local time
  /// without a zone: taken as UTC); 0 if unknown.
  uint64_t modified() const;

  bool is_valid() const { return type_ != INVALID_ENTITY && fs_ != nullptr; }
  bool is_file() const noexcept { return type_ == FILE; }
  bool is_dir() const noexcept { return type_ == DIR; }
  /// "File", "Directory", "Volume ID", "Invalid entity", "Unknown type"
  std::string type_string() const;

  const File_system& fs() const noexcept { return *fs_; }

  /// Read `n` bytes at `pos` (a file); the callback gets an error or the data.
  void read(uint64_t pos, uint64_t n, on_read_func fn);
  /// The whole file.
  void read(on_read_func fn);
  Buffer read(uint64_t pos, uint64_t n);
  /// The whole file as a string ("" when it cannot be read).
  std::string read();

  /// The entries of this folder (an error, and no entries, for a file).
  void ls(on_ls_func fn) const;
  List ls() const;

  /// Stat a path relative to this folder: stat({"ip4", "config.txt"}),
  /// stat("ip4/config.txt").
  template <typename P = std::initializer_list<std::string>>
  void stat(P path, on_stat_func fn)
  {
    stat_path(Path{path}, std::move(fn));
  }
  template <typename P = std::initializer_list<std::string>>
  Dirent stat_sync(P path)
  {
    return stat_path(Path{path});
  }

 private:
  void stat_path(Path path, on_stat_func fn) const;
  Dirent stat_path(Path path) const;

  const File_system* fs_;
  Enttype type_;
  std::string name_;
  uint64_t block_;
  uint64_t parent_;
  uint64_t size_;
  uint32_t attrib_;
  uint32_t modif_;     // FAT's date << 16 | time
};

/// A synchronous listing: an error and the entries (never a null
/// pointer: empty when the listing failed).
///
///   auto list = fs.ls("/");
///   if (!list.error) for (auto& e : list) puts(e.name().c_str());
struct List {
  error_t error;
  Dirvec_ptr entries;

  dirvector::iterator begin() { return entries->begin(); }
  dirvector::iterator end() { return entries->end(); }
  dirvector::const_iterator begin() const { return entries->cbegin(); }
  dirvector::const_iterator end() const { return entries->cend(); }
  dirvector::const_iterator cbegin() const { return entries->cbegin(); }
  dirvector::const_iterator cend() const { return entries->cend(); }
};

}  // namespace fs
