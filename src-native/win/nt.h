// NT types, status values and the ntdll entry points this library calls,
// resolved at load time from one X-macro list (as wepoll does). Nothing here
// links against ntdll, ws2_32 or mswsock.
#pragma once

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <winternl.h>

#include <cstdint>
#include <string>

#ifndef FILE_OPEN_IF
#define FILE_OPEN_IF 0x00000003
#endif
#ifndef FILE_SKIP_COMPLETION_PORT_ON_SUCCESS
#define FILE_SKIP_COMPLETION_PORT_ON_SUCCESS 0x1
#endif
#ifndef FILE_SKIP_SET_EVENT_ON_HANDLE
#define FILE_SKIP_SET_EVENT_ON_HANDLE 0x2
#endif

namespace afdsock {
namespace nt {

// NTSTATUS values used by name (winnt.h defines some as macros; these are ours).
constexpr uint32_t kSuccess = 0x00000000;
constexpr uint32_t kPending = 0x00000103;
constexpr uint32_t kHandlesClosed = 0x8000000A;     // Wine: close with I/O pending
constexpr uint32_t kCancelled = 0xC0000120;
constexpr uint32_t kNotFound = 0xC0000225;
constexpr uint32_t kConnectionReset = 0xC000020D;
constexpr uint32_t kDeviceNotReady = 0xC00000A3;  // a non-blocking receive/send found nothing / no room
constexpr uint32_t kCantWait = 0xC00000D8;           // ReactOS's would-block
constexpr uint32_t kRequestNotAccepted = 0xC00000D0;  // libuv's and Wine's would-block too
constexpr uint32_t kInvalidDeviceRequest = 0xC0000010;  // an IOCTL the driver lacks
constexpr uint32_t kInvalidParameter = 0xC000000D;
constexpr uint32_t kNotSupported = 0xC00000BB;
constexpr uint32_t kInvalidHandle = 0xC0000008;
constexpr uint32_t kNoMemory = 0xC0000017;

inline bool Success(uint32_t s) { return static_cast<int32_t>(s) >= 0; }
inline bool Error(uint32_t s) { return (s >> 30) == 3; }
inline bool Warning(uint32_t s) { return (s >> 30) == 2; }
// A non-blocking data call that could not move anything now. Any of the
// three: which one real Windows answers for a send is pinned by no test.
inline bool WouldBlock(uint32_t s) { return s == kDeviceNotReady || s == kCantWait || s == kRequestNotAccepted; }

// return type, name, parameters
#define AFDSOCK_NTDLL_IMPORTS(X)                                                                           \
  X(NTSTATUS, NtCreateFile,                                                                                \
    (PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES, PIO_STATUS_BLOCK, PLARGE_INTEGER, ULONG, ULONG, ULONG, ULONG, \
     PVOID, ULONG))                                                                                        \
  X(NTSTATUS, NtDeviceIoControlFile,                                                                       \
    (HANDLE, HANDLE, PVOID, PVOID, PIO_STATUS_BLOCK, ULONG, PVOID, ULONG, PVOID, ULONG))                    \
  X(NTSTATUS, NtCancelIoFileEx, (HANDLE, PIO_STATUS_BLOCK, PIO_STATUS_BLOCK))                              \
  X(NTSTATUS, NtClose, (HANDLE))                                                                           \
  X(NTSTATUS, NtQueryInformationProcess, (HANDLE, ULONG, PVOID, ULONG, PULONG))

#define AFDSOCK_DECLARE(ret, name, params) \
  using name##_fn = ret(NTAPI*) params;   \
  extern name##_fn name;
AFDSOCK_NTDLL_IMPORTS(AFDSOCK_DECLARE)
#undef AFDSOCK_DECLARE

// Resolves the imports; returns "" or the name of what is missing.
std::string Init();
// Wine's version string when running under Wine (ntdll!wine_get_version), else null.
const char* WineVersion();

}  // namespace nt
}  // namespace afdsock
