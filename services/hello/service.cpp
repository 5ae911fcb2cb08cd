#include <iostream>
#include <os>

int main()
{
  std::cout << "Hello world\n";
  os::shutdown();
}
