#include "util.hpp"
#include <cstdio>
void Service::start() { greet(); std::puts("SUCCESS"); }
