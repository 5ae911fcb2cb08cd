"""Incremental builds: what runs after each kind of change, read from doit's
output and from ukbuild's trace of the tools it ran."""

import os
import time

import pytest

from support import Project

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    project = Project(tmp_path_factory.mktemp("caching"), services=("hello", "wordfreq"))
    cold = project.doit()
    assert cold.status == 0, cold
    return project


def settle(project):
    """Build until nothing runs, so each test starts from an up-to-date tree."""
    result = project.doit()
    assert result.status == 0, result
    return result


def test_a_second_run_runs_nothing(project):
    settle(project)
    again = project.doit()
    assert again.status == 0, again
    assert again.ran == [], again
    assert again.trace == [], "no compiler, conan, linker or QEMU on a no-op"


def test_touching_a_file_runs_nothing(project):
    settle(project)
    source = project.path("services/wordfreq/src/count.cpp")
    header = project.path("services/wordfreq/include/wordfreq.hpp")
    later = time.time() + 5
    for path in (source, header):
        os.utime(path, (later, later))
    result = project.doit()
    assert result.status == 0, result
    assert result.trace == [], result.trace


def test_editing_one_source_recompiles_that_object_only(project):
    settle(project)
    project.edit("services/wordfreq/src/count.cpp", "all.size() > n", "all.size() >= n")
    result = project.doit()
    assert result.status == 0, result
    compiled = result.traced("compile")
    assert [os.path.basename(o) for o in compiled] == ["count.cpp.o"], compiled
    assert result.traced("link") == [str(project.path("build/wordfreq/wordfreq.elf.bin"))]
    assert not any("hello" in t for t in result.ran), result.ran
    assert project.ukbuild("test", "wordfreq").status == 0


def test_editing_a_header_recompiles_exactly_its_includers(project):
    settle(project)
    project.edit("services/wordfreq/include/wordfreq.hpp", "std::size_t top = 5;",
                 "std::size_t top = 4;")
    result = project.doit()
    assert result.status == 0, result
    compiled = sorted(os.path.basename(o) for o in result.traced("compile"))
    # every source of wordfreq includes the header; hello and the service-info object do not
    assert compiled == ["count.cpp.o", "main.cpp.o", "options.cpp.o"], compiled


def test_a_comment_only_change_relinks_nothing(project):
    settle(project)
    project.edit("services/wordfreq/src/options.cpp", "namespace wordfreq {",
                 "namespace wordfreq {  // options")
    result = project.doit()
    assert result.status == 0, result
    assert [os.path.basename(o) for o in result.traced("compile")] == ["options.cpp.o"]
    assert result.traced("link") == [], "an object that comes out identical does not relink"


def test_changing_cxxflags_rebuilds_that_service_only(project):
    settle(project)
    project.edit("services/wordfreq/service.toml", 'std = "c++17"',
                 'std = "c++17"\ncxxflags = ["-Wextra"]')
    result = project.doit()
    assert result.status == 0, result
    compiled = result.traced("compile")
    assert compiled and all("/wordfreq/" in o for o in compiled), compiled
    assert len([o for o in compiled if "/obj/" in o]) == 3
    assert not any(t.endswith(":hello") for t in result.ran), result.ran


def test_a_new_source_is_compiled_and_linked(project):
    settle(project)
    project.path("services/wordfreq/src/extra.cpp").write_text("int wordfreq_extra() { return 1; }\n")
    result = project.doit()
    assert result.status == 0, result
    assert [os.path.basename(o) for o in result.traced("compile")] == ["extra.cpp.o"]
    assert result.traced("link")
    project.path("services/wordfreq/src/extra.cpp").unlink()
    result = project.doit()
    assert result.status == 0 and result.traced("compile") == [] and result.traced("link"), result


def test_a_header_removed_from_disk_and_includes_does_not_break_the_build(project):
    settle(project)
    project.path("services/wordfreq/include/extra.hpp").write_text("#define EXTRA_TOP 5\n")
    project.edit("services/wordfreq/src/options.cpp", "#include <stdexcept>",
                 "#include <stdexcept>\n#include <extra.hpp>")
    project.edit("services/wordfreq/src/options.cpp", "Options options;",
                 "Options options;\n  options.top = EXTRA_TOP;")
    assert project.doit().status == 0
    project.path("services/wordfreq/include/extra.hpp").unlink()
    project.edit("services/wordfreq/src/options.cpp", "\n#include <extra.hpp>", "")
    project.edit("services/wordfreq/src/options.cpp", "\n  options.top = EXTRA_TOP;", "")
    result = project.doit()
    assert result.status == 0, result
    assert [os.path.basename(o) for o in result.traced("compile")] == ["options.cpp.o"]
    assert project.ukbuild("test", "wordfreq").status == 0


def test_a_new_header_that_shadows_an_include_path_is_noticed(project):
    settle(project)
    # wordfreq.hpp is found in include/; a new one in the source's own folder
    # comes first for #include "..." and in a new, earlier include dir for <...>
    project.edit("services/wordfreq/service.toml", 'include_dirs = ["include"]',
                 'include_dirs = ["override", "include"]')
    project.path("services/wordfreq/override").mkdir()
    project.path("services/wordfreq/override/.keep").write_text("")
    result = project.doit()
    assert result.status == 0, result
    settle(project)
    shadow = project.path("services/wordfreq/override/wordfreq.hpp")
    shadow.write_text(project.path("services/wordfreq/include/wordfreq.hpp").read_text()
                      .replace("std::size_t top = 5;", "std::size_t top = 6;"))
    result = project.doit()
    assert result.status == 0, result
    compiled = sorted(os.path.basename(o) for o in result.traced("compile"))
    assert compiled == ["count.cpp.o", "main.cpp.o", "options.cpp.o"], compiled
    shadow.unlink()
    result = project.doit()
    assert sorted(os.path.basename(o) for o in result.traced("compile")) == compiled


def test_a_changed_package_rebuilds_its_consumers_only(project):
    settle(project)
    # a project recipe of the same name wins over ukbuild's own
    import shutil

    from support import REPO

    shutil.copytree(REPO / "recipes" / "checksum", project.path("recipes/checksum"))
    result = project.doit()
    assert result.status == 0, result
    assert result.traced("compile") == [], "the same recipe, the same package"
    project.edit("recipes/checksum/src/adler32.cpp", "constexpr uint32_t mod = 65521;",
                 "constexpr uint32_t mod = 65521u;  // the largest prime below 2^16")
    result = project.doit()
    assert result.status == 0, result
    assert "recipes" in result.ran and "deps:wordfreq" in result.ran
    assert result.traced("conan-install"), result.trace
    assert all("/wordfreq/" in o for o in result.traced("compile")), result.trace
    assert not any(t.endswith(":hello") and not t.startswith("deps:") for t in result.ran), result.ran
    assert project.ukbuild("test", "wordfreq").status == 0


def test_no_op_reads_no_descriptor_again(project):
    settle(project)
    result = project.doit()
    assert result.traced("validate") == []
    project.edit("services/hello/service.toml", "timeout = 30", "timeout = 31")
    result = project.doit()
    assert [p.rsplit("/", 2)[1] for p in result.traced("validate")] == ["hello"]


def test_services_asking_the_same_share_one_resolution(tmp_path):
    import json
    import shutil

    project = Project(tmp_path, services=("hello", "wordfreq"))
    shutil.copytree(project.path("services/hello"), project.path("services/hello2"))
    result = project.doit()  # -n 1: the services resolve one after the other
    assert result.status == 0, result
    installed, remembered = result.traced("conan-install"), result.traced("conan-memo")
    assert sorted(installed + remembered) == ["hello", "hello2", "wordfreq"], result.trace
    assert "wordfreq" in installed, "its requirements are its own"
    assert len([s for s in installed if s.startswith("hello")]) == 1, result.trace
    deps = [json.loads(project.path(f"build/{s}/deps.json").read_text()) for s in ("hello", "hello2")]
    assert deps[0] == deps[1]
    # a memory of a package that is gone is not trusted
    for memo in project.path(".ukbuild/resolutions").iterdir():
        data = json.loads(memo.read_text())
        data["platform"]["folder"] += "-gone"
        memo.write_text(json.dumps(data))
    result = project.doit("forget", "deps:hello2")
    result = project.doit()
    assert result.status == 0, result
    assert result.traced("conan-install") == ["hello2"], result.trace
