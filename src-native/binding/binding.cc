// JS <-> core. Argument shapes are checked in lib/ before anything gets here;
// this file only converts values and never calls the OS itself.
#include <algorithm>
#include <cstring>

#include "instance.h"

namespace afdsock {
namespace {

Instance& Self(const Napi::CallbackInfo& info) { return *info.Env().GetInstanceData<Instance>(); }

uint32_t U32(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Uint32Value(); }

// Inline outcome: state as the return value, status and value in the shared slot.
Napi::Value Report(const Napi::CallbackInfo& info, Instance& self, const Outcome& o) {
  self.slot[0] = static_cast<double>(o.status);
  self.slot[1] = o.value;
  return Napi::Number::New(info.Env(), o.state);
}

// Scratch layout (32 bytes): [0] family 4|6, [2..3] port (LE), [4..7] scope id (LE), [8..23] address.
SockAddr ReadScratch(const Instance& self) {
  SockAddr a{};
  const uint8_t* s = self.scratch;
  a.family = s[0];
  a.port = static_cast<uint16_t>(s[2] | (s[3] << 8));
  a.scope = static_cast<uint32_t>(s[4] | (s[5] << 8) | (s[6] << 16) | (static_cast<uint32_t>(s[7]) << 24));
  std::memcpy(a.bytes, s + 8, 16);
  return a;
}

void WriteScratch(Instance& self, const SockAddr& a) {
  uint8_t* s = self.scratch;
  std::memset(s, 0, 32);
  s[0] = a.family;
  s[2] = static_cast<uint8_t>(a.port & 0xff);
  s[3] = static_cast<uint8_t>(a.port >> 8);
  for (int i = 0; i < 4; i++) s[4 + i] = static_cast<uint8_t>(a.scope >> (8 * i));
  std::memcpy(s + 8, a.bytes, 16);
}

void DeliverBatch(Instance& self, Napi::Env env, std::vector<Completion>& raw) {
  self.settled.clear();
  self.backend.Process(raw, self.settled);
  if (self.settled.empty() || self.on_batch.IsEmpty()) return;
  Napi::HandleScope scope(env);
  size_t n = self.settled.size();
  // One results array, reused while it is big enough: no allocation per batch.
  // (JS reads it synchronously in onBatch; no batch is delivered inside another.)
  // Raw napi here: in a worker being terminated these calls fail, and must
  // fail quietly rather than throw from inside the event loop.
  if (self.batch_ref.IsEmpty() || self.batch_cap < n * 4) {
    napi_value ab = nullptr, ta = nullptr;
    size_t cap = std::max<size_t>(n * 4, 1024);
    if (napi_create_arraybuffer(env, cap * sizeof(double), nullptr, &ab) != napi_ok ||
        napi_create_typedarray(env, napi_float64_array, cap, ab, 0, &ta) != napi_ok)
      return;
    self.batch_ref = Napi::Persistent(Napi::Float64Array(env, ta));
    self.batch_cap = cap;
  }
  napi_value array = nullptr;
  void* data = nullptr;
  if (napi_get_reference_value(env, self.batch_ref, &array) != napi_ok || array == nullptr ||
      napi_get_typedarray_info(env, array, nullptr, nullptr, &data, nullptr, nullptr) != napi_ok || data == nullptr)
    return;
  Napi::Value out(env, array);
  double* d = static_cast<double*>(data);
  for (size_t i = 0; i < n; i++) {
    const Settled& s = self.settled[i];
    d[i * 4 + 0] = s.request;
    d[i * 4 + 1] = s.state;
    d[i * 4 + 2] = static_cast<double>(s.status);
    d[i * 4 + 3] = s.value;
  }
  napi_value length = nullptr, fn = nullptr, recv = nullptr;
  if (napi_create_double(env, static_cast<double>(n * 4), &length) != napi_ok ||
      napi_get_reference_value(env, self.on_batch, &fn) != napi_ok || fn == nullptr ||
      napi_get_undefined(env, &recv) != napi_ok)
    return;
  napi_value args[2] = {out, length};
  if (napi_call_function(env, recv, fn, 2, args, nullptr) == napi_ok) return;
  // A JS exception goes to 'uncaughtException', as from any callback; a
  // terminating worker has none to report.
  napi_value error = nullptr;
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending &&
      napi_get_and_clear_last_exception(env, &error) == napi_ok && error != nullptr)
    napi_fatal_exception(env, error);
}

// init(onBatch, slot: Float64Array(2), scratch: Uint8Array(32)) -> backend name
Napi::Value Init(const Napi::CallbackInfo& info) {
  Instance& self = Self(info);
  Napi::Env env = info.Env();
  self.on_batch = Napi::Persistent(info[0].As<Napi::Function>());
  Napi::Float64Array slot = info[1].As<Napi::Float64Array>();
  Napi::Uint8Array scratch = info[2].As<Napi::Uint8Array>();
  if (slot.ElementLength() < 2 || scratch.ElementLength() < 32)
    throw Napi::RangeError::New(env, "afd-socket: bad init buffers");
  self.slot_ref = Napi::Persistent(slot);
  self.slot = slot.Data();
  self.scratch_ref = Napi::Persistent(scratch);
  self.scratch = scratch.Data();
  if (!self.started) {
    Instance* p = &self;
    self.queue.Start(env, [p](Napi::Env e, std::vector<Completion>& raw) { DeliverBatch(*p, e, raw); });
    std::string err = self.backend.Start(env, &self.queue);
    if (!err.empty()) {
      self.queue.Stop();
      throw Napi::Error::New(env, "afd-socket: " + err);
    }
    self.started = true;
    // Registered after the completion queue's thread-safe function, so it runs
    // before that function's own teardown (hooks run in reverse order): the
    // wait thread is joined, and the kernel done with every request, while
    // the queue and the JS buffers still exist.
    napi_add_env_cleanup_hook(
        env, [](void* p) { static_cast<Instance*>(p)->Stop(); }, &self);
  }
  return Napi::String::New(env, self.backend.Name());
}

Napi::Value Open(const Napi::CallbackInfo& info) {
  Instance& self = Self(info);
  return Report(info, self, self.backend.Open(static_cast<int>(U32(info, 0))));
}

// bind(ep, share), address in scratch; the bound address comes back in scratch
Napi::Value Bind(const Napi::CallbackInfo& info) {
  Instance& self = Self(info);
  SockAddr bound{};
  Outcome o = self.backend.Bind(U32(info, 0), ReadScratch(self), static_cast<Share>(U32(info, 1)), &bound);
  if (o.state == kDone) WriteScratch(self, bound);
  return Report(info, self, o);
}

Napi::Value Listen(const Napi::CallbackInfo& info) {
  Instance& self = Self(info);
  return Report(info, self, self.backend.Listen(U32(info, 0), static_cast<int>(U32(info, 1))));
}

Napi::Value Accept(const Napi::CallbackInfo& info) {
  Instance& self = Self(info);
  return Report(info, self, self.backend.Accept(U32(info, 0), U32(info, 1)));
}

// connect(ep, request), address in scratch
Napi::Value Connect(const Napi::CallbackInfo& info) {
  Instance& self = Self(info);
  return Report(info, self, self.backend.Connect(U32(info, 0), ReadScratch(self), U32(info, 1)));
}

// The bytes of a view from `offset` on, looked up at the moment of the call:
// nothing keeps this pointer once the call returns, so a buffer detached
// later is never touched. A detached view has no data and length 0.
Span View(Napi::Value v, size_t offset) {
  Napi::Uint8Array view = v.As<Napi::Uint8Array>();
  size_t len = view.ByteLength();
  uint8_t* data = view.Data();
  if (data == nullptr || offset >= len) return Span{nullptr, 0};
  return Span{data + offset, len - offset};
}

// recv(ep, into: Uint8Array, request): bytes read, or a parked readiness wait
Napi::Value Recv(const Napi::CallbackInfo& info) {
  Instance& self = Self(info);
  Span s = View(info[1], 0);
  if (s.data == nullptr) return Report(info, self, Failed(Backend::InvalidArgument()));
  return Report(info, self, self.backend.Recv(U32(info, 0), const_cast<uint8_t*>(s.data), s.len, U32(info, 2)));
}

// send(ep, data: Uint8Array, offset, request): bytes taken, or a parked readiness wait
Napi::Value Send(const Napi::CallbackInfo& info) {
  Instance& self = Self(info);
  Span s = View(info[1], U32(info, 2));
  // A detached buffer: the backend says whether bytes it already copied from
  // it went out (Windows' fallback path), else the call fails.
  if (s.data == nullptr) return Report(info, self, self.backend.Send(U32(info, 0), nullptr, 0, U32(info, 3)));
  return Report(info, self, self.backend.Send(U32(info, 0), &s, 1, U32(info, 3)));
}

// sendv(ep, chunks: Uint8Array[], first, offset, request): chunks[first..]
// (the first from `offset`) gathered into one kernel call. Any detached
// chunk in the range makes the call fail before the kernel sees anything.
Napi::Value Sendv(const Napi::CallbackInfo& info) {
  Instance& self = Self(info);
  Napi::Array chunks = info[1].As<Napi::Array>();
  uint32_t first = U32(info, 2);
  uint32_t end = chunks.Length();
  Span spans[kMaxSpans];
  size_t n = 0;
  for (uint32_t i = first; i < end && n < kMaxSpans; i++) {
    Span s = View(chunks.Get(i), i == first ? U32(info, 3) : 0);
    if (s.data == nullptr) return Report(info, self, self.backend.Send(U32(info, 0), nullptr, 0, U32(info, 4)));
    spans[n++] = s;
  }
  if (n == 0) return Report(info, self, Failed(Backend::InvalidArgument()));
  return Report(info, self, self.backend.Send(U32(info, 0), spans, n, U32(info, 4)));
}

Napi::Value Shutdown(const Napi::CallbackInfo& info) {
  Instance& self = Self(info);
  return Report(info, self, self.backend.Shutdown(U32(info, 0), U32(info, 1)));
}

Napi::Value Peek(const Napi::CallbackInfo& info) {
  Instance& self = Self(info);
  return Report(info, self, self.backend.Peek(U32(info, 0)));
}

Napi::Value SetNoDelay(const Napi::CallbackInfo& info) {
  Instance& self = Self(info);
  return Report(info, self, self.backend.SetNoDelay(U32(info, 0), info[1].ToBoolean().Value()));
}

Napi::Value SetKeepAlive(const Napi::CallbackInfo& info) {
  Instance& self = Self(info);
  return Report(info, self, self.backend.SetKeepAlive(U32(info, 0), info[1].ToBoolean().Value(), U32(info, 2)));
}

Napi::Value LocalAddress(const Napi::CallbackInfo& info) {
  Instance& self = Self(info);
  SockAddr a{};
  Outcome o = self.backend.LocalAddress(U32(info, 0), &a);
  if (o.state == kDone) WriteScratch(self, a);
  return Report(info, self, o);
}

Napi::Value RemoteAddress(const Napi::CallbackInfo& info) {
  Instance& self = Self(info);
  SockAddr a{};
  Outcome o = self.backend.RemoteAddress(U32(info, 0), &a);
  if (o.state == kDone) WriteScratch(self, a);
  return Report(info, self, o);
}

Napi::Value Cancel(const Napi::CallbackInfo& info) {
  Self(info).backend.Cancel(U32(info, 0), U32(info, 1));
  return info.Env().Undefined();
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  Self(info).backend.Close(U32(info, 0));
  return info.Env().Undefined();
}

Napi::Value Ref(const Napi::CallbackInfo& info) {
  Self(info).backend.Ref(info.Env(), true);
  return info.Env().Undefined();
}

Napi::Value Unref(const Napi::CallbackInfo& info) {
  Self(info).backend.Ref(info.Env(), false);
  return info.Env().Undefined();
}

Napi::Value ErrorName(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), Backend::ErrorName(info[0].As<Napi::Number>().Int64Value()));
}

Napi::Value HandleCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), Backend::HandleCount());
}

// tcpTable() -> [{ family, local, localPort, remote, remotePort, state, pid }] or null (Linux)
Napi::Value TcpTable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<TcpRow> rows;
  if (!Backend::TcpTable(&rows)) return env.Null();
  Napi::Array out = Napi::Array::New(env, rows.size());
  auto addr = [&](const SockAddr& a) { return Napi::Buffer<uint8_t>::Copy(env, a.bytes, a.family == 6 ? 16 : 4); };
  for (size_t i = 0; i < rows.size(); i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("family", rows[i].local.family);
    o.Set("local", addr(rows[i].local));
    o.Set("localPort", rows[i].local.port);
    o.Set("remote", addr(rows[i].remote));
    o.Set("remotePort", rows[i].remote.port);
    o.Set("state", rows[i].state);
    o.Set("pid", rows[i].pid);
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

Napi::Value ProcessName(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), Backend::ProcessName(U32(info, 0)));
}

Napi::Value SetTrace(const Napi::CallbackInfo& info) {
  Self(info).tracer.Set(info.Env(), info[0]);
  return info.Env().Undefined();
}

Napi::Value SetDialect(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), Self(info).backend.SetDialect(info[0].As<Napi::String>().Utf8Value()));
}

Napi::Value Dialect(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), Self(info).backend.Dialect());
}

}  // namespace

void Instance::Stop() {
  if (!started) return;
  started = false;
  backend.Stop();
  queue.Stop();
  tracer.Clear();
}

Napi::Object AbiLayout(Napi::Env env);  // abi_layout.cc

Napi::Object RegisterBinding(Napi::Env env, Napi::Object exports) {
  struct Fn {
    const char* name;
    Napi::Value (*fn)(const Napi::CallbackInfo&);
  };
  static const Fn fns[] = {
      {"init", Init},           {"open", Open},
      {"bind", Bind},           {"listen", Listen},
      {"accept", Accept},       {"connect", Connect},
      {"recv", Recv},           {"send", Send},
      {"sendv", Sendv},
      {"shutdown", Shutdown},   {"peek", Peek},
      {"setNoDelay", SetNoDelay},
      {"setKeepAlive", SetKeepAlive},
      {"localAddress", LocalAddress}, {"remoteAddress", RemoteAddress},
      {"cancel", Cancel},       {"close", Close},
      {"ref", Ref},             {"unref", Unref},
      {"errorName", ErrorName}, {"handleCount", HandleCount},
      {"tcpTable", TcpTable},   {"processName", ProcessName},
      {"setTrace", SetTrace},
      {"setDialect", SetDialect}, {"dialect", Dialect},
  };
  for (const Fn& f : fns) exports.Set(f.name, Napi::Function::New(env, f.fn, f.name));
  exports.Set("abiLayout", AbiLayout(env));
  return exports;
}

}  // namespace afdsock
