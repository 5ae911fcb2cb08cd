"""An IncludeOS test script (test.py, vmrunner's API) run as the test:
imported as [test] script, booted twice (the second time with its own
kernel arguments), talking UDP to the guest over vmrunner's host bridge,
which the test makes in a private network namespace, and reading the
guest's pings of the host (IncludeOS's ICMPv4::ping and ICMP_view) and
its telnet Terminal (<terminal>); a callback that fails makes the test fail with vmrunner's status 68."""

import re

import pytest

from support import Project, includeos_folder

pytestmark = pytest.mark.e2e

NIC = "os_add_drivers({target} virtionet)\n"

SERVICE = r"""#include <os>
#include <net/interfaces>
#include <terminal>
#include <cstdio>
#include <memory>
#include <string>

void Service::start(const std::string& args)
{
  std::printf("args: %s\n", args.c_str());
  auto& inet = net::Interfaces::get(0);
  inet.network_config({10, 0, 0, 45}, {255, 255, 255, 0}, {10, 0, 0, 1});
  auto& sock = inet.udp().bind(4242);
  sock.on_read([&sock](net::udp::addr_t addr, net::udp::port_t port, const char* data, size_t len) {
    std::printf("got %s from %s\n", std::string(data, len).c_str(), addr.to_string().c_str());
    sock.sendto(addr, port, data, len);
  });
  // a telnet command line with one program of ours
  Terminal::register_program("conns", {"Count the TCP connections",
    [&inet](Terminal& term, const std::vector<std::string>& args) -> int {
      term.write("%zu connections, args %zu, last '%s'\r\n", inet.tcp().active_connections(),
                 args.size(), args.empty() ? "" : args.back().c_str());
      return args.size() == 3 ? 0 : 7;
    }});
  inet.tcp().listen(23, [](net::tcp::Connection_ptr conn) {
    static std::unique_ptr<Terminal> term;
    term = std::make_unique<Terminal>(conn);
  });
  // ping the host (it answers), then an address nobody has; then serve
  inet.icmp().ping(inet.gateway(), [&inet](net::ICMP_view reply) {
    std::printf("gateway ping:\n%s\n", reply.to_string().c_str());
    inet.icmp().ping(net::ip4::Addr{10, 0, 0, 99}, [&inet](net::ICMP_view none) {
      std::printf("10.0.0.99 ping: %s (%s)\n", none.to_string().c_str(), none ? "true" : "false");
      std::printf("UDP echo ready on %s\n", inet.ip_addr().to_string().c_str());
    }, 1);
  });
}
"""

VM_JSON = '{"net": [{"device": "virtio", "mac": "c0:01:0a:00:00:2d"}], "mem": 128}\n'

TEST_PY = r"""#! /usr/bin/env python
from __future__ import print_function
from builtins import str
import socket
from vmrunner import vmrunner
from vmrunner.prettify import color

vm = vmrunner.vms[0]
boots = []

def args(line):
    boots.append(line.split("args: ", 1)[1].strip())
    print(color.INFO("<test.py>"), "boot", len(boots), "with", boots[-1])

def echo(line):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(10)
    for word in ("first", "second"):
        sock.sendto(word.encode(), ("10.0.0.45", 4242))
        data, addr = sock.recvfrom(64)
        if data != word.encode() or addr != ("10.0.0.45", 4242):
            return False
    said = vm.readline()
    print(color.INFO("<test.py>"), "the guest said:", said.strip())
    if said.strip() != "got first from 10.0.0.1":
        return False
    term = socket.create_connection(("10.0.0.45", 23), timeout=10)
    term.sendall(b"\xff\xfb\x18conns a b :the rest of it\r\nconns\r\nnope\r\nexit\r\n")
    screen = b""
    while True:
        data = term.recv(4096)
        if not data:
            break
        screen += data
    print(color.INFO("<test.py>"), "the terminal said:", repr(screen))
    for part in (b"Banana Terminal", b"$ 1 connections, args 3, last 'the rest of it'\r\n",
                 b"1 connections, args 0, last ''\r\nconns returned: 7\r\n",
                 b"No such command: 'nope'\r\n"):
        if part not in screen:
            return False
    vm.exit(0, "echo " + str(len(boots)) + " passed", keep_running=True)

ping = []
vm.on_output("^(Identifier|Sequence number|Source|Destination|Type|Code|Data): ", ping.append)
vm.on_output("^10.0.0.99 ping: ", ping.append)
vm.on_output("^args: ", args)
vm.on_output("UDP echo ready on 10.0.0.45", echo)
vm.cmake().boot(40, image_name="udp_echo.elf.bin")
vm.boot(40, kernel_args="second boot", image_name="udp_echo.elf.bin")
if boots != ["booted with vmrunner", "second boot"]:
    vm.exit(1, "the boots' arguments were " + repr(boots))
expected = ["Identifier: {}", "Sequence number: 0", "Source: 10.0.0.1", "Destination: 10.0.0.45",
            "Type: ECHO REPLY (0)", "Code: DEFAULT (0)",
            "Data: INCLUDEOS12345ABCDEFGHIJKLMNOPQRSTUVWXYZ12345678",
            "10.0.0.99 ping: No reply received (false)"]
# two boots, and the identifiers count from 0 in each: 0 for the gateway, 1 for 10.0.0.99
said = [line.strip() for line in ping]
if said != [e.format(0) for e in expected] * 2:
    vm.exit(1, "the pings said " + repr(said))
print(color.INFO("<test.py>"), "pings as expected")
"""

FAILING_PY = r"""from vmrunner import vmrunner
vm = vmrunner.vms[0]
vm.on_output("UDP echo ready", lambda line: False)
vm.boot(40)
"""


def test_a_vmrunner_script_drives_the_test_over_a_private_bridge(tmp_path):
    project = Project(tmp_path, services=())
    folder = includeos_folder(project, "udp_echo", "UDP echo",
                              {"service.cpp": SERVICE, "vm.json": VM_JSON, "test.py": TEST_PY}, NIC)
    imported = project.ukbuild("import", "services/udp_echo")
    assert imported.status == 0, imported
    assert "runs as [test] script" in imported.out, imported
    toml = (folder / "service.toml").read_text()
    for line in ("script = 'test.py'", "network = { bridge43 = { address = '10.0.0.1/24', address6 = ['fe80::e823:fcff:fef4:83e7/64'] } }",
                 "mode = 'bridge'", "bridge = 'bridge43'", "mac = 'c0:01:0a:00:00:2d'"):
        assert line in toml, toml
    built = project.doit("build:udp_echo")
    assert built.status == 0, built
    passed = project.doit("-v", "2", "test:udp_echo")
    assert passed.status == 0, passed
    assert "the guest said: got first from 10.0.0.1" in passed.out, passed
    assert "boot 2 with second boot" in passed.out, passed
    assert "echo 2 passed" in passed.out, passed
    assert "pings as expected" in passed.out, passed

    (folder / "test.py").write_text(FAILING_PY)
    failed = project.ukbuild("test", "udp_echo")
    assert failed.status == 68, failed
    assert "test:udp_echo: an expectation failed (status 68): test.py: " \
           "Event-triggered test failed" in failed.err, failed


DHCP_SERVICE = r"""#include <os>
#include <net/interfaces>
#include <cstdio>

void Service::start()
{
  static auto& inet = net::Interfaces::get(0);
  inet.negotiate_dhcp(10.0, [](bool timed_out) {
    if (timed_out)
      os::panic("no DHCP answer");
    INFO("Lease", "Got an address");
    std::printf("%s\n", inet.ip_addr().to_string().c_str());
  });
}
"""

DHCP_TEST = r"""import subprocess
from vmrunner import vmrunner
vm = vmrunner.vms[0]

def leased(line):
    address = vm.readline().strip()
    print("leased", address)
    subprocess.check_call(["ping", "-c", "2", "-i", "0.2", "-W", "2", address])
    vm.exit(0, "pinged the leased address " + address)

vm.on_output("Got an address", leased)
vm.boot(40, image_name="leased.elf.bin")
"""


def test_a_guest_asking_for_dhcp_on_the_private_bridge_gets_a_reachable_address(tmp_path):
    project = Project(tmp_path, services=())
    includeos_folder(project, "leased", "DHCP lease",
                     {"service.cpp": DHCP_SERVICE, "vm.json": '{"net": [{"device": "virtio"}]}\n',
                      "test.py": DHCP_TEST}, NIC)
    assert project.ukbuild("import", "services/leased").status == 0
    result = project.doit("-v", "2", "test:leased")
    assert result.status == 0, result
    leased = re.search(r"pinged the leased address 10\.0\.0\.(\d+)", result.out)
    assert leased and 128 <= int(leased.group(1)) <= 254, result   # the upper half of the subnet
    assert "2 packets transmitted, 2 received" in result.out, result


DHCPD_SERVICE = r"""#include <os>
#include <net/interfaces>
#include <net/dhcp/dhcpd.hpp>
#include <cstdio>
#include <memory>

std::unique_ptr<net::dhcp::DHCPD> server;

void Service::start()
{
  auto& inet = net::Interfaces::get(0);
  inet.network_config({10, 0, 0, 9}, {255, 255, 255, 0}, {10, 0, 0, 1});
  server = std::make_unique<net::dhcp::DHCPD>(inet.udp(), net::ip4::Addr{10, 0, 0, 10},
                                              net::ip4::Addr{10, 0, 0, 20});
  for (int i = 1; i <= 2; i++) {
    net::Interfaces::get(i).negotiate_dhcp(10.0, [i](bool timed_out) {
      auto& me = net::Interfaces::get(i);
      if (timed_out)
        std::printf("client %d timed out\n", i);
      else
        std::printf("client %d leased %s via %s, %zu of %zu leased\n", i, me.ip_addr().to_string().c_str(),
                    me.gateway().to_string().c_str(), server->leased(), server->pool_size());
    });
  }
}
"""

DHCPD_VM = """{"net": [{"device": "virtio", "mac": "c0:01:0a:00:00:2a"},
                       {"device": "virtio", "mac": "c0:01:0a:00:00:2f"},
                       {"device": "virtio", "mac": "c0:01:0a:00:00:20"}]}
"""

DHCPD_TEST = r"""import subprocess
from vmrunner import vmrunner
vm = vmrunner.vms[0]
leased = set()

def client(line):
    words = line.split()
    address = words[3]
    if not address.startswith("10.0.0.") or not 10 <= int(address.split(".")[3]) <= 20:
        return False
    subprocess.check_call(["ping", "-c", "1", "-W", "2", address])
    leased.add(address)
    if len(leased) == 2:
        vm.exit(0, "both clients leased from the guest's server: " + " ".join(sorted(leased)))

vm.on_output("^client [12] leased", client)
vm.on_output("timed out", lambda line: False)
vm.boot(40, image_name="dhcp_server.elf.bin")
"""


def test_a_guest_dhcp_server_leases_to_its_own_clients_on_the_bridge(tmp_path):
    """IncludeOS's DHCPD on eth0 and the DHCP clients of eth1 and eth2, one
    bridge: the import leaves the bridge without a DHCP server of its own."""
    project = Project(tmp_path, services=())
    includeos_folder(project, "dhcp_server", "DHCP server",
                     {"service.cpp": DHCPD_SERVICE, "vm.json": DHCPD_VM, "test.py": DHCPD_TEST}, NIC)
    imported = project.ukbuild("import", "services/dhcp_server")
    assert imported.status == 0 and "service.cpp serves DHCP there itself" in imported.out, imported
    assert "network = { bridge43 = { address = '10.0.0.1/24', address6 = " \
        "['fe80::e823:fcff:fef4:83e7/64'], dhcp = false } }" in \
        project.path("services/dhcp_server/service.toml").read_text()
    result = project.doit("-v", "2", "test:dhcp_server")
    assert result.status == 0, result
    assert re.search(r"both clients leased from the guest's server: 10\.0\.0\.1\d 10\.0\.0\.1\d",
                     result.out), result
    assert "leased 10.0.0.1" in result.out and "via 10.0.0.9" in result.out, result


VLAN_SERVICE = r"""#include <os>
#include <net/interfaces>
#include <net/vlan>
#include <cstdio>

void Service::start()
{
  auto& eth0 = net::Interfaces::get(0);
  net::setup_vlans();
  auto& vlan0_2 = net::Interfaces::get(0, 2);
  auto& vlan1_2 = net::Interfaces::get(1, 2);
  std::printf("vlan0_2 is %s on %s\n", vlan0_2.ip_addr().to_string().c_str(), vlan0_2.ifname().c_str());
  try {
    net::Interfaces::get(0, 3);
  } catch (const net::Stack_not_found& e) {
    std::printf("no VLAN 3: %s\n", e.what());
  }
  // eth0 and its VLAN each have a TCP of their own: both listen on 80
  eth0.tcp().listen(80, [](auto conn) { std::printf("eth0 accepted %s\n", conn->to_string().c_str()); });
  static int both = 0;
  vlan0_2.tcp().listen(80, [](auto conn) {
    std::printf("vlan0_2 accepted from %s\n", conn->remote().address().to_string().c_str());
    if (++both == 2) std::printf("VLANs ready\n");
  });
  vlan1_2.tcp().connect({vlan0_2.ip_addr(), 80}, [](auto conn) {
    CHECKSERT(conn != nullptr, "VLAN 2 of eth1 connects to VLAN 2 of eth0");
    if (++both == 2) std::printf("VLANs ready\n");
  });
}
"""

VLAN_CONFIG = """{"net": [
  {"iface": 0, "config": "static", "address": "10.0.0.50", "netmask": "255.255.255.0",
   "vlan": [{"id": 2, "address": "10.50.0.10", "netmask": "255.255.255.0"},
            {"id": 42, "address": "10.60.0.10", "netmask": "255.255.255.0"}]},
  {"iface": 1, "config": "static", "address": "10.0.0.51", "netmask": "255.255.255.0",
   "vlan": [{"id": 2, "address": "10.50.0.20", "netmask": "255.255.255.0"}]}
]}
"""

# The host has no VLAN devices of its own here: it speaks 802.1Q itself,
# with raw frames on the bridge (the kernel hands received tags over as
# PACKET_AUXDATA), answering the guest's tagged ARP requests.
VLAN_TEST = r"""import socket, struct, time
from vmrunner import vmrunner
vm = vmrunner.vms[0]
GUEST = bytes.fromhex("c0010a00002a")
SOL_PACKET, PACKET_AUXDATA, TP_STATUS_VLAN_VALID = 263, 8, 0x10

def ip(text):
    return socket.inet_aton(text)

def checksum(data):
    data += b"\0" * (len(data) % 2)
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return struct.pack("!H", ~s & 0xFFFF)

def tagged(dst, src, vid, ethertype, payload):
    return dst + src + struct.pack("!HHH", 0x8100, vid, ethertype) + payload

def echo_request(src, dst, ident):
    icmp = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + b"ukbuild vlan"
    icmp = icmp[:2] + checksum(icmp) + icmp[4:]
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), ident, 0, 64, 1, 0, ip(src), ip(dst))
    return header[:10] + checksum(header) + header[12:] + icmp

def exchange(sock, mine, vid, src, dst):
    # one echo request, tagged vid; what came back tagged (vid, ICMP type), answering ARP
    sock.send(tagged(GUEST, mine, vid, 0x0800, echo_request(src, dst, vid)))
    end = time.time() + 2
    while time.time() < end:
        sock.settimeout(max(0.01, end - time.time()))
        try:
            data, anc, _, _ = sock.recvmsg(2048, socket.CMSG_SPACE(20))
        except socket.timeout:
            break
        tci = None
        for level, kind, value in anc:
            if level == SOL_PACKET and kind == PACKET_AUXDATA:
                status, _, _, _, _, tci_value = struct.unpack("IIIHHH", value[:18])
                if status & TP_STATUS_VLAN_VALID:
                    tci = tci_value
        if data[12:14] == b"\x81\x00":          # the tag still in the frame
            tci, data = struct.unpack("!H", data[14:16])[0], data[:12] + data[16:]
        if data[6:12] != GUEST or tci is None:
            continue
        kind, body = data[12:14], data[14:]
        if kind == b"\x08\x06" and body[6:8] == b"\x00\x01" and body[24:28] == ip(src):
            reply = body[:6] + b"\x00\x02" + mine + ip(src) + body[8:14] + body[14:18]
            sock.send(tagged(GUEST, mine, tci & 0xFFF, 0x0806, reply + b"\0" * 18))
        elif kind == b"\x08\x00" and body[9] == 1 and body[12:16] == ip(dst):
            return tci & 0xFFF, body[20]
    return None

def probe(line):
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    sock.bind(("bridge43", 0))
    mine = sock.getsockname()[4]
    got = {vid: exchange(sock, mine, vid, src, dst) for vid, src, dst in
           ((2, "10.50.0.1", "10.50.0.10"), (42, "10.60.0.1", "10.60.0.10"), (3, "10.50.0.1", "10.50.0.10"))}
    print("echo replies by VLAN:", got)
    if got[2] == (2, 0) and got[42] == (42, 0) and got[3] is None:
        vm.exit(0, "tagged echo replies on VLANs 2 and 42, none on VLAN 3")
    return False

vm.on_output("VLANs ready", probe)
vm.boot(40, image_name="vlans.elf.bin")
"""


def test_vlans_tag_their_frames_on_the_wire(tmp_path):
    """IncludeOS's <net/vlan>: the VLANs [build] config names on two NICs,
    each with a stack of its own (a TCP each: eth0 and its VLAN both
    listen on port 80); the guest answers the host's 802.1Q-tagged pings
    with frames tagged the same, ARP included, and not those of a VLAN it
    is not on."""
    project = Project(tmp_path, services=())
    folder = includeos_folder(project, "vlans", "VLAN test", {
        "service.cpp": VLAN_SERVICE, "config.json": VLAN_CONFIG, "test.py": VLAN_TEST,
        "vm.json": '{"net": [{"device": "virtio", "mac": "c0:01:0a:00:00:2a"}, '
                   '{"device": "virtio", "mac": "c0:01:0a:00:00:2f"}]}'}, NIC)
    imported = project.ukbuild("import", "services/vlans")
    assert imported.status == 0 and "runs as [test] script" in imported.out, imported
    assert "bridge43" in (folder / "service.toml").read_text()
    result = project.doit("-v", "2", "test:vlans")
    assert result.status == 0, result
    assert "vlan0_2 is 10.50.0.10 on eth0.2" in result.out, result
    assert "no VLAN 3: IP4 Stack not found [0,3]" in result.out, result
    assert "vlan0_2 accepted from 10.50.0.20" in result.out, result
    assert "tagged echo replies on VLANs 2 and 42, none on VLAN 3" in result.out, result


def imported_and_tested(tmp_path, name, title, service, test_py, mac):
    """An IncludeOS-shaped service with one NIC on vmrunner's bridge and a
    test.py, imported and tested with doit; the passing run."""
    project = Project(tmp_path, services=())
    includeos_folder(project, name, title, {
        "service.cpp": service, "test.py": test_py,
        "vm.json": '{"net": [{"device": "virtio", "mac": "%s"}]}' % mac}, NIC)
    assert project.ukbuild("import", f"services/{name}").status == 0
    result = project.doit("-v", "2", f"test:{name}")
    assert result.status == 0, result
    return result


UDP6_SERVICE = r"""#include <os>
#include <net/interfaces>
#include <cstdio>
#include <string>

void Service::start()
{
  auto& inet = net::Interfaces::get(0);
  inet.network_config({10, 0, 0, 56}, {255, 255, 255, 0}, {10, 0, 0, 1});
  inet.add_addr(net::ip6::Addr{"fe80::4242"});
  auto& sock6 = inet.udp().bind6(4242);
  sock6.on_read([&sock6](net::udp::addr_t addr, net::udp::port_t port, const char* data, size_t len) {
    std::printf("udp6 %zu bytes from %s\n", len, addr.to_string().c_str());
    sock6.sendto(addr, port, data, len);
  });
  std::printf("UDP6 echo ready on %s\n", inet.ip6_addr().to_string().c_str());
}
"""

UDP6_TEST = r"""import socket, subprocess
from vmrunner import vmrunner
vm = vmrunner.vms[0]

def talk(line):
    addr = socket.getaddrinfo("fe80::4242%bridge43", 4242, socket.AF_INET6, socket.SOCK_DGRAM)[0][4]
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    sock.settimeout(5)
    for data in (b"Lucky", b"x" * 1448):
        sock.sendto(data, addr)
        back = sock.recv(2048)
        if back != data:
            print("sent", len(data), "got", len(back))
            return False
    subprocess.check_call(["ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", "fe80::4242%bridge43"])
    vm.exit(0, "UDP over IPv6 echoed, pings answered")

vm.on_output("UDP6 echo ready", talk)
vm.boot(40, image_name="udp6.elf.bin")
"""


def test_udp_and_pings_over_ipv6_link_local(tmp_path):
    """An address added with add_addr answers neighbour discovery, ICMPv6
    echo and UDP (bind6, sendto): the host's IPv6 socket on the private
    bridge talks to it by its link-local address."""
    result = imported_and_tested(tmp_path, "udp6", "UDP over IPv6", UDP6_SERVICE, UDP6_TEST,
                                 "c0:01:0a:00:00:38")
    assert "UDP6 echo ready on fe80:0:0:0:0:0:0:4242" in result.out or \
        "UDP6 echo ready on fe80::4242" in result.out, result
    assert "udp6 1448 bytes from fe80::" in result.out, result
    assert "2 packets transmitted, 2 received" in result.out, result
    assert "UDP over IPv6 echoed, pings answered" in result.out, result


TCP6_SERVICE = r"""#include <os>
#include <net/interfaces>
#include <cstdio>
#include <string>

void Service::start()
{
  auto& inet = net::Interfaces::get(0);
  inet.network_config({10, 0, 0, 57}, {255, 255, 255, 0}, {10, 0, 0, 1});
  inet.tcp().listen(4347, [](net::tcp::Connection_ptr conn) {
    conn->write("late address\n");
    conn->close();
  });
  inet.add_addr(net::ip6::Addr{"fe80::4343"});
  inet.add_addr(net::ip6::Addr{"fe80::4347"});
  inet.tcp().listen(4343, [&inet](net::tcp::Connection_ptr conn) {
    std::printf("tcp6 from %s\n", conn->remote().to_string().c_str());
    auto peer = conn->remote().address();
    conn->on_read(16384, [conn, peer, &inet](net::tcp::buffer_t buf) {
      std::string text(buf->begin(), buf->end());
      if (text.rfind("port ", 0) != 0) {
        conn->write(buf);
        return;
      }
      net::Socket back{peer, static_cast<uint16_t>(std::stoi(text.substr(5)))};
      inet.tcp().connect(back, [](net::tcp::Connection_ptr out) {
        if (!out) {
          std::printf("tcp6 connect failed\n");
          return;
        }
        std::printf("tcp6 connected to %s from %s\n", out->remote().to_string().c_str(),
                    out->local().to_string().c_str());
        out->write("hello over IPv6\n");
        out->close();
      });
    });
  });
  std::printf("TCP6 echo ready\n");
}
"""

TCP6_TEST = r"""import os, socket
from vmrunner import vmrunner
vm = vmrunner.vms[0]

def connect(guest):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(guest)
    return s

def talk(line):
    guest = socket.getaddrinfo("fe80::4343%bridge43", 4343, socket.AF_INET6, socket.SOCK_STREAM)[0][4]
    data = os.urandom(200000)
    with connect(guest) as s:
        for at in range(0, len(data), 10000):
            s.sendall(data[at:at + 10000])
            back = b""
            while len(back) < 10000:
                got = s.recv(10000 - len(back))
                if not got:
                    print("the echo stopped at", at + len(back))
                    return False
                back += got
            if back != data[at:at + 10000]:
                print("wrong bytes at", at)
                return False
    print("200000 bytes echoed over IPv6")
    server = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("::", 4344, 0, guest[3]))
    server.listen(1)
    server.settimeout(10)
    with connect(guest) as s:
        s.sendall(b"port 4344")
        peer, addr = server.accept()
        with peer:
            peer.settimeout(10)
            text = b""
            while True:
                got = peer.recv(100)
                if not got:
                    break
                text += got
    print("from", addr[0], repr(text))
    late = socket.getaddrinfo("fe80::4347%bridge43", 4347, socket.AF_INET6, socket.SOCK_STREAM)[0][4]
    with connect(late) as s:
        said = s.recv(100)
    print("the listener made before the address said", repr(said))
    if said != b"late address\n":
        return False
    if addr[0] == "fe80::4343" and text == b"hello over IPv6\n":
        vm.exit(0, "TCP over IPv6 both ways")
    return False

vm.on_output("TCP6 echo ready", talk)
vm.boot(40, image_name="tcp6.elf.bin")
"""


def test_tcp_over_ipv6_link_local(tmp_path):
    """listen(port) also listens on the stack's IPv6 addresses, those added
    after it too, and connect() reaches an IPv6 peer: the host's IPv6
    sockets on the private bridge echo 200 kB through the guest and take
    its connection back."""
    result = imported_and_tested(tmp_path, "tcp6", "TCP over IPv6", TCP6_SERVICE, TCP6_TEST,
                                 "c0:01:0a:00:00:39")
    assert "200000 bytes echoed over IPv6" in result.out, result
    assert "tcp6 from [fe80:" in result.out or "tcp6 from fe80:" in result.out, result
    assert "tcp6 connected to " in result.out, result
    assert "TCP over IPv6 both ways" in result.out, result
    assert "the listener made before the address said b'late address\\n'" in result.out, result


HTTP_SERVICE = r"""#include <service>
#include <net/interfaces>
#include <net/http/server.hpp>
#include <net/http/basic_client.hpp>
#include <info>
#include <cstdio>
#include <memory>

static std::unique_ptr<http::Server> server;
static std::unique_ptr<http::Basic_client> client;

void Service::start()
{
  auto& inet = net::Interfaces::get(0);
  inet.network_config({10, 0, 0, 47}, {255, 255, 255, 0}, {10, 0, 0, 1});
  server = std::make_unique<http::Server>(inet.tcp());
  server->on_request([](http::Request_ptr req, http::Response_writer_ptr writer) {
    std::printf("request %s %s\n", http::method::str(req->method()).data(), req->uri().to_string().c_str());
    if (req->uri().path() == "/echo") {
      writer->header().set_field(http::header::Content_Type, "application/octet-stream");
      writer->write(std::string(req->body()));
    } else if (req->uri().path() == "/hello") {
      writer->header().set_field(http::header::Content_Type, "text/plain");
      writer->write("hello from the guest");
    } else {
      writer->write_header(http::Not_Found);
    }
  });
  client = std::make_unique<http::Basic_client>(inet.tcp());
  try {
    client->get("https://10.0.0.1/", {}, [](http::Error, http::Response_ptr, http::Connection&) {});
  } catch (const http::Client_error& e) {
    std::printf("https refused: %s\n", e.what());
  }
  client->get("http://10.0.0.1:9011/from-guest", {},
    [](http::Error err, http::Response_ptr res, http::Connection&) {
      if (err || !res) {
        std::printf("client error: %s\n", err.to_string().c_str());
        return;
      }
      std::printf("client got %d: %.*s\n", res->status_code(), (int) res->body().size(),
                  res->body().data());
      server->listen(8080);     // the host's turn
    });
}
"""

HTTP_TEST = r"""import http.client, http.server, threading
from vmrunner import vmrunner
vm = vmrunner.vms[0]

class Echo(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("host saw " + self.path).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass

host = http.server.HTTPServer(("10.0.0.1", 9011), Echo)
threading.Thread(target=host.handle_request, daemon=True).start()

def check(line):
    conn = http.client.HTTPConnection("10.0.0.47", 8080, timeout=10)
    conn.request("GET", "/hello")
    first = conn.getresponse()
    hello = first.read()
    conn.request("POST", "/echo", body=b"z" * 5000)     # the same connection
    second = conn.getresponse()
    echo = second.read()
    conn.request("GET", "/nothing")
    missing = conn.getresponse()
    missing.read()
    print("got", first.status, first.getheader("Content-Type"), hello, second.status, len(echo), missing.status)
    ok = (first.status == 200 and hello == b"hello from the guest" and second.status == 200
          and echo == b"z" * 5000 and missing.status == 404)
    if ok:
        vm.exit(0, "GET, POST and 404 on one kept-alive connection")
    return ok

vm.on_output("Listening on port 8080", check)
vm.boot(40, image_name="web.elf.bin")
"""


def test_includeos_http_server_and_client(tmp_path):
    """IncludeOS's http::Server answers the host's requests on one kept-alive
    connection (GET, a POSTed body echoed, a 404), and its Basic_client
    gets a page from the host and refuses an https URL."""
    result = imported_and_tested(tmp_path, "web", "HTTP test", HTTP_SERVICE, HTTP_TEST,
                                 "c0:01:0a:00:00:2e")
    assert "[ HTTP Server ] Listening on port 8080" in result.out, result
    assert "request POST /echo" in result.out, result
    assert "https refused: " in result.out, result
    assert "client got 200: host saw /from-guest" in result.out, result
    assert "GET, POST and 404 on one kept-alive connection" in result.out, result


WS_SERVICE = r"""#include <service>
#include <net/interfaces>
#include <net/ws/connector.hpp>
#include <http>
#include <cstdio>
#include <deque>

static http::Server* server;
static net::WS_server_connector* connector;
static std::deque<net::WebSocket_ptr> sockets;

void Service::start()
{
  auto& inet = net::Interfaces::get(0);
  inet.network_config({10, 0, 0, 48}, {255, 255, 255, 0}, {10, 0, 0, 1});
  server = new http::Server(inet.tcp());
  connector = new net::WS_server_connector(
    [](net::WebSocket_ptr ws) {
      if (!ws) return;
      auto* raw = ws.get();
      ws->on_read = [raw](auto message) {
        std::printf("message of %zu bytes\n", message->size());
        raw->write(message->data(), message->size(), message->opcode());
      };
      ws->on_close = [](uint16_t code) { std::printf("closed %u\n", code); };
      sockets.push_back(std::move(ws));
    },
    [](net::Socket remote, std::string origin) {
      std::printf("origin '%s' from %s\n", origin.c_str(), remote.address().to_string().c_str());
      return origin != "http://refused.example";
    });
  server->on_request(*connector);
  server->listen(8000);
}
"""

WS_TEST = r"""import base64, hashlib, os, socket, struct
from vmrunner import vmrunner
vm = vmrunner.vms[0]
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

def handshake(origin):
    sock = socket.create_connection(("10.0.0.48", 8000), timeout=10)
    key = base64.b64encode(os.urandom(16))
    sock.sendall(b"GET / HTTP/1.1\r\nHost: 10.0.0.48\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\nOrigin: "
                 + origin + b"\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
    return sock, head, accept

def frame(opcode, payload):
    mask = os.urandom(4)
    size = struct.pack("!BB", 0x80 | opcode, 0x80 | 126) + struct.pack("!H", len(payload)) \
        if len(payload) > 125 else struct.pack("!BB", 0x80 | opcode, 0x80 | len(payload))
    return size + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))

def read_frame(sock):
    first, second = sock.recv(1)[0], sock.recv(1)[0]
    size = second & 0x7F
    if size == 126:
        size = struct.unpack("!H", sock.recv(2))[0]
    data = b""
    while len(data) < size:
        data += sock.recv(size - len(data))
    return first & 0x0F, data

def talk(line):
    refused, head, _ = handshake(b"http://refused.example")
    print("refused:", head.split(b"\r\n")[0])
    if b" 101 " in head.split(b"\r\n")[0]:
        return False
    sock, head, accept = handshake(b"http://10.0.0.1")
    if b" 101 " not in head.split(b"\r\n")[0] or b"Sec-WebSocket-Accept: " + accept not in head:
        print("handshake:", head)
        return False
    for opcode, payload in ((1, "hej på dig".encode()), (2, os.urandom(3000))):
        sock.sendall(frame(opcode, payload))
        if read_frame(sock) != (opcode, payload):
            return False
    sock.sendall(frame(9, b"are you there"))
    if read_frame(sock) != (10, b"are you there"):
        return False
    sock.sendall(frame(8, struct.pack("!H", 1000) + b"bye"))
    code = read_frame(sock)
    print("close answered:", code)
    return code[0] == 8 and code[1][:2] == struct.pack("!H", 1000)

def closed(line):
    vm.exit(0, "echoed, pinged and closed with 1000")

vm.on_output("Listening on port 8000", talk)
vm.on_output("closed 1000", closed)
vm.boot(40, image_name="ws.elf.bin")
"""


def test_includeos_websocket_server(tmp_path):
    """IncludeOS's WS_server_connector on an http::Server: the handshake's
    accept key, a refused origin, text and binary echo, ping and pong,
    and the close handshake reaching on_close(1000), against a client of
    the host written from RFC 6455."""
    result = imported_and_tested(tmp_path, "ws", "WebSocket test", WS_SERVICE, WS_TEST,
                                 "c0:01:0a:00:00:30")
    assert "origin 'http://refused.example' from 10.0.0.1" in result.out, result
    assert "message of 3000 bytes" in result.out, result
    assert "echoed, pinged and closed with 1000" in result.out, result


VARIANT_SERVICE = r"""#include <cstdio>

int main()
{
#ifdef LOUD_BUILD
  std::printf("variant: LOUD\n");
#else
  std::printf("variant: quiet\n");
#endif
  return 0;
}
"""

VARIANT_TEST = r"""from vmrunner import vmrunner
vm = vmrunner.vms[0]
seen = []

def saw(line):
    seen.append(line.split(":")[-1].strip())
    if seen != ["quiet", "LOUD"][:len(seen)]:
        return False
    vm.exit(0, "boot %d: %s" % (len(seen), seen[-1]), keep_running=True)

vm.on_output("variant: ", saw)
vm.cmake().boot(30).cmake(["-DLOUD=ON"]).boot(30)
"""

VARIANT_CMAKE = """option(LOUD "" OFF)
if (LOUD)
  add_definitions(-DLOUD_BUILD)
endif()
"""


def test_cmake_with_options_in_a_script_builds_the_service_again(tmp_path):
    """vmrunner's cmake(["-DNAME=VALUE"]) in a test.py builds the service
    again with that CMake variable (imported into a project of its own
    under build/S/vmrunner/), and the next boot boots that build."""
    project = Project(tmp_path, services=())
    includeos_folder(project, "variants", "vmrunner's cmake() options",
                     {"service.cpp": VARIANT_SERVICE, "test.py": VARIANT_TEST}, VARIANT_CMAKE)
    assert project.ukbuild("import", "services/variants").status == 0
    toml = project.path("services/variants/service.toml").read_text()
    assert "LOUD_BUILD" not in toml, toml
    result = project.doit("-v", "2", "test:variants")
    assert result.status == 0, result
    assert "boot 1: quiet" in result.out and "boot 2: LOUD" in result.out, result
    assert result.out.index("boot 1: quiet") < result.out.index("cmake -DLOUD=ON -> ") \
        < result.out.index("boot 2: LOUD"), result
    variant = next(project.path("build/variants/vmrunner").iterdir())
    assert "LOUD_BUILD" in (variant / "services/variants/service.toml").read_text()


def test_import_takes_cmake_definitions(tmp_path):
    """python -m ukbuild import -D NAME=VALUE reads the CMakeLists.txt as
    cmake -D would; a -D that is not NAME=VALUE is one line and status 2."""
    project = Project(tmp_path, services=())
    includeos_folder(project, "variants", "vmrunner's cmake() options",
                     {"service.cpp": VARIANT_SERVICE}, VARIANT_CMAKE)
    assert project.ukbuild("import", "services/variants", "-D", "LOUD:BOOL=ON").status == 0
    assert "LOUD_BUILD" in project.path("services/variants/service.toml").read_text()
    bad = project.ukbuild("import", "--force", "services/variants", "-D", "LOUD")
    assert bad.status != 0 and "Traceback" not in bad.out + bad.err, bad
    assert bad.err.strip() == "-D LOUD: expected NAME=VALUE (or NAME:TYPE=VALUE), as cmake takes it", bad


POSIX6_SERVICE = r"""#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cstdio>
#include <cstring>
#include <net/interfaces>

static const char* text(const sockaddr_in6& a)
{
  static char out[INET6_ADDRSTRLEN];
  return inet_ntop(AF_INET6, &a.sin6_addr, out, sizeof out);
}

int main()
{
  auto& inet = net::Interfaces::get(0);
  inet.network_config({10, 0, 0, 58}, {255, 255, 255, 0}, {10, 0, 0, 1});
  inet.add_addr(net::ip6::Addr{"fe80::4545"});
  int s = socket(AF_INET6, SOCK_STREAM, 0);
  int v6only = -1;
  socklen_t len = sizeof v6only;
  getsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len);
  sockaddr_in6 any{};
  any.sin6_family = AF_INET6;
  any.sin6_port = htons(4545);
  if (bind(s, (sockaddr*)&any, sizeof any) || listen(s, 4)) {
    std::perror("bind or listen");
    return 1;
  }
  std::printf("POSIX6 listening, v6only=%d\n", v6only);
  for (int round = 0; round < 2; round++) {
    sockaddr_in6 peer{};
    socklen_t plen = sizeof peer;
    int c = accept(s, (sockaddr*)&peer, &plen);
    char buf[256];
    ssize_t n = read(c, buf, sizeof buf);
    std::printf("posix6 accepted %s (%u bytes of address): %.*s\n", text(peer), plen, int(n), buf);
    write(c, buf, n);
    close(c);
    if (round == 0) {
      int out = socket(AF_INET6, SOCK_STREAM, 0);
      peer.sin6_port = htons(4546);
      if (connect(out, (sockaddr*)&peer, sizeof peer)) {
        std::perror("connect");
        return 2;
      }
      sockaddr_in6 me{};
      socklen_t mlen = sizeof me;
      getsockname(out, (sockaddr*)&me, &mlen);
      std::printf("posix6 connected from %s\n", text(me));
      write(out, "posix over IPv6\n", 16);
      close(out);
    }
  }
  return 0;
}
"""

POSIX6_TEST = r"""import socket
from vmrunner import vmrunner
vm = vmrunner.vms[0]

def talk(line):
    guest = socket.getaddrinfo("fe80::4545%bridge43", 4545, socket.AF_INET6, socket.SOCK_STREAM)[0][4]
    server = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("::", 4546, 0, guest[3]))
    server.listen(1)
    server.settimeout(10)
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(guest)
    s.sendall(b"port 4546")
    echo = s.recv(100)
    s.close()
    peer, addr = server.accept()
    peer.settimeout(10)
    said = peer.recv(100)
    peer.close()
    s4 = socket.create_connection(("10.0.0.58", 4545), timeout=10)
    s4.sendall(b"over IPv4")
    back = s4.recv(100)
    s4.close()
    print("echo", echo, "from", addr[0], said, "back", back)
    return echo == b"port 4546" and addr[0] == "fe80::4545" and said == b"posix over IPv6\n" \
        and back == b"over IPv4"

vm.on_output("POSIX6 listening", talk)
vm.boot(40, image_name="posix6.elf.bin")
"""


def test_posix_tcp_sockets_over_ipv6(tmp_path):
    """socket(AF_INET6, SOCK_STREAM): a listener on [::] takes IPv6 peers
    and IPv4 ones (as ::ffff:a.b.c.d, IPV6_V6ONLY is 0), accept and
    getsockname give sockaddr_in6, and connect() reaches the host's IPv6
    socket on the bridge."""
    result = imported_and_tested(tmp_path, "posix6", "POSIX sockets over IPv6", POSIX6_SERVICE,
                                 POSIX6_TEST, "c0:01:0a:00:00:3a")
    assert "POSIX6 listening, v6only=0" in result.out, result
    assert "posix6 accepted fe80::" in result.out and "(28 bytes of address): port 4546" in result.out, result
    assert "posix6 connected from fe80::4545" in result.out, result
    assert "posix6 accepted ::ffff:10.0.0.1 (28 bytes of address): over IPv4" in result.out, result
