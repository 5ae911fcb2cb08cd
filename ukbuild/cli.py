"""``python -m ukbuild``: boot and check built services without doit.

    python -m ukbuild test S     boot S headless, check [test]; vmrunner's exit status
    python -m ukbuild run S      boot S with its serial port on this terminal
    python -m ukbuild debug S    boot S paused, with a gdb stub; print how to attach
    python -m ukbuild deploy S   define and start S's libvirt domain (UKBUILD_LIBVIRT_URI)
    python -m ukbuild undeploy S stop and undefine it
    python -m ukbuild check      validate every services/*/service.toml
    python -m ukbuild import P   write P/service.toml from the IncludeOS service in folder P

Run at the project root (or give ``--root``). The service must have been
built (``doit build:S``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

from . import harness, netns
from .descriptor import load_project
from .errors import UkbuildError, display_path
from .model import Service


def _platform_of(build_dir: Path):
    """The platform a built service was resolved against (its deps.json)."""
    from .platform import load_platform

    deps = json.loads((build_dir / "deps.json").read_text())
    return load_platform(Path(deps["platform"]["folder"]))


def _built(root: Path, service: Service):
    """The service's run.sh and platform, once it is ready to boot."""
    from .preflight import check_forwards

    build_dir = root / "build" / service.name
    run_sh = build_dir / "run.sh"
    if not run_sh.is_file() or not (build_dir / "deps.json").is_file():
        raise UkbuildError(f"{display_path(run_sh)} is missing: build the service first "
                           f"(doit build:{service.name})")
    check_forwards(service)
    return run_sh, _platform_of(build_dir)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def debug(root: Path, service: Service) -> int:
    """Boot paused with a gdb stub on a free local port; print how to attach
    (the platform's [debug] command and note)."""
    import shlex

    from .platform import expand

    run_sh, platform = _built(root, service)
    port = free_port()
    elf = display_path(root / "build" / service.name / f"{service.name}.elf.bin")
    command = expand(platform.debug_command, {"port": (str(port),), "elf": (elf,)})
    print(f"debug:{service.name}: paused before the first instruction; gdb stub on "
          f"127.0.0.1:{port}. In another terminal:\n  {shlex.join(command)}"
          + (f"\n({platform.debug_note})" if platform.debug_note else ""), flush=True)
    return harness.interactive(run_sh, platform.serial, ["-S", "-gdb", f"tcp:127.0.0.1:{port}"])


def deploy(root: Path, service: Service, up: bool) -> int:
    """``deploy`` / ``undeploy``: one line saying what happened."""
    from . import libvirt
    from .stages.qemu import Machine

    build_dir = root / "build" / service.name
    connection = libvirt.uri()
    try:
        if up:
            machine = build_dir / "machine.json"
            if not machine.is_file():
                raise UkbuildError(f"{display_path(machine)} is missing: build the service "
                                   f"first (doit build:{service.name})")
            persistent = Machine.from_json(json.loads(machine.read_text())).persistent
            print(libvirt.deploy(connection, service.name, build_dir, persistent))
        else:
            print(libvirt.undeploy(connection, service.name))
    except UkbuildError as err:
        print(err, file=sys.stderr)
        return err.status
    return 0


def run_test(root: Path, service: Service, echo=None) -> tuple[int, str]:
    """Boot ``service`` headless and check it: (vmrunner status, reason)."""
    try:
        run_sh, platform = _built(root, service)
    except UkbuildError as err:
        return harness.BOOT_FAILED, str(err)
    if service.test.network and not netns.inside():
        return in_private_network(root, service, echo)
    if service.test.script:
        outcome = harness.script(run_sh, service.vm.cmdline, script_env(root, service),
                                 service.folder, service.relative(service.test.script),
                                 service.test.timeout, echo=echo)
        return outcome.status, outcome.message
    client = test_client(root, service) if service.test.client else None
    forwards = {fwd.guest_port: f"{display_path(service.descriptor)}: vm.net[{i}].forward[{j}]"
                for i, net in enumerate(service.vm.nets)
                for j, fwd in enumerate(net.forward) if fwd.proto == "tcp"}
    outcome = harness.test(run_sh, platform.serial, service.test, echo=echo, client=client,
                           forwards=forwards)
    return outcome.status, outcome.message


COMPAT = Path(__file__).resolve().parent / "compat"


def script_env(root: Path, service: Service) -> dict:
    """[test] script's environment: vmrunner's API importable (ukbuild's
    compat modules, after anything installed), and the service's names."""
    path = os.environ.get("PYTHONPATH", "")
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (path, str(COMPAT)) if p),
                UKBUILD_SERVICE=service.name,
                UKBUILD_BUILD_DIR=str(root / "build" / service.name))


def in_private_network(root: Path, service: Service, echo=None) -> tuple[int, str]:
    """The test again, in a network namespace with [test] network's bridges."""
    argv = netns.wrap([sys.executable, "-m", "ukbuild", "--root", str(root), "test",
                       service.name], service.test.network)
    verdict = f"test:{service.name}: "

    def shown(line: str) -> None:   # all but the verdict, which is said once, outside
        if echo and not line.startswith(verdict):
            echo(line)

    status, lines = harness.relay(argv, shown)
    for line in reversed(lines):
        if line.startswith(verdict) and "): " in line:
            return status, line.split("): ", 1)[1]
    last = next((line for line in reversed(lines) if line.strip()), "")
    return (status or harness.BOOT_FAILED,
            f"could not run the test in a private network: {last or f'status {status}'}")


def test_client(root: Path, service: Service) -> harness.Client:
    """[test] client, run in the service folder: a ``.py`` file with this
    Python, anything else as a program. Its environment names the service
    and, for each port forward, where the host reaches the guest port:
    ``UKBUILD_FORWARD_UDP_7=127.0.0.1:5555``."""
    path = service.test.client
    env = dict(os.environ, UKBUILD_SERVICE=service.name,
               UKBUILD_BUILD_DIR=str(root / "build" / service.name))
    for net in service.vm.nets:
        for fwd in net.forward:
            env[f"UKBUILD_FORWARD_{fwd.proto.upper()}_{fwd.guest_port}"] = \
                f"{fwd.host_addr}:{fwd.host_port}"
    argv = [sys.executable, str(path)] if path.suffix == ".py" else [str(path)]
    return harness.Client(argv, env, service.folder, service.relative(path))


def commands(root: Path, project) -> dict:
    """Every service's compile units, link and kernel commands, from its deps.json."""
    from .actions.deps import load
    from .platform import load_platform
    from .stages.compile import units
    from .stages.link import embedded_objects, kernel_command, link_command

    out = {}
    for service in project.services:
        build_dir = root / "build" / service.name
        if not (build_dir / "deps.json").is_file():
            continue
        deps, _ = load(build_dir / "deps.json")
        platform = load_platform(deps.platform.folder)
        us = units(service, platform, deps, root, build_dir)
        objects = [u.object for u in us] + embedded_objects(service, build_dir)
        elf = build_dir / f"{service.name}.elf.bin"
        kernel = build_dir / f"{service.name}.kernel"
        out[service.name] = {
            "compile": [{"source": str(u.source), "object": str(u.object),
                         "depfile": str(u.depfile), "command": list(u.command)} for u in us],
            "link": {"output": str(elf), "command": list(
                link_command(service, platform, deps, objects, elf))},
            "kernel": {"output": str(kernel), "command": list(kernel_command(platform, elf, kernel))},
        }
    return out


def defines_of(args: list[str]) -> dict[str, str]:
    """``-D`` arguments as CMake takes them: NAME=VALUE or NAME:TYPE=VALUE."""
    defines = {}
    for arg in args:
        name, eq, value = arg.partition("=")
        name = name.partition(":")[0]
        if not eq or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.+-]*", name):
            raise UkbuildError(f"-D {arg}: expected NAME=VALUE (or NAME:TYPE=VALUE), as cmake takes it")
        defines[name] = value
    return defines


def import_folder(folder: Path, force: bool, define: list[str] = ()) -> int:
    """``import``: one line naming what was written, one per thing not translated."""
    from .importer import import_service

    try:
        target, imported = import_service(folder, force, defines_of(list(define)))
    except UkbuildError as err:
        print(err, file=sys.stderr)
        return err.status
    print(f"{display_path(target)}: written from {', '.join(imported.read)} "
          f"(service {imported.service['name']!r})")
    for line in imported.shown_notes():
        print(line)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ukbuild", description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=".", help="the project folder (default: .)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("test", "boot a service headless and check [test]"),
                            ("run", "boot a service with its serial port on this terminal"),
                            ("debug", "boot a service paused, with a gdb stub"),
                            ("deploy", "define and start a service's libvirt domain"),
                            ("undeploy", "stop and undefine a service's libvirt domain")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("service")
    sub.add_parser("check", help="validate every service descriptor")
    p = sub.add_parser("import", help="write service.toml for an IncludeOS service folder "
                       "(CMakeLists.txt, vm.json, test.py)")
    p.add_argument("path", help="the service folder")
    p.add_argument("--force", action="store_true", help="replace an existing service.toml")
    p.add_argument("-D", dest="define", action="append", default=[], metavar="NAME=VALUE",
                   help="a CMake variable, as cmake -D gives it (an option() keeps it)")
    sub.add_parser("commands", help="print the compile and link commands of the built "
                   "services as JSON (for other build tools and benchmarks)")
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()
    if args.command == "import":
        return import_folder(Path(args.path), args.force, args.define)

    try:
        project = load_project(root)
    except UkbuildError as err:
        print(err, file=sys.stderr)
        return harness.PARSE_ERROR if args.command == "test" else err.status
    if args.command == "commands":
        print(json.dumps(commands(root, project), indent=1))
        return 0
    if args.command == "check":
        for service in project.services:
            print(f"{service.name}: {display_path(service.descriptor)} is valid")
        return 0
    try:
        service = project.service(args.service)
    except UkbuildError as err:
        print(err, file=sys.stderr)
        return 2

    if args.command == "test":
        def echo(line):
            print(line, flush=True)

        status, message = run_test(root, service, echo=echo)
        verdict = harness.MEANING.get(status, "failed")
        print(f"test:{service.name}: {verdict} (status {status}): {message}",
              file=sys.stderr if status else sys.stdout)
        return status

    if args.command in ("deploy", "undeploy"):
        return deploy(root, service, args.command == "deploy")
    try:
        if args.command == "debug":
            return debug(root, service)
        run_sh, platform = _built(root, service)
    except UkbuildError as err:
        print(err, file=sys.stderr)
        return harness.BOOT_FAILED
    return harness.interactive(run_sh, platform.serial)
