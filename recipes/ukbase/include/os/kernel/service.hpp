// class Service: what a service may define (as IncludeOS's kernel/service.hpp).
#pragma once

#include <string>

class Service {
 public:
  /// The service's description ([service] description), compiled into
  /// each service from the platform's src/service_name.cpp.
  static const char* name();

  /// The service's binary name ([service] name).
  static const char* binary_name();

  /// Entry point, called after global constructors. The default calls
  /// start(os::cmdline_args()). When a service's own start() returns, the
  /// service keeps running in the event loop until os::shutdown().
  static void start();

  /// The default splits `args` into words and calls main(argc, argv), if
  /// the service has a main(), with argv[0] the binary name. When main
  /// returns N: "[ main ] returned with status N", then exit(N).
  static void start(const std::string& args);

  /// Called by the kernel right before start(), once devices, file
  /// systems and the network are up. Default: nothing.
  static void ready();

  /// Called on the way out, before power-off. Default: nothing.
  static void stop();
};
