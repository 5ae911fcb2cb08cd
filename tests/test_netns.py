"""The private test network's DHCP range and the command it wraps."""

import sys

from ukbuild import netns


def test_the_dhcp_range_is_the_upper_half_of_the_subnet_without_the_host():
    assert netns.dhcp_range("10.0.0.1/24") == ("10.0.0.128", "10.0.0.254", "255.255.255.0")
    assert netns.dhcp_range("192.168.5.14/29") == ("192.168.5.11", "192.168.5.13", "255.255.255.248")
    assert netns.dhcp_range("172.16.0.1/30") == ("172.16.0.2", "172.16.0.2", "255.255.255.252")


def test_the_wrapped_command_runs_in_new_network_and_mount_namespaces():
    argv = netns.wrap(["echo", "hi"], (("bridge43", "10.0.0.1/24", True),))
    assert argv[:3] == ["unshare", "--net", "--mount"]
    inner = argv[argv.index("--") + 1:]
    assert inner[:3] == [sys.executable, "-m", "ukbuild.netns"]
    assert inner[-3:] == ["--", "echo", "hi"]
