// IncludeOS's file system API over the kernel's FAT reader: fs::FAT, the
// parts of fs::File_system and fs::Dirent that are the same for every
// file system, fs::Path, fs::error_t, and the partition type names.
#include <algorithm>
#include <cerrno>
#include <cstdio>

#include <fs/fat.hpp>
#include <fs/mbr.hpp>
#include <fs/memdisk.hpp>
#include <info>

#include "fat.hpp"
#include "kernel/block.hpp"

namespace fs {

// ---- error_t -----------------------------------------------------------------------

error_t no_error{error_t::NO_ERR, ""};

const std::string& error_t::token() const noexcept
{
  static const std::string names[] = {"No error", "General I/O error", "Mounting filesystem failed",
                                      "No such entry", "Not a directory", "Not a file"};
  static const std::string unknown = "Unknown error";
  return token_ >= NO_ERR && token_ <= E_NOTFILE ? names[token_] : unknown;
}

std::string error_t::to_string() const
{
  return token() + ": " + reason_;
}

// ---- Path --------------------------------------------------------------------------

Path::Path(const std::string& path)
{
  add(path);
}

Path::Path(std::initializer_list<std::string> parts)
{
  for (const std::string& p : parts)
    add(p);
}

void Path::add(const std::string& path)
{
  if (!path.empty() && path[0] == '/')
    stack_.clear();
  size_t i = 0;
  bool previous_slash = false;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos)
      j = path.size();
    std::string name = path.substr(i, j - i);
    if (name.empty()) {
      if (previous_slash && j < path.size())
        state_ = -EINVAL;         // "a//b"
    } else if (name != ".") {
      stack_.push_back(std::move(name));
    }
    previous_slash = j < path.size();
    i = j + 1;
  }
}

Path& Path::operator=(const std::string& path)
{
  stack_.clear();
  state_ = 0;
  add(path);
  return *this;
}

Path& Path::operator+=(const std::string& path)
{
  add(path);
  return *this;
}

Path Path::operator+(const std::string& path) const
{
  Path p = *this;
  p += path;
  return p;
}

std::string Path::front() const
{
  if (stack_.empty())
    throw Err_invalid_path("front() of an empty path");
  return stack_.front();
}

std::string Path::back() const
{
  if (stack_.empty())
    throw Err_invalid_path("back() of an empty path");
  return stack_.back();
}

Path& Path::pop_front()
{
  if (stack_.empty())
    throw Err_invalid_path("pop_front() of an empty path");
  stack_.pop_front();
  return *this;
}

Path& Path::pop_back()
{
  if (stack_.empty())
    throw Err_invalid_path("pop_back() of an empty path");
  stack_.pop_back();
  return *this;
}

Path& Path::up()
{
  if (!stack_.empty())
    stack_.pop_back();
  return *this;
}

std::string Path::to_string() const
{
  std::string s = "/";
  for (const std::string& name : stack_)
    s += name + "/";
  return s;
}

namespace {

// "/a/b" (no closing slash), for messages.
std::string shown(const Path& p)
{
  std::string s = p.to_string();
  if (s.size() > 1)
    s.pop_back();
  return s;
}

Dirvec_ptr no_entries()
{
  return std::make_shared<dirvector>();
}

}  // namespace

// ---- File_system -------------------------------------------------------------------

void File_system::read_file(const std::string& path, on_read_func fn) const
{
  stat(Path(path), [this, path, fn](error_t err, Dirent ent) {
    if (err)
      return fn(err, nullptr);
    if (!ent.is_file())
      return fn({error_t::E_NOTFILE, path + " is not a file"}, nullptr);
    read(ent, 0, ent.size(), fn);
  });
}

Buffer File_system::read_file(const std::string& path) const
{
  Dirent ent = stat(Path(path));
  if (!ent.is_valid())
    return Buffer({error_t::E_NOENT, path + " not found"}, nullptr);
  if (!ent.is_file())
    return Buffer({error_t::E_NOTFILE, path + " is not a file"}, nullptr);
  return read(ent, 0, ent.size());
}

namespace {

void print_entries(const File_system& fs, const Dirent& dir, int depth)
{
  List list = fs.ls(dir);
  for (const Dirent& e : list) {
    if (e.name() == "." || e.name() == "..")
      continue;
    if (e.is_dir()) {
      std::printf(" %*s-[ %s ]\n", depth * 3, "", e.name().c_str());
      if (depth < 32)
        print_entries(fs, e, depth + 1);
    } else {
      std::printf(" %*s-> %s\n", depth * 3, "", e.name().c_str());
    }
  }
}

}  // namespace

error_t File_system::print_subtree(const std::string& path)
{
  Dirent dir = stat(Path(path));
  if (!dir.is_valid())
    return {error_t::E_NOENT, path + " not found"};
  if (!dir.is_dir())
    return {error_t::E_NOTDIR, path + " is not a directory"};
  print_entries(*this, dir, 0);
  return no_error;
}

// ---- Dirent ------------------------------------------------------------------------

int Dirent::device_id() const noexcept
{
  return fs_ ? fs_->device_id() : -1;
}

uint64_t Dirent::modified() const
{
  int64_t t = ukbase::fat::unix_time(static_cast<uint16_t>(modif_ >> 16),
                                     static_cast<uint16_t>(modif_ & 0xFFFF));
  return t > 0 ? static_cast<uint64_t>(t) : 0;
}

std::string Dirent::type_string() const
{
  switch (type_) {
  case FILE: return "File";
  case DIR: return "Directory";
  case VOLUME_ID: return "Volume ID";
  case INVALID_ENTITY: return "Invalid entity";
  default: return "Unknown type";
  }
}

void Dirent::read(uint64_t pos, uint64_t n, on_read_func fn)
{
  if (!fs_)
    return fn({error_t::E_NOENT, name_ + " not found"}, nullptr);
  fs_->read(*this, pos, n, std::move(fn));
}

void Dirent::read(on_read_func fn)
{
  read(0, size_, std::move(fn));
}

Buffer Dirent::read(uint64_t pos, uint64_t n)
{
  if (!fs_)
    return Buffer({error_t::E_NOENT, name_ + " not found"}, nullptr);
  return fs_->read(*this, pos, n);
}

std::string Dirent::read()
{
  return read(0, size_).to_string();
}

void Dirent::ls(on_ls_func fn) const
{
  if (!fs_)
    return fn({error_t::E_NOENT, name_ + " not found"}, no_entries());
  fs_->ls(*this, std::move(fn));
}

List Dirent::ls() const
{
  if (!fs_)
    return List{{error_t::E_NOENT, name_ + " not found"}, no_entries()};
  return fs_->ls(*this);
}

void Dirent::stat_path(Path path, on_stat_func fn) const
{
  if (!fs_)
    return fn({error_t::E_NOENT, shown(path) + " not found"}, Dirent(nullptr));
  fs_->stat(std::make_shared<Path>(std::move(path)), std::move(fn), this);
}

Dirent Dirent::stat_path(Path path) const
{
  if (!fs_)
    return Dirent(nullptr);
  return fs_->stat(std::move(path), this);
}

// ---- FAT ---------------------------------------------------------------------------

namespace {

ukbase::fat::Entry entry_of(const Dirent& d)
{
  ukbase::fat::Entry e;
  e.name = d.name();
  e.dir = d.is_dir();
  e.cluster = static_cast<uint32_t>(d.block());
  e.size = static_cast<uint32_t>(d.size());
  e.attr = static_cast<uint8_t>(d.attrib());
  return e;
}

}  // namespace

FAT::FAT(hw::Block_device& dev) : dev_(dev) {}

FAT::~FAT() noexcept = default;

int FAT::device_id() const noexcept
{
  return dev_.id();
}

std::string FAT::name() const
{
  return vol_ ? vol_->type() : "FAT";
}

uint64_t FAT::block_size() const
{
  return vol_ ? vol_->bytes_per_sector() : 512;
}

error_t FAT::init_sync(uint64_t lba, uint64_t size, bool quiet)
{
  vol_.reset();
  lba_base_ = lba;
  lba_size_ = size;
  uint8_t sector[512];
  if (lba >= dev_.size() || !ukbase::read_bytes(dev_, lba * dev_.block_size(), sizeof sector, sector))
    return {error_t::E_IO, "Could not read MBR"};
  if (sector[510] != 0x55 || sector[511] != 0xAA)
    return {error_t::E_MNT, "Missing or invalid MBR signature"};
  auto vol = std::make_unique<ukbase::fat::Volume>();
  if (!vol->mount(dev_, lba, size))
    return {error_t::E_MNT, "No FAT file system found"};
  vol_ = std::move(vol);
  builder_order_ = dynamic_cast<MemDisk*>(&dev_) != nullptr;
  if (!quiet) {
    INFO("FAT", "Initializing %s filesystem", vol_->type());
    INFO2("[ofs=%u  size=%u (%llu bytes)]\n", static_cast<unsigned>(lba), static_cast<unsigned>(size),
          static_cast<unsigned long long>(size * dev_.block_size()));
  }
  return no_error;
}

void FAT::init(uint64_t lba, uint64_t size, on_init_func fn)
{
  error_t err = init_sync(lba, size, false);
  ukbase::complete(dev_, [this, err, fn] {
    if (fn)
      fn(err, *this);
  });
}

Dirent FAT::root_entry() const
{
  ukbase::fat::Entry root = vol_->root();
  return Dirent(this, DIR, "/", root.cluster, root.cluster, 0, 0x10, 0);
}

Dirent FAT::stat(Path path, const Dirent* const start) const
{
  if (!vol_)
    return Dirent(this);
  if (start && !start->is_valid())
    return Dirent(this);
  if (path.empty())
    return start ? *start : root_entry();
  ukbase::fat::Entry cur = start ? entry_of(*start) : vol_->root();
  uint64_t parent = cur.cluster;
  for (const std::string& name : path) {
    if (!cur.dir)
      return Dirent(this);
    ukbase::fat::Entry next;
    if (vol_->find(cur, name, next))
      return Dirent(this);
    parent = cur.cluster;
    cur = std::move(next);
  }
  uint64_t block = cur.dir && cur.cluster == 0 ? vol_->root_cluster() : cur.cluster;
  return Dirent(this, cur.dir ? DIR : FILE, cur.name, block, parent, cur.size, cur.attr, cur.stamp);
}

void FAT::stat(Path_ptr path, on_stat_func fn, const Dirent* const start) const
{
  Dirent ent = path ? stat(*path, start) : Dirent(this);
  error_t err = ent.is_valid() ? no_error
                               : error_t{error_t::E_NOENT, (path ? shown(*path) : "") + " not found"};
  ukbase::complete(dev_, [fn, err, ent] {
    if (fn)
      fn(err, ent);
  });
}

void FAT::cstat(const std::string& path, on_stat_func fn)
{
  stat(std::make_shared<Path>(path), std::move(fn));
}

List FAT::ls(const Dirent& dir) const
{
  if (!vol_)
    return List{{error_t::E_MNT, "No file system"}, no_entries()};
  if (!dir.is_valid())
    return List{{error_t::E_NOENT, dir.name() + " not found"}, no_entries()};
  if (!dir.is_dir())
    return List{{error_t::E_NOTDIR, dir.name() + " is not a directory"}, no_entries()};
  std::vector<ukbase::fat::Entry> raw;
  ukbase::fat::Entry at = entry_of(dir);
  if (vol_->list(at, raw, true))
    return List{{error_t::E_IO, "Could not read " + dir.name()}, no_entries()};
  auto out = no_entries();
  uint64_t here = dir.block();
  for (auto& e : raw) {
    uint64_t block = e.dir && e.cluster == 0 ? vol_->root_cluster() : e.cluster;
    out->emplace_back(this, e.dir ? DIR : FILE, e.name, block, here, e.size, e.attr, e.stamp);
  }
  if (builder_order_) {
    // As IncludeOS's diskbuilder writes its images: ".", ".." (the root
    // too), the folders, then the files.
    bool root = at.cluster == vol_->root().cluster || at.cluster == 0;
    if (root && std::none_of(out->begin(), out->end(), [](const Dirent& d) { return d.name() == "."; })) {
      out->insert(out->begin(), Dirent(this, DIR, "..", here, here, 0, 0x10, 0));
      out->insert(out->begin(), Dirent(this, DIR, ".", here, here, 0, 0x10, 0));
    }
    auto rank = [](const Dirent& d) {
      return d.name() == "." || d.name() == ".." ? 0 : d.is_dir() ? 1 : 2;
    };
    std::stable_sort(out->begin(), out->end(),
                     [&](const Dirent& a, const Dirent& b) { return rank(a) < rank(b); });
  }
  return List{no_error, out};
}

List FAT::ls(const std::string& path) const
{
  Dirent dir = stat(Path(path));
  if (!dir.is_valid())
    return List{{error_t::E_NOENT, path + " not found"}, no_entries()};
  return ls(dir);
}

void FAT::ls(const std::string& path, on_ls_func fn) const
{
  List list = ls(path);
  ukbase::complete(dev_, [fn, list] {
    if (fn)
      fn(list.error, list.entries);
  });
}

void FAT::ls(const Dirent& entry, on_ls_func fn) const
{
  List list = ls(entry);
  ukbase::complete(dev_, [fn, list] {
    if (fn)
      fn(list.error, list.entries);
  });
}

Buffer FAT::read(const Dirent& ent, uint64_t pos, uint64_t n) const
{
  if (!vol_)
    return Buffer({error_t::E_MNT, "No file system"}, nullptr);
  if (!ent.is_file())
    return Buffer({error_t::E_NOTFILE, ent.name() + " is not a file"}, nullptr);
  uint64_t len = pos < ent.size() ? std::min<uint64_t>(n, ent.size() - pos) : 0;
  auto buf = construct_buffer(static_cast<size_t>(len));
  if (!len)
    return Buffer(no_error, buf);
  // Sequential reads of one file go on from where the last one ended.
  ukbase::fat::Entry file = entry_of(ent);
  ukbase::fat::Volume::Cursor cur;
  if (cursor_file_ == file.cluster)
    cur = ukbase::fat::Volume::Cursor{cursor_index_, cursor_cluster_};
  long got = vol_->read(file, pos, buf->data(), static_cast<size_t>(len), cur);
  cursor_file_ = file.cluster;
  cursor_index_ = cur.index;
  cursor_cluster_ = cur.cluster;
  if (got < 0 || static_cast<uint64_t>(got) != len)
    return Buffer({error_t::E_IO, "Could not read " + ent.name()}, nullptr);
  return Buffer(no_error, buf);
}

void FAT::read(const Dirent& ent, uint64_t pos, uint64_t n, on_read_func fn) const
{
  Buffer buf = read(ent, pos, n);
  ukbase::complete(dev_, [fn, buf] {
    if (fn)
      fn(buf.error(), buf.get());
  });
}

// ---- MBR ---------------------------------------------------------------------------

std::string MBR::id_to_name(uint8_t id)
{
  switch (id) {
  case 0x00: return "Empty";
  case 0x01: return "FAT12";
  case 0x04: return "FAT16 (< 32 MiB)";
  case 0x05: return "Extended";
  case 0x06: return "FAT16";
  case 0x07: return "NTFS / exFAT";
  case 0x0B: return "FAT32";
  case 0x0C: return "FAT32 (LBA)";
  case 0x0E: return "FAT16 (LBA)";
  case 0x0F: return "Extended (LBA)";
  case 0x82: return "Linux swap";
  case 0x83: return "Linux";
  case 0x8E: return "Linux LVM";
  case 0xA5: return "FreeBSD";
  case 0xEE: return "GPT protective";
  case 0xEF: return "EFI system";
  default: return "Unknown";
  }
}

}  // namespace fs
