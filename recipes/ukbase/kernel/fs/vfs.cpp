// The file name space: mount points over FAT volumes, and the folders
// made of the mount points ("/", "/disk").
#include "kernel/vfs.hpp"

#include <cerrno>
#include <memory>

#include "fat.hpp"
#include "kernel/block.hpp"
#include "kernel/kprint.h"

namespace ukbase::vfs {

struct Mount {
  std::string path;
  Block_device* dev;
  fat::Volume volume;
  unsigned index;
};

namespace {

std::vector<std::unique_ptr<Mount>>& mount_table()
{
  static auto* table = new std::vector<std::unique_ptr<Mount>>;
  return *table;
}

bool starts_with(std::string_view s, std::string_view prefix)
{
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

// "/disk" -> "/disk/", "/" -> "/"
std::string as_folder(const std::string& path)
{
  return path == "/" ? path : path + "/";
}

bool valid_component(const std::string& name)
{
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
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

}  // namespace

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
  for (auto& m : mount_table()) {
    if (path != m->path && !starts_with(path, m->path + "/"))
      continue;
    fat::Entry e = m->volume.root();
    std::string_view rest = std::string_view(path).substr(m->path.size());
    size_t i = 0;
    while (i < rest.size()) {
      size_t j = rest.find('/', i);
      if (j == std::string_view::npos)
        j = rest.size();
      if (j > i) {
        if (!e.dir)
          return -ENOTDIR;
        fat::Entry next;
        if (int err = m->volume.find(e, rest.substr(i, j - i), next))
          return err;
        e = std::move(next);
      }
      i = j + 1;
    }
    out = Node{m.get(), path, e.dir, e.cluster, e.size, e.mtime};
    return 0;
  }
  // A folder made of mount points: "/", or a proper prefix of one.
  bool folder = path == "/";
  for (auto& m : mount_table())
    folder = folder || starts_with(m->path, as_folder(path));
  if (!folder)
    return -ENOENT;
  out = Node{nullptr, path, true, 0, 0, 0};
  return 0;
}

int list(const Node& dir, std::vector<Dirent>& out)
{
  if (!dir.dir)
    return -ENOTDIR;
  if (dir.mount) {
    fat::Entry e;
    e.dir = true;
    e.cluster = dir.cluster;
    std::vector<fat::Entry> entries;
    if (int err = dir.mount->volume.list(e, entries))
      return err;
    for (auto& en : entries)
      out.push_back(Dirent{std::move(en.name), en.dir, en.size, en.mtime});
    return 0;
  }
  std::string prefix = as_folder(dir.path);
  for (auto& m : mount_table()) {
    if (!starts_with(m->path, prefix))
      continue;
    std::string child = m->path.substr(prefix.size());
    child = child.substr(0, child.find('/'));
    bool seen = false;
    for (auto& d : out)
      seen = seen || d.name == child;
    if (!seen)
      out.push_back(Dirent{child, true, 0, 0});
  }
  return 0;
}

long read(const Node& file, uint64_t off, void* buf, size_t len, Cursor& cur)
{
  if (file.dir)
    return -EISDIR;
  if (!file.mount)
    return -EIO;
  fat::Entry e;
  e.cluster = file.cluster;
  e.size = file.size;
  fat::Volume::Cursor c{cur.index, cur.cluster};
  long n = file.mount->volume.read(e, off, buf, len, c);
  cur.index = c.index;
  cur.cluster = c.cluster;
  return n;
}

uint64_t device_number(const Node& n)
{
  return n.mount ? n.mount->index + 1 : 0;
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
  return n.mount ? n.mount->volume.cluster_bytes() : 4096;
}

std::vector<Mount_info> mounts()
{
  std::vector<Mount_info> out;
  for (auto& m : mount_table())
    out.push_back(Mount_info{m->path, m->dev->name(), m->dev->description(),
                             m->volume.type(), m->volume.bytes()});
  return out;
}

}  // namespace ukbase::vfs

namespace ukbase {

void mount_filesystems()
{
  auto& table = vfs::mount_table();
  for (auto& dev : block_devices()) {
    std::string where = dev->memory() ? "/memdisk" : "/disk/" + dev->name();
    std::string size = vfs::human_size(dev->sectors() * Block_device::SECTOR);
    bool taken = false;
    for (auto& m : table)
      taken = taken || m->path == where;
    if (!vfs::valid_component(dev->name()) || taken) {
      kprintf("     [ Disk ] %s (%s, %s): no usable name, not mounted\n",
              dev->name().c_str(), dev->description().c_str(), size.c_str());
      continue;
    }
    auto m = std::make_unique<vfs::Mount>();
    m->path = where;
    m->dev = dev.get();
    m->index = static_cast<unsigned>(table.size());
    if (!m->volume.mount(*dev)) {
      kprintf("     [ Disk ] %s (%s, %s): no FAT file system, not mounted\n",
              dev->name().c_str(), dev->description().c_str(), size.c_str());
      continue;
    }
    kprintf("     [ Disk ] %s: %s on %s (%s)\n", where.c_str(), m->volume.type(),
            dev->description().c_str(), size.c_str());
    table.push_back(std::move(m));
  }
}

}  // namespace ukbase
