"""ukbuild as a doit plugin for another repository: installed (not from this
checkout), driven by a one-line dodo.py or by doit's configuration in the
other repository's pyproject.toml."""

import os
import shutil
import subprocess
import sys

import pytest

from support import REPO, CONAN_HOME

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """ukbuild installed from a wheel into a folder of its own."""
    site = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--target", str(site), str(REPO)],
                   check=True, capture_output=True)
    assert (site / "ukbuild" / "recipes" / "ukbase" / "conanfile.py").is_file(), \
        "the built-in recipes ship inside the package"
    return site


def run(cwd, site, *argv):
    env = dict(os.environ, PYTHONPATH=str(site), UKBUILD_CONAN_HOME=str(CONAN_HOME))
    return subprocess.run([sys.executable, *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600, stdin=subprocess.DEVNULL)


def user_repo(path):
    shutil.copytree(REPO / "services" / "hello", path / "services" / "hello")
    return path


@pytest.mark.parametrize("style", ["dodo.py", "pyproject.toml"])
def test_a_user_repository_gets_the_same_tasks(installed, tmp_path, style):
    repo = user_repo(tmp_path / "theirs")
    if style == "dodo.py":
        (repo / "dodo.py").write_text("from ukbuild.dodo import *  # noqa: F401,F403\n")
    else:
        (repo / "pyproject.toml").write_text(
            '[tool.doit]\nloader = "ukbuild"\n\n'
            '[tool.doit.plugins.loader]\nukbuild = "ukbuild.doit_loader:ServiceLoader"\n')
    where = run(repo, installed, "-c", "import ukbuild; print(ukbuild.__file__)")
    assert where.stdout.startswith(str(installed)), where
    listed = run(repo, installed, "-m", "doit", "list")
    assert listed.returncode == 0, listed.stderr
    for task in ("build:hello", "compile:hello", "deps:hello", "link:hello", "launch:hello",
                 "run:hello", "test:hello"):
        assert task in listed.stdout, listed.stdout
    built = run(repo, installed, "-m", "doit")
    assert built.returncode == 0, built.stdout + built.stderr
    assert (repo / "build" / "hello" / "hello.kernel").is_file()
    test = run(repo, installed, "-m", "doit", "test:hello")
    assert test.returncode == 0, test.stdout + test.stderr
    assert not (REPO / "build" / "hello" / "theirs").exists()
