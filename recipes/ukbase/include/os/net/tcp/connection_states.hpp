// IncludeOS's net/tcp/connection_states.hpp: Connection::State and its
// states are declared with the connection.
#pragma once
#include <net/tcp/connection.hpp>
