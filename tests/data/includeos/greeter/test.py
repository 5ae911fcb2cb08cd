#!/usr/bin/env python3
import sys
import subprocess
from vmrunner import vmrunner

subprocess.call(["./make_disk.sh"])
vm = vmrunner.vms[0]
seen = 0
expected = 2

def greeted(line):
    global seen
    seen += 1
    if seen == expected:
        vm.exit(0, "greeted twice")

def bad(line):
    print("unexpected")
    return False

def hex_ok(line):
    return int(line.split(":")[1], 16) == 100

vm.on_output("Greeting [0-9]", greeted)
vm.on_output("farewell", greeted)
vm.on_output("Invalid greeting", bad)
vm.on_output("hex:", hex_ok)
vm.boot(25, image_name="greeter.elf.bin", kernel_args="say hello")
