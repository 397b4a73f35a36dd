#pragma once
// Little-endian plain values in Pagoda's own binary files (KL-divergence
// bases, importance matrices): written and read in host order, which the
// supported hosts share (x86-64 is little-endian).
#include <istream>
#include <ostream>
#include <string>

#include "core/error.h"

namespace pagoda {

template <typename T>
void write_pod(std::ostream& out, const T& v) {
  out.write(reinterpret_cast<const char*>(&v), sizeof v);
}

// pagoda::Error "<path>: <what> is cut short" when the stream ends first.
template <typename T>
T read_pod(std::istream& in, const std::string& path, const char* what) {
  T v{};
  if (!in.read(reinterpret_cast<char*>(&v), sizeof v)) fail(path, ": ", what, " is cut short");
  return v;
}

}  // namespace pagoda
