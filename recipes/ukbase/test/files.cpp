// ukbase selftest: block devices, FAT and the file APIs.
// Arguments: the mount points to check, each holding the same test tree
// (selftest.py builds it): hello.txt, "A long file name.txt", sub/,
// sub/deeper/nested.txt, big.bin. Prints "[files] ... ok" lines and the
// FNV-1a hash of big.bin, which the selftest compares with its own.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include <config>
#include <fs.hpp>
#include <os>

namespace {

int failures = 0;

void check(bool ok, const std::string& what)
{
  std::printf("[files] %s %s\n", what.c_str(), ok ? "ok" : "FAILED");
  if (!ok)
    failures++;
}

uint32_t fnv1a(const std::string& s)
{
  uint32_t h = 2166136261u;
  for (unsigned char c : s)
    h = (h ^ c) * 16777619u;
  return h;
}

std::string read_stdio(const std::string& path)
{
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f)
    return "<fopen: " + std::string(std::strerror(errno)) + ">";
  std::string out;
  char buf[100];                          // small: many reads, odd sizes
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
    out.append(buf, n);
  std::fclose(f);
  return out;
}

void check_tree(const std::string& root)
{
  std::string hello = read_stdio(root + "/hello.txt");
  check(hello == "Hello from the disk\n", root + ": fopen/fread hello.txt");
  std::printf("[files] %s/hello.txt: %s", root.c_str(), hello.c_str());

  std::ifstream in(root + "/A long file name.txt");
  std::string line;
  std::getline(in, line);
  check(in.good() && line == "long names work", root + ": ifstream on a long file name");

  std::ifstream upper(root + "/HELLO.TXT");
  check(upper.good(), root + ": names without regard to case");

  std::string nested = read_stdio(root + "/sub/deeper/nested.txt");
  check(nested == "nested three levels down\n", root + ": subfolders");

  // opendir/readdir of the root, skipping . and ..
  std::vector<std::string> names;
  if (DIR* d = opendir(root.c_str())) {
    while (struct dirent* e = readdir(d)) {
      if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, ".."))
        names.push_back(std::string(e->d_name) + (e->d_type == DT_DIR ? "/" : ""));
    }
    closedir(d);
  }
  std::string joined;
  for (auto& n : names)
    joined += (joined.empty() ? "" : ",") + n;
  std::printf("[files] %s lists: %s\n", root.c_str(), joined.c_str());
  check(names.size() == 4, root + ": opendir/readdir");

  struct stat st;
  check(stat((root + "/big.bin").c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 300000,
        root + ": stat of a file");
  check(stat((root + "/sub").c_str(), &st) == 0 && S_ISDIR(st.st_mode), root + ": stat of a folder");
  check(stat((root + "/missing").c_str(), &st) == -1 && errno == ENOENT, root + ": stat ENOENT");
  errno = 0;
  check(stat((root + "/missing").c_str(), nullptr) == -1 && errno == EFAULT,
        root + ": stat with a null buffer: EFAULT, before the path is looked at");
  errno = 0;
  check(lstat((root + "/sub").c_str(), nullptr) == -1 && errno == EFAULT,
        root + ": lstat with a null buffer: EFAULT");
  check(access((root + "/hello.txt").c_str(), R_OK) == 0 && access((root + "/hello.txt").c_str(), W_OK) == -1
            && errno == EROFS, root + ": access");
  check(open((root + "/new.txt").c_str(), O_WRONLY | O_CREAT, 0644) == -1 && errno == EROFS,
        root + ": writing answers EROFS");

  // The big file three ways: stdio, the native API, lseek + pread.
  std::string big = read_stdio(root + "/big.bin");
  std::printf("[files] %s/big.bin: %zu bytes, fnv1a %08x\n", root.c_str(), big.size(), fnv1a(big));
  auto whole = fs::read_file(root + "/big.bin");
  check(whole && *whole == big, root + ": fs::read_file");
  int fd = open((root + "/big.bin").c_str(), O_RDONLY);
  char part[10];
  bool seek_ok = fd >= 0 && lseek(fd, 123456, SEEK_SET) == 123456 && read(fd, part, 10) == 10
                 && std::memcmp(part, big.data() + 123456, 10) == 0
                 && pread(fd, part, 10, 299995) == 5 && std::memcmp(part, big.data() + 299995, 5) == 0
                 && lseek(fd, 0, SEEK_END) == 300000;
  if (fd >= 0)
    close(fd);
  check(seek_ok, root + ": lseek/read/pread");

  check(chdir((root + "/sub").c_str()) == 0 && read_stdio("deeper/../deeper/nested.txt") == nested,
        root + ": chdir and relative paths");
  chdir("/");
  check(fs::file_size(root + "/big.bin") == 300000 && fs::list(root + "/sub").size() == 1,
        root + ": fs::file_size, fs::list");
}

}  // namespace

int main(int argc, const char* argv[])
{
  for (auto& d : fs::devices())
    std::printf("[files] device %s (%s), %llu bytes, %s %s\n", d.name.c_str(), d.driver.c_str(),
                (unsigned long long)d.bytes, d.type.empty() ? "-" : d.type.c_str(),
                d.mount_point.empty() ? "-" : d.mount_point.c_str());
  for (auto& e : fs::list("/"))
    std::printf("[files] / has %s\n", e.name.c_str());
  for (int i = 1; i < argc; i++)
    check_tree(argv[i]);

  const Config& cfg = Config::get();
  std::printf("[files] config (%zu bytes): %s\n", cfg.size(), cfg.empty() ? "<none>" : cfg.data());
  std::printf("[files] %d failures\n", failures);
  return failures ? 1 : 0;
}
