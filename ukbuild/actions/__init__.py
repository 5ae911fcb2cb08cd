"""Actions: the few functions that really run tools (compiler, linker,
conan, qemu-img, QEMU) and write outputs, each atomically."""
