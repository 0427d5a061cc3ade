// Per-environment state: one backend, one completion queue, one tracer for
// each Node environment (the main thread and every worker have their own).
#pragma once

#include <napi.h>

#include <vector>

#include "../core/backend.h"
#include "../core/completion_queue.h"
#include "../core/trace.h"

namespace afdsock {

struct Instance {
  Tracer tracer;
  CompletionQueue queue;
  Backend backend{tracer};
  bool started = false;

  // JS side of the bridge, installed by init().
  Napi::FunctionReference on_batch;       // (results: Float64Array, length: number) => void
  Napi::Reference<Napi::Float64Array> slot_ref;  // [status, value] of an inline outcome
  double* slot = nullptr;
  Napi::Reference<Napi::Uint8Array> scratch_ref;  // one address in and out (see address.ts)
  uint8_t* scratch = nullptr;

  std::vector<Settled> settled;  // reused for every batch
  Napi::Reference<Napi::Float64Array> batch_ref;  // [request, state, status, value] x n, reused
  size_t batch_cap = 0;

  void Stop();
};

Napi::Object RegisterBinding(Napi::Env env, Napi::Object exports);

}  // namespace afdsock
