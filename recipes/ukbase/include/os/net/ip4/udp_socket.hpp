// Older IncludeOS services include this for net::UDPSocket.
#pragma once
#include <net/udp/udp.hpp>
