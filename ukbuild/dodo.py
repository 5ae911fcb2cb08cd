"""ukbuild's tasks for doit. A project's whole dodo.py can be::

    from ukbuild.dodo import *  # noqa: F401,F403

It builds every service under ``services/`` of the folder doit runs in.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

from . import doitdb
from .descriptor import load_project
from .errors import UkbuildError
from .tasks import doit_config, ensure_state_dir, jobs_from_argv, recipes_task, service_tasks

__all__ = ["DOIT_CONFIG", "task_recipes", "task_deps", "task_compile", "task_link",
           "task_launch", "task_build", "task_embed", "task_image", "task_disk", "task_run_service", "task_debug_service", "task_test",
           "task_deploy_service", "task_undeploy_service"]

DOIT_CONFIG = doit_config()
ensure_state_dir(Path.cwd())


@lru_cache(maxsize=1)
def _project():
    try:
        project = load_project(Path.cwd())
    except UkbuildError as err:
        print(err, file=sys.stderr)
        sys.exit(err.status)
    doitdb.attach(project.root)
    return project


def _tasks(kind: str):
    yield from service_tasks(_project(), kind, jobs_from_argv(sys.argv))


def task_recipes():
    """export the conan recipes under recipes/ (the project's and ukbuild's)"""
    return recipes_task(_project().root)


def task_deps():
    """resolve each service's platform and requirements with conan"""
    yield from _tasks("deps")


def task_compile():
    """compile each service's sources"""
    yield from _tasks("compile")


def task_link():
    """link each service into S.elf.bin and the bootable S.kernel"""
    yield from _tasks("link")


def task_embed():
    """link data into kernels: memdisks and config files"""
    yield from _tasks("embed")


def task_image():
    """make bootable disk images"""
    yield from _tasks("image")


def task_disk():
    """make data disks"""
    yield from _tasks("disk")


def task_launch():
    """write each service's launch targets"""
    yield from _tasks("launch")


def task_build():
    """build every service"""
    yield from _tasks("build")


def task_run_service():
    """boot a service with its serial port on this terminal (run:S)"""
    yield from _tasks("run")


def task_debug_service():
    """boot a service paused with a gdb stub (debug:S)"""
    yield from _tasks("debug")


def task_deploy_service():
    """define and start a service's libvirt domain (deploy:S)"""
    yield from _tasks("deploy")


def task_undeploy_service():
    """stop and undefine a service's libvirt domain (undeploy:S)"""
    yield from _tasks("undeploy")


def task_test():
    """boot a service headless and check its [test] expectations"""
    yield from _tasks("test")
