"""vm.json: what ukbuild writes is what IncludeOS's vmrunner accepts
(ukbuild/schema/vmrunner.schema.json holds vmrunner's rules)."""

import json
from pathlib import Path

import jsonschema
import pytest

from conftest import write_service
from ukbuild.descriptor import load_service, service_folders
from ukbuild.stages.machine import vmrunner_config, vmrunner_omissions
from ukbuild.stages.qemu import launch
from ukbuild.platform import load_platform

REPO = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((REPO / "ukbuild" / "schema" / "vmrunner.schema.json").read_text())
FAKE = Path(__file__).parent / "data" / "fakeplatform"


def problems(config: dict) -> list[str]:
    validator = jsonschema.validators.validator_for(SCHEMA)(SCHEMA)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(config)]


@pytest.mark.parametrize("folder", service_folders(REPO), ids=lambda f: f.name)
def test_every_example_writes_a_vm_json_vmrunner_accepts(folder, tmp_path):
    service = load_service(folder)
    config = vmrunner_config(launch(service, load_platform(FAKE), f"{service.name}.kernel",
                                    build_dir=tmp_path))
    assert problems(json.loads(json.dumps(config))) == []
    assert config["description"] == service.description and config["mem"] == service.vm.memory


@pytest.mark.parametrize("config, where", [
    ({"drives": [{"file": "d.vmdk", "type": "virtio", "format": "vmdk", "media": "disk"}]}, "format"),
    ({"drives": [{"file": "d.img", "type": "virtio", "format": "raw"}]}, "media"),
    ({"drives": [{"file": "d.img", "type": "usb", "format": "raw", "media": "disk"}]}, "type"),
    ({"net": [{"backend": "user"}]}, "device"),
    ({"net": [{"device": "virtio", "backend": "slirp"}]}, "backend"),
    ({"cpu": "host"}, "object"),
    ({"mem": "128"}, "number"),
])
def test_the_schema_refuses_what_vmrunner_refuses(config, where):
    found = problems(config)
    assert found and where in found[0], found


def test_vmrunner_allows_keys_it_does_not_declare():
    assert problems({"intrusive": "True", "time_sensitive": "True", "image": "x.img"}) == []


DISKS = """
[service]
description = "disks"
[vm]
cmdline = "booted with vmrunner"
[[vm.disk]]
name = "data"
source = "data"
size = 4
format = "raw"
interface = "ide"
[[vm.disk]]
name = "old"
source = "base.vmdk"
format = "vmdk"
[[vm.module]]
path = "mod1.json"
[[vm.module]]
path = "seed"
args = "loaded as module, twice"
[[vm.net]]
mode = "bridge"
bridge = "bridge43"
"""


def test_a_vmdk_disk_is_left_out_and_said_once(project, tmp_path):
    folder = write_service(project, "dk", DISKS, {"a.cpp": "", "data/x": "x", "base.vmdk": "",
                                                   "mod1.json": "{}", "seed": ""})
    service = load_service(folder)
    build = project / "build" / "dk"
    machine = launch(service, load_platform(FAKE), "dk.kernel", build_dir=build)
    config = vmrunner_config(machine)
    assert problems(config) == []
    assert config["drives"] == [{"file": "disks/data.raw", "type": "ide", "format": "raw",
                                 "media": "disk", "name": "data"}]
    assert config["modules"] == [{"path": "../../services/dk/mod1.json"},
                                 {"path": "../../services/dk/seed", "args": "loaded as module, twice"}]
    assert config["cmdline"] == "booted with vmrunner"
    assert config["net"][0]["backend"] == "bridge" and config["net"][0]["bridge"] == "bridge43"
    assert vmrunner_omissions(machine) == [
        "vm.disk[1].format: 'vmdk' cannot be written to vm.json (vmrunner takes raw, qcow2, vdi): "
        "the disk 'old' is left out of it"]
    args = list(machine.args)
    assert args[args.index("-initrd") + 1] == ("../../services/dk/mod1.json,"
                                               "../../services/dk/seed loaded as module,, twice")


def test_modules_need_a_kernel_boot(project):
    from ukbuild.errors import DescriptorError

    folder = write_service(project, "m", "[image]\nformats = ['raw']\n[vm]\nboot = 'disk'\n"
                           "[[vm.module]]\npath = 'm.json'\n", {"a.cpp": "", "m.json": ""})
    with pytest.raises(DescriptorError, match=r"vm.module: multiboot modules need boot = 'kernel'"):
        load_service(folder)
