// disks: reads files from its data disk (/disk/data, [[vm.disk]] "data")
// and from its memdisk (/memdisk, [build] memdisk), lists a folder, and
// prints its [build] config JSON; then main() returns and the service ends.
//
// The C and C++ file APIs work on these paths as on any POSIX system
// (read-only); <fs> is ukbase's own, shorter way.
#include <algorithm>
#include <cstdio>
#include <dirent.h>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <vector>

#include <config>
#include <fs>
#include <os>

namespace {

std::string first_line(const std::string& path)
{
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line))
    return "<cannot read " + path + ">";
  return line;
}

// opendir/readdir and stat: "name/ (folder)" or "name (N bytes)", sorted.
std::string describe_folder(const std::string& path)
{
  std::vector<std::string> items;
  DIR* dir = opendir(path.c_str());
  if (!dir)
    return "<cannot open " + path + ">";
  while (dirent* e = readdir(dir)) {
    std::string name = e->d_name;
    if (name == "." || name == "..")
      continue;
    struct stat st;
    if (stat((path + "/" + name).c_str(), &st) != 0)
      continue;
    items.push_back(S_ISDIR(st.st_mode) ? name + "/ (folder)"
                                        : name + " (" + std::to_string(st.st_size) + " bytes)");
  }
  closedir(dir);
  std::sort(items.begin(), items.end());
  std::string out;
  for (auto& item : items)
    out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

int main()
{
  std::string devices;
  for (auto& d : fs::devices())
    devices += (devices.empty() ? "" : "; ") + d.name + " (" + d.driver + ", "
               + (d.type.empty() ? "no file system" : d.type) + ")"
               + (d.mount_point.empty() ? "" : " at " + d.mount_point);
  std::cout << "devices: " << devices << "\n";

  // The data disk: std::ifstream, a long file name, a folder, stdio.
  std::cout << "readme.txt: " << first_line("/disk/data/readme.txt") << "\n";
  std::cout << "A file with a long name.txt: "
            << first_line("/disk/data/A file with a long name.txt") << "\n";
  std::cout << "/disk/data/notes: " << describe_folder("/disk/data/notes") << "\n";
  if (FILE* f = std::fopen("/disk/data/notes/2026/january.txt", "r")) {
    char buf[128] = {};
    std::fgets(buf, sizeof buf, f);
    std::fclose(f);
    std::printf("notes/2026/january.txt: %s", buf);
  }

  // The memdisk, with the native API.
  if (auto motd = fs::read_file("/memdisk/motd.txt"))
    std::cout << "motd.txt: " << *motd;
  if (auto html = fs::read_file("/memdisk/www/index.html")) {
    auto lines = std::count(html->begin(), html->end(), '\n');
    auto from = html->find("<title>") + 7, to = html->find("</title>");
    std::cout << "www/index.html: " << lines << " lines, title \""
              << html->substr(from, to - from) << "\"\n";
  }

  // The configuration, one line at a time.
  const Config& config = Config::get();
  std::istringstream text(std::string(config.view()));
  for (std::string line; std::getline(text, line);)
    std::cout << "config: " << line << "\n";
  return 0;
}
