#include <cstdio>
void greet() { std::puts("Greeting 1"); }
