"""ukbase: a small x86_64 unikernel platform, laid out like an IncludeOS install.

The package holds the hosted C/C++ runtime (libc++, libc++abi, libunwind,
musl, as zig builds them for x86_64-linux-musl) with its headers, the kernel
archives (libos.a, libarch.a, drivers/stdout/libdefault_stdout.a, the device
drivers drivers/lib{virtioblk,virtionet,ide}.a), the boot sector of bootable
disk images (boot/mbr.bin), the link script, src/service_name.cpp and
platform.toml, which tells ukbuild how to compile, link and boot a service
against it (docs/platform.md).

The toolchain is zig's clang/lld: found through the `ziglang` Python package
(the binary next to ziglang/__init__.py), or conf `user.ukbase:zig`.
`user.ukbase:zig_cache` chooses zig's global cache folder (where zig builds
its runtime once, about a minute and a half).
"""
import os
import shlex
import shutil
import sys

from conan import ConanFile
from conan.errors import ConanInvalidConfiguration
from conan.tools.build import build_jobs
from conan.tools.env import Environment
from conan.tools.files import copy


class UkbaseConan(ConanFile):
    name = "ukbase"
    version = "0.1.0"
    description = "x86_64 unikernel platform for IncludeOS-style C++ services"
    license = "Apache-2.0"
    package_type = "static-library"
    settings = "os", "arch", "compiler", "build_type"
    exports_sources = (
        "platform.toml", "config.schema.json", "linker.ld", "include/*", "src/*", "kernel/*",
        "arch/*", "drivers/*", "tools/*", "boot/*",
    )
    no_copy_source = True

    # -isystem directories, in search order (platform.toml has the same list).
    include_dirs = [
        "include/os",
    "include/compat",
        "include/c++/v1",
        "include/clang",
        "include/libc/x86_64-linux-musl",
        "include/libc/generic-musl",
        "include/libc/x86-linux-any",
        "include/libc/any-linux-any",
        "include/unwind",
    ]
    # Link order (one group), as in platform.toml.
    libs = ["os", "arch", "c++", "c++abi", "unwind", "c", "zigc", "compiler_rt"]

    def validate(self):
        if self.settings.arch != "x86_64":
            raise ConanInvalidConfiguration("ukbase is x86_64 only")
        if self.settings.os != "baremetal":
            raise ConanInvalidConfiguration("ukbase is built with os=baremetal")

    def package_id(self):
        # One binary serves Release and Debug services and every C++ standard:
        # the runtime and the kernel are always built optimised, and the
        # service's own objects carry its build type and standard.
        del self.info.settings.build_type
        if self.info.settings.get_safe("compiler.cppstd") is not None:
            del self.info.settings.compiler.cppstd

    def _zig(self):
        zig = self.conf.get("user.ukbase:zig")
        if zig:
            return zig
        try:
            import ziglang
        except ImportError as e:
            raise ConanInvalidConfiguration(
                "ukbase needs zig: install the `ziglang` Python package next to "
                "conan, or set conf user.ukbase:zig=/path/to/zig") from e
        exe = "zig.exe" if os.name == "nt" else "zig"
        return os.path.join(os.path.dirname(ziglang.__file__), exe)

    def build(self):
        zig = self._zig()
        if not os.path.isfile(zig):
            raise ConanInvalidConfiguration("zig not found at %s" % zig)
        objcopy = shutil.which("objcopy")
        if not objcopy:
            raise ConanInvalidConfiguration("GNU objcopy (binutils) is needed")
        script = os.path.join(self.source_folder, "tools", "build.py")
        cmd = [sys.executable, script, "--zig", zig, "--objcopy", objcopy,
               "--source", self.source_folder, "--build", self.build_folder,
               "--stage", os.path.join(self.build_folder, "stage"),
               "--jobs", str(build_jobs(self) or 2)]
        env = Environment()
        cache = self.conf.get("user.ukbase:zig_cache")
        if cache:
            env.define("ZIG_GLOBAL_CACHE_DIR", cache)
        with env.vars(self).apply():
            self.run(" ".join(shlex.quote(c) for c in cmd))

    def package(self):
        copy(self, "*", src=os.path.join(self.build_folder, "stage"), dst=self.package_folder)

    def package_info(self):
        self.cpp_info.includedirs = list(self.include_dirs)
        self.cpp_info.libdirs = ["lib"]
        self.cpp_info.libs = list(self.libs)
        self.cpp_info.bindirs = []
        self.cpp_info.set_property("ukbase_platform_toml", "platform.toml")
