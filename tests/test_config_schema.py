"""[build] config checked against the schema its platform ships (ukbase's
config.schema.json: IncludeOS's "net" format), and a refused connection
on a forwarded port reported against the descriptor."""

import json

import pytest

from ukbuild.descriptor import validate_json
from ukbuild.errors import DescriptorError
from ukbuild.harness import SerialWatch

from support import REPO

SCHEMA = REPO / "recipes" / "ukbase" / "config.schema.json"


def check(tmp_path, config):
    path = tmp_path / "config.json"
    path.write_text(config if isinstance(config, str) else json.dumps(config))
    validate_json(path, SCHEMA)


@pytest.mark.parametrize("config", [
    {"net": [{"iface": 0, "config": "dhcp"}]},
    {"net": [{"iface": 0, "config": "dhcp-with-fallback", "address": "10.0.0.2/24",
              "gateway": "10.0.0.1", "timeout": 2.5}]},
    {"net": [{"iface": 0, "config": ["dhcp", "static"], "address": "10.0.0.2",
              "netmask": "255.255.255.0", "dns": ["10.0.0.1", "fe80::1"]}]},
    {"net": [{"iface": 0, "config": "static", "address": "10.0.0.50", "netmask": "255.255.255.0",
              "vlan": [{"id": 2, "address": "10.50.0.10", "netmask": "255.255.255.0",
                        "gateway": "10.50.0.1"}]}]},
    {"greeting": "the service's own keys are its business", "net": []},
    {},
])
def test_includeos_configs_pass(tmp_path, config):
    check(tmp_path, config)


@pytest.mark.parametrize("config, message", [
    ({"net": [{"iface": 0, "config": "dhpc"}]}, "net[0].config: expected one of 'static'"),
    ({"net": [{"iface": 0, "config": "static", "address": "10.0.0.300"}]}, "net[0].address: expected an IPv4 address, a.b.c.d or a.b.c.d/bits"),
    ({"net": [{"iface": 0, "config": "static", "adress": "10.0.0.3"}]},
     "net[0].adress: unknown key (expected one of: address, config, dns, gateway, iface, netmask, timeout, vlan)"),
    ({"net": [{"config": "dhcp"}]}, "net[0].iface: missing"),
    ({"net": [{"iface": 0, "timeout": 0}]}, "net[0].timeout: expected a value more than 0"),
    ({"net": {"iface": 0}}, "net: expected an array"),
    ({"net": [{"iface": 0, "vlan": [{"id": 4095, "address": "10.1.0.1", "netmask": "255.0.0.0"}]}]},
     "net[0].vlan[0].id: expected a value at most 4094"),
    ({"net": [{"iface": 0, "vlan": [{"id": 2, "address": "10.1.0.1"}]}]}, "net[0].vlan[0].netmask: missing"),
])
def test_a_bad_config_is_one_line_naming_the_key(tmp_path, config, message):
    with pytest.raises(DescriptorError) as err:
        check(tmp_path, config)
    text = str(err.value)
    assert "\n" not in text
    assert text.startswith(str(tmp_path / "config.json") + ": ") or text.startswith("config.json: "), text
    assert message in text, text


def test_invalid_json_names_line_and_column(tmp_path):
    with pytest.raises(DescriptorError) as err:
        check(tmp_path, '{"net": [\n  {"iface": 0,}\n]}')
    assert "config.json:2:" in str(err.value) and "invalid JSON" in str(err.value), str(err.value)


def test_a_refused_forwarded_port_is_named():
    watch = SerialWatch({}, forwards={80: "services/web/service.toml: vm.net[0].forward[0]"})
    watch.feed("     [ TCP ] eth0: connection to port 81 refused: nothing listens there")
    assert watch.warnings == []                       # 81 is not forwarded
    watch.feed("     [ TCP ] eth0: connection to port 80 refused: nothing listens there")
    assert watch.warnings == ["services/web/service.toml: vm.net[0].forward[0]: the guest refused "
                              "a connection to its port 80: nothing listens there"]
