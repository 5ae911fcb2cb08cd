void greet();
#include <os>
