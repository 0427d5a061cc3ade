// The `afd-socket:syscall` diagnostics hook, seen from native code.
// JS installs a publisher while the channel has subscribers; with none
// installed every call here is one branch and nothing is allocated.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>

namespace afdsock {

class Tracer {
 public:
  bool On() const { return !fn_.IsEmpty(); }
  void Set(Napi::Env env, Napi::Value fn);
  void Clear();

  // Windows: { syscall, ioctl, code, handle, status, input }
  void Nt(const char* syscall, const char* ioctl, uint32_t code, uint64_t handle, uint32_t status,
          const void* input, size_t input_len);
  // Linux: { syscall, fd, result, errno }
  void Posix(const char* syscall, int fd, int64_t result, int err);

 private:
  void Publish(Napi::Object message);
  Napi::Env env_ = Napi::Env(nullptr);
  Napi::FunctionReference fn_;
};

}  // namespace afdsock
