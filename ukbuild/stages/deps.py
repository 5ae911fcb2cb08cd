"""What conan resolved for a service: the platform and its other packages.

``deps:S`` writes this as ``deps.json``; every later stage reads it. Each
package carries an ``id`` (reference, recipe revision, package id, package
revision), so that a change of any package changes ``deps.json`` and the
stages that depend on it run again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Package:
    ref: str
    id: str
    folder: Path
    include_dirs: tuple[Path, ...] = ()
    archives: tuple[Path, ...] = ()  # static libraries, in link order
    defines: tuple[str, ...] = ()
    cflags: tuple[str, ...] = ()
    cxxflags: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {
            "ref": self.ref, "id": self.id, "folder": str(self.folder),
            "include_dirs": [str(p) for p in self.include_dirs],
            "archives": [str(p) for p in self.archives],
            "defines": list(self.defines),
            "cflags": list(self.cflags), "cxxflags": list(self.cxxflags),
        }

    @classmethod
    def from_json(cls, data: dict) -> "Package":
        return cls(
            ref=data["ref"], id=data["id"], folder=Path(data["folder"]),
            include_dirs=tuple(Path(p) for p in data.get("include_dirs", ())),
            archives=tuple(Path(p) for p in data.get("archives", ())),
            defines=tuple(data.get("defines", ())),
            cflags=tuple(data.get("cflags", ())), cxxflags=tuple(data.get("cxxflags", ())),
        )


@dataclass(frozen=True)
class Deps:
    platform: Package
    requires: tuple[Package, ...] = field(default_factory=tuple)

    def to_json(self) -> dict:
        return {"format": 1, "platform": self.platform.to_json(),
                "requires": [p.to_json() for p in self.requires]}

    @classmethod
    def from_json(cls, data: dict) -> "Deps":
        return cls(platform=Package.from_json(data["platform"]),
                   requires=tuple(Package.from_json(p) for p in data.get("requires", ())))

    def folders(self) -> list[Path]:
        return [self.platform.folder] + [p.folder for p in self.requires]
