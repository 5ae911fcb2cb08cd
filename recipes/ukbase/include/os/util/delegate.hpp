// IncludeOS's util/delegate.hpp: see <delegate>.
#pragma once
#include <delegate>
