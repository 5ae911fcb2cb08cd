"""An IncludeOS-shaped service imported, built with doit and booted: its
test passes through vmrunner's SUCCESS line (the service never powers
off) and through an expected panic; coroutines with SMP tasks build as
C++20 and run on the one CPU."""

import re
import time

import pytest

from support import Project, includeos_folder

pytestmark = pytest.mark.e2e

CMAKE = """cmake_minimum_required(VERSION 3.31.6)
project(service)
include(os)
set(SOURCES service.cpp)
os_add_executable({target} "{name}" ${{SOURCES}})
os_add_stdout({target} default_stdout)
configure_file(test.py ${{CMAKE_CURRENT_BINARY_DIR}})
"""

SUCCESS_CPP = """#include <os>
#include <cstdio>
void Service::start()
{
  std::printf("argv says: %s\\n", os::cmdline_args());
  INFO("Test", "SUCCESS");
  // no os::shutdown(): vmrunner stops the VM at the SUCCESS line
}
"""

PANIC_CPP = """#include <os>
#include <cstdio>
void Service::start()
{
  std::printf("about to fail\\n");
  os::panic("on purpose");
}
"""

# Coroutines (IncludeOS's Coroutines TS names) whose work is handed to
# SMP tasks, as IncludeOS's services write them.
CORO_CPP = r"""#include <os>
#define SMP_DEBUG 1
#include <smp>
#include <experimental/coroutine>
#include <cstdio>
#include <vector>

struct task {
  struct promise_type {
    int value = 0;
    task get_return_object() { return task{handle::from_promise(*this)}; }
    std::experimental::suspend_never initial_suspend() { return {}; }
    std::experimental::suspend_always final_suspend() noexcept { return {}; }
    void return_value(int v) { value = v; }
    void unhandled_exception() {}
  };
  using handle = std::experimental::coroutine_handle<promise_type>;
  handle h;
  ~task() { if (h) h.destroy(); }
};

struct on_cpu {          // resume the coroutine from an SMP task
  bool await_ready() { return false; }
  void await_suspend(std::experimental::coroutine_handle<> h) { SMP::add_task([h] { h.resume(); }); }
  int await_resume() { return SMP::cpu_id(); }
};

task sum(int n)
{
  int total = 0;
  for (int i = 1; i <= n; i++) {
    total += i + co_await on_cpu{};
  }
  co_return total;
}

void Service::start()
{
  std::vector<int> per_cpu(SMP::early_cpu_total());
  task t = sum(10);
  int done = 0;
  SMP::add_task([&per_cpu] { PER_CPU(per_cpu)++; }, [&done] { done++; });
  SMP::signal();
  CPULOG("all resumed\n");
  std::printf("sum %d, cpus %d, per cpu %d, done %d\n", t.h.promise().value, SMP::cpu_count(),
              per_cpu[0], done);
  if (t.h.done() && t.h.promise().value == 55 && per_cpu[0] == 1 && done == 1)
    INFO("Coroutines", "SUCCESS");
}
"""

PANIC_TEST = r'''from vmrunner import vmrunner
vm = vmrunner.vms[0]
counter = 0
def is_good(line):
    global counter
    counter += 1
    if counter == 2:
        vm.exit(0, "All tests passed")
vm.on_output("\\x15\\x07\\t\*\*\*\* PANIC \*\*\*\*", is_good)
vm.on_output("about to fail", is_good)
vm.boot(20, image_name="panicker.elf.bin")
'''


def includeos_service(project, folder, target, name, cpp, test_py, vm_json=None):
    path = project.path(f"services/{folder}")
    path.mkdir(parents=True)
    (path / "CMakeLists.txt").write_text(CMAKE.format(target=target, name=name))
    (path / "service.cpp").write_text(cpp)
    (path / "test.py").write_text(test_py)
    if vm_json:
        (path / "vm.json").write_text(vm_json)


def test_an_imported_service_builds_boots_and_passes_by_its_success_line(tmp_path):
    project = Project(tmp_path, services=())
    includeos_service(project, "greeter", "Greeter", "Greeter test", SUCCESS_CPP,
                      "import vmrunner\nvmrunner.vms[0].boot(60, image_name='Greeter.elf.bin')\n",
                      '{"mem": 64, "image": "greeter.img"}')
    includeos_service(project, "panicker", "panicker", "Panic test", PANIC_CPP, PANIC_TEST)
    includeos_service(project, "coro", "coro", "Coroutines test", CORO_CPP,
                      "from vmrunner import vmrunner\nvmrunner.vms[0].boot(30)\n")
    for folder in ("greeter", "panicker", "coro"):
        imported = project.ukbuild("import", f"services/{folder}")
        assert imported.status == 0, imported
        assert imported.out.startswith(f"services/{folder}/service.toml: written from CMakeLists.txt"), imported
    toml = project.path("services/greeter/service.toml").read_text()
    assert "success = 'SUCCESS'" in toml and "timeout = 60" in toml and "memory = 64" in toml, toml
    built = project.doit()
    assert built.status == 0, built
    started = time.monotonic()
    result = project.doit("-v", "2", "test:greeter")
    assert result.status == 0, result
    assert time.monotonic() - started < 40, "stopped at the SUCCESS line, not at the timeout"
    assert re.search(r"^argv says: .*booted with vmrunner$", result.out, re.M), result
    direct = project.ukbuild("test", "greeter")
    assert direct.status == 0 and "the success line appeared" in direct.out, direct
    panicked = project.ukbuild("test", "panicker")
    assert panicked.status == 0, panicked
    assert "the service panicked, as expected" in panicked.out, panicked
    assert "std = 'c++20'" in project.path("services/coro/service.toml").read_text()
    coro = project.doit("-v", "2", "test:coro")
    assert coro.status == 0 and "[ Coroutines ] SUCCESS" in coro.out, coro
    assert "<CPU 0> all resumed\nsum 55, cpus 1, per cpu 1, done 1" in coro.out, coro


IMAGE_CPP = r"""#include <os>
#include <memdisk>
#include <cstdio>
#include <string>

void Service::start()
{
  auto disk = fs::shared_memdisk();
  CHECKSERT(!disk->empty(), "the memdisk has sectors");
  CHECKSERT(disk->dev().size() == 3, "3 sectors, as the image has");
  for (uint64_t i = 0; i < 3; i++) {
    auto buf = disk->dev().read_sync(i);
    std::printf("sector %llu starts with %s\n", (unsigned long long) i,
                std::string((const char*) buf->data(), 6).c_str());
  }
  CHECKSERT(disk->dev().read_sync(3) == nullptr, "nothing past the end");
  INFO("Memdisk", "SUCCESS");
}
"""


def test_an_image_file_memdisk_is_linked_in_as_it_is(tmp_path):
    """os_add_memdisk(image): [build] memdisk names the file, whose sectors
    the service reads back unchanged (no file system made of it)."""
    project = Project(tmp_path, services=())
    sectors = b"".join(f"SECT-{i}".encode().ljust(512, b".") for i in range(3))
    path = includeos_folder(project, "sectors", "Memdisk image test", {
        "service.cpp": IMAGE_CPP, "three.disk": sectors,
        "test.py": "from vmrunner import vmrunner\nvmrunner.vms[0].boot(20)\n"},
        "os_add_memdisk({target} ${{CMAKE_CURRENT_SOURCE_DIR}}/three.disk)\n")
    imported = project.ukbuild("import", "services/sectors")
    assert imported.status == 0 and "memdisk = 'three.disk'" in \
        (path / "service.toml").read_text(), imported
    result = project.doit("-v", "2", "test:sectors")
    assert result.status == 0, result
    for i in range(3):
        assert f"sector {i} starts with SECT-{i}" in result.out, result
    assert "[x] nothing past the end" in result.out, result


DISK_SCRIPT = """#!/bin/bash
set -e
DISK=notes.disk
MOUNTDIR=tmpdisk
if [ $# -eq 0 ]
then
  rm -f $DISK
  truncate -s 64M $DISK
  sudo mkfs.fat -F 32 $DISK
  mkdir -p $MOUNTDIR
  sudo mount -o rw $DISK $MOUNTDIR/
  sudo cp note.txt $MOUNTDIR/
  sudo mkdir -p $MOUNTDIR/inbox/old
  sudo cp note.txt $MOUNTDIR/inbox/old/kept.txt
  sync
  sudo umount $MOUNTDIR/
  rmdir $MOUNTDIR
elif [ $1 = "clean" ]
then
  rm -f $DISK
fi
"""

DISK_TEST = """import subprocess
from vmrunner import vmrunner
vm = vmrunner.vms[0]
subprocess.call(["./make_disk.sh"], shell=True, timeout=20)
vm.on_exit(lambda: subprocess.call(["./make_disk.sh", "clean"]))
vm.boot(30, image_name='notes.elf.bin')
"""

DISK_CPP = r"""#include <os>
#include <hal/machine.hpp>
#include <fs/disk.hpp>
#include <cstdio>
#include <string>

static std::shared_ptr<fs::Disk> disk;

void Service::start()
{
  auto& dev = os::machine().get<hw::Block_device>(0);
  disk = std::make_shared<fs::Disk>(dev);
  CHECKSERT(dev.size() == 64 * 2048, "64 MiB, as the script truncates it");
  disk->init_fs([] (fs::error_t err, fs::File_system& fs) {
    CHECKSERT(!err, "mounted");
    std::printf("file system: %s\n", fs.name().c_str());
    fs.ls("/", [] (fs::error_t err, auto ents) {
      CHECKSERT(!err, "listed the root");
      for (auto& e : *ents)
        std::printf("root holds %s (%s)\n", e.name().c_str(), e.type_string().c_str());
      disk->fs().read_file("/inbox/old/kept.txt", [] (fs::error_t err, fs::buffer_t buf) {
        CHECKSERT(!err, "read the copy under another name");
        std::printf("kept.txt says: %s\n", std::string((const char*) buf->data(), buf->size()).c_str());
        INFO("Disk", "SUCCESS");
      });
    });
  });
}
"""


def test_a_disk_that_a_script_makes_is_made_by_ukbuild(tmp_path):
    """A test.py that runs a disk script (truncate, mkfs.fat, mount, cp,
    mkdir: root's work on IncludeOS) gets the same FAT disk as a [[vm.disk]]
    of files, which ukbuild makes with mtools; the service reads it the way
    IncludeOS's fs tests do, files listed in the order the script made them."""
    project = Project(tmp_path, services=())
    path = includeos_folder(project, "notes", "Disk script test", {
        "service.cpp": DISK_CPP, "note.txt": "remember the milk", "make_disk.sh": DISK_SCRIPT,
        "test.py": DISK_TEST,
        "vm.json": '{"drives": [{"file": "../notes.disk", "type": "virtio", "format": "raw", '
                   '"media": "disk"}]}'},
        "os_add_drivers({target} virtioblk)\n")
    imported = project.ukbuild("import", "services/notes")
    assert imported.status == 0, imported
    assert "is made by make_disk.sh: written as the 64 MiB FAT disk it makes, of 2 files" \
        in imported.out, imported
    toml = (path / "service.toml").read_text()
    assert "fat = 32" in toml and "'inbox/old/kept.txt' = 'note.txt'" in toml, toml
    result = project.doit("-v", "2", "test:notes")
    assert result.status == 0, result
    assert "file system: FAT32" in result.out, result
    roots = re.findall(r"^root holds (\S+) \((\w+)\)", result.out, re.M)
    assert [name for name, _ in roots] == ["note.txt", "inbox"], result
    assert "kept.txt says: remember the milk" in result.out, result
    assert not (path / "notes.disk").exists(), "the script itself never ran"
    again = project.doit("disk:notes:notes")
    assert again.status == 0 and "-- disk:notes:notes" in again.out, again
