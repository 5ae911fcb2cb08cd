// ukbase selftest: IncludeOS's file system and device API (<hal/machine.hpp>,
// <hw/devices.hpp>, <fs/disk.hpp>, <memdisk>, <fs/vfs.hpp>), used the way
// IncludeOS's own services use it, and the POSIX calls on what it mounts.
// includeos_fs.py builds the disks and boots it on pc with:
//   * a memdisk (FAT12): banana.txt, dir1/dir2/deep.txt, etc/passwd;
//   * IDE 0:0, serial "idedisk": one FAT32 file system, banana.txt;
//   * virtio-blk, serial "whole": one FAT16 file system, banana.txt
//     written before dir1/dir2/dir3/banana.txt (files first on disk);
//   * virtio-blk, serial "parts": an MBR, partition 1 (type 0x0C) at
//     LBA 2048 holding FAT32 with pictures/profile.txt;
//   * config.json: "vfs" mounts of memdisk:/etc on /mnt/etc and of
//     parts:/pictures on /mnt/pictures.
// The first word of the command line says whether the "vfs" plugin is
// linked ("plugin") or not ("bare"); "nodisk" is a kernel without any of
// the above, "raw" one whose memdisk is two sectors of text. Prints
// "[iosfs] <check> ok" lines and ends with "[iosfs] N failures".
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <random>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include <fs/vfs.hpp>
#include <hal/machine.hpp>
#include <hw/devices.hpp>
#include <memdisk>
#include <os>
#include <timers>

namespace {

const std::string banana = "Bananas are berries; strawberries are not.\n";
int failures = 0;
int async_done = 0;
const int ASYNC_EXPECTED = 9;
bool with_plugin = false;

void check(bool ok, const std::string& what)
{
  std::printf("[iosfs] %s %s\n", what.c_str(), ok ? "ok" : "FAILED");
  if (!ok)
    failures++;
}

template <class Ex, class F>
bool throws(F f, std::string* what = nullptr)
{
  try {
    f();
  } catch (const Ex& e) {
    if (what)
      *what = e.what();
    return true;
  } catch (...) {
  }
  return false;
}

std::string names_of(const fs::dirvector& ents)
{
  std::string s;
  for (auto& e : ents)
    s += (s.empty() ? "" : ",") + e.name() + (e.is_dir() ? "/" : "");
  return s;
}

std::string posix_read(const std::string& path)
{
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0)
    return "<open: " + std::string(std::strerror(errno)) + ">";
  std::string out;
  char buf[64];
  long n;
  while ((n = read(fd, buf, sizeof buf)) > 0)
    out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

std::string posix_list(const std::string& path)
{
  std::vector<std::string> names;
  DIR* d = opendir(path.c_str());
  if (!d)
    return "<opendir: " + std::string(std::strerror(errno)) + ">";
  while (struct dirent* e = readdir(d))
    if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, ".."))
      names.push_back(e->d_name);
  closedir(d);
  std::string s;
  for (auto& n : names)
    s += (s.empty() ? "" : ",") + n;
  return s;
}

void finish()
{
  std::printf("[iosfs] %d failures\n", failures);
  os::shutdown();
}

void async_step(const char* what)
{
  std::printf("[iosfs] async: %s\n", what);
  if (++async_done == ASYNC_EXPECTED)
    finish();
}

// ---- devices ---------------------------------------------------------------------

void test_machine()
{
  auto& m = os::machine();
  auto disks = m.get<hw::Block_device>();
  std::string list;
  for (auto& d : disks)
    list += (list.empty() ? "" : " ") + d.get().device_name() + ":" + d.get().driver_name() + ":"
          + std::to_string(d.get().size());
  std::printf("[iosfs] disks: %s\n", list.c_str());
  check(m.count<hw::Block_device>() == 4 && disks.size() == 4, "machine: count<hw::Block_device>() is 4");
  check(disks[0].get().device_name() == "ide0" && disks[1].get().device_name() == "vblk1"
            && disks[2].get().device_name() == "vblk2" && disks[3].get().device_name() == "memdisk3",
        "machine: ide0, vblk1, vblk2, memdisk3 in PCI order, the memdisk last");
  bool ids = true;
  for (size_t i = 0; i < disks.size(); i++)
    ids = ids && disks[i].get().id() == static_cast<int>(i) && disks[i].get().block_size() == 512;
  check(ids, "machine: id() is the index, block_size() 512");
  check(&hw::Devices::drive(1) == &m.get<hw::Block_device>(1), "hw::Devices::drive(N) is get<hw::Block_device>(N)");
  std::string what;
  check(throws<hw::Device_not_found>([] { hw::Devices::drive(9); }, &what)
            && what == "Device of type Block device not found at position #9",
        "hw::Devices::drive(9) throws Device_not_found");
  check(throws<std::out_of_range>([&] { m.get<hw::Block_device>(9); }), "get<hw::Block_device>(9) throws out_of_range");
  check(m.count<hw::Nic>() == 0 && throws<os::detail::Machine_access_error>([&] { m.get<hw::Nic>(); }),
        "no NIC: count 0, get<hw::Nic>() throws Machine_access_error");
  struct Gadget {
    int value = 7;
  };
  ssize_t idx = m.add_new<Gadget>();
  check(idx == 0 && m.get<Gadget>(0).value == 7 && m.count<Gadget>() == 1, "machine: add_new<T>() and get<T>(0)");
  m.remove<Gadget>(0);
  check(m.count<Gadget>() == 0, "machine: remove<T>(0)");

  hw::Block_device& ide = hw::Devices::drive(0);
  auto sector = ide.read_sync(0);
  check(sector && sector->size() == 512 && (*sector)[510] == 0x55 && (*sector)[511] == 0xAA,
        "IDE: read_sync(0) is a boot sector");
  check(ide.read_sync(ide.size()) == nullptr && ide.read_sync(ide.size() - 1, 2) == nullptr,
        "IDE: read_sync past the end is nullptr");
  auto two = ide.read_sync(ide.size() - 2, 2);
  check(two && two->size() == 1024, "IDE: read_sync of the last two sectors");
  // Writes (the disks are QEMU snapshots): the last sector, which no file
  // uses, read back; a part of a sector and the memdisk refuse them.
  static auto mark = fs::construct_buffer(512);
  std::memcpy(mark->data(), "ukbase was here", 16);
  check(ide.write_sync(ide.size() - 1, mark) == false, "IDE: write_sync of the last sector");
  auto back = ide.read_sync(ide.size() - 1);
  check(back && std::memcmp(back->data(), "ukbase was here", 16) == 0, "IDE: the written sector reads back");
  check(ide.write_sync(0, fs::construct_buffer(100)) == true, "IDE: write_sync of a part of a sector is an error");
  check(ide.write_sync(ide.size(), mark) == true, "IDE: write_sync past the end is an error");
  check(m.get<hw::Block_device>(3).write_sync(0, mark) == true, "memdisk: write_sync is an error (read-only)");
  static bool write_returned = false;
  ide.write(ide.size() - 2, mark, [](bool error) {
    check(!error && write_returned, "IDE: write() calls back without an error, from the event loop");
    async_step("Block_device::write");
  });
  write_returned = true;
  static bool read_returned = false, read_ran = false;
  hw::Block_device& whole = m.get<hw::Block_device>(1);
  whole.read(0, 2, [](hw::Block_device::buffer_t buf) {
    read_ran = true;
    check(buf && buf->size() == 1024, "virtio: read(0, 2, cb) delivers 1024 bytes");
    check(read_returned, "virtio: read() calls back from the event loop");
    async_step("Block_device::read");
  });
  read_returned = true;
  check(!read_ran, "virtio: read()'s callback has not run inside the call");
}

// ---- the memdisk -------------------------------------------------------------------

fs::Disk_ptr memdisk_disk;     // held, so that shared_memdisk() stays this one

void test_memdisk()
{
  auto disk = memdisk_disk = fs::shared_memdisk();
  check(disk && !disk->empty() && disk->dev().size() == 2048, "memdisk: shared_memdisk(), 2048 sectors");
  check(fs::new_shared_memdisk() == disk, "memdisk: new_shared_memdisk() is the same Disk while held");
  check(disk->name() == "memdisk3" && disk->device_id() == 3, "memdisk: name() and device_id()");
  check(throws<fs::Disk::Err_not_mounted>([&] { disk->fs(); }) && !disk->fs_ready(),
        "memdisk: fs() before init_fs throws Err_not_mounted");
  bool inside = false;
  disk->init_fs([&inside](fs::error_t err, fs::File_system& fs) {
    inside = true;
    check(!err && fs.name() == "FAT12", "memdisk: init_fs auto-detects FAT12");
    auto list = fs.ls("/");
    std::printf("[iosfs] memdisk / lists: %s\n", names_of(*list.entries).c_str());
    check(!list.error && names_of(*list.entries) == "./,../,dir1/,etc/,banana.txt",
          "memdisk: ls(\"/\"): dot entries and folders before files");
    auto& e = list.entries->at(4);
    check(e.is_file() && !e.is_dir() && e.is_valid() && e.name() == "banana.txt" && e.size() == banana.size()
              && e.type_string() == "File",
          "memdisk: Dirent of banana.txt");
  });
  check(inside && disk->fs_ready(), "memdisk: init_fs's callback ran inside the call");
  disk->init_fs(disk->MBR, [](fs::error_t err, fs::File_system& fs) {
    check(!err, "memdisk: init_fs(Disk::MBR)");
    auto ent = fs.stat("/banana.txt");
    check(ent.is_valid() && ent.is_file() && ent.name() == "banana.txt", "memdisk: stat(\"/banana.txt\")");
    auto buf = fs.read(ent, 0, ent.size());
    check(!buf.error() && buf && buf.to_string() == banana, "memdisk: read(ent, 0, size)");
    bool same = true;
    for (size_t i = 0; i < banana.size(); i++) {
      buf = fs.read(ent, i, 1);
      same = same && buf && buf.size() == 1 && char(buf.data()[0]) == banana[i];
    }
    check(same, "memdisk: one-byte reads at every offset");
    check(fs.read(ent, ent.size(), 10).size() == 0 && fs.read(ent, 40, 100).size() == banana.size() - 40,
          "memdisk: reads at and over the end are short");
    check(fs.read_file("/banana.txt").to_string() == banana && fs.readFile("/BANANA.TXT").to_string() == banana,
          "memdisk: read_file, readFile (names without regard to case)");
    auto missing = fs.stat("/nope.txt");
    check(!missing.is_valid() && missing.type_string() == "Invalid entity", "memdisk: stat of a missing path is an invalid Dirent");
    auto nofile = fs.read_file("/nope.txt");
    check(!nofile && nofile.error() && nofile.error().token() == "No such entry"
              && nofile.error().to_string() == "No such entry: /nope.txt not found",
          "memdisk: read_file of a missing path: E_NOENT");
    auto dir1 = fs.stat("/dir1");
    check(dir1.is_dir() && dir1.type_string() == "Directory" && dir1.block() >= 2, "memdisk: stat of a folder");
    check(fs.read_file("/dir1").error().code() == fs::error_t::E_NOTFILE, "memdisk: read_file of a folder: E_NOTFILE");
    auto deep = dir1.stat_sync({"dir2", "deep.txt"});
    auto deep2 = dir1.stat_sync("dir2/deep.txt");
    check(deep.is_file() && deep.read() == "deep\n" && deep2.read() == deep.read(),
          "memdisk: Dirent::stat_sync with an initializer list and a string");
    auto sub = dir1.ls();
    check(!sub.error && names_of(*sub.entries) == "./,../,dir2/", "memdisk: Dirent::ls() of a folder");
    auto of_file = deep.ls();
    check(of_file.error && of_file.error.code() == fs::error_t::E_NOTDIR && of_file.entries && of_file.entries->empty(),
          "memdisk: Dirent::ls() of a file: E_NOTDIR, no entries");
    int n = 0;
    for (auto& e : fs.ls("/dir1/dir2"))
      n += e.name() == "deep.txt";
    check(n == 1, "memdisk: a List iterates");
    check(deep.modified() > 1500000000u && deep.device_id() == 3 && deep.attrib() != 0xFF,
          "memdisk: modified(), device_id(), attrib()");
    bool cb = false;
    fs.read_file("/etc/passwd", [&cb](fs::error_t err, fs::buffer_t buf) {
      cb = !err && buf && std::string((const char*)buf->data(), buf->size()).find("root:") == 0;
    });
    check(cb, "memdisk: read_file(path, callback) calls back inside the call");
    check(fs.print_subtree("/dir1") == false, "memdisk: print_subtree");
  });
  fs::error_t e1(fs::error_t::E_IO, "disk on fire");
  check(bool(e1) && !fs::no_error && e1.token() == "General I/O error" && e1.reason() == "disk on fire",
        "error_t: true on an error, its token and reason");
  auto buf = fs::construct_buffer(1024);
  check(buf->size() == 1024 && buf->at(1023) == 0, "construct_buffer(1024): 1024 zero bytes");
}

// ---- disks, asynchronously ---------------------------------------------------------

std::shared_ptr<fs::Disk> whole_disk, parts_disk;

void test_whole_disk()
{
  whole_disk = std::make_shared<fs::Disk>(os::machine().get<hw::Block_device>(1));
  static bool returned = false, init_ran = false;
  whole_disk->init_fs([](fs::error_t err, fs::File_system& fs) {
    init_ran = true;
    check(returned, "whole: init_fs calls back from the event loop");
    check(!err && fs.name() == "FAT16", "whole: init_fs auto-detects FAT16");
    fs.ls("/", [](fs::error_t err, fs::Dirvec_ptr ents) {
      check(!err && names_of(*ents) == "banana.txt,dir1/", "whole: async ls(\"/\"): files and folders as stored");
      async_step("ls");
    });
    fs.stat("/dir1/dir2/dir3/banana.txt", [](fs::error_t err, const fs::Dirent& ent) {
      check(!err && ent.is_file() && ent.name() == "banana.txt", "whole: async stat of a deep path");
      whole_disk->fs().read(ent, 0, ent.size(), [](fs::error_t err, fs::buffer_t buf) {
        check(!err && std::string((const char*)buf->data(), buf->size()) == banana, "whole: async read inside stat");
        async_step("read");
      });
      async_step("stat");
    });
    fs.stat("/none", [](fs::error_t err, const fs::Dirent& ent) {
      check(err && err.code() == fs::error_t::E_NOENT && !ent.is_valid(), "whole: async stat of a missing path: E_NOENT");
      async_step("stat missing");
    });
    fs.read_file("/banana.txt", [](fs::error_t err, fs::buffer_t buf) {
      check(!err && buf && std::string((const char*)buf->data(), buf->size()) == banana, "whole: async read_file");
      async_step("read_file");
    });
  });
  returned = true;
  check(!init_ran && whole_disk->fs_ready(), "whole: init_fs made the file system, and calls back later");
}

void test_partitions()
{
  parts_disk = std::make_shared<fs::Disk>(os::machine().get<hw::Block_device>(2));
  parts_disk->partitions([](fs::error_t err, std::vector<fs::Partition>& parts) {
    std::string s;
    for (auto& p : parts)
      s += (s.empty() ? "" : "; ") + p.name() + " at " + std::to_string(p.lba());
    std::printf("[iosfs] parts: %s\n", s.c_str());
    check(!err && parts.size() == 4 && parts[0].name() == "FAT32 (LBA)" && parts[0].lba() == 2048
              && parts[0].sectors == 81920 && parts[1].name() == "Empty" && parts[0].is_boot(),
          "parts: partitions(): FAT32 (LBA) at 2048, then Empty");
    async_step("partitions");
  });
  parts_disk->init_fs(fs::Disk::MBR, [](fs::error_t err, fs::File_system&) {
    check(err && err.code() == fs::error_t::E_MNT, "parts: init_fs(Disk::MBR) finds no file system at sector 0");
    parts_disk->init_fs([](fs::error_t err, fs::File_system& fs) {
      check(!err && fs.name() == "FAT32", "parts: init_fs auto-detects partition 1's FAT32");
      auto* fat = dynamic_cast<fs::FAT*>(&fs);
      check(fat && fat->lba_base() == 2048, "parts: on partition 1 (LBA 2048)");
      // The folder of a disk in the VFS tree, then through POSIX.
      fs::VFS::mount({"/mnt/vfs_pics/"}, parts_disk->device_id(), {"/pictures/"}, "Pictures", [](fs::error_t err) {
        check(!err, "VFS::mount(local, disk id, remote): mounted");
        check(posix_read("/mnt/vfs_pics/profile.txt") == "a likeness\n", "VFS::mount: open/read through the mount point");
        fs::stat("/mnt/vfs_pics/profile.txt", [](fs::error_t err, fs::Dirent ent) {
          check(!err && ent.is_file(), "fs::stat (async) through the mount");
          ent.read([](fs::error_t err, fs::buffer_t buf) {
            check(!err && std::string((const char*)buf->data(), buf->size()) == "a likeness\n",
                  "Dirent::read(callback) of the mounted file");
            async_step("VFS::mount and fs::stat");
          });
        });
      });
    });
  });
}

// ---- the VFS tree ------------------------------------------------------------------

struct Thing {
  virtual ~Thing() = default;
  int secret = 42;
};
struct Other : Thing {};

Thing thing;
Other other;
int counter = 5;
const float tau = 6.28f;
delegate<void()> hook;
bool hook_ran = false;

void test_vfs()
{
  fs::Path p{"usr", "local", "bin"};
  check(p.to_string() == "/usr/local/bin/", "Path: initializer list, to_string() ends in a slash");
  p.pop_back();
  check(p.to_string() == "/usr/local/", "Path: pop_back()");
  p.pop_front();
  check(p.to_string() == "/local/" && fs::Path().to_string() == "/", "Path: pop_front(), an empty path is /");
  std::string tokens;
  for (auto& t : fs::Path{"/a/b//c/./d"})
    tokens += t + ";";
  check(tokens == "a;b;c;d;" && fs::Path("/a//b").state() == -EINVAL, "Path: iteration, empty names and .");

  fs::VFS_entry e1{thing, "Thing", "a thing"};
  check(e1.obj<Thing>().secret == 42 && static_cast<Thing&>(e1).secret == 42, "VFS_entry: obj<T>() and the conversion");
  std::string what;
  check(throws<fs::Err_bad_cast>([&] { e1.obj<Other>(); }, &what), "VFS_entry: another type throws Err_bad_cast");
  fs::VFS_entry e2{other, "Other", ""};
  check(throws<fs::Err_bad_cast>([&] { e2.obj<Thing>(); }), "VFS_entry: a base class throws Err_bad_cast");
  fs::VFS_entry folder{"folder", "a folder"};
  check(throws<fs::Err_not_leaf>([&] { folder.obj<int>(); }), "VFS_entry: a folder holds no object");

  int before = fs::VFS::root().child_count();
  fs::mount("/proc/counters/counter", counter, "A counter");
  fs::mount("/proc/floats/tau", tau, "Twice pi");
  hook = [] { hook_ran = true; };
  fs::mount("/proc/hooks/hook", hook, "A hook");
  check(fs::VFS::root().child_count() == before + 1, "mount: made /proc, one more child of the root");
  fs::get<int>("/proc/counters/counter")++;
  check(counter == 6 && fs::get<int>("proc/counters/counter") == 6, "fs::get<int>: the object itself");
  fs::get<delegate<void()>>("/proc/hooks/hook")();
  check(hook_ran, "fs::get<delegate<void()>>: the delegate, called");
  check(fs::get<const float>("/proc/floats/tau") == 6.28f, "fs::get<const float> of a const mount");
  check(throws<fs::Err_bad_cast>([] { fs::get<float>("/proc/floats/tau"); }, &what)
            && what.find("must be retrieved as const") != std::string::npos,
        "fs::get<float> of a const mount throws Err_bad_cast");
  check(throws<fs::Err_not_found>([] { fs::get<int>("/proc/nothing"); }), "fs::get of a missing path throws Err_not_found");
  check(throws<fs::Err_mountpoint_invalid>([] { fs::mount("/proc/counters", counter, "again"); }, &what)
            && what == "Mount point counters occupied",
        "mount on a taken name throws Err_mountpoint_invalid");
  check(throws<fs::Err_mountpoint_invalid>([] { fs::mount<false>("/nowhere/at/all", counter, "x"); }, &what)
            && what == "nowhere doesn't exist",
        "mount<false> with missing folders throws Err_mountpoint_invalid");

  // A memdisk folder (a Dirent) and the memdisk's file system.
  auto& mfs = fs::shared_memdisk()->fs();
  auto etc = mfs.stat("/etc");
  fs::mount("/srv/etc", etc, "The memdisk's /etc");
  fs::mount("/srv/memdisk", mfs, "The memdisk");
  check(fs::get<fs::Dirent>("/srv/etc").is_dir(), "fs::get<fs::Dirent> of a mounted folder");
  check(fs::VFS::stat_sync("/srv/etc/passwd").read().find("root:") == 0 && fs::stat_sync("/srv/memdisk/dir1/dir2/deep.txt").read() == "deep\n",
        "VFS::stat_sync / fs::stat_sync into mounted Dirents and file systems");
  check(!fs::VFS::stat_sync("/srv/etc/nothing").is_valid() && !fs::stat_sync("/proc/counters/counter").is_valid(),
        "VFS::stat_sync of a missing file or of an object: an invalid Dirent");
  std::ifstream in("/srv/etc/passwd");
  std::string line;
  std::getline(in, line);
  check(line.find("root:") == 0, "POSIX: std::ifstream through a mounted Dirent");
  check(posix_read("/srv/memdisk/dir1/dir2/deep.txt") == "deep\n", "POSIX: open/read through a mounted File_system");
  check(posix_list("/srv/memdisk") == "dir1,etc,banana.txt" && posix_list("/srv") == "etc,memdisk",
        "POSIX: opendir/readdir of a mounted file system and of a tree folder");
  struct stat st;
  check(stat("/srv/etc", &st) == 0 && S_ISDIR(st.st_mode) && stat("/srv/etc/passwd", &st) == 0 && S_ISREG(st.st_mode),
        "POSIX: stat through the mount");
  check(stat("/proc/counters/counter", &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0
            && open("/proc/counters/counter", O_RDONLY) == -1 && errno == EACCES,
        "POSIX: a mounted object is listed, and cannot be opened (EACCES)");
  check(open("/srv/etc/passwd", O_WRONLY) == -1 && errno == EROFS, "POSIX: writing answers EROFS");
  check(chdir("/srv/memdisk/dir1") == 0 && posix_read("dir2/deep.txt") == "deep\n" && chdir("/") == 0,
        "POSIX: chdir into a mount, relative paths");

  // Block devices: a Disk_ptr each.
  for (auto& drv : os::machine().get<hw::Block_device>())
    fs::mount({"dev", drv.get().device_name()}, drv.get(), drv.get().driver_name());
  auto& vblk1 = fs::get<fs::Disk_ptr>("/dev/vblk1");
  check(vblk1->name() == "vblk1" && fs::get<fs::Disk_ptr>("/dev/memdisk3")->device_id() == 3,
        "mount of a hw::Block_device: a Disk_ptr");
  check(throws<fs::Disk::Err_not_mounted>([&] {
          fs::VFS::mount({"/mnt/x"}, vblk1->device_id(), {"/"}, "x", [](fs::error_t) { check(false, "no callback"); });
        }),
        "VFS::mount on a Disk without a file system throws Disk::Err_not_mounted");
  check(throws<fs::Err_not_found>([] { fs::VFS::mount({"/mnt/y"}, 77, {"/"}, "y", [](fs::error_t) {}); }),
        "VFS::mount on an unknown disk throws Err_not_found");
  check(posix_list("/dev/memdisk3") == "dir1,etc,banana.txt",
        "POSIX: a Disk_ptr with a file system (config.json's init of the memdisk) is a folder");
  check(open("/dev/vblk1/banana.txt", O_RDONLY) == -1 && errno == ENOTDIR,
        "POSIX: a Disk_ptr without a file system cannot be looked into");
  // The kernel's own mounts are still there for POSIX.
  check(posix_read("/memdisk/banana.txt") == banana && posix_read("/disk/whole/banana.txt") == banana
            && posix_read("/disk/parts/pictures/profile.txt") == "a likeness\n",
        "POSIX: /memdisk, /disk/whole, /disk/parts (partition 1) still there");
  // config.json's "vfs" mounts.
  check(posix_read("/mnt/etc/passwd").find("root:") == 0 && posix_read("/mnt/pictures/profile.txt") == "a likeness\n",
        "config.json vfs: memdisk:/etc on /mnt/etc, parts:/pictures on /mnt/pictures");
  check(fs::get<fs::Dirent>("/mnt/etc").is_dir(), "config.json vfs: the mount is a Dirent in the tree");
  fs::print_tree();
}

// ---- /dev/random and /dev/urandom --------------------------------------------------

void test_random()
{
  int fd = open("/dev/urandom", O_RDONLY);
  check(fd > 2, "/dev/urandom: open");
  uint8_t a[4096], b[4096];
  std::memset(a, 0, sizeof a);
  std::memset(b, 0, sizeof b);
  check(read(fd, a, sizeof a) == sizeof a && read(fd, b, sizeof b) == sizeof b && std::memcmp(a, b, sizeof a) != 0,
        "/dev/urandom: two 4096-byte reads differ");
  struct stat st;
  check(fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == (1u << 8 | 9), "/dev/urandom: a character device (1, 9)");
  check(close(fd) == 0 && close(fd) == -1, "/dev/urandom: close");
  int rfd = open("/dev/random", O_RDWR);
  long t = 12345;
  check(rfd > 2 && write(rfd, &t, sizeof t) == sizeof t && read(rfd, a, 16) == 16, "/dev/random: write takes it, read reads");
  close(rfd);
  std::random_device rd;
  std::uniform_int_distribution<int> dice(1, 6);
  int counts[7] = {};
  for (int i = 0; i < 600; i++)
    counts[dice(rd)]++;
  bool all = true;
  for (int i = 1; i <= 6; i++)
    all = all && counts[i] > 0;
  check(all, "std::random_device: 600 dice throws");
  check(posix_list("/dev").find("urandom") != std::string::npos, "/dev lists urandom");
}

// No disks, no memdisk, no config.json.
void test_nodisk()
{
  auto& m = os::machine();
  check(m.count<hw::Block_device>() == 0 && throws<os::detail::Machine_access_error>([&] { m.get<hw::Block_device>(); }),
        "nodisk: no block devices, get<hw::Block_device>() throws");
  check(throws<hw::Device_not_found>([] { hw::Devices::drive(0); }), "nodisk: hw::Devices::drive(0) throws Device_not_found");
  auto disk = fs::shared_memdisk();
  check(disk && disk->empty() && disk->dev().size() == 0 && disk->dev().read_sync(0) == nullptr,
        "nodisk: the memdisk is empty (0 sectors)");
  bool called = false;
  disk->init_fs([&called](fs::error_t err, fs::File_system&) { called = err && err.code() == fs::error_t::E_IO; });
  check(called && !disk->fs_ready(), "nodisk: init_fs on the empty memdisk: E_IO, no file system");
  check(fs::VFS::root().child_count() == 0, "nodisk: the VFS root shows nothing");
  fs::mount("/proc/functions/func1", hook, "User function");
  check(fs::VFS::root().child_count() == 1, "nodisk: mount added one element to root");
  test_random();
  finish();
}

// A memdisk that is no file system: two sectors of text.
void test_rawdisk()
{
  auto disk = fs::shared_memdisk();
  check(!disk->empty() && disk->dev().size() == 2, "raw: the memdisk has 2 sectors");
  auto buf = disk->dev().read_sync(0);
  std::string text = buf ? std::string((const char*)buf->data(), buf->size()) : "";
  check(buf && buf->size() == 512 && text.find("It is a truth universally acknowledged") == 0,
        "raw: read_sync(0) is the first sector's text");
  check(disk->dev().read_sync(1) != nullptr && disk->dev().read_sync(disk->dev().size()) == nullptr,
        "raw: read_sync(1) is there, read_sync(size()) is nullptr");
  bool called = false;
  disk->init_fs([&called](fs::error_t err, fs::File_system&) {
    called = err && err.code() == fs::error_t::E_MNT && err.reason() == "No FAT partition auto-detected";
  });
  check(called && !disk->fs_ready(), "raw: init_fs finds no file system (E_MNT)");
  finish();
}

}  // namespace

void Service::start()
{
  if (std::string(os::cmdline_args()).find("nodisk") != std::string::npos)
    return test_nodisk();
  if (std::string(os::cmdline_args()).find("raw") != std::string::npos)
    return test_rawdisk();
  with_plugin = std::string(os::cmdline_args()).find("plugin") != std::string::npos;
  // Without the plugin, the kernel's mounts (and config.json's) are the
  // tree's; IncludeOS's plugin shows /dev/random and /dev/urandom.
  std::printf("[iosfs] root has %d children\n", fs::VFS::root().child_count());
  check(fs::VFS::root().child_count() == (with_plugin ? 2 : 1),
        with_plugin ? "VFS root: /dev and /mnt (plugin and config.json)" : "VFS root: /mnt (config.json)");
  test_machine();
  test_memdisk();
  test_whole_disk();
  test_partitions();
  test_vfs();
  test_random();
  Timers::oneshot(std::chrono::seconds(20), [](Timers::id_t) {
    check(false, "all asynchronous steps done in time (" + std::to_string(async_done) + " of "
                     + std::to_string(ASYNC_EXPECTED) + ")");
    finish();
  });
}
