# make run   builds every service and boots services/hello headless
# make test  runs the whole test suite
# Each one first installs what it needs: missing system packages (apt), the
# virtual environment .venv and ukbuild into it.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.ukbuild-installed

# command -> the Debian package that provides it
SYSTEM_TOOLS := qemu-system-x86_64:qemu-system-x86 qemu-img:qemu-utils \
	objcopy:binutils mcopy:mtools mkfs.fat:dosfstools nasm:nasm \
	virt-xml-validate:libvirt-clients xmllint:libxml2-utils gdb:gdb \
	dnsmasq:dnsmasq-base ping:iputils-ping \
	libvirtd:libvirt-daemon-driver-qemu virtlogd:libvirt-daemon

.PHONY: run test setup system clean-all

run: setup
	$(BIN)/doit -n 2
	$(BIN)/doit run:hello

test: setup
	$(BIN)/python -m pytest -q --durations=10

setup: system $(STAMP)
	@$(BIN)/python -m compileall -q ukbuild  # byte code, even where PYTHONDONTWRITEBYTECODE is set

system:
	@missing=""; \
	for pair in $(SYSTEM_TOOLS); do \
	  cmd=$${pair%%:*}; pkg=$${pair#*:}; \
	  command -v $$cmd >/dev/null 2>&1 || test -x /usr/sbin/$$cmd || missing="$$missing $$pkg"; \
	done; \
	$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || missing="$$missing python3-venv"; \
	test -f /usr/share/qemu/qboot.rom || missing="$$missing qemu-system-data"; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

clean-all:
	rm -rf build .ukbuild $(VENV)
