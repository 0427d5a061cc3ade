// errno -> Node error code name. One table; the names are the ones node:net
// reports, so lib/errors.ts can take `errno` from util.getSystemErrorMap().
#include <dirent.h>
#include <errno.h>

#include "../core/backend.h"

namespace afdsock {

#define AFDSOCK_ERRNO_NAMES(X)                                                                        \
  X(EADDRINUSE) X(EADDRNOTAVAIL) X(EACCES) X(EPERM) X(ECONNREFUSED) X(ECONNRESET) X(ECONNABORTED)     \
  X(ETIMEDOUT) X(ENETUNREACH) X(EHOSTUNREACH) X(ENETDOWN) X(EINVAL) X(EPIPE) X(ENOTCONN) X(EISCONN)   \
  X(EALREADY) X(EMFILE) X(ENFILE) X(ENOBUFS) X(ENOMEM) X(EAFNOSUPPORT) X(EBADF) X(ENOTSOCK)          \
  X(ECANCELED) X(EPROTO) X(EAGAIN) X(EINTR) X(EOPNOTSUPP)

const char* Backend::ErrorName(int64_t status) {
  switch (status) {
#define X(e) \
  case e:    \
    return #e;
    AFDSOCK_ERRNO_NAMES(X)
#undef X
    default:
      return "UNKNOWN";
  }
}

int64_t Backend::InvalidArgument() { return EINVAL; }

bool Backend::TcpTable(std::vector<TcpRow>*) { return false; }
std::string Backend::ProcessName(uint32_t) { return ""; }

double Backend::HandleCount() {
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return -1;
  double n = 0;
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n - 1;  // less the descriptor opendir itself holds
}

}  // namespace afdsock
