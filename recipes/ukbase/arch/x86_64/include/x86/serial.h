/* 16550 UART on COM1. */
#pragma once
#include <stddef.h>
void serial_init(void);
void arch_serial_write(const char* s, size_t len);
