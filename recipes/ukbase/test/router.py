"""IncludeOS's packet path for network functions, tests of ukbase's
selftest (selftest.py imports this with the device tests): router.cpp on
pc with qboot, a site's router in one guest (six NICs, five on one QEMU
hub). In the guest: routes, TCP, UDP and pings through a masquerading
uplink, a ping to the router's far address, a forward-chain drop, ICMP
time exceeded for a packet shipped with TTL 1. From this host, through
QEMU user networking: a port forward (DNAT to a server behind the router,
the replies' source translated back), several connections at once."""
import os
import re
import socket

from devices import QBOOT
from http_api import Guest, free_tcp_port

HERE = os.path.dirname(os.path.abspath(__file__))
HUB_NICS = 5


def build(plat, work, verbose):
    print("router tests: building router.cpp")
    return plat.build_service("router", "ukbase router test", [os.path.join(HERE, "router.cpp")],
                              os.path.join(work, "router"), verbose, drivers=["virtionet"])


def exchange(port, message, timeout=20):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(message)
        return s.recv(4096)


def run(r, plat, kernel):
    print("router on pc-qboot: NAT, port forwarding, filters and ICMP errors across six NICs")
    port = free_tcp_port()
    args = QBOOT + ["-m", "128", "-kernel", kernel,
                    "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-:8080" % port,
                    "-device", "virtio-net-pci,netdev=n0"]
    for i in range(1, HUB_NICS + 1):
        args += ["-netdev", "hubport,id=h%d,hubid=1" % i, "-device", "virtio-net-pci,netdev=h%d" % i]
    g = Guest(args)
    try:
        checks(r, g, port)
    finally:
        g.stop()


def checks(r, g, port):
    def check(ok, what, detail=""):
        return r.check(ok, "router: " + what, "%s\n---- serial (router) ----\n%s\n----"
                       % (detail, g.output()) if not ok else "")

    ready = g.wait_for(r"\[router\] ready for the host", 60)
    check(ready, "the guest's checks end")
    for line in g.lines:
        m = re.match(r"\[router\] (PASS|FAIL) (.*)", line)
        if m:
            check(m.group(1) == "PASS", m.group(2))
    m = next((re.match(r"\[router\] guest checks: (\d+) passed, (\d+) failed", l) for l in g.lines
              if "guest checks" in l), None)
    check(bool(m) and int(m.group(1)) >= 12 and m.group(2) == "0",
          "twelve or more guest checks, none failed", m.group(0) if m else "no summary line")
    if not ready:
        return
    try:
        answers = [exchange(port, b"hello %d" % i) for i in range(3)]
        pattern = rb"^server at 10\.7\.0\.80:80 saw 10\.0\.2\.2:\d+: hello (\d)$"
        ok = all(re.match(pattern, a) and re.match(pattern, a).group(1) == b"%d" % i
                 for i, a in enumerate(answers))
        check(ok, "a port forward: eth0:8080 reaches the server behind the router, which sees the "
              "host's address, three connections", repr(answers))
        with socket.create_connection(("127.0.0.1", port), timeout=20) as a, \
                socket.create_connection(("127.0.0.1", port), timeout=20) as b:
            a.sendall(b"first")
            b.sendall(b"second")
            got = (a.recv(4096), b.recv(4096))
        check(got[0].endswith(b": first") and got[1].endswith(b": second"),
              "two forwarded connections open at once keep their own data", repr(got))
        check(exchange(port, b"bye") == b"bye\n", "the server answers through the port forward")
    except OSError as e:
        check(False, "the port forward answers the host", repr(e))
    check(g.wait(15) is not None and g.wait_for(r"\[router\] conntrack entries at the end", 1),
          "the service powers off after \"bye\"")
