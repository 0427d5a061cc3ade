// NTSTATUS -> Node error code name, in one table. The mapping follows libuv's
// uv__ntstatus_to_winsock_error (NTSTATUS -> WSAE*) and then its WSAE* -> UV_E*
// names, so a status means here what it means to node:net on Windows, and
// lib/errors.ts can take `errno` from util.getSystemErrorMap(). Exceptions:
// STATUS_CANCELLED is ECANCELED (libuv: EINTR), as a cancelled request here.
#include <cstdint>

#include "nt.h"

#include "../core/backend.h"

namespace afdsock {

#define AFDSOCK_NTSTATUS_NAMES(X)                                                          \
  X(0xC000020A, "EADDRINUSE")    /* STATUS_ADDRESS_ALREADY_EXISTS */                       \
  X(0xC0000043, "EADDRINUSE")    /* STATUS_SHARING_VIOLATION (Wine's EADDRINUSE) */        \
  X(0xC0000022, "EACCES")        /* STATUS_ACCESS_DENIED */                                \
  X(0xC0000236, "ECONNREFUSED")  /* STATUS_CONNECTION_REFUSED */                           \
  X(0xC000020F, "ECONNREFUSED")  /* STATUS_REMOTE_NOT_LISTENING */                         \
  X(0xC000023F, "ECONNRESET")    /* STATUS_PORT_UNREACHABLE */                             \
  X(0xC000020C, "ECONNRESET")    /* STATUS_CONNECTION_DISCONNECTED */                      \
  X(0xC000020D, "ECONNRESET")    /* STATUS_CONNECTION_RESET */                             \
  X(0xC000013C, "ECONNRESET")    /* STATUS_REMOTE_DISCONNECT */                            \
  X(0xC0000241, "ECONNABORTED")  /* STATUS_CONNECTION_ABORTED */                           \
  X(0xC000013B, "ECONNABORTED")  /* STATUS_LOCAL_DISCONNECT */                             \
  X(0xC0000207, "EADDRNOTAVAIL") /* STATUS_INVALID_ADDRESS_COMPONENT */                    \
  X(0xC0000141, "EADDRNOTAVAIL") /* STATUS_INVALID_ADDRESS */                              \
  X(0xC00000B5, "ETIMEDOUT")     /* STATUS_IO_TIMEOUT */                                   \
  X(0xC000023C, "ENETUNREACH")   /* STATUS_NETWORK_UNREACHABLE */                          \
  X(0xC00000BE, "ENETUNREACH")   /* STATUS_BAD_NETWORK_PATH */                             \
  X(0xC000023D, "EHOSTUNREACH")  /* STATUS_HOST_UNREACHABLE */                             \
  X(0xC000000D, "EINVAL")        /* STATUS_INVALID_PARAMETER */                            \
  X(0xC0000238, "EINVAL")        /* STATUS_ADDRESS_ALREADY_ASSOCIATED (bound twice) */     \
  X(0xC0000010, "ENOTSUP")       /* STATUS_INVALID_DEVICE_REQUEST: IOCTL not implemented */ \
  X(0xC00000BB, "ENOTSUP")       /* STATUS_NOT_SUPPORTED */                                \
  X(0xC0000120, "ECANCELED")     /* STATUS_CANCELLED */                                    \
  X(0x8000000A, "ECANCELED")     /* STATUS_HANDLES_CLOSED (Wine: closed with I/O pending) */ \
  X(0xC0000140, "ENOTCONN")      /* STATUS_INVALID_CONNECTION */                           \
  X(0xC0000237, "EPIPE")         /* STATUS_GRACEFUL_DISCONNECT */                          \
  X(0xC00000B0, "EPIPE")         /* STATUS_PIPE_DISCONNECTED */                            \
  X(0xC0000008, "EBADF")         /* STATUS_INVALID_HANDLE */                               \
  X(0xC00000CB, "ENOTSOCK")      /* STATUS_BAD_DEVICE_TYPE (unconfigured Wine endpoint) */ \
  X(0xC000009A, "ENOBUFS")       /* STATUS_INSUFFICIENT_RESOURCES */                       \
  X(0xC0000023, "ENOBUFS")       /* STATUS_BUFFER_TOO_SMALL */                             \
  X(0xC0000017, "ENOMEM")        /* STATUS_NO_MEMORY */                                    \
  X(0xC00000A3, "EAGAIN")        /* STATUS_DEVICE_NOT_READY */                             \
  X(0xC0000209, "ENOBUFS")       /* STATUS_TOO_MANY_ADDRESSES (no ephemeral port left) */

const char* Backend::ErrorName(int64_t status) {
  switch (static_cast<uint32_t>(status)) {
#define X(s, name) \
  case s:          \
    return name;
    AFDSOCK_NTSTATUS_NAMES(X)
#undef X
    default:
      return "UNKNOWN";
  }
}

int64_t Backend::InvalidArgument() { return 0xC000000D; }  // STATUS_INVALID_PARAMETER

// GetProcessHandleCount where it counts; Wine 8.0's is a stub that says 0,
// so the count then comes from NtQueryInformationProcess(ProcessHandleCount),
// and -1 (unknown) when that says 0 too.
double Backend::HandleCount() {
  DWORD n = 0;
  if (GetProcessHandleCount(GetCurrentProcess(), &n) && n > 0) return n;
  constexpr ULONG kProcessHandleCount = 20;
  ULONG count = 0;
  if (nt::NtQueryInformationProcess != nullptr &&
      nt::Success(static_cast<uint32_t>(
          nt::NtQueryInformationProcess(GetCurrentProcess(), kProcessHandleCount, &count, sizeof count, nullptr))) &&
      count > 0)
    return count;
  return -1;
}

}  // namespace afdsock
