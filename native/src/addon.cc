// Node-API surface of the addon. Work that takes time (filling a table,
// preparing a method, a chunk of samples) runs on a libuv worker thread and
// returns a Promise, so the JS thread keeps sampling telemetry meanwhile.
#include <napi.h>

#include <atomic>
#include <functional>
#include <memory>

#include "cache_plan.h"
#include "contention.h"
#include "cpu_anatomy.h"
#include "cuda_info.h"
#include "errors.h"
#include "hash.h"
#include "host_table.h"
#include "indices.h"
#include "kernel_emulation.h"
#include "method.h"
#include "method_registry.h"
#include "nvml.h"
#include "test_switches.h"
#include "thread_pool.h"

namespace gb {
namespace {

ThreadPool& fill_pool() {
  static ThreadPool pool(hardware_threads());
  return pool;
}

Napi::Error js_error(Napi::Env env, const std::string& code, const std::string& msg) {
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

// Runs native code for a JS call: a gatherbench Error becomes a JS error with its code, the one way every
// synchronous call below reports one (asynchronous work reports through AsyncCall).
template <typename F>
auto rethrow_as_js(Napi::Env env, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error& e) {
    throw js_error(env, e.code, e.what());
  }
}

// The object a wrapper holds, handed to its constructor by the factory that
// made it (createTable(), createStorage(), prepare()), never by user code.
template <typename T>
std::shared_ptr<T> held_by(const Napi::CallbackInfo& info, const char* factory) {
  if (info.Length() != 1 || !info[0].IsExternal())
    throw js_error(info.Env(), "BAD_ARGUMENT", std::string("use ") + factory + "() to make one");
  return *info[0].As<Napi::External<std::shared_ptr<T>>>().Data();
}

// The held object, or an error saying it is gone (released, closed).
template <typename T>
std::shared_ptr<T> alive(const std::shared_ptr<T>& p, Napi::Env env, const char* gone) {
  if (!p) throw js_error(env, "BAD_ARGUMENT", gone);
  return p;
}

// A JS object holding one native object (a table, a storage, a bench): made
// only by its factory, released on request or by the GC.
template <class Self, typename T>
class Holder : public Napi::ObjectWrap<Self> {
 public:
  static Napi::FunctionReference* ctor;
  Holder(const Napi::CallbackInfo& info, const char* factory, const char* gone)
      : Napi::ObjectWrap<Self>(info), held(held_by<T>(info, factory)), gone_(gone) {}
  // A new JS object holding p.
  static Napi::Object make(Napi::Env env, std::shared_ptr<T> p) {
    return ctor->New({Napi::External<std::shared_ptr<T>>::New(env, &p)});
  }
  std::shared_ptr<T> live(Napi::Env env) const { return alive(held, env, gone_); }
  std::shared_ptr<T> held;

 private:
  const char* gone_;
};
template <class Self, typename T>
Napi::FunctionReference* Holder<Self, T>::ctor = nullptr;

template <typename R>
class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<R()>;
  using ToJs = std::function<Napi::Value(Napi::Env, R&)>;
  PromiseWorker(Napi::Env env, Work work, ToJs to_js)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)),
        to_js_(std::move(to_js)) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    try {
      result_ = work_();
    } catch (const Error& e) {
      code_ = e.code;
      SetError(e.what());
    } catch (const std::bad_alloc&) {
      code_ = "OOM";
      SetError("out of host memory");
    } catch (const std::exception& e) {
      code_ = "SYSTEM";
      SetError(e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(to_js_(Env(), result_)); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(js_error(Env(), code_, e.Message()).Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Work work_;
  ToJs to_js_;
  R result_{};
  std::string code_ = "SYSTEM";
};

template <typename R>
Napi::Promise start(Napi::Env env, typename PromiseWorker<R>::Work work, typename PromiseWorker<R>::ToJs to_js) {
  auto* w = new PromiseWorker<R>(env, std::move(work), std::move(to_js));
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

// ---- argument helpers: JS validates first; these guard the native boundary.
Napi::Object need_object(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsObject()) throw js_error(info.Env(), "BAD_ARGUMENT", std::string(what) + " must be an object");
  return info[i].As<Napi::Object>();
}
double num(const Napi::Object& o, const char* key, double def, bool required = false) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) {
    if (required) throw js_error(o.Env(), "BAD_ARGUMENT", std::string("missing numeric option '") + key + "'");
    return def;
  }
  if (!v.IsNumber()) throw js_error(o.Env(), "BAD_ARGUMENT", std::string("option '") + key + "' must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 9.007199254740992e15)
    throw js_error(o.Env(), "BAD_ARGUMENT", std::string("option '") + key + "' must be a non-negative integer");
  return d;
}
// A count or size that must fit its field and stay in a sane range: past `max` is bad input, not a wrap-around.
double num_at_most(const Napi::Object& o, const char* key, double def, double max, bool required = false) {
  const double d = num(o, key, def, required);
  if (d > max)
    throw js_error(o.Env(), "BAD_ARGUMENT", std::string("option '") + key + "' must be at most " + std::to_string(uint64_t(max)) + ", got " + std::to_string(uint64_t(d)));
  return d;
}
constexpr double kIntMax = 2147483647.0;
std::string str(const Napi::Object& o, const char* key, const std::string& def) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return def;
  if (!v.IsString()) throw js_error(o.Env(), "BAD_ARGUMENT", std::string("option '") + key + "' must be a string");
  return v.As<Napi::String>().Utf8Value();
}
Distribution parse_distribution(const Napi::Object& o) {
  Distribution d;
  Napi::Value v = o.Get("distribution");
  if (v.IsObject()) {
    Napi::Object dist = v.As<Napi::Object>();
    d.kind = str(dist, "kind", "uniform");
    Napi::Value x;
    if ((x = dist.Get("exponent")).IsNumber()) d.exponent = x.As<Napi::Number>().DoubleValue();
    if ((x = dist.Get("hotFraction")).IsNumber()) d.hot_fraction = x.As<Napi::Number>().DoubleValue();
    if ((x = dist.Get("hotProbability")).IsNumber()) d.hot_probability = x.As<Napi::Number>().DoubleValue();
    if ((x = dist.Get("a")).IsNumber()) d.rmat_a = x.As<Napi::Number>().DoubleValue();
    if ((x = dist.Get("b")).IsNumber()) d.rmat_b = x.As<Napi::Number>().DoubleValue();
    if ((x = dist.Get("c")).IsNumber()) d.rmat_c = x.As<Napi::Number>().DoubleValue();
    if ((x = dist.Get("degree")).IsNumber()) d.degree = x.As<Napi::Number>().DoubleValue();
    if ((x = dist.Get("fanouts")).IsArray()) {
      Napi::Array a = x.As<Napi::Array>();
      d.fanouts.clear();
      for (uint32_t i = 0; i < a.Length(); ++i) d.fanouts.push_back(a.Get(i).ToNumber().Int32Value());
    }
  }
  rethrow_as_js(o.Env(), [&] {
    validate(d);
  });
  return d;
}

// ---- Table ------------------------------------------------------------------
class Table : public Holder<Table, HostTable> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Table", {InstanceMethod("info", &Table::Info), InstanceMethod("release", &Table::Release),
                                      InstanceMethod("dropCopies", &Table::DropCopies)});
  }
  explicit Table(const Napi::CallbackInfo& info) : Holder(info, "createTable", "table was released") {}

 private:
  Napi::Value Info(const Napi::CallbackInfo& info) {
    auto t = live(info.Env());
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("rows", double(t->rows()));
    o.Set("rowBytes", double(t->row_bytes()));
    o.Set("bytes", double(t->bytes()));
    o.Set("obtained", t->obtained());
    o.Set("pinned", t->pinned());
    o.Set("mapped", t->device_view() != nullptr);
    o.Set("fillSeconds", t->fill_seconds());
    return o;
  }
  Napi::Value Release(const Napi::CallbackInfo& info) {
    held.reset();
    return info.Env().Undefined();
  }
  // Frees the copies methods kept (device-resident, managed) once no point needs them.
  Napi::Value DropCopies(const Napi::CallbackInfo& info) {
    if (held) held->drop_copies();
    return info.Env().Undefined();
  }
};

// ---- Storage: host memory shared by the tables of every shape --------------------
class Storage : public Holder<Storage, HostStorage> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Storage", {InstanceMethod("view", &Storage::View), InstanceMethod("info", &Storage::Info),
                                        InstanceMethod("release", &Storage::Release),
                                        InstanceMethod("dropCopies", &Storage::DropCopies)});
  }
  explicit Storage(const Napi::CallbackInfo& info) : Holder(info, "createStorage", "storage was released") {}

 private:
  // A table of rows x rowBytes over the storage's first bytes (cheap: nothing is allocated).
  Napi::Value View(const Napi::CallbackInfo& info) {
    auto s = live(info.Env());
    Napi::Object o = need_object(info, 0, "view options");
    const uint64_t rows = uint64_t(num(o, "rows", 0, true)), row_bytes = uint64_t(num(o, "rowBytes", 0, true));
    return rethrow_as_js(info.Env(), [&] {
      return Table::make(info.Env(), std::make_shared<HostTable>(s, rows, row_bytes));
    });
  }
  Napi::Value Info(const Napi::CallbackInfo& info) {
    auto s = live(info.Env());
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("bytes", double(s->bytes()));
    o.Set("obtained", s->obtained());
    o.Set("pinned", s->pinned());
    o.Set("fillSeconds", s->fill_seconds());
    return o;
  }
  Napi::Value Release(const Napi::CallbackInfo& info) {
    held.reset();
    return info.Env().Undefined();
  }
  Napi::Value DropCopies(const Napi::CallbackInfo& info) {
    if (held) held->drop_copies();
    return info.Env().Undefined();
  }
};

// ---- Bench: one prepared method over one table --------------------------------
struct BenchState {
  std::shared_ptr<HostTable> table;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<Method> method;
  MethodConfig config;
  IndexSets sets;
  std::atomic<bool> busy{false};
};

// Marks a bench busy for one call, idle again when the call's work ends (on the worker thread).
struct BusyUntilDone {
  std::shared_ptr<BenchState> s;
  ~BusyUntilDone() { s->busy = false; }
};

class Bench : public Holder<Bench, BenchState> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Bench", {InstanceMethod("run", &Bench::Run), InstanceMethod("soak", &Bench::Soak),
                                      InstanceMethod("details", &Bench::Details),
                                      InstanceMethod("launchLatency", &Bench::LaunchLatency),
                                      InstanceMethod("redraw", &Bench::Redraw),
                                      InstanceMethod("close", &Bench::Close)});
  }
  explicit Bench(const Napi::CallbackInfo& info) : Holder(info, "prepare", "bench was closed") {}

 private:
  // The bench, marked busy until the work of this call ends: one call at a time.
  std::shared_ptr<BenchState> claim(Napi::Env env) {
    auto s = live(env);
    if (s->busy.exchange(true)) throw js_error(env, "BAD_ARGUMENT", "bench is already running");
    return s;
  }
  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Object o = need_object(info, 0, "run options");
    ChunkRequest r;
    r.first_sample = uint64_t(num(o, "firstSample", 0));
    r.samples = int(num_at_most(o, "samples", 1, kIntMax));
    r.warmup = int(num_at_most(o, "warmup", 0, kIntMax));
    auto s = claim(info.Env());
    return start<std::shared_ptr<ChunkResult>>(
        info.Env(),
        [s, r] {
          BusyUntilDone done{s};
          return std::make_shared<ChunkResult>(run_chunk(*s->method, *s->table, s->config, s->sets, r, *s->pool));
        },
        [](Napi::Env env, std::shared_ptr<ChunkResult>& c) -> Napi::Value {
          Napi::Object o = Napi::Object::New(env);
          const size_t n = c->samples.size();
          // every sample's time, and each phase's (NaN where a method has none)
          const std::pair<const char*, double Sample::*> series[] = {
              {"total", &Sample::total},     {"gather", &Sample::gather},
              {"copy", &Sample::copy},       {"compute", &Sample::compute},
              {"gatherAlone", &Sample::gather_alone}, {"computeAlone", &Sample::compute_alone}};
          for (const auto& [name, field] : series) {
            auto a = Napi::Float64Array::New(env, n);
            for (size_t i = 0; i < n; ++i) a[i] = c->samples[i].*field;
            o.Set(name, a);
          }
          Napi::Object v = Napi::Object::New(env);
          v.Set("ok", !c->failed);
          v.Set("mode", c->verdict.mode);
          v.Set("rowsVerified", double(c->rows_verified));
          if (c->failed) {
            v.Set("badRow", double(c->verdict.bad_row));
            v.Set("detail", c->verdict.detail);
          }
          o.Set("verification", v);
          Napi::Object t = Napi::Object::New(env);
          t.Set("timed", c->time.timed);
          t.Set("setup", c->time.setup);
          t.Set("warmup", c->time.warmup);
          t.Set("verify", c->time.verify);
          t.Set("flush", c->time.flush);
          t.Set("launch", c->time.launch);
          o.Set("time", t);
          o.Set("checksums", double(c->checksums));
          return o;
        });
  }
  Napi::Value Soak(const Napi::CallbackInfo& info) {
    Napi::Object o = need_object(info, 0, "soak options");
    Napi::Value sv = o.Get("seconds");
    if (!sv.IsNumber() || !(sv.As<Napi::Number>().DoubleValue() >= 0))
      throw js_error(info.Env(), "BAD_ARGUMENT", "soak needs seconds >= 0");
    const double seconds = sv.As<Napi::Number>().DoubleValue();
    auto s = claim(info.Env());
    return start<SoakResult>(
        info.Env(),
        [s, seconds] {
          BusyUntilDone done{s};
          return soak(*s->method, *s->table, s->config, s->sets, seconds, *s->pool);
        },
        [](Napi::Env env, SoakResult& r) -> Napi::Value {
          Napi::Object o = Napi::Object::New(env);
          o.Set("iterations", double(r.iterations));
          o.Set("seconds", r.seconds);
          o.Set("busySeconds", r.busy_seconds);
          o.Set("cpuSeconds", r.cpu_seconds);
          return o;
        });
  }
  // Claimed like a run: the counters it reads (hits, copies) are written by a run's worker thread.
  Napi::Value Details(const Napi::CallbackInfo& info) {
    auto s = claim(info.Env());
    BusyUntilDone done{s};
    Napi::Object o = Napi::Object::New(info.Env());
    for (auto& kv : s->method->details()) o.Set(kv.first, kv.second);
    o.Set("contiguous", s->method->contiguous());
    return o;
  }
  // A new draw of the CPU path's luck before the next visit: the pool's threads made anew.
  Napi::Value Redraw(const Napi::CallbackInfo& info) {
    auto s = claim(info.Env());
    BusyUntilDone done{s};
    rethrow_as_js(info.Env(), [&] { s->pool->respawn(); });
    return info.Env().Undefined();
  }
  // Launch latency of an empty kernel on the method's stream, ungated and gated.
  Napi::Value LaunchLatency(const Napi::CallbackInfo& info) {
    auto s = claim(info.Env());
    return start<std::pair<double, double>>(
        info.Env(),
        [s] {
          BusyUntilDone done{s};
          s->method->bind_thread();
          return s->method->launch_latency_us();
        },
        [](Napi::Env env, std::pair<double, double>& us) -> Napi::Value {
          if (std::isnan(us.first)) return env.Null();
          Napi::Object o = Napi::Object::New(env);
          o.Set("ungatedUs", us.first);
          o.Set("gatedUs", us.second);
          return o;
        });
  }
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (held && held->busy) throw js_error(info.Env(), "BAD_ARGUMENT", "cannot close a bench while it runs");
    held.reset();
    return info.Env().Undefined();
  }
};

// ---- module functions -----------------------------------------------------------
Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
#ifdef GATHERBENCH_HAVE_CUDA
  o.Set("cuda", true);
  o.Set("cudaArchitectures", GATHERBENCH_CUDA_ARCHS);
  o.Set("cudaCompiler", GATHERBENCH_CUDA_COMPILER_VERSION);
#else
  o.Set("cuda", false);
#endif
  o.Set("hardwareThreads", double(hardware_threads()));
  return o;
}

// Facts the harness must not keep a second copy of: the methods this addon
// implements and how, its verification limits, the test switches in force.
Napi::Value Facts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  Napi::Array ms = Napi::Array::New(env);
  for (const MethodEntry& m : method_entries()) {
    static const char* const kSources[] = {"host", "pcie", "device-copy", "managed-copy"};
    Napi::Object x = Napi::Object::New(env);
    x.Set("name", m.name);
    x.Set("backend", m.backend == Backend::Host ? "host" : "cuda");
    x.Set("source", kSources[int(m.source)]);
    x.Set("contiguous", m.contiguous);
    x.Set("kernel", m.kernel);
    x.Set("minCuda", m.min_cuda);
    ms[ms.Length()] = x;
  }
  o.Set("methods", ms);
  Napi::Array vb = Napi::Array::New(env);
  for (int v : {2, 4, 8, 16}) vb[vb.Length()] = v;
  o.Set("vectorBytes", vb);
  o.Set("fullVerifyBytes", double(full_verify_bytes()));
  o.Set("cpuCacheBytes", double(last_level_cache_bytes()));  // the index-set pool and the CPU-cache eviction size by it
  o.Set("sampledRows", kSampledRows);
  o.Set("tablePadBytes", double(HostStorage::kPadBytes));
  Napi::Object sw = Napi::Object::New(env);
  sw.Set("slowdownUs", test_slowdown_us());
  sw.Set("slowdownPct", test_slowdown_pct());
  sw.Set("sameDevice", test_same_device());
  sw.Set("corrupt", double(test_corrupt_sample()));
  sw.Set("cudaErrorGpu", test_cuda_error_gpu());
  sw.Set("throwInPool", test_throw_in_pool());
  sw.Set("threadFailAt", test_thread_fail_at());
  sw.Set("reserveFail", test_env("GATHERBENCH_TEST_RESERVE_FAIL") != nullptr);
  sw.Set("fullVerifyBytesLowered", test_env("GATHERBENCH_TEST_FULL_VERIFY_BYTES") != nullptr);
  o.Set("testSwitches", sw);
  return o;
}

// Word w of every table with this seed (hash.h): what a peer worker's copy of the table is checked against.
Napi::Value TableWord(const Napi::CallbackInfo& info) {
  Napi::Object o = need_object(info, 0, "options");
  const uint64_t seed = uint64_t(num(o, "seed", 0, true)), w = uint64_t(num(o, "word", 0, true));
  return Napi::BigInt::New(info.Env(), table_word(seed, w));
}

// The live table a call's first argument names.
std::shared_ptr<HostTable> table_arg(const Napi::CallbackInfo& info, const char* call) {
  if (info.Length() < 1 || !info[0].IsObject() || !info[0].As<Napi::Object>().InstanceOf(Table::ctor->Value()))
    throw js_error(info.Env(), "BAD_ARGUMENT", std::string(call) + "() needs a table");
  return Table::Unwrap(info[0].As<Napi::Object>())->live(info.Env());
}

// Option 'indices' (a BigInt64Array), each a row of a table of `rows` rows.
std::vector<int64_t> row_indices(const Napi::Object& o, uint64_t rows) {
  Napi::Env env = o.Env();
  if (!o.Get("indices").IsTypedArray() || o.Get("indices").As<Napi::TypedArray>().TypedArrayType() != napi_bigint64_array)
    throw js_error(env, "BAD_ARGUMENT", "option 'indices' must be a BigInt64Array");
  auto arr = o.Get("indices").As<Napi::BigInt64Array>();
  std::vector<int64_t> idx(arr.Data(), arr.Data() + arr.ElementLength());
  for (int64_t r : idx)
    if (r < 0 || uint64_t(r) >= rows) throw js_error(env, "BAD_ARGUMENT", "index " + std::to_string(r) + " outside the table");
  return idx;
}

// The GPU gather kernel run on the host, thread by thread (a test of the kernel's own code where there is no GPU).
Napi::Value EmulateGather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto table = table_arg(info, "emulateGather");
  Napi::Object o = need_object(info, 1, "options");
  const std::vector<int64_t> idx = row_indices(o, table->rows());
  EmulatedLaunch l;
  l.kind = str(o, "kind", "aligned");
  l.vector_bytes = int(num_at_most(o, "vectorBytes", 4, 16));
  l.group = int(num_at_most(o, "group", 32, 1024));
  l.block = int(num_at_most(o, "block", 64, 1024));
  l.grid = int(num_at_most(o, "grid", 2, kIntMax));
  l.gpu_memory = o.Has("gpuMemory") && o.Get("gpuMemory").ToBoolean().Value();
  Verdict v;
  EmulatedReads reads;
  rethrow_as_js(env, [&] {
    v = emulate_gather(*table, idx, int(num_at_most(o, "elemBytes", 4, 8)), l, fill_pool(), &reads);
  });
  Napi::Object r = Napi::Object::New(env);
  r.Set("ok", v.ok);
  r.Set("readFrom", double(reads.from));
  r.Set("readTo", double(reads.to));
  r.Set("rowsChecked", double(v.rows_checked));
  r.Set("inFlight", emulated_in_flight(l, table->row_bytes()));
  if (!v.ok) {
    r.Set("badRow", double(v.bad_row));
    r.Set("detail", v.detail);
  }
  return r;
}

// The GPU's pattern check of an output, run on the host (kernel_emulation.h): a CI test of the device code.
Napi::Value EmulatePatternCheck(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto table = table_arg(info, "emulatePatternCheck");
  Napi::Object o = need_object(info, 1, "options");
  const std::vector<int64_t> idx = row_indices(o, table->rows());
  const int64_t corrupt = o.Has("corruptByte") ? int64_t(num(o, "corruptByte", 0, true)) : -1;
  PatternCheck c;
  uint64_t host_reference = 0;
  rethrow_as_js(env, [&] {
    c = emulate_pattern_check(*table, idx, corrupt, fill_pool());
    host_reference = expected_checksum(*table, idx, fill_pool());
  });
  Napi::Object r = Napi::Object::New(env);
  r.Set("checksum", Napi::BigInt::New(env, c.checksum));
  r.Set("hostReference", Napi::BigInt::New(env, host_reference));
  r.Set("outputChecksum", Napi::BigInt::New(env, c.output_checksum));
  r.Set("firstBadByte", double(c.first_bad_byte));
  return r;
}

// The index sets a point gathers: how many (by output size), and set k itself.
Napi::Value IndexSetCount(const Napi::CallbackInfo& info) {
  Napi::Object o = need_object(info, 0, "options");
  const Napi::Value cold = o.Get("coldAfterFlush");
  if (!cold.IsBoolean()) throw js_error(info.Env(), "BAD_ARGUMENT", "option 'coldAfterFlush' must be true or false");
  return Napi::Number::New(info.Env(), index_set_count(uint64_t(num(o, "outputBytes", 0, true)), cold.As<Napi::Boolean>()));
}

Napi::Value ReleaseBuffers(const Napi::CallbackInfo& info) {
#ifdef GATHERBENCH_HAVE_CUDA
  release_arena();
#endif
  return info.Env().Undefined();
}

Napi::Value CudaInfoJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CudaInfo ci = query_cuda();
  Napi::Object o = Napi::Object::New(env);
  o.Set("built", ci.built);
  o.Set("available", ci.available);
  if (!ci.reason.empty()) o.Set("reason", ci.reason);
  o.Set("runtimeVersion", ci.runtime_version);
  o.Set("driverVersion", ci.driver_version);
  Napi::Array devs = Napi::Array::New(env, ci.devices.size());
  for (size_t i = 0; i < ci.devices.size(); ++i) {
    const DeviceInfo& d = ci.devices[i];
    Napi::Object x = Napi::Object::New(env);
    x.Set("index", d.index);
    x.Set("name", d.name);
    x.Set("uuid", d.uuid);
    x.Set("pciBusId", d.pci_bus_id);
    x.Set("computeCapability", std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor));
    x.Set("sms", d.sms);
    x.Set("totalMemory", double(d.total_memory));
    x.Set("freeMemory", double(d.free_memory));
    x.Set("l2Bytes", double(d.l2_bytes));
    x.Set("canMapHostMemory", d.can_map_host);
    x.Set("managedMemory", d.managed);
    x.Set("concurrentManagedAccess", d.concurrent_managed);
    x.Set("pageableMemoryAccess", d.pageable_access);
    devs[uint32_t(i)] = x;
  }
  o.Set("devices", devs);
  return o;
}

Napi::Value GenerateIndices(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = need_object(info, 0, "options");
  const uint64_t rows = uint64_t(num(o, "rows", 0, true)), n = uint64_t(num(o, "count", 0, true));
  const uint64_t layout = uint64_t(num(o, "seed", 1));
  // set k of a point: the seed the sampling loop gives that set (sampler.cc)
  const uint64_t seed = o.Get("set").IsUndefined() ? layout : index_set_seed(layout, uint64_t(num(o, "set", 0)));
  Distribution d = parse_distribution(o);
  std::vector<int64_t> idx(n);
  rethrow_as_js(env, [&] {
    generate_indices(d, rows, layout, seed, idx, fill_pool());
  });
  auto out = Napi::BigInt64Array::New(env, n);
  for (uint64_t i = 0; i < n; ++i) out[i] = idx[i];
  return out;
}

// The CPU path's anatomy probe (cpu_anatomy.h): one suspect redrawn `draws` times, each draw's samples.
Napi::Value CpuAnatomy(const Napi::CallbackInfo& info) {
  Napi::Object o = need_object(info, 0, "anatomy options");
  AnatomyConfig c;
  c.table_bytes = uint64_t(num_at_most(o, "tableBytes", double(c.table_bytes), double(1ull << 40)));
  c.row_bytes = uint64_t(num_at_most(o, "rowBytes", double(c.row_bytes), double(1 << 24)));
  c.batch = uint64_t(num_at_most(o, "batch", double(c.batch), double(1 << 24)));
  c.threads = unsigned(num_at_most(o, "threads", 0, 1024));
  c.factor = str(o, "factor", c.factor);
  c.draws = int(num_at_most(o, "draws", c.draws, 1000));
  c.samples = int(num_at_most(o, "samples", c.samples, 10000));
  c.wait_seconds = num_at_most(o, "waitSeconds", 0, 3600);
  c.seed = uint64_t(num(o, "seed", 1));
  return start<AnatomyResult>(info.Env(), [c] { return cpu_anatomy(c); }, [](Napi::Env env, AnatomyResult& r) {
    Napi::Object out = Napi::Object::New(env);
    Napi::Array draws = Napi::Array::New(env, r.draws.size());
    for (size_t i = 0; i < r.draws.size(); ++i) {
      Napi::Object d = Napi::Object::New(env);
      Napi::Array s = Napi::Array::New(env, r.draws[i].seconds.size());
      for (size_t k = 0; k < r.draws[i].seconds.size(); ++k) s.Set(uint32_t(k), r.draws[i].seconds[k]);
      d.Set("seconds", s);
      d.Set("placement", r.draws[i].placement);
      d.Set("hugePages", r.draws[i].pages);
      draws.Set(uint32_t(i), d);
    }
    out.Set("draws", draws);
    out.Set("thp", r.thp);
    out.Set("cpus", r.cpus);
    return out;
  });
}

// The rows cached-zerocopy's GPU cache would hold at a point (cache_plan.h), and the trace they came from.
Napi::Value PlanCache(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = need_object(info, 0, "options");
  const uint64_t rows = uint64_t(num(o, "rows", 0, true)), batch = uint64_t(num(o, "batch", 0, true));
  const uint64_t want = uint64_t(num(o, "cachedRows", 0, true)), seed = uint64_t(num(o, "seed", 1));
  Distribution d = parse_distribution(o);
  CachePlan p;
  rethrow_as_js(env, [&] {
    if (rows == 0) throw Error("BAD_ARGUMENT", "cannot cache rows of an empty table");
    p = plan_cache(d, rows, want, batch, seed, fill_pool());
  });
  auto out = Napi::BigInt64Array::New(env, p.rows.size());
  for (size_t i = 0; i < p.rows.size(); ++i) out[i] = p.rows[i];
  Napi::Object r = Napi::Object::New(env);
  r.Set("rows", out);
  r.Set("trace", Napi::Number::New(env, double(p.trace)));
  if (o.Has("indices")) r.Set("missRepeats", miss_repeats(row_indices(o, rows), p.slot_of));  // what cached-zerocopy records of its set 0
  return r;
}

Napi::Value CacheTraceLength(const Napi::CallbackInfo& info) {
  Napi::Object o = need_object(info, 0, "options");
  const uint64_t want = uint64_t(num(o, "cachedRows", 0, true)), batch = uint64_t(num(o, "batch", 0, true));
  return Napi::Number::New(info.Env(), double(cache_trace_length(parse_distribution(o), want, batch)));
}

// The allocation mode an options object names (malloc by default).
HostAlloc host_alloc_arg(const Napi::Object& o) {
  return rethrow_as_js(o.Env(), [&] {
    return parse_host_alloc(str(o, "alloc", "malloc"));
  });
}

Napi::Value CreateTable(const Napi::CallbackInfo& info) {
  Napi::Object o = need_object(info, 0, "table options");
  const uint64_t rows = uint64_t(num(o, "rows", 0, true)), row_bytes = uint64_t(num(o, "rowBytes", 0, true));
  const uint64_t seed = uint64_t(num(o, "seed", 1));
  const HostAlloc mode = host_alloc_arg(o);
  return start<std::shared_ptr<HostTable>>(
      info.Env(), [=] { return std::make_shared<HostTable>(rows, row_bytes, mode, seed, fill_pool()); },
      [](Napi::Env env, std::shared_ptr<HostTable>& t) -> Napi::Value {
        return Table::make(env, t);
      });
}

Napi::Value CreateStorage(const Napi::CallbackInfo& info) {
  Napi::Object o = need_object(info, 0, "storage options");
  const uint64_t bytes = uint64_t(num(o, "bytes", 0, true));
  const uint64_t seed = uint64_t(num(o, "seed", 1));
  const HostAlloc mode = host_alloc_arg(o);
  return start<std::shared_ptr<HostStorage>>(
      info.Env(), [=] { return std::make_shared<HostStorage>(bytes, mode, seed, fill_pool()); },
      [](Napi::Env env, std::shared_ptr<HostStorage>& s) -> Napi::Value {
        return Storage::make(env, s);
      });
}

Napi::Value Prepare(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto table = table_arg(info, "prepare");
  Napi::Object o = need_object(info, 1, "method options");
  auto state = std::make_shared<BenchState>();
  MethodConfig& c = state->config;
  c.method = str(o, "method", "");
  c.batch = uint64_t(num(o, "batch", 0, true));
  c.elem_bytes = int(num_at_most(o, "elemBytes", 4, 8));
  c.threads = unsigned(num_at_most(o, "threads", 0, 4096));
  c.dist = parse_distribution(o);
  c.seed = uint64_t(num(o, "seed", 1));
  c.device = int(num_at_most(o, "device", 0, 1024));
  c.mapping = str(o, "mapping", "warp");
  c.vector_bytes = int(num_at_most(o, "vectorBytes", 0, 16));
  c.block = int(num_at_most(o, "block", 256, 1024));
  c.grid = int(num_at_most(o, "grid", 0, kIntMax));
  c.pipeline = int(num_at_most(o, "pipeline", 1, 1 << 20));
  c.uvm_advise = str(o, "uvmAdvise", "none");
  c.uvm_reset = str(o, "uvmReset", "point");
  if (c.uvm_reset != "point" && c.uvm_reset != "sample")
    throw js_error(env, "BAD_ARGUMENT", "uvmReset must be 'point' or 'sample', got '" + c.uvm_reset + "'");
  c.gpus = int(num_at_most(o, "gpus", 1, 64));
  c.step = str(o, "step", "pipelined");
  c.hidden = int(num_at_most(o, "hidden", 256, 65536));
  Napi::Value share = o.Get("cacheShare");
  if (!share.IsUndefined()) {
    if (!share.IsNumber() || !(share.As<Napi::Number>().DoubleValue() >= 0 && share.As<Napi::Number>().DoubleValue() <= 1))
      throw js_error(env, "BAD_ARGUMENT", "option 'cacheShare' must be a number from 0 to 1");
    c.cache_share = share.As<Napi::Number>().DoubleValue();
  }
  c.cache_bytes = uint64_t(num(o, "cacheBytes", 0));
  Napi::Value flush = o.Get("flush");
  if (!flush.IsUndefined() && !flush.IsBoolean()) throw js_error(env, "BAD_ARGUMENT", "option 'flush' must be a boolean");
  c.flush = flush.IsUndefined() || flush.As<Napi::Boolean>().Value();
  if (c.gpus < 1 || c.gpus > 64) throw js_error(env, "BAD_ARGUMENT", "gpus must be 1 to 64");
  if (c.batch == 0) throw js_error(env, "BAD_ARGUMENT", "batch must be at least 1");
  if (c.elem_bytes != 2 && c.elem_bytes != 4 && c.elem_bytes != 8)
    throw js_error(env, "BAD_ARGUMENT", "element size must be 2, 4 or 8 bytes");
  if (table->row_bytes() % uint64_t(c.elem_bytes) != 0)
    throw js_error(env, "BAD_ARGUMENT", "row bytes must be a whole number of elements");
  state->table = table;
  return start<std::shared_ptr<BenchState>>(
      env,
      [state] {
        BenchState& s = *state;
        const unsigned threads = s.config.threads ? s.config.threads : hardware_threads();
        const MethodEntry* entry = find_method(s.config.method);
        if (!entry) throw Error("UNSUPPORTED", "method '" + s.config.method + "' is not in this build");
        s.pool = std::make_unique<ThreadPool>(threads);
        if (entry->backend == Backend::Host) {
          s.method = make_host_method(*entry, s.config, *s.table, *s.pool);
        } else {
#ifdef GATHERBENCH_HAVE_CUDA
          s.method = s.config.gpus > 1 ? make_multi_gpu_method(*entry, s.config, *s.table, *s.pool, threads)
                                       : make_cuda_method(*entry, s.config, *s.table, *s.pool);
#else
          throw Error("UNSUPPORTED", "method '" + s.config.method + "' needs CUDA, and this build has none");
#endif
        }
        return state;
      },
      [](Napi::Env env, std::shared_ptr<BenchState>& s) -> Napi::Value {
        return Bench::make(env, s);
      });
}

// ---- background CPU load ------------------------------------------------------
class ContentionJs : public Napi::ObjectWrap<ContentionJs> {
 public:
  static Napi::FunctionReference* ctor;
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Contention", {InstanceMethod("stop", &ContentionJs::Stop)});
  }
  explicit ContentionJs(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ContentionJs>(info) {
    Napi::Object o = need_object(info, 0, "contention options");
    const unsigned threads = unsigned(num_at_most(o, "threads", 0, 1024));
    const uint64_t bytes = uint64_t(num_at_most(o, "bytesPerThread", 64.0 * (1 << 20), 16.0 * (1ull << 30)));
    if (bytes < 4096) throw js_error(info.Env(), "BAD_ARGUMENT", "contention needs at least 4096 bytes per thread");
    if (threads == 0) throw js_error(info.Env(), "BAD_ARGUMENT", "contention needs 1 to 1024 threads");
    c_ = std::make_unique<Contention>(threads, bytes);
  }

 private:
  Napi::Value Stop(const Napi::CallbackInfo& info) {
    Napi::Object o = Napi::Object::New(info.Env());
    if (!c_) throw js_error(info.Env(), "BAD_ARGUMENT", "contention already stopped");
    o.Set("bytes", double(c_->stop()));
    o.Set("seconds", c_->seconds());
    o.Set("threads", double(c_->threads()));
    c_.reset();
    return o;
  }
  std::unique_ptr<Contention> c_;
};
Napi::FunctionReference* ContentionJs::ctor = nullptr;

// ---- NVML -----------------------------------------------------------------------
Napi::Value NvmlInfo(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  Nvml& n = Nvml::get();
  o.Set("available", n.available());
  if (!n.available()) o.Set("reason", n.reason());
  return o;
}

std::string need_uuid(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) throw js_error(info.Env(), "BAD_ARGUMENT", "expected a GPU UUID");
  return info[0].As<Napi::String>().Utf8Value();
}

Napi::Value NvmlStaticJs(const Napi::CallbackInfo& info) {
  NvmlStatic s = Nvml::get().static_info(need_uuid(info));
  Napi::Object o = Napi::Object::New(info.Env());
  if (s.uuid.empty()) return info.Env().Null();
  o.Set("name", s.name);
  o.Set("driver", s.driver);
  o.Set("pcieGenMax", s.pcie_gen_max);
  o.Set("pcieWidthMax", s.pcie_width_max);
  o.Set("pcieGen", s.pcie_gen);
  o.Set("pcieWidth", s.pcie_width);
  o.Set("ecc", s.ecc);
  o.Set("powerLimitW", s.power_limit_w);
  o.Set("smClockMaxMHz", s.sm_clock_max);
  o.Set("memClockMaxMHz", s.mem_clock_max);
  return o;
}

Napi::Value NvmlSampleJs(const Napi::CallbackInfo& info) {
  const std::string uuid = need_uuid(info);
  const bool with_pcie = info.Length() > 1 && info[1].IsBoolean() && info[1].As<Napi::Boolean>().Value();
  return start<NvmlSample>(
      info.Env(), [uuid, with_pcie] { return Nvml::get().sample(uuid, with_pcie); },
      [](Napi::Env env, NvmlSample& s) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("powerW", s.power_w);
        o.Set("energyJ", s.energy_j);
        o.Set("smClockMHz", s.sm_clock);
        o.Set("memClockMHz", s.mem_clock);
        o.Set("gpuUtil", s.gpu_util);
        o.Set("memUtil", s.mem_util);
        o.Set("tempC", s.temp_c);
        o.Set("pcieTxBps", s.pcie_tx_bps);
        o.Set("pcieRxBps", s.pcie_rx_bps);
        o.Set("pcieGen", s.pcie_gen);
        o.Set("pcieWidth", s.pcie_width);
        o.Set("throttleReasons", double(s.throttle));
        return o;
      });
}

Napi::Value NvmlEnergyJs(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), Nvml::get().energy_j(need_uuid(info)));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Table::ctor = new Napi::FunctionReference(Napi::Persistent(Table::Define(env)));
  Bench::ctor = new Napi::FunctionReference(Napi::Persistent(Bench::Define(env)));
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo));
  exports.Set("cudaInfo", Napi::Function::New(env, CudaInfoJs));
  exports.Set("facts", Napi::Function::New(env, Facts));
  exports.Set("releaseBuffers", Napi::Function::New(env, ReleaseBuffers));
  exports.Set("tableWord", Napi::Function::New(env, TableWord));
  exports.Set("emulateGather", Napi::Function::New(env, EmulateGather));
  exports.Set("emulatePatternCheck", Napi::Function::New(env, EmulatePatternCheck));
  exports.Set("indexSetCount", Napi::Function::New(env, IndexSetCount));
  exports.Set("generateIndices", Napi::Function::New(env, GenerateIndices));
  exports.Set("planCache", Napi::Function::New(env, PlanCache));
  exports.Set("cpuAnatomy", Napi::Function::New(env, CpuAnatomy));
  exports.Set("cacheTraceLength", Napi::Function::New(env, CacheTraceLength));
  exports.Set("createTable", Napi::Function::New(env, CreateTable));
  Storage::ctor = new Napi::FunctionReference(Napi::Persistent(Storage::Define(env)));
  exports.Set("createStorage", Napi::Function::New(env, CreateStorage));
  exports.Set("prepare", Napi::Function::New(env, Prepare));
  ContentionJs::ctor = new Napi::FunctionReference(Napi::Persistent(ContentionJs::Define(env)));
  exports.Set("Contention", ContentionJs::ctor->Value());
  exports.Set("nvmlInfo", Napi::Function::New(env, NvmlInfo));
  exports.Set("nvmlStatic", Napi::Function::New(env, NvmlStaticJs));
  exports.Set("nvmlSample", Napi::Function::New(env, NvmlSampleJs));
  exports.Set("nvmlEnergy", Napi::Function::New(env, NvmlEnergyJs));
  return exports;
}

}  // namespace
}  // namespace gb

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return gb::Init(env, exports); }
NODE_API_MODULE(gatherbench, InitAddon)
