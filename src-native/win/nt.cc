#include "nt.h"

namespace afdsock {
namespace nt {

#define AFDSOCK_DEFINE(ret, name, params) name##_fn name = nullptr;
AFDSOCK_NTDLL_IMPORTS(AFDSOCK_DEFINE)
#undef AFDSOCK_DEFINE

namespace {
HMODULE Ntdll() { return GetModuleHandleW(L"ntdll.dll"); }
}  // namespace

std::string Init() {
  HMODULE ntdll = Ntdll();
  if (ntdll == nullptr) return "ntdll.dll is not loaded";
#define AFDSOCK_RESOLVE(ret, name, params)                                                  \
  name = reinterpret_cast<name##_fn>(reinterpret_cast<void*>(GetProcAddress(ntdll, #name))); \
  if (name == nullptr) return "ntdll!" #name " not found";
  AFDSOCK_NTDLL_IMPORTS(AFDSOCK_RESOLVE)
#undef AFDSOCK_RESOLVE
  return "";
}

const char* WineVersion() {
  using Fn = const char*(__cdecl*)();
  auto fn = reinterpret_cast<Fn>(reinterpret_cast<void*>(GetProcAddress(Ntdll(), "wine_get_version")));
  return fn ? fn() : nullptr;
}

}  // namespace nt
}  // namespace afdsock
