"""vmrunner's test API, booting a service that ukbuild built.

An IncludeOS test script (``test.py``) drives its test through
``vmrunner.vms[0]``: it subscribes to serial lines (``on_output``), boots
(``boot``), reads and writes the serial port from its callbacks and ends
the test with ``exit``. This module gives scripts that API with vmrunner's
semantics, and boots the service through the ``run.sh`` ukbuild built for
it (``[vm]`` of its ``service.toml``, which ``python -m ukbuild import``
wrote from the script's ``vm.json``). ``make`` and ``clean`` do nothing,
and so does ``cmake()``; ``cmake(["-DNAME=VALUE", ...])`` builds the
service again with those CMake variables, as vmrunner's does: the folder
is imported with them into a project of its own under the service's
build folder (``build/S/vmrunner/``), which ukbuild builds, and the next
boots boot that.

vmrunner's semantics kept here:

- exit statuses (``exit_codes``); a script's exit status is its test's;
- ``SUCCESS`` anywhere in a line ends the test with status 0, IncludeOS's
  panic signature with 67, unless the script replaced those handlers;
- a callback that returns ``False`` or raises ends the test with 68;
- the boot's timeout (default 60 s) ends it with 66;
- lines that start like the kernel's exit-status lines are not given to
  callbacks; the status they carry ends the boot;
- ``exit(status, msg, keep_running=True)`` stops the VM but not the
  script, which may boot again;
- ``vm(config="other.json")``: that file's ``mem`` for its boots
  (``vm.json`` itself is the service's ``[vm]`` already).

ukbuild sets ``UKBUILD_VMRUNNER`` (JSON: ``run_sh``, ``cmdline``, and
``result``, a file that gets the test's last message).
"""

from __future__ import annotations

import atexit
import json
import os
import re
import signal
import subprocess
import sys
import threading
import traceback

from .prettify import color

exit_codes = {
    "SUCCESS": 0,
    "PROGRAM_FAILURE": 1,
    "TIMEOUT": 66,
    "VM_PANIC": 67,
    "CALLBACK_FAILED": 68,
    "BUILD_FAIL": 69,
    "ABORT": 70,
    "VM_EOT": 71,
    "BOOT_FAILED": 72,
    "PARSE_ERROR": 73,
}
panic_signature = "\\x15\\x07\\t\\*\\*\\*\\* PANIC \\*\\*\\*\\*"
nametag = "<VMRunner>"
EOT = chr(4)
EXIT_LINES = ("     [ Kernel ] service exited with status", "     [ main ] returned with status")
STOP_GRACE = 5.0   # seconds QEMU gets to end after SIGTERM

_settings = json.loads(os.environ.get("UKBUILD_VMRUNNER") or "{}")
_last = {"status": None, "message": ""}
vms: list["vm"] = []


def get_exit_code_name(code) -> str:
    return next((name for name, value in exit_codes.items() if value == code), "UNKNOWN ERROR")


def _record(status, message: str) -> None:
    _last.update(status=status, message=str(message).strip())


@atexit.register
def _write_result() -> None:
    path = _settings.get("result")
    if path and _last["message"]:
        with open(path, "w") as out:
            out.write(_last["message"] + "\n")


def program_exit(status: int, msg: str):
    """Stop every VM, say why, and end the script with ``status``."""
    for machine in vms:
        machine.stop()
    print(color.EXIT_ERROR(get_exit_code_name(status), msg) if status else color.SUCCESS(msg))
    _record(status, msg)
    sys.stdout.flush()
    sys.exit(status)


def _build_variant(defines: list[str]) -> str:
    """The service built with these CMake variables: its run.sh."""
    import hashlib
    import shutil

    build_dir = os.environ.get("UKBUILD_BUILD_DIR")
    name = os.environ.get("UKBUILD_SERVICE")
    if not build_dir or not name:
        raise RuntimeError("cmake(): UKBUILD_BUILD_DIR and UKBUILD_SERVICE are not set: run "
                           "the script with `python -m ukbuild test SERVICE`")
    digest = hashlib.sha256("\0".join(defines).encode()).hexdigest()[:12]
    root = os.path.join(build_dir, "vmrunner", digest)
    folder = os.path.join(root, "services", name)
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    here = os.getcwd()
    shutil.copytree(here, folder, ignore=shutil.ignore_patterns("service.toml", ".*"))
    with open(os.path.join(root, "dodo.py"), "w") as out:
        out.write("from ukbuild.dodo import *  # noqa: F401,F403\n")
    # the project's recipes and conan home: nothing is built twice
    project = os.path.dirname(os.path.dirname(os.path.abspath(build_dir)))
    recipes = os.path.join(root, "recipes")
    if os.path.isdir(os.path.join(project, "recipes")) and not os.path.lexists(recipes):
        os.symlink(os.path.join(project, "recipes"), recipes)
    env = dict(os.environ)
    env.setdefault("UKBUILD_CONAN_HOME", os.path.join(project, ".ukbuild", "conan"))
    print(color.INFO(nametag), "cmake", " ".join("-D" + d for d in defines), "->", root)
    steps = [[sys.executable, "-m", "ukbuild", "import", os.path.join("services", name),
              *("-D" + d for d in defines)],
             [sys.executable, "-m", "doit", "-n", "2", "build:" + name]]
    for argv in steps:
        proc = subprocess.run(argv, cwd=root, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        if proc.returncode:
            print(proc.stdout)
            program_exit(exit_codes["BUILD_FAIL"], "cmake " + " ".join(defines) + ": "
                         + " ".join(argv[2:4]) + " failed")
    return os.path.join(root, "build", name, "run.sh")


class _Qemu:
    """One QEMU process started through the service's run.sh: its serial
    port on our pipes."""

    def __init__(self):
        self.proc: subprocess.Popen | None = None

    def start(self, kernel_args: str | None, memory=None) -> None:
        run_sh = _settings.get("run_sh")
        if not run_sh:
            raise RuntimeError("UKBUILD_VMRUNNER is not set: run the script with "
                               "`python -m ukbuild test SERVICE`")
        argv = [run_sh]
        if kernel_args is not None and kernel_args != _settings.get("cmdline", ""):
            argv += ["-append", kernel_args]   # QEMU keeps the last -append
        if memory is not None:
            argv += ["-m", str(int(memory))]   # and the last -m
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, start_new_session=True)

    def poll(self):
        return None if self.proc is None else self.proc.poll()

    def readline(self) -> str:
        if self.proc is None:
            raise RuntimeError("the VM was not booted")
        return self.proc.stdout.readline().decode("utf-8", errors="replace")

    def read_until_eot(self) -> str:
        chars = []
        while True:
            char = self.proc.stdout.read(1)
            if not char or char == EOT.encode():
                return b"".join(chars).decode("utf-8", errors="replace")
            chars.append(char)

    def writeline(self, line: str) -> None:
        if self.proc is None or self.proc.poll() is not None:
            raise RuntimeError("the VM is not running")
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, STOP_GRACE), (signal.SIGKILL, None)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue

    def rest(self) -> tuple[str, str]:
        """What QEMU wrote and nobody read yet, once it has ended."""
        out = self.proc.stdout.read().decode("utf-8", errors="replace")
        err = self.proc.stderr.read().decode("utf-8", errors="replace")
        return out, err


class vm:
    """One virtual machine: the service, booted as often as the script asks."""

    def __init__(self, config=None, hyper_name: str = "qemu"):
        self._config = _load_config(config)
        # a config of the script's own (vm.json is [vm] already): its memory
        self._memory = self._config.get("mem") if config else None
        self._hyper = _Qemu()
        self._exit_status = None
        self._exit_msg = ""
        self._exit_complete = False
        self._timer: threading.Timer | None = None
        self._timeout_after = None
        self._on_success = lambda line: self.exit(exit_codes["SUCCESS"],
                                                  nametag + " All tests passed")
        self._on_panic = self.panic
        self._on_timeout = self.timeout
        self._on_output = {panic_signature: self._on_panic, "SUCCESS": self._on_success}
        self._on_exit_success = lambda: None
        self._on_exit = lambda: None
        self._root = os.getcwd()

    # building: ukbuild built the service already
    def cmake(self, args=()):
        defines = [a[2:] for a in args if a.startswith("-D")]
        if defines:
            _settings["run_sh"] = _build_variant(defines)
        return self

    def make(self, params=()):
        return self

    def clean(self):
        return self

    # events
    def on_output(self, output: str, callback):
        self._on_output[output] = callback
        return self

    def on_success(self, callback, do_exit: bool = True):
        self._on_output["SUCCESS"] = ((lambda line: [callback(line), self._on_success(line)])
                                      if do_exit else callback)
        return self

    def on_panic(self, callback, do_exit: bool = True):
        self._on_output[panic_signature] = ((lambda line: [callback(line), self._on_panic(line)])
                                            if do_exit else callback)
        return self

    def on_timeout(self, callback):
        self._on_timeout = callback
        return self

    def on_exit_success(self, callback):
        self._on_exit_success = callback
        return self

    def on_exit(self, callback):
        self._on_exit = callback
        return self

    # the serial port
    def readline(self) -> str:
        return self._hyper.readline()

    def writeline(self, line: str):
        return self._hyper.writeline(line)

    def poll(self):
        return self._hyper.poll()

    def stop(self):
        self._hyper.stop()
        if self._timer:
            self._timer.cancel()
        return self

    def wait(self):
        if self._hyper.proc is not None:
            self._hyper.proc.wait()
        return self._exit_status

    def exit(self, status: int, msg: str, keep_running: bool = False):
        """End the test with ``status``; with ``keep_running``, only this boot."""
        if self._exit_complete:
            return
        self._exit_status = status
        self._exit_msg = msg
        self.stop()
        os.chdir(self._root)
        if keep_running:
            return
        self._on_exit()
        if status == 0:
            self._on_exit_success()
            print(color.SUCCESS(msg))
            _record(0, msg)
            self._exit_complete = True
            return
        self._exit_complete = True
        program_exit(status, msg)

    def timeout(self):
        self._exit_status = exit_codes["TIMEOUT"]
        self._exit_msg = f"vmrunner timed out after {self._timeout_after} seconds"
        self._hyper.stop()

    def panic(self, panic_line: str):
        reason = self._hyper.readline()
        print(color.VM(reason.rstrip()))
        for line in self._hyper.read_until_eot().split("\n"):
            print(color.VM(line))
        self.exit(exit_codes["VM_PANIC"], reason.strip() or "the service panicked")

    def find_exit_status(self, line: str):
        if line.startswith(EXIT_LINES):
            self._exit_status = int(line.split(" ")[-1].rstrip())
            self._exit_msg = f"Service exited with status {self._exit_status}"
            return self._exit_status
        if line == EOT:
            self._exit_status = exit_codes["VM_EOT"]
            return self._exit_status
        return None

    def trigger_event(self, line: str) -> None:
        for pattern, func in list(self._on_output.items()):
            if re.search(pattern, str(line)):
                try:
                    res = func(line)
                except Exception:
                    print(color.WARNING("Exception raised in event callback: "))
                    traceback.print_exc(limit=10, file=sys.stdout)
                    res = False
                    self.stop()
                if res is False:
                    self._exit_status = exit_codes["CALLBACK_FAILED"]
                    self.exit(self._exit_status, " Event-triggered test failed")

    def boot(self, timeout=60, multiboot=True, debug=False, kernel_args="booted with vmrunner",
             image_name=None):
        """Boot and hand the serial lines to the callbacks until the test,
        or this boot, is decided."""
        self._exit_status = None
        self._exit_complete = False
        self._timeout_after = timeout
        if timeout:
            self._timer = threading.Timer(timeout, self._on_timeout)
            self._timer.daemon = True
            self._timer.start()
        try:
            self._hyper.start(kernel_args, self._memory)
        except Exception as err:
            if self._timer:
                self._timer.cancel()
            self.exit(exit_codes["BOOT_FAILED"], str(err))
        while self._exit_status is None and self.poll() is None:
            line = self._hyper.readline()
            if not line:   # the serial port closed: QEMU is ending
                self._hyper.proc.wait()
                break
            if self.find_exit_status(line) is None:
                print(color.VM(line.rstrip()))
                sys.stdout.flush()
                self.trigger_event(line)
        if self.poll() is None:
            self.stop()
        if self._timer:
            self._timer.cancel()
        data, err = self._hyper.rest()
        if err.strip() and self.poll() != 0:
            print(color.WARNING("Stderr: \n" + err))
        for line in data.split("\n"):
            if line:
                print(color.VM(line))
                self.find_exit_status(line)
        if self._exit_status is not None:
            self.exit(self._exit_status, self._exit_msg)
        else:
            self.exit(self.poll(), "process exited")
        return self


def _load_config(path) -> dict:
    """The script's vm.json, for scripts that read ``vm._config``."""
    path = path or "vm.json"
    try:
        with open(path) as source:
            return json.load(source)
    except (OSError, ValueError):
        return {}


def add_vm(**kwargs) -> vm:
    machine = vm(**kwargs)
    vms.append(machine)
    return machine


def _interrupted(signum, frame):
    for machine in vms:
        machine.exit(exit_codes["ABORT"], "Process terminated by user")


vms.append(vm())
signal.signal(signal.SIGTERM, _interrupted)
signal.signal(signal.SIGINT, _interrupted)
