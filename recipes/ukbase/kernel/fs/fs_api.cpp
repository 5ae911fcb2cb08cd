// The native file API (<fs.hpp>), over the VFS.
#include <cerrno>

#include <fs.hpp>

#include "kernel/block.hpp"
#include "kernel/vfs.hpp"

namespace fs {

namespace {

int lookup(const std::string& path, ukbase::vfs::Node& n)
{
  std::string p = ukbase::vfs::absolute(path, "/");
  if (p.empty())
    return -ENOENT;
  return ukbase::vfs::resolve(p, n);
}

}  // namespace

std::vector<Entry> list(const std::string& path, int* error)
{
  std::vector<Entry> out;
  ukbase::vfs::Node n;
  int err = lookup(path, n);
  std::vector<ukbase::vfs::Dirent> entries;
  if (!err)
    err = ukbase::vfs::list(n, entries);
  if (error)
    *error = -err;
  for (auto& d : entries)
    out.push_back(Entry{std::move(d.name), d.dir, d.size, d.mtime});
  return out;
}

std::optional<Entry> stat(const std::string& path)
{
  ukbase::vfs::Node n;
  if (lookup(path, n))
    return std::nullopt;
  std::string name = n.path == "/" ? "/" : n.path.substr(n.path.rfind('/') + 1);
  return Entry{name, n.dir, n.size, n.mtime};
}

int64_t file_size(const std::string& path)
{
  ukbase::vfs::Node n;
  if (lookup(path, n) || n.dir)
    return -1;
  return n.size;
}

std::optional<std::string> read_file(const std::string& path)
{
  ukbase::vfs::Node n;
  if (lookup(path, n) || n.dir)
    return std::nullopt;
  std::string data(n.size, '\0');
  ukbase::vfs::Cursor cur;
  size_t done = 0;
  while (done < data.size()) {
    long r = ukbase::vfs::read(n, done, &data[done], data.size() - done, cur);
    if (r <= 0)
      return std::nullopt;
    done += static_cast<size_t>(r);
  }
  return data;
}

std::vector<Device> devices()
{
  std::vector<Device> out;
  auto mounts = ukbase::vfs::mounts();
  for (auto& dev : ukbase::block_devices()) {
    Device d{dev.name, dev.description, dev.dev->size() * dev.dev->block_size(), "", ""};
    for (auto& m : mounts)
      if (m.device == dev.name && m.description == dev.description) {
        d.mount_point = m.path;
        d.type = m.type;
      }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace fs
