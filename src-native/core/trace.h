// The `afd-socket:syscall` diagnostics hook, seen from native code.
// JS installs a publisher while the channel has subscribers; with none
// installed every call here is one branch and nothing is allocated.
#pragma once

#include <napi.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace afdsock {

class Tracer {
 public:
  bool On() const { return !fn_.IsEmpty(); }
  void Set(Napi::Env env, Napi::Value fn);
  void Clear();

  // A start time for a call about to be traced (0 when tracing is off).
  int64_t Start() const {
    return On() ? std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now().time_since_epoch()).count()
                : 0;
  }

  // Windows: { syscall, ioctl, code, handle, status, input, information, us }
  void Nt(const char* syscall, const char* ioctl, uint32_t code, uint64_t handle, uint32_t status,
          const void* input, size_t input_len, int64_t start, uint64_t information = 0) {
    if (On()) PublishNt(syscall, ioctl, code, handle, status, input, input_len, start, information, false);
  }
  // The completion of a call that returned STATUS_PENDING: the same fields as
  // the call's own message, its final status and information, `resumed:
  // true` (strace's "<... resumed>"), and the output buffer where the call
  // has one (a poll's events). `us` counts from the issue.
  void Resumed(const char* syscall, const char* ioctl, uint32_t code, uint64_t handle, uint32_t status,
               const void* input, size_t input_len, int64_t start, uint64_t information,
               const void* output = nullptr, size_t output_len = 0) {
    if (On()) PublishNt(syscall, ioctl, code, handle, status, input, input_len, start, information, true, output, output_len);
  }
  // Linux: { syscall, fd, result, errno, detail, us }; detail: the decoded
  // arguments ("127.0.0.1:8080", "backlog=511", "len=65536", "TCP_NODELAY=1").
  void Posix(const char* syscall, int fd, int64_t result, int err, const std::string& detail, int64_t start);

 private:
  void Publish(Napi::Object message);
  void PublishNt(const char* syscall, const char* ioctl, uint32_t code, uint64_t handle, uint32_t status,
                 const void* input, size_t input_len, int64_t start, uint64_t information, bool resumed,
                 const void* output = nullptr, size_t output_len = 0);
  double Micros(int64_t start) const;
  Napi::Env env_ = Napi::Env(nullptr);
  Napi::FunctionReference fn_;
};

}  // namespace afdsock
