/* The kernel's version: os::version(), uname(), the boot line. */
#pragma once
#define UKBASE_VERSION "0.1.0"
#define UKBASE_VERSION_STRING "ukbase " UKBASE_VERSION
