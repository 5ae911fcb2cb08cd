"""The doit task graph (SPEC section 3). The only module that knows doit.

For each service S, under ``build/S/``:

    recipes ─► deps:S ─► compile:S ─► link:S ─► build:S ─► run:S / test:S
                    └──────────────► launch:S ─┘

Each task declares what it reads (file_dep, and one ``config_changed`` of
the descriptor fields it uses) and what it writes (targets), so doit skips
it when nothing changed. Compilation is one task per service whose action
rebuilds exactly the stale objects (``ukbuild.actions.compile``): doit's
per-task cost is paid per service, not per source file.
"""

from __future__ import annotations

import json
import os
import sys
from functools import cached_property, lru_cache
from pathlib import Path

from doit.exceptions import TaskFailed
from doit.tools import config_changed

from . import conan, doitdb, harness
from .actions import compile as compile_action
from .actions import deps as deps_action
from .actions import link as link_action
from .errors import UkbuildError, display_path
from .model import PERSISTENT, Project, Service
from .render import template_path
from .stages import compile as compile_stage
from .stages import link as link_stage

DEP_FILE = ".ukbuild/doit.db"


def doit_config() -> dict:
    return {
        "default_tasks": ["build"],
        "backend": "sqlite3",
        "dep_file": DEP_FILE,
        "subtasks": True,  # `doit list` names every service's tasks
        "action_string_formatting": "new",
    }


def jobs_from_argv(argv) -> int:
    """doit's ``-n N`` / ``--process=N``: how many compilations may run at once."""
    for i, word in enumerate(argv):
        value = None
        if word in ("-n", "--process") and i + 1 < len(argv):
            value = argv[i + 1]
        elif word.startswith("--process="):
            value = word.split("=", 1)[1]
        elif word.startswith("-n") and word[2:].isdigit():
            value = word[2:]
        if value is not None and value.isdigit():
            return max(1, int(value))
    return 1


def user_errors(func):
    """Report a UkbuildError from an action as doit's failure, one line."""
    def action(*args, **kwargs):
        try:
            result = func(*args, **kwargs)
        except UkbuildError as err:
            return TaskFailed(str(err))
        return result
    action.__name__ = func.__name__
    action.__doc__ = func.__doc__
    return action


class ServiceTasks:
    """The tasks of one service."""

    def __init__(self, project: Project, service: Service, jobs: int = 1):
        self.root = project.root
        self.service = service
        self.jobs = jobs
        self.dir = project.root / "build" / service.name
        self.state_dir = project.root / ".ukbuild"
        self.deps_json = self.dir / "deps.json"
        self.elf = self.dir / f"{service.name}.elf.bin"
        self.kernel = self.dir / f"{service.name}.kernel"
        self.run_sh = self.dir / "run.sh"
        self.manifest = self.dir / compile_action.MANIFEST

    @cached_property
    def objects(self) -> list[Path]:
        objs = [compile_stage.object_path(self.service, self.dir, s)
                for s in self.service.build.sources]
        return objs + [compile_stage.service_info_object(self.dir)]

    # -- deps -------------------------------------------------------------
    def deps(self) -> dict:
        s = self.service
        file_dep = [str(self.root / "build" / "recipes.json"),
                    str(template_path("conanfile.py.j2")), str(template_path("host-profile.j2"))]
        if s.recipe:
            file_dep.append(str(s.recipe))
        targets = [str(self.deps_json)]
        if not s.recipe:
            targets.append(str(deps_action.generated_conanfile(s, self.dir)))
        config = {"package": s.platform.package, "requires": list(s.build.requires),
                  "build_type": s.build.build_type, "std": s.build.std,
                  "name": s.name, "version": s.version}

        @user_errors
        def resolve():
            deps_action.resolve(self.root, s, self.dir, self.state_dir)

        return {
            "name": s.name,
            "doc": f"resolve the platform and requirements of {s.name} with conan",
            "actions": [resolve],
            "file_dep": file_dep,
            "targets": targets,
            "uptodate": [config_changed(config),
                         lambda: deps_action.executables_unchanged(self.deps_json)],
            "clean": True,
        }

    # -- compile ----------------------------------------------------------
    def compile(self) -> dict:
        s = self.service
        b = s.build
        config = {"sources": [str(p) for p in b.sources],
                  "include_dirs": [str(p) for p in b.include_dirs],
                  "defines": [list(d) for d in b.defines], "cxxflags": list(b.cxxflags),
                  "std": b.std, "build_type": b.build_type,
                  "name": s.name, "description": s.description}
        @user_errors
        def compile_objects():
            deps, tools = deps_action.load(self.deps_json)
            platform = _platform(deps.platform.folder)
            units = compile_stage.units(s, platform, deps, self.root, self.dir)
            context = json.dumps({"packages": [p.id for p in (deps.platform, *deps.requires)],
                                  "tools": tools.get("versions", {})}, sort_keys=True)
            try:
                compile_action.compile_units(units, context, self.dir, jobs=self.jobs,
                                             slots=job_slots(self.jobs))
            except compile_action.CompileFailed as err:
                return TaskFailed(compile_action.failure_message(err))

        return {
            "name": s.name,
            "doc": f"compile the sources of {s.name}, one object each",
            "actions": [compile_objects],
            "file_dep": [str(self.deps_json)],
            # one target, the objects' manifest: doit then checks one file per
            # service, and the runner checks the objects themselves
            "targets": [str(self.manifest)],
            "uptodate": [config_changed(config),
                         lambda: compile_action.outputs_current(self.dir)],
            "clean": True,
        }

    # -- link -------------------------------------------------------------
    def link(self) -> dict:
        s = self.service
        # which objects, and their contents, come in through the manifest
        config = {"stdout": list(s.platform.stdout), "drivers": list(s.platform.drivers),
                  "plugins": list(s.platform.plugins)}

        @user_errors
        def link():
            deps, _ = deps_action.load(self.deps_json)
            platform = _platform(deps.platform.folder)
            link_action.link(s, platform, deps, self.objects + self.embedded, self.elf,
                             self.kernel)

        return {
            "name": s.name,
            "doc": f"link {s.name} against its platform: {self.elf.name}, {self.kernel.name}",
            "actions": [link],
            "file_dep": [str(self.manifest), str(self.deps_json)] + [str(o) for o in self.embedded],
            "targets": [str(self.elf), str(self.kernel)],
            "uptodate": [config_changed(config)],
            "clean": True,
        }

    # -- memdisk and config: data linked into the kernel --------------------
    @property
    def embedded(self) -> list[Path]:
        return link_stage.embedded_objects(self.service, self.dir)

    def embed(self) -> list[dict]:
        """embed:S:memdisk and embed:S:config: a file made from the source,
        and an object holding it in the kernel's section."""
        from .actions import image as image_action

        s, tasks = self.service, []
        if s.build.memdisk and s.build.memdisk.is_file():
            tasks.append(self._embed_task(
                "memdisk", s.build.memdisk, "as is", image_action.memdisk_image,
                (self.dir / "memdisk.img", self.dir / "memdisk.o"), [s.build.memdisk], []))
        elif s.build.memdisk:
            files, folders = image_action.folder_listing(s.build.memdisk)
            tasks.append(self._embed_task(
                "memdisk", s.build.memdisk, "as FAT", image_action.memdisk,
                (self.dir / "memdisk.fat", self.dir / "memdisk.o"),
                [s.build.memdisk / f for f, _ in files],
                [config_changed({"folders": folders, "files": [f for f, _ in files],
                                 "tools": self.fat_tools()})]))
        if s.build.config:
            tasks.append(self._embed_task(
                "config", s.build.config, "as is", image_action.config,
                (self.dir / "config.json", self.dir / "config.o"), [s.build.config], []))
        return tasks

    def _embed_task(self, kind: str, source: Path, how: str, make_outputs,
                    outputs: tuple[Path, Path], sources: list[Path], uptodate: list) -> dict:
        s = self.service

        @user_errors
        def make():
            deps, _ = deps_action.load(self.deps_json)
            make_outputs(s, _platform(deps.platform.folder), *outputs)

        return {
            "name": f"{s.name}:{kind}",
            "doc": f"the {kind} of {s.name}: {s.relative(source)} {how}, in an object",
            "actions": [make],
            "file_dep": [str(p) for p in sources] + [str(self.deps_json)],
            "targets": [str(p) for p in outputs],
            "uptodate": uptodate,
            "clean": True,
        }

    def fat_tools(self) -> dict:
        from .tools import fingerprint

        return {"mkfs.fat": fingerprint(["mkfs.fat", "--help"], self.state_dir),
                "mcopy": fingerprint(["mcopy", "--version"], self.state_dir)}

    # -- bootable images and data disks -----------------------------------
    def image_outputs(self) -> dict[str, Path]:
        return {fmt: self.dir / f"{self.service.name}.{fmt}" for fmt in self.service.image_formats}

    def image(self) -> dict | None:
        s = self.service
        if not s.image_formats:
            return None
        from .tools import fingerprint

        outputs = self.image_outputs()

        @user_errors
        def make_images():
            from .actions import image as image_action

            deps, _ = deps_action.load(self.deps_json)
            image_action.bootable_images(s, _platform(deps.platform.folder), self.kernel, outputs)

        return {
            "name": s.name,
            "doc": f"bootable disk images of {s.name}: {', '.join(p.name for p in outputs.values())}",
            "actions": [make_images],
            "file_dep": [str(self.kernel), str(self.deps_json)],
            "targets": [str(p) for p in outputs.values()],
            "uptodate": [config_changed({
                "formats": list(s.image_formats), "cmdline": s.vm.cmdline, "name": s.name,
                "qemu-img": fingerprint(["qemu-img", "--version"], self.state_dir)})],
            "clean": True,
        }

    def disk_path(self, disk) -> Path:
        return self.dir / "disks" / f"{disk.name}.{disk.format}"

    def _fat_what(self, disk) -> str:
        parts = [f"{self.service.relative(disk.source)}/"] if disk.source else []
        if disk.files:
            parts.append(f"{len(disk.files)} files")
        return " and ".join(parts)

    def disk(self) -> list[dict]:
        from .actions import image as image_action
        from .tools import fingerprint

        s = self.service
        tasks = []
        for index, disk in enumerate(s.vm.disks):
            output = self.disk_path(disk)
            if disk.fat_made:
                content = image_action.FatContent.of_disk(disk)
                inputs = sorted({str(host) for _, host in content.files})
                listing = {**content.listing(s.folder), "fat": disk.fat, "tools": self.fat_tools()}
            else:
                inputs, listing = [str(disk.source)], {}

            @user_errors
            def make_disk(disk=disk, output=output, index=index):
                image_action.data_disk(s, disk, output, index)

            tasks.append({
                "name": f"{s.name}:{disk.name}",
                "doc": (f"data disk {disk.name!r} of {s.name}: " + (
                    f"{self._fat_what(disk)} as {disk.size} MiB FAT, {disk.format}"
                    if disk.fat_made else f"{s.relative(disk.source)} as {disk.format}")),
                "actions": [make_disk],
                "file_dep": inputs,
                "targets": [str(output)],
                "uptodate": [config_changed({
                    **listing, "size": disk.size, "format": disk.format, "name": disk.name,
                    "qemu-img": fingerprint(["qemu-img", "--version"], self.state_dir)})],
                "clean": True,
            })
        return tasks

    # -- launch -----------------------------------------------------------
    def launch(self) -> dict:
        s = self.service
        from .stages.machine import LAUNCH_TARGETS, kvm_usable

        config = {"vm": repr(s.vm), "name": s.name, "description": s.description,
                  "formats": list(s.image_formats), "kvm": kvm_usable()}

        @user_errors
        def write_launch():
            from .actions import launch as launch_action

            deps, _ = deps_action.load(self.deps_json)
            launch_action.write_launch_targets(s, _platform(deps.platform.folder), self.dir,
                                               self.kernel)

        return {
            "name": s.name,
            "doc": f"write the launch targets of {s.name}: run.sh, domain.xml, vm.json",
            "actions": [write_launch],
            "file_dep": [str(self.deps_json), str(template_path("run.sh.j2")),
                         str(template_path("domain.xml.j2"))],
            "targets": [str(self.dir / name) for name in LAUNCH_TARGETS],
            "uptodate": [config_changed(config)],
            "clean": True,
        }

    # -- build, run, test -------------------------------------------------
    def build(self) -> dict:
        name = self.service.name

        def remove_build_dir():
            """Everything built, but not what runs wrote to persistent disks."""
            from .fsutil import remove

            if not self.dir.is_dir():
                return
            for path in self.dir.iterdir():
                if path.name == PERSISTENT and path.is_dir():
                    print(f"{name}: kept {display_path(path)} (what runs wrote to persistent "
                          "disks; delete it to start them afresh)")
                else:
                    remove(path)
            try:
                self.dir.rmdir()
            except OSError:
                pass

        return {
            "name": name,
            "doc": f"build everything of {name}",
            "actions": None,
            "task_dep": [f"link:{name}", f"launch:{name}"]
            + ([f"image:{name}"] if self.service.image_formats else [])
            + [f"disk:{name}:{d.name}" for d in self.service.vm.disks],
            "clean": [remove_build_dir],
        }

    def run(self) -> dict:
        name = self.service.name
        return {  # "run" is doit's own command: run:S are tasks of their own
            "basename": f"run:{name}",
            "doc": f"boot {name} with its serial port on this terminal",
            # the project is free for rebuilds while the service runs
            "actions": [doitdb.release, [sys.executable, "-m", "ukbuild", "run", name]],
            "task_dep": [f"build:{name}"],
            "uptodate": [False],
            "io": {"capture": False},
        }

    def debug(self) -> dict:
        name = self.service.name
        return {
            "basename": f"debug:{name}",
            "doc": f"boot {name} paused with a gdb stub, and print how to attach",
            "actions": [doitdb.release, [sys.executable, "-m", "ukbuild", "debug", name]],
            "task_dep": [f"build:{name}"],
            "uptodate": [False],
            "io": {"capture": False},
        }

    def deploy(self) -> dict:
        name = self.service.name
        return {
            "basename": f"deploy:{name}",
            "doc": f"define and start {name} as a libvirt domain (UKBUILD_LIBVIRT_URI, "
                   "default qemu:///session)",
            "actions": [[sys.executable, "-m", "ukbuild", "deploy", name]],
            "task_dep": [f"build:{name}"],
            "uptodate": [False],
        }

    def undeploy(self) -> dict:
        name = self.service.name
        return {
            "basename": f"undeploy:{name}",
            "doc": f"stop and undefine {name}'s libvirt domain",
            "actions": [[sys.executable, "-m", "ukbuild", "undeploy", name]],
            "uptodate": [False],
        }

    def test(self) -> dict:
        name = self.service.name

        def boot_and_check():
            from .cli import run_test

            status, message = run_test(self.root, self.service, echo=print)
            if status != harness.PASS:
                return TaskFailed(f"test:{name} failed with status {status} "
                                  f"({harness.MEANING.get(status, 'failed')}): {message}")

        return {
            "name": name,
            "doc": f"boot {name} headless and check its [test] expectations",
            "actions": [boot_and_check],
            "task_dep": [f"build:{name}"],
            "uptodate": [False],
        }


@lru_cache(maxsize=None)
def _platform(folder: Path):
    from .platform import load_platform

    return load_platform(folder)


def recipes_task(root: Path) -> dict:
    """Export the recipes (the project's and ukbuild's) when they change."""
    stamp = root / "build" / "recipes.json"
    files = [str(f) for folder in conan.recipe_folders(root).values()
             for f in conan.recipe_files(folder)]

    @user_errors
    def export():
        from .fsutil import write_if_changed

        refs = conan.export_all(root)
        write_if_changed(stamp, json.dumps(refs, indent=2, sort_keys=True) + "\n")

    return {
        "doc": "export the conan recipes under recipes/ (the project's and ukbuild's)",
        "actions": [export],
        "file_dep": files,
        "targets": [str(stamp)],
        "clean": True,
    }


@lru_cache(maxsize=None)
def job_slots(jobs: int):
    """One semaphore of ``jobs`` compile slots for the whole run. It is made
    while doit loads the tasks, before ``-n`` forks its workers, so that
    they all share it."""
    if jobs <= 1:
        return None
    import multiprocessing

    return multiprocessing.BoundedSemaphore(jobs)


def service_tasks(project: Project, kind: str, jobs: int = 1):
    """doit subtasks ``kind:S`` (or ``kind:S:D``) for every service."""
    job_slots(jobs)  # made now, in doit's main process
    for service in project.services:
        made = getattr(_service_tasks(project, service, jobs), kind)()
        if isinstance(made, dict):
            yield made
        elif made:
            yield from made


_made: dict[tuple, ServiceTasks] = {}


def _service_tasks(project: Project, service: Service, jobs: int) -> ServiceTasks:
    """One ServiceTasks per service and run (keyed by identity: hashing the
    frozen model would cost more than making it again)."""
    key = (id(project), service.name, jobs)
    if key not in _made:
        _made[key] = ServiceTasks(project, service, jobs)
    return _made[key]


def ensure_state_dir(root: Path) -> None:
    os.makedirs(root / ".ukbuild", exist_ok=True)
