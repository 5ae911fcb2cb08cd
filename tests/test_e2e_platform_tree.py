"""A second platform: an install tree packaged by the recipe of
docs/platform.md (here ukbase's own package tree, under another name).
Nothing in ukbuild's core knows ukbase: the service builds and boots."""

import json
import re
import shutil

import pytest

from support import REPO, Project

pytestmark = pytest.mark.e2e


def documented_recipe() -> str:
    text = (REPO / "docs" / "platform.md").read_text()
    section = text.split("## Another platform: an install tree", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_a_service_on_an_install_tree_platform(tmp_path):
    project = Project(tmp_path, services=("hello",))
    assert project.doit("deps:hello").status == 0
    ukbase = json.loads(project.path("build/hello/deps.json").read_text())["platform"]["folder"]

    recipe = project.path("recipes/myos")
    shutil.copytree(ukbase, recipe / "tree",
                    ignore=shutil.ignore_patterns("conaninfo.txt", "conanmanifest.txt", "platform.toml"))
    toml = (tmp_path / "ukbase.toml")
    shutil.copy(f"{ukbase}/platform.toml", toml)
    (recipe / "platform.toml").write_text(
        toml.read_text().replace('name = "ukbase"', 'name = "myos"', 1))
    (recipe / "conanfile.py").write_text(documented_recipe())
    project.edit("services/hello/service.toml", "[build]",
                 '[platform]\npackage = "myos/1.0.0"\n\n[build]')

    built = project.doit()
    assert built.status == 0, built
    assert {"recipes", "deps:hello", "compile:hello", "link:hello"} <= set(built.ran), built.ran
    deps = json.loads(project.path("build/hello/deps.json").read_text())
    assert deps["platform"]["ref"].startswith("myos/1.0.0"), deps["platform"]
    assert "/ukbas" not in deps["platform"]["folder"]
    result = project.ukbuild("test", "hello")
    assert result.status == 0, result
    assert "Hello world" in result.out
    assert project.doit().ran == []
