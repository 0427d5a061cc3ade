#include "trace.h"

namespace afdsock {

void Tracer::Set(Napi::Env env, Napi::Value fn) {
  env_ = env;
  if (fn.IsFunction())
    fn_ = Napi::Persistent(fn.As<Napi::Function>());
  else
    fn_.Reset();
}

void Tracer::Clear() { fn_.Reset(); }

void Tracer::Publish(Napi::Object message) {
  // A subscriber that throws must not unwind through the I/O path.
  try {
    fn_.Call({message});
  } catch (const Napi::Error&) {
  }
}

double Tracer::Micros(int64_t start) const {
  if (start == 0) return 0;
  return static_cast<double>(Start() - start) / 1000.0;
}

void Tracer::PublishNt(const char* syscall, const char* ioctl, uint32_t code, uint64_t handle, uint32_t status,
                       const void* input, size_t input_len, int64_t start, uint64_t information, bool resumed,
                       const void* output, size_t output_len) {
  Napi::HandleScope scope(env_);
  Napi::Object m = Napi::Object::New(env_);
  m.Set("syscall", syscall);
  m.Set("ioctl", ioctl ? Napi::Value(Napi::String::New(env_, ioctl)) : env_.Null());
  m.Set("code", Napi::Number::New(env_, code));
  m.Set("handle", Napi::Number::New(env_, static_cast<double>(handle)));
  m.Set("status", Napi::Number::New(env_, status));
  if (input != nullptr && input_len > 0)
    m.Set("input", Napi::Buffer<uint8_t>::Copy(env_, static_cast<const uint8_t*>(input), input_len));
  else
    m.Set("input", Napi::Buffer<uint8_t>::New(env_, 0));
  m.Set("information", Napi::Number::New(env_, static_cast<double>(information)));
  m.Set("us", Napi::Number::New(env_, Micros(start)));
  if (resumed) m.Set("resumed", Napi::Boolean::New(env_, true));
  if (output != nullptr && output_len > 0)
    m.Set("output", Napi::Buffer<uint8_t>::Copy(env_, static_cast<const uint8_t*>(output), output_len));
  Publish(m);
}

void Tracer::Posix(const char* syscall, int fd, int64_t result, int err, const std::string& detail, int64_t start) {
  if (!On()) return;
  Napi::HandleScope scope(env_);
  Napi::Object m = Napi::Object::New(env_);
  m.Set("syscall", syscall);
  m.Set("fd", Napi::Number::New(env_, fd));
  m.Set("result", Napi::Number::New(env_, static_cast<double>(result)));
  m.Set("errno", Napi::Number::New(env_, err));
  m.Set("detail", detail);
  m.Set("us", Napi::Number::New(env_, Micros(start)));
  Publish(m);
}

}  // namespace afdsock
