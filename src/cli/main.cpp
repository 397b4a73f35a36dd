// The `pagoda` command: dispatches to subcommands.
#include <cstdio>

int main() {
  std::puts("pagoda: under construction");
  return 0;
}
