// Compiled into every service with
//   -DSERVICE='"<binary name>"' -DSERVICE_NAME='"<description>"'
// so that Service::name() and Service::binary_name() answer for it.
#include <service>

#ifndef SERVICE
#error "SERVICE (the binary name, a string literal) must be defined"
#endif
#ifndef SERVICE_NAME
#error "SERVICE_NAME (the description, a string literal) must be defined"
#endif

const char* Service::name() { return SERVICE_NAME; }
const char* Service::binary_name() { return SERVICE; }
