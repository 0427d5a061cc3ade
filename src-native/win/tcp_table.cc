// Who holds a port, on Windows: GetExtendedTcpTable (iphlpapi, not Winsock)
// with owning pids, IPv4 and IPv6. iphlpapi.dll is loaded on first use, so
// the addon imports nothing beyond kernel32; the lookup runs only when asked
// (the EADDRINUSE path and the CLI). Wine 8.0 lists the ports with pid 0:
// callers report that owner as unknown.
#include <cstring>
#include <string>

#include "../core/backend.h"
#include "nt.h"

namespace afdsock {

namespace {

// iphlpapi's MIB_TCPROW_OWNER_PID / MIB_TCP6ROW_OWNER_PID, as laid out in its headers.
struct Row4 {
  uint32_t state, local_addr, local_port, remote_addr, remote_port, pid;
};
struct Row6 {
  uint8_t local_addr[16];
  uint32_t local_scope, local_port;
  uint8_t remote_addr[16];
  uint32_t remote_scope, remote_port, state, pid;
};
static_assert(sizeof(Row4) == 24 && sizeof(Row6) == 56, "MIB rows");
constexpr ULONG kTcpTableOwnerPidAll = 5;  // TCP_TABLE_OWNER_PID_ALL
constexpr ULONG kAfInet = 2, kAfInet6 = 23;

using GetTableFn = DWORD(WINAPI*)(PVOID, PDWORD, BOOL, ULONG, ULONG, ULONG);

GetTableFn Loader() {
  static GetTableFn fn = [] {
    HMODULE m = LoadLibraryW(L"iphlpapi.dll");
    return m ? reinterpret_cast<GetTableFn>(reinterpret_cast<void*>(GetProcAddress(m, "GetExtendedTcpTable"))) : nullptr;
  }();
  return fn;
}

bool Table(ULONG family, std::string* buf) {
  GetTableFn fn = Loader();
  if (fn == nullptr) return false;
  DWORD size = 0;
  for (int i = 0; i < 4; i++) {
    buf->resize(size);
    DWORD r = fn(size ? &(*buf)[0] : nullptr, &size, FALSE, family, kTcpTableOwnerPidAll, 0);
    if (r == NO_ERROR) return true;
    if (r != ERROR_INSUFFICIENT_BUFFER) return false;
  }
  return false;
}

uint16_t Port(uint32_t p) { return static_cast<uint16_t>(((p & 0xff) << 8) | ((p >> 8) & 0xff)); }

// Addresses of both row kinds, as bytes.
const void* LocalAddr(const Row4& r) { return &r.local_addr; }
const void* RemoteAddr(const Row4& r) { return &r.remote_addr; }
const void* LocalAddr(const Row6& r) { return r.local_addr; }
const void* RemoteAddr(const Row6& r) { return r.remote_addr; }

// Appends the rows of one table (a DWORD count, then the rows).
template <typename Row>
void Append(const std::string& buf, uint8_t family, std::vector<TcpRow>* out) {
  DWORD n = 0;
  std::memcpy(&n, buf.data(), sizeof n);
  size_t len = family == 6 ? 16 : 4;
  for (DWORD i = 0; i < n; i++) {
    Row r;
    std::memcpy(&r, buf.data() + sizeof(DWORD) + i * sizeof(Row), sizeof r);
    TcpRow row{};
    row.local.family = row.remote.family = family;
    std::memcpy(row.local.bytes, LocalAddr(r), len);
    std::memcpy(row.remote.bytes, RemoteAddr(r), len);
    row.local.port = Port(r.local_port);
    row.remote.port = Port(r.remote_port);
    row.state = r.state;
    row.pid = r.pid;
    out->push_back(row);
  }
}

}  // namespace

bool Backend::TcpTable(std::vector<TcpRow>* out) {
  std::string buf;
  if (!Table(kAfInet, &buf)) return false;
  Append<Row4>(buf, 4, out);
  if (Table(kAfInet6, &buf)) Append<Row6>(buf, 6, out);
  return true;
}

std::string Backend::ProcessName(uint32_t pid) {
  HANDLE p = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
  if (p == nullptr) return "";
  wchar_t path[1024];
  DWORD len = 1024;
  std::string name;
  if (QueryFullProcessImageNameW(p, 0, path, &len)) {
    std::wstring w(path, len);
    size_t slash = w.find_last_of(L"\\/");
    w = slash == std::wstring::npos ? w : w.substr(slash + 1);
    for (wchar_t c : w) name.push_back(c < 128 ? static_cast<char>(c) : '?');
  }
  CloseHandle(p);
  return name;
}

}  // namespace afdsock
