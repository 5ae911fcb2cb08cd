"""checksum: CRC-32 and Adler-32, a small static library for services."""

import os

from conan import ConanFile
from conan.tools.files import copy
from conan.tools.env import VirtualBuildEnv


class Checksum(ConanFile):
    name = "checksum"
    version = "1.0.0"
    license = "Apache-2.0"
    description = "CRC-32 (IEEE 802.3) and Adler-32 checksums"
    settings = "os", "arch", "compiler", "build_type"
    exports_sources = "include/*", "src/*"
    package_type = "static-library"

    def build(self):
        env = VirtualBuildEnv(self).vars()
        cxx = env.get("CXX", "c++")
        ar = env.get("AR", "ar")
        opt = "-O0 -g" if self.settings.build_type == "Debug" else "-O2"
        std = self.settings.get_safe("compiler.cppstd") or "17"
        std = f"gnu++{std[3:]}" if std.startswith("gnu") else f"c++{std}"
        objects = []
        for source in ("crc32.cpp", "adler32.cpp"):
            obj = source.replace(".cpp", ".o")
            self.run(f"{cxx} {opt} -std={std} -ffile-prefix-map={self.source_folder}=checksum "
                     f"-I{os.path.join(self.source_folder, 'include')} "
                     f"-c {os.path.join(self.source_folder, 'src', source)} -o {obj}", env="conanbuild")
            objects.append(obj)
        self.run(f"{ar} rcD libchecksum.a {' '.join(objects)}", env="conanbuild")

    def package(self):
        copy(self, "*.h", os.path.join(self.source_folder, "include"),
             os.path.join(self.package_folder, "include"))
        copy(self, "libchecksum.a", self.build_folder, os.path.join(self.package_folder, "lib"))

    def package_info(self):
        self.cpp_info.libs = ["checksum"]
