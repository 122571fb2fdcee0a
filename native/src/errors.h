// Errors that cross into JavaScript carry a machine-readable code so the
// runner can tell "skip this point" (OOM, unsupported) from "this is a bug".
#pragma once
#include <stdexcept>
#include <string>

namespace gb {

struct Error : std::runtime_error {
  std::string code;  // "OOM", "UNSUPPORTED", "CUDA", "BAD_ARGUMENT", "SYSTEM", "VERIFY" (a GPU buffer built wrong)
  Error(std::string c, const std::string& msg) : std::runtime_error(msg), code(std::move(c)) {}
};

inline std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) { b /= 1024; ++u; }
  char buf[64];
  snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.2f %s", b, units[u]);
  return buf;
}

}  // namespace gb
