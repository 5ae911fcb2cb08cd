// The file name space: IncludeOS's VFS tree (fs::VFS_entry, fs::VFS),
// the kernel's own mounts in it, config.json's "vfs" mounts, the random
// devices, and path lookup for the system calls and <fs.hpp>.
#include "kernel/vfs.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cxxabi.h>
#include <map>
#include <memory>

#include <config>
#include <fs/fat.hpp>
#include <fs/memdisk.hpp>
#include <fs/vfs.hpp>
#include <info>

#include "fat.hpp"
#include "kernel/arch.h"
#include "kernel/block.hpp"
#include "kernel/json.hpp"
#include "kernel/kprint.h"

namespace ukbase::vfs {

namespace {

// /dev/random and /dev/urandom: the kernel's random source (RDRAND when
// the CPU has it, else a TSC-seeded generator). What is written to them
// is taken and dropped: nothing it could add improves that source.
class Random_device final : public Char_device {
 public:
  explicit Random_device(unsigned minor) : minor_(minor) {}
  long read(void* buf, size_t len) override
  {
    arch_random(buf, len);
    return static_cast<long>(len);
  }
  long write(const void*, size_t len) override { return static_cast<long>(len); }
  unsigned rdev() const override { return 1u << 8 | minor_; }

 private:
  unsigned minor_;
};

Random_device random_dev(8), urandom_dev(9);

std::vector<Mount_info>& mount_table()
{
  static auto* table = new std::vector<Mount_info>;
  return *table;
}

// A builtin entry at `path` (its folders made builtin too, where new).
// False, with nothing done, if the name is taken.
bool add_builtin(fs::VFS_entry& root, const fs::Path& path, std::unique_ptr<fs::VFS_entry> entry)
{
  fs::VFS_entry* dir = &root;
  for (size_t i = 0; i + 1 < path.size(); i++) {
    fs::VFS_entry* c = dir->child(path[static_cast<int>(i)]);
    if (!c) {
      c = &dir->insert(std::make_unique<fs::VFS_entry>(path[static_cast<int>(i)], ""));
      c->set_builtin(true);
    }
    dir = c;
  }
  if (dir->child(entry->name()))
    return false;
  entry->set_builtin(true);
  dir->insert(std::move(entry));
  return true;
}

fs::VFS_entry& tree()
{
  static fs::VFS_entry* root = [] {
    auto* r = new fs::VFS_entry("/", "Root directory");
    Char_device& rnd = random_dev;
    Char_device& urnd = urandom_dev;
    add_builtin(*r, fs::Path{"dev", "random"}, std::make_unique<fs::VFS_entry>(rnd, "random", "Random device"));
    add_builtin(*r, fs::Path{"dev", "urandom"}, std::make_unique<fs::VFS_entry>(urnd, "urandom", "Random device"));
    return r;
  }();
  return *root;
}

// What an entry holds, as far as paths go.
struct Held {
  Node::Kind kind = Node::Kind::folder;
  fs::FAT* fat = nullptr;
  fat::Entry start;             // Kind::fat: the mounted file or folder
  Char_device* device = nullptr;
};

fs::FAT* fat_of(const fs::File_system& fs)
{
  auto* fat = dynamic_cast<const fs::FAT*>(&fs);
  return fat && fat->mounted() ? const_cast<fs::FAT*>(fat) : nullptr;
}

Held held_by(const fs::VFS_entry& e)
{
  Held h;
  if (!e.is_leaf())
    return h;
  h.kind = Node::Kind::object;
  const std::type_info& t = e.type();
  fs::FAT* fat = nullptr;
  if (t == typeid(Char_device)) {
    h.kind = Node::Kind::device;
    h.device = &e.obj<Char_device>();
    return h;
  }
  if (t == typeid(fs::Dirent)) {
    const fs::Dirent& d = e.obj<const fs::Dirent>();
    if (d.is_valid() && (d.is_dir() || d.is_file()) && (fat = fat_of(d.fs()))) {
      h.kind = Node::Kind::fat;
      h.fat = fat;
      h.start.dir = d.is_dir();
      h.start.cluster = static_cast<uint32_t>(d.block());
      h.start.size = static_cast<uint32_t>(d.size());
      h.start.mtime = static_cast<int64_t>(d.modified());
    }
    return h;
  }
  if (t == typeid(fs::File_system))
    fat = fat_of(e.obj<const fs::File_system>());
  else if (t == typeid(fs::FAT))
    fat = fat_of(e.obj<const fs::FAT>());
  else if (t == typeid(fs::Disk)) {
    auto& disk = const_cast<fs::Disk&>(e.obj<const fs::Disk>());
    fat = disk.fs_ready() ? fat_of(disk.fs()) : nullptr;
  } else if (t == typeid(fs::Disk_ptr)) {
    const fs::Disk_ptr& disk = e.obj<const fs::Disk_ptr>();
    fat = disk && disk->fs_ready() ? fat_of(disk->fs()) : nullptr;
  }
  if (fat) {
    h.kind = Node::Kind::fat;
    h.fat = fat;
    h.start = fat->volume()->root();
  }
  return h;
}

std::vector<std::string> split(std::string_view path)
{
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos)
      j = path.size();
    if (j > i)
      out.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

Node node_of(fs::VFS_entry& e, const Held& h, const std::string& path)
{
  Node n;
  n.kind = h.kind;
  n.path = path;
  n.entry = &e;
  switch (h.kind) {
  case Node::Kind::folder:
    n.dir = true;
    break;
  case Node::Kind::fat:
    n.fat = h.fat;
    n.dir = h.start.dir;
    n.cluster = h.start.cluster;
    n.size = h.start.dir ? 0 : h.start.size;
    n.mtime = h.start.mtime;
    break;
  case Node::Kind::device:
    n.dir = false;
    n.device = h.device;
    break;
  case Node::Kind::object:
    n.dir = false;
    break;
  }
  return n;
}

Dirent dirent_of(const fs::VFS_entry& e)
{
  Held h = held_by(e);
  switch (h.kind) {
  case Node::Kind::folder: return Dirent{e.name(), true, 0, 0};
  case Node::Kind::fat:
    return Dirent{e.name(), h.start.dir, h.start.dir ? 0 : h.start.size, h.start.mtime};
  case Node::Kind::device: return Dirent{e.name(), false, 0, 0, true};
  case Node::Kind::object: break;
  }
  return Dirent{e.name(), false, 0, 0};
}

std::string human_size(uint64_t bytes)
{
  char buf[32];
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0)
    ksnprintf(buf, sizeof buf, "%lu MiB", (unsigned long)(bytes >> 20));
  else
    ksnprintf(buf, sizeof buf, "%lu KiB", (unsigned long)(bytes >> 10));
  return buf;
}

bool valid_component(const std::string& name)
{
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}

}  // namespace

void show_random_devices()
{
  fs::VFS_entry* dev = tree().child("dev");
  for (const char* name : {"random", "urandom"}) {
    fs::VFS_entry* e = dev ? dev->child(name) : nullptr;
    if (e && e->builtin()) {
      e->set_builtin(false);
      INFO("VFS", "Mounting %s on /dev/%s", e->desc().c_str(), name);
    }
  }
}

std::string absolute(std::string_view path, std::string_view base)
{
  if (path.empty())
    return "";
  std::vector<std::string_view> parts;
  auto add = [&](std::string_view p) {
    size_t i = 0;
    while (i <= p.size()) {
      size_t j = p.find('/', i);
      if (j == std::string_view::npos)
        j = p.size();
      std::string_view c = p.substr(i, j - i);
      if (c == "..") {
        if (!parts.empty())
          parts.pop_back();
      } else if (!c.empty() && c != ".") {
        parts.push_back(c);
      }
      i = j + 1;
    }
  };
  if (path[0] != '/')
    add(base);
  add(path);
  std::string out;
  for (auto c : parts) {
    out += '/';
    out += c;
  }
  return out.empty() ? "/" : out;
}

int resolve(const std::string& path, Node& out)
{
  std::vector<std::string> names = split(path);
  fs::VFS_entry* e = &tree();
  for (size_t i = 0;; i++) {
    Held h = held_by(*e);
    if (i == names.size()) {
      out = node_of(*e, h, path);
      return 0;
    }
    // The tree's own entries first, then what the mounted file system has.
    if (fs::VFS_entry* c = e->child(names[i])) {
      e = c;
      continue;
    }
    if (h.kind != Node::Kind::fat)
      return h.kind == Node::Kind::folder ? -ENOENT : -ENOTDIR;
    fat::Volume& vol = *h.fat->volume();
    fat::Entry cur = h.start;
    for (; i < names.size(); i++) {
      if (!cur.dir)
        return -ENOTDIR;
      fat::Entry next;
      if (int err = vol.find(cur, names[i], next))
        return err;
      cur = std::move(next);
    }
    out = Node{};
    out.kind = Node::Kind::fat;
    out.path = path;
    out.fat = h.fat;
    out.dir = cur.dir;
    out.cluster = cur.cluster;
    out.size = cur.dir ? 0 : cur.size;
    out.mtime = cur.mtime;
    return 0;
  }
}

int list(const Node& dir, std::vector<Dirent>& out)
{
  if (!dir.dir)
    return -ENOTDIR;
  if (dir.kind == Node::Kind::fat) {
    fat::Entry e;
    e.dir = true;
    e.cluster = dir.cluster;
    std::vector<fat::Entry> entries;
    if (int err = dir.fat->volume()->list(e, entries))
      return err;
    for (auto& en : entries)
      out.push_back(Dirent{std::move(en.name), en.dir, en.size, en.mtime});
  }
  if (dir.entry) {
    for (auto& c : dir.entry->children()) {
      bool seen = false;
      for (auto& d : out)
        seen = seen || d.name == c->name();
      if (!seen)
        out.push_back(dirent_of(*c));
    }
  }
  return 0;
}

long read(const Node& file, uint64_t off, void* buf, size_t len, Cursor& cur)
{
  if (file.dir)
    return -EISDIR;
  if (file.kind == Node::Kind::device)
    return file.device->read(buf, len);
  if (file.kind != Node::Kind::fat)
    return -EIO;
  fat::Entry e;
  e.cluster = file.cluster;
  e.size = file.size;
  fat::Volume::Cursor c{cur.index, cur.cluster};
  long n = file.fat->volume()->read(e, off, buf, len, c);
  cur.index = c.index;
  cur.cluster = c.cluster;
  return n;
}

uint64_t device_number(const Node& n)
{
  if (n.kind != Node::Kind::fat)
    return 0;
  static auto* seen = new std::vector<const fat::Volume*>;
  const fat::Volume* v = n.fat->volume();
  for (size_t i = 0; i < seen->size(); i++)
    if ((*seen)[i] == v)
      return i + 1;
  seen->push_back(v);
  return seen->size();
}

uint64_t inode_number(std::string_view path)
{
  uint64_t h = 0xcbf29ce484222325ull;             // FNV-1a
  for (char c : path)
    h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ull;
  return h ? h : 1;
}

uint32_t block_size(const Node& n)
{
  return n.kind == Node::Kind::fat ? n.fat->volume()->cluster_bytes() : 4096;
}

std::vector<Mount_info> mounts()
{
  return mount_table();
}

}  // namespace ukbase::vfs

// ---- the kernel's mounts -----------------------------------------------------------

namespace ukbase {

namespace {

// The disks the kernel mounted itself (not in fs::VFS's disk map: the
// service's Disks start without a file system, as on IncludeOS).
std::vector<fs::Disk_ptr>& own_disks()
{
  static auto* disks = new std::vector<fs::Disk_ptr>;
  return *disks;
}

// A device for config.json's "disk": "memdisk", a device name ("vblk0",
// "ide0", "memdisk2"), or a serial number ("data").
hw::Block_device* find_device(const std::string& name)
{
  if (name == "memdisk")
    return fs::MemDisk::get().size() ? &fs::MemDisk::get() : nullptr;
  for (auto& b : block_devices())
    if (b.dev->device_name() == name)
      return b.dev;
  for (auto& b : block_devices())
    if (b.name == name)
      return b.dev;
  return nullptr;
}

// config.json: {"vfs": [{"disk": "memdisk", "root": "/", "mount": "/mnt/disk",
// "description": "..."}]}, as IncludeOS's vfs plugin reads it.
void mount_config_entries()
{
  const Config& config = Config::get();
  json::Value root;
  if (config.empty() || !json::parse(config.view(), root))
    return;
  const json::Value* list = root.get("vfs");
  if (!list || list->type != json::Value::Array)
    return;
  for (size_t i = 0; i < list->items.size(); i++) {
    const json::Value& item = list->items[i];
    std::string disk_name = item.get_string("disk"), remote = item.get_string("root", "/");
    std::string local = item.get_string("mount"), desc = item.get_string("description");
    auto fail = [&](const std::string& why) {
      kprintf("     [ VFS ] config.json vfs[%u] (%s:%s on %s): %s, not mounted\n", unsigned(i),
              disk_name.c_str(), remote.c_str(), local.c_str(), why.c_str());
    };
    hw::Block_device* dev = find_device(disk_name);
    if (!dev) {
      fail("no such disk");
      continue;
    }
    if (fs::Path(local).empty()) {
      fail("no mount point");
      continue;
    }
    fs::Disk_ptr& disk = fs::VFS::insert_disk(*dev);
    if (!disk->fs_ready() || !dynamic_cast<fs::FAT&>(disk->fs()).mounted()) {
      int part = 0;
      if (fs::error_t err = Disk_access::init(*disk, part)) {
        fail(err.reason());
        continue;
      }
    }
    fs::Dirent ent = disk->fs().stat(fs::Path(remote));
    if (!ent.is_valid()) {
      fail(remote + " is not there");
      continue;
    }
    try {
      auto copy = std::make_shared<fs::Dirent>(ent);
      auto entry = std::make_unique<fs::VFS_entry>(*copy, fs::VFS::leaf_of(fs::Path(local)), desc);
      entry->keep(copy);
      fs::Path where(local);
      fs::VFS_entry* dir = const_cast<fs::VFS_entry*>(&fs::VFS::root());
      for (size_t k = 0; k + 1 < where.size(); k++) {
        fs::VFS_entry* c = dir->child(where[static_cast<int>(k)]);
        dir = c ? c : &dir->insert(std::make_unique<fs::VFS_entry>(where[static_cast<int>(k)], ""));
      }
      dir->insert(std::move(entry));
    } catch (const std::exception& e) {
      fail(e.what());
      continue;
    }
    kprintf("     [ VFS ] %s: %s %s (%s)\n", fs::Path(local).to_string().c_str(), dev->device_name().c_str(),
            fs::Path(remote).to_string().c_str(), desc.c_str());
  }
}

}  // namespace

void mount_filesystems()
{
  fs::VFS_entry& root = vfs::tree();
  auto& table = vfs::mount_table();
  for (const Block_entry& b : block_devices()) {
    hw::Block_device& dev = *b.dev;
    std::string where = b.memory ? "/memdisk" : "/disk/" + b.name;
    std::string size = vfs::human_size(dev.size() * dev.block_size());
    bool taken = false;
    for (auto& m : table)
      taken = taken || m.path == where;
    if (!vfs::valid_component(b.name) || taken) {
      kprintf("     [ Disk ] %s (%s, %s): no usable name, not mounted\n", b.name.c_str(),
              b.description.c_str(), size.c_str());
      continue;
    }
    auto disk = std::make_shared<fs::Disk>(dev);
    int part = 0;
    if (Disk_access::init(*disk, part)) {
      kprintf("     [ Disk ] %s (%s, %s): no FAT file system, not mounted\n", b.name.c_str(),
              b.description.c_str(), size.c_str());
      continue;
    }
    auto& fat = dynamic_cast<fs::FAT&>(disk->fs());
    fs::File_system& files = fat;
    auto entry = std::make_unique<fs::VFS_entry>(files, b.memory ? "memdisk" : b.name, b.description);
    entry->keep(disk);
    if (!vfs::add_builtin(root, fs::Path(where), std::move(entry))) {
      kprintf("     [ Disk ] %s (%s, %s): %s is taken, not mounted\n", b.name.c_str(),
              b.description.c_str(), size.c_str(), where.c_str());
      continue;
    }
    own_disks().push_back(disk);
    std::string on = part ? " (partition " + std::to_string(part) + ")" : "";
    kprintf("     [ Disk ] %s: %s%s on %s (%s)\n", where.c_str(), fat.name().c_str(), on.c_str(),
            b.description.c_str(), size.c_str());
    table.push_back(vfs::Mount_info{where, b.name, b.description, fat.name(),
                                    fat.lba_size() * dev.block_size()});
  }
  mount_config_entries();
}

}  // namespace ukbase

// ---- IncludeOS's VFS ---------------------------------------------------------------

namespace fs {

std::string demangled_name(const std::type_info& type, size_t max_chars)
{
  int status = 0;
  char* d = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  std::string name = d && status == 0 ? d : type.name();
  std::free(d);
  if (max_chars && name.size() > max_chars)
    name = name.substr(0, max_chars > 2 ? max_chars - 2 : max_chars) + "..";
  return name;
}

VFS_entry::VFS_entry(std::string name, std::string desc)
    : type_(&typeid(std::nullptr_t)), name_(std::move(name)), desc_(std::move(desc))
{
}

VFS_entry::~VFS_entry() = default;

VFS_entry* VFS_entry::child(const std::string& name) const
{
  for (auto& c : children_)
    if (c->name_ == name)
      return c.get();
  return nullptr;
}

VFS_entry& VFS_entry::insert(std::unique_ptr<VFS_entry> c)
{
  if (child(c->name_))
    throw Err_mountpoint_invalid("Mount point " + c->name_ + " occupied");
  children_.push_back(std::move(c));
  return *children_.back();
}

bool VFS_entry::remove(const std::string& name)
{
  for (auto it = children_.begin(); it != children_.end(); ++it)
    if ((*it)->name_ == name) {
      children_.erase(it);
      return true;
    }
  return false;
}

bool VFS_entry::shown() const
{
  if (!builtin_)
    return true;
  for (auto& c : children_)
    if (c->shown())
      return true;
  return false;
}

int VFS_entry::child_count() const
{
  int n = 0;
  for (auto& c : children_)
    n += c->shown();
  return n;
}

void VFS_entry::print_tree(std::string tabs) const
{
  std::string held = obj_ ? " (" + type_name(20) + ")" : "";
  std::printf("%s-- %s%s\n", tabs.c_str(), name_.c_str(), held.c_str());
  // Below this entry, its own mark becomes a line ('|') or nothing.
  if (!tabs.empty() && tabs.back() == '`')
    tabs.back() = ' ';
  std::vector<const VFS_entry*> kids;
  for (auto& c : children_)
    if (c->shown())
      kids.push_back(c.get());
  for (size_t i = 0; i < kids.size(); i++)
    kids[i]->print_tree(tabs + (i + 1 == kids.size() ? "   `" : "   |"));
}

VFS_entry* VFS_entry::walk_path(Path& path, bool partial, bool create)
{
  VFS_entry* e = this;
  while (!path.empty()) {
    VFS_entry* c = e->child(path.front());
    if (!c) {
      if (!create)
        return partial ? e : nullptr;
      c = &e->insert(std::make_unique<VFS_entry>(path.front(), ""));
    }
    path.pop_front();
    e = c;
  }
  return e;
}

namespace {

std::map<int, Disk_ptr>& disk_map()
{
  static auto* disks = new std::map<int, Disk_ptr>;
  return *disks;
}

// Where a path leaves the tree for a mounted file system: that entry's
// file system and the entry to start from, and the rest of the path.
struct Into {
  const File_system* fs = nullptr;
  Dirent start{nullptr};
  bool from_root = true;
  Path rest;
};

bool into(const Path& path, Into& out)
{
  VFS_entry* e = &ukbase::vfs::tree();
  size_t i = 0;
  for (;; i++) {
    if (i == path.size() || !e->child(path[static_cast<int>(i)]))
      break;
    e = e->child(path[static_cast<int>(i)]);
  }
  ukbase::vfs::Held h = ukbase::vfs::held_by(*e);
  if (h.kind != ukbase::vfs::Node::Kind::fat)
    return false;
  out.fs = h.fat;
  if (e->type() == typeid(Dirent)) {
    out.start = e->obj<const Dirent>();
    out.from_root = false;
  }
  for (size_t k = i; k < path.size(); k++)
    out.rest += path[static_cast<int>(k)];
  return true;
}

}  // namespace

std::string VFS::leaf_of(const Path& path)
{
  return path.empty() ? "/" : path.back();
}

void VFS::insert_entry(Path path, std::unique_ptr<VFS_entry> entry, bool create_path)
{
  INFO("VFS", "Mounting %s on %s", entry->type_name().c_str(), path.to_string().c_str());
  if (path.empty())
    throw Err_mountpoint_invalid("Mount point / occupied");
  VFS_entry* dir = &ukbase::vfs::tree();
  for (size_t i = 0; i + 1 < path.size(); i++) {
    const std::string& name = path[static_cast<int>(i)];
    VFS_entry* c = dir->child(name);
    if (!c) {
      if (!create_path)
        throw Err_mountpoint_invalid(name + " doesn't exist");
      c = &dir->insert(std::make_unique<VFS_entry>(name, ""));
    }
    dir = c;
  }
  dir->insert(std::move(entry));
}

void VFS::mount_disk(Path path, hw::Block_device& dev, std::string desc, bool create_path)
{
  INFO("VFS", "Creating Disk object for %s ", dev.device_name().c_str());
  Disk_ptr& disk = insert_disk(dev);
  insert_entry(path, std::make_unique<VFS_entry>(disk, leaf_of(path), desc), create_path);
}

namespace {

/// The disk VFS::insert_disk() gave `disk`, with its file system up.
Disk_ptr disk_with_fs(VFS::Disk_id disk)
{
  auto it = disk_map().find(disk);
  if (it == disk_map().end() || !it->second)
    throw Err_not_found("Disk " + std::to_string(disk) + " is not mounted");
  if (!it->second->fs_ready())
    throw Disk::Err_not_mounted("Disk " + std::to_string(disk) + " does not have an initialized file system");
  return it->second;
}

}  // namespace

void VFS::mount(Path local, Disk_id disk, Path remote, std::string desc, on_mount_delg fn)
{
  INFO("VFS", "Creating mountpoint for blk%d::%s on %s", disk, remote.to_string().c_str(),
       local.to_string().c_str());
  Disk_ptr d = disk_with_fs(disk);
  d->fs().stat(std::make_shared<Path>(remote), [local, desc, fn, d](error_t err, Dirent ent) {
    if (!err) {
      try {
        VFS::mount(local, ent, desc);
      } catch (const VFS_err& e) {
        err = error_t(error_t::E_MNT, e.what());
      }
    }
    if (fn)
      fn(err);
  });
}

VFS_entry& VFS::entry_at(Path path)
{
  Path rest = path;
  VFS_entry* e = ukbase::vfs::tree().walk(rest);
  if (!e)
    throw Err_not_found("Path " + path.to_string() + " does not exist");
  return *e;
}

Dirent VFS::stat_path(Path path)
{
  Into in;
  if (!into(path, in))
    return Dirent(nullptr);
  return in.fs->stat(in.rest, in.from_root ? nullptr : &in.start);
}

void VFS::stat_path(Path path, on_stat_func fn)
{
  Into in;
  if (!into(path, in)) {
    if (fn)
      fn({error_t::E_NOENT, path.to_string() + " is not in a mounted file system"}, Dirent(nullptr));
    return;
  }
  in.fs->stat(std::make_shared<Path>(in.rest), std::move(fn), in.from_root ? nullptr : &in.start);
}

const VFS_entry& VFS::root()
{
  return ukbase::vfs::tree();
}

Disk_ptr& VFS::insert_disk(hw::Block_device& dev)
{
  Disk_ptr& disk = disk_map()[dev.id()];
  if (!disk)
    disk = std::make_shared<Disk>(dev);
  return disk;
}

void VFS::insert_dirent(Disk_id disk, Path path, insert_dirent_delg fn)
{
  Disk_ptr d = disk_with_fs(disk);
  d->fs().stat(std::make_shared<Path>(path), [fn, d](error_t err, Dirent ent) {
    static auto* kept = new std::vector<std::unique_ptr<Dirent>>;
    kept->push_back(std::make_unique<Dirent>(ent));
    if (fn)
      fn(err, *kept->back());
  });
}

void print_tree()
{
  std::printf("\n");
  FILLINE('=');
  CENTER("Mount points");
  FILLINE('-');
  VFS::root().print_tree();
  FILLINE('_');
  std::printf("\n");
}

}  // namespace fs
