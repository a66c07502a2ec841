// Conformance-suite adapter (protocol v1, runner/ADAPTERS.md) for proxy-wasm-cpp-host on WAMR.
//
//   adapter info
//   adapter run MODULE.wasm SCENARIO.json
//
// It embeds cpp-host the way Envoy does (a base VM that is only loaded, a thread-local clone
// created, started and configured by getOrCreateThreadLocalPlugin, stream contexts made from the
// plugin handle), and answers every embedder hook cpp-host leaves to its host. Where an answer is
// Envoy's, the comment names the function in Envoy's source/extensions/common/wasm/context.cc
// ("Envoy Context::x"). cpp-host's own defaults call unimplemented(), which aborts, so every hook
// a probe can reach is overridden here. Output: one JSON event line per plugin log line.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "include/proxy-wasm/context.h"
#include "include/proxy-wasm/pairs_util.h"
#include "include/proxy-wasm/wamr.h"
#include "include/proxy-wasm/wasm.h"

#ifndef ADAPTER_HOST_VERSION
#define ADAPTER_HOST_VERSION "unknown"
#endif

using namespace proxy_wasm;

namespace {

// ---------------------------------------------------------------------------------------------
// A small JSON reader (the scenario) and writer (event lines).

struct J {
  enum T { Null, Bool, Num, Str, Arr, Obj } t = Null;
  bool b = false;
  std::string s; // string value, or a number's text
  std::vector<J> a;
  std::vector<std::pair<std::string, J>> o;
  const J *get(const std::string &k) const {
    for (auto &p : o)
      if (p.first == k)
        return &p.second;
    return nullptr;
  }
  std::string str(const std::string &k, const std::string &d = "") const {
    auto *v = get(k);
    return v && v->t == Str ? v->s : d;
  }
  uint64_t num() const { return t == Num ? strtoull(s.c_str(), nullptr, 10) : 0; }
};

struct JParser {
  const std::string &in;
  size_t i = 0;
  void ws() {
    while (i < in.size() && isspace(static_cast<unsigned char>(in[i])))
      i++;
  }
  void need(char c) {
    ws();
    if (i >= in.size() || in[i] != c)
      throw std::runtime_error(std::string("scenario JSON: expected ") + c);
    i++;
  }
  static void utf8(std::string &out, uint32_t cp) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xC0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += char(0xE0 | (cp >> 12));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    } else {
      out += char(0xF0 | (cp >> 18));
      out += char(0x80 | ((cp >> 12) & 0x3F));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    }
  }
  uint32_t hex4() {
    if (i + 4 > in.size())
      throw std::runtime_error("scenario JSON: bad \\u escape");
    uint32_t v = std::stoul(in.substr(i, 4), nullptr, 16);
    i += 4;
    return v;
  }
  std::string string() {
    need('"');
    std::string out;
    while (i < in.size() && in[i] != '"') {
      char c = in[i++];
      if (c != '\\') {
        out += c;
        continue;
      }
      char e = in[i++];
      switch (e) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'u': {
        uint32_t cp = hex4();
        if (cp >= 0xD800 && cp < 0xDC00 && i + 6 <= in.size() && in[i] == '\\' && in[i + 1] == 'u') {
          i += 2;
          uint32_t lo = hex4();
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        utf8(out, cp);
        break;
      }
      default: out += e;
      }
    }
    need('"');
    return out;
  }
  J value() {
    ws();
    J v;
    if (i >= in.size())
      throw std::runtime_error("scenario JSON: truncated");
    char c = in[i];
    if (c == '{') {
      v.t = J::Obj;
      i++;
      ws();
      if (in[i] == '}') {
        i++;
        return v;
      }
      for (;;) {
        std::string k = string();
        need(':');
        v.o.emplace_back(k, value());
        ws();
        if (in[i] == ',') {
          i++;
          continue;
        }
        need('}');
        return v;
      }
    }
    if (c == '[') {
      v.t = J::Arr;
      i++;
      ws();
      if (in[i] == ']') {
        i++;
        return v;
      }
      for (;;) {
        v.a.push_back(value());
        ws();
        if (in[i] == ',') {
          i++;
          continue;
        }
        need(']');
        return v;
      }
    }
    if (c == '"') {
      v.t = J::Str;
      v.s = string();
      return v;
    }
    if (in.compare(i, 4, "true") == 0) {
      v.t = J::Bool;
      v.b = true;
      i += 4;
      return v;
    }
    if (in.compare(i, 5, "false") == 0) {
      v.t = J::Bool;
      i += 5;
      return v;
    }
    if (in.compare(i, 4, "null") == 0) {
      i += 4;
      return v;
    }
    v.t = J::Num;
    while (i < in.size() && (isdigit(static_cast<unsigned char>(in[i])) || strchr("+-.eE", in[i])))
      v.s += in[i++];
    return v;
  }
};

std::string jstr(std::string_view s) {
  // Valid UTF-8 passes through; control characters are escaped; stray bytes become U+FFFD, so
  // every event line is one line of valid JSON.
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
      i++;
    } else if (c < 0x20) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
      i++;
    } else if (c < 0x80) {
      out += char(c);
      i++;
    } else {
      size_t n = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
      bool ok = n && i + n <= s.size();
      for (size_t k = 1; ok && k < n; k++)
        ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
      if (ok) {
        out.append(s.substr(i, n));
        i += n;
      } else {
        out += "\xEF\xBF\xBD";
        i++;
      }
    }
  }
  return out + "\"";
}

using StrPairs = std::vector<std::pair<std::string, std::string>>;

std::string jpairs(const StrPairs &p) {
  std::string out = "[";
  for (size_t i = 0; i < p.size(); i++)
    out += (i ? "," : "") + std::string("[") + jstr(p[i].first) + "," + jstr(p[i].second) + "]";
  return out + "]";
}

StrPairs pairsOf(const J *v) {
  StrPairs out;
  if (v && v->t == J::Arr)
    for (auto &e : v->a)
      if (e.t == J::Arr && e.a.size() == 2)
        out.emplace_back(e.a[0].s, e.a[1].s);
  return out;
}

void emit(const std::string &line) {
  fputs(line.c_str(), stdout);
  fputc('\n', stdout);
  fflush(stdout);
}

const char *kLevels[] = {"trace", "debug", "info", "warn", "error", "critical"};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto &c : out)
    c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Run-wide state.

struct HttpReply {
  bool fail = false;
  StrPairs headers, trailers;
  std::string body;
  bool has_trailers = false;
};

struct GrpcReply {
  StrPairs initial_metadata, trailing_metadata;
  std::vector<std::string> messages;
  uint32_t status = 0;
  std::string status_message;
};

struct Scenario {
  std::string vm_configuration, plugin_configuration;
  std::map<std::string, std::string> properties; // dotted path -> value
  uint32_t log_level = 2;                          // info
  std::unordered_map<std::string, std::string> envs;
  std::map<std::string, std::deque<HttpReply>> upstreams;
  std::map<std::string, std::string> foreign_functions;
  std::map<std::string, std::deque<GrpcReply>> grpc_upstreams;
  const J *events = nullptr;
};

Scenario scenario;
uint64_t virtual_ns = 0;                          // time the scenario's ticks moved forward
std::deque<std::function<void()>> posted;         // work posted "to the thread" (queue ready)
std::deque<std::function<void()>> pending_calls;  // HTTP call answers owed to the plugin
std::optional<FailState> first_failure;           // first FailState cpp-host reported
std::map<uint32_t, std::chrono::milliseconds> tick_period; // per root context id
// PWTCK_ENVOY_STRICT=1: also follow Envoy where the default departs from it to drive a scenario
// (a map only during its own callback and in proxy_on_log, local replies through the response
// callbacks, Envoy's end order).
const bool strict = getenv("PWTCK_ENVOY_STRICT") != nullptr;

class AdapterContext;

// Per-stream state of an HTTP exchange, owned by its stream context.
struct Stream {
  enum Phase { ReqHeaders, ReqBody, ReqTrailers, RespHeaders, RespBody, RespTrailers, Log, Done };
  Phase phase = ReqHeaders;
  std::optional<StrPairs> req_headers, req_trailers, resp_headers, resp_trailers;
  std::string body;       // the body chunk (plus what a pause buffered) the body callback sees
  bool end_of_stream = false;
  bool resumed = false;   // proxy_continue_stream for the direction in progress
  bool reset = false;     // proxy_close_stream, or a failed VM closing the stream
  bool local = false;     // proxy_send_local_response
  uint32_t local_code = 0;
  std::string local_body;
  StrPairs local_headers;
  std::map<std::string, std::string> filter_state; // proxy_set_property, Envoy's "wasm." keys
};

// A buffer over bytes the adapter owns; copyFrom follows Envoy Buffer::copyFrom for mutable
// bodies (prepend, replace all, append) and BufferBase's BadArgument for everything else.
class AdapterBuffer : public BufferBase {
public:
  AdapterBuffer *setData(std::string_view data) {
    mutable_ = nullptr;
    view_ = data;
    return this;
  }
  AdapterBuffer *setMutable(std::string *data) {
    mutable_ = data;
    view_ = {};
    return this;
  }
  size_t size() const override { return mutable_ ? mutable_->size() : view_.size(); }
  WasmResult copyTo(WasmBase *wasm, size_t start, size_t length, uint64_t ptr_ptr,
                    uint64_t size_ptr) const override {
    std::string_view all = mutable_ ? std::string_view(*mutable_) : view_;
    if (!wasm->copyToPointerSize(all.substr(start, length), ptr_ptr, size_ptr))
      return WasmResult::InvalidMemoryAccess;
    return WasmResult::Ok;
  }
  WasmResult copyFrom(size_t start, size_t length, std::string_view data) override {
    if (!mutable_)
      return WasmResult::BadArgument;
    if (start == 0) {
      if (length == 0) {
        mutable_->insert(0, data);
        return WasmResult::Ok;
      }
      if (length >= mutable_->size()) {
        mutable_->assign(data);
        return WasmResult::Ok;
      }
      return WasmResult::BadArgument;
    }
    if (start >= mutable_->size()) {
      mutable_->append(data);
      return WasmResult::Ok;
    }
    return WasmResult::BadArgument;
  }

private:
  std::string *mutable_ = nullptr;
  std::string_view view_;
};

struct HttpCallResponse {
  StrPairs headers;
  std::optional<StrPairs> trailers;
  std::string body;
};

class AdapterContext : public ContextBase {
public:
  AdapterContext(WasmBase *wasm) : ContextBase(wasm) {}
  AdapterContext(WasmBase *wasm, const std::shared_ptr<PluginBase> &plugin)
      : ContextBase(wasm, plugin) {}
  AdapterContext(WasmBase *wasm, uint32_t parent, const std::shared_ptr<PluginHandleBase> &h)
      : ContextBase(wasm, parent, h) {}

  std::unique_ptr<Stream> stream;          // set for HTTP stream contexts
  bool access_log_phase = false;           // inside proxy_on_log (Envoy Context::log)
  const HttpCallResponse *http_call_response = nullptr; // root: during proxy_on_http_call_response
  std::string foreign_args;                // root: during proxy_on_foreign_function
  uint32_t status_code = 0;                // root: what proxy_get_status reports
  std::string status_message;

  AdapterContext *root() { return static_cast<AdapterContext *>(root_context()); }

  // Envoy Context::error logs at trace level instead of aborting; print it to stderr.
  void error(std::string_view message) override {
    std::cerr << "cpp-host error (context " << id() << "): " << message << "\n";
  }

  // ---- General
  // Envoy Context::log: every level 0-5 is logged, Ok (cpp-host rejects > 5 before this).
  WasmResult log(uint32_t level, std::string_view message) override {
    size_t start = 0;
    while (true) { // one event per line, so each line stays intact
      size_t nl = message.find('\n', start);
      auto part = message.substr(start, nl == std::string_view::npos ? nl : nl - start);
      emit(std::string("{\"event\":\"log\",\"level\":\"") + (level < 6 ? kLevels[level] : "info") +
           "\",\"context\":" + std::to_string(id()) + ",\"message\":" + jstr(part) + "}");
      if (nl == std::string_view::npos)
        break;
      start = nl + 1;
    }
    return WasmResult::Ok;
  }
  // Envoy Context::getLogLevel returns its logger's level; here the scenario's (default info).
  uint32_t getLogLevel() override { return scenario.log_level; }
  // Envoy reads its time source; scenario ticks move both clocks forward.
  uint64_t getCurrentTimeNanoseconds() override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count() +
           virtual_ns;
  }
  uint64_t getMonotonicTimeNanoseconds() override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
               .count() +
           virtual_ns;
  }
  // Envoy Context::getConfiguration (ABI 0.1.0 proxy_get_configuration).
  std::string_view getConfiguration() override {
    if (temp_plugin_)
      return temp_plugin_->plugin_configuration_;
    return wasm()->vm_configuration();
  }
  // Envoy Context::getStatus: the root's last callout status (exports.cc asks the root).
  std::pair<uint32_t, std::string_view> getStatus() override {
    return {status_code, status_message};
  }

  // ---- Buffers: Envoy Context::getBuffer. Bodies and network data are always a buffer (empty
  // outside their callback); plugin configuration only while configuring; the call response body
  // only during proxy_on_http_call_response.
  BufferInterface *getBuffer(WasmBufferType type) override {
    switch (type) {
    case WasmBufferType::CallData:
      return buffer_.setData(root()->foreign_args);
    case WasmBufferType::VmConfiguration:
      return buffer_.setData(wasm()->vm_configuration());
    case WasmBufferType::PluginConfiguration:
      if (temp_plugin_)
        return buffer_.setData(temp_plugin_->plugin_configuration_);
      return nullptr;
    case WasmBufferType::HttpRequestBody:
      if (stream && stream->phase == Stream::ReqBody)
        return buffer_.setMutable(&stream->body);
      return buffer_.setData("");
    case WasmBufferType::HttpResponseBody:
      if (stream && stream->phase == Stream::RespBody)
        return buffer_.setMutable(&stream->body);
      return buffer_.setData("");
    case WasmBufferType::GrpcReceiveBuffer:
      if (root()->grpc_message)
        return buffer_.setData(*root()->grpc_message);
      return buffer_.setData("");
    case WasmBufferType::NetworkDownstreamData:
    case WasmBufferType::NetworkUpstreamData:
      return buffer_.setData("");
    case WasmBufferType::HttpCallResponseBody:
      if (root()->http_call_response)
        return buffer_.setData(root()->http_call_response->body);
      return nullptr;
    }
    return nullptr;
  }
  bool endOfStream(WasmStreamType) override { return stream ? stream->end_of_stream : true; }

  // ---- Header maps: Envoy Context::getMap (mutable: the four stream maps) and getConstMap
  // (also the root's call-response maps). Stream maps stay readable for the whole stream here
  // (Envoy drops a map once its callback returned Continue).
  StrPairs *map(WasmHeaderMapType type, bool for_write) {
    if (type == WasmHeaderMapType::GrpcReceiveInitialMetadata ||
        type == WasmHeaderMapType::GrpcReceiveTrailingMetadata) {
      auto *m = type == WasmHeaderMapType::GrpcReceiveInitialMetadata ? root()->grpc_initial
                                                                        : root()->grpc_trailing;
      return for_write ? nullptr : const_cast<StrPairs *>(m);
    }
    if (!stream) {
      if (for_write)
        return nullptr;
      auto *r = root()->http_call_response;
      if (type == WasmHeaderMapType::HttpCallResponseHeaders && r)
        return const_cast<StrPairs *>(&r->headers);
      if (type == WasmHeaderMapType::HttpCallResponseTrailers && r && r->trailers)
        return const_cast<StrPairs *>(&*r->trailers);
      return nullptr;
    }
    if (strict && !envoyLive(type, for_write))
      return nullptr;
    std::optional<StrPairs> *m = nullptr;
    switch (type) {
    case WasmHeaderMapType::RequestHeaders: m = &stream->req_headers; break;
    case WasmHeaderMapType::RequestTrailers:
      if (access_log_phase && !for_write)
        return nullptr; // Envoy getConstMap: no request trailers in the access-log phase
      // Envoy getMap: at the end of the body, trailers can be added (addDecodedTrailers).
      if (for_write && !stream->req_trailers && stream->phase == Stream::ReqBody &&
          stream->end_of_stream)
        stream->req_trailers.emplace();
      m = &stream->req_trailers;
      break;
    case WasmHeaderMapType::ResponseHeaders: m = &stream->resp_headers; break;
    case WasmHeaderMapType::ResponseTrailers:
      if (for_write && !stream->resp_trailers && stream->phase == Stream::RespBody &&
          stream->end_of_stream)
        stream->resp_trailers.emplace();
      m = &stream->resp_trailers;
      break;
    case WasmHeaderMapType::HttpCallResponseHeaders:
    case WasmHeaderMapType::HttpCallResponseTrailers: {
      if (for_write)
        return nullptr;
      auto *r = root()->http_call_response;
      if (type == WasmHeaderMapType::HttpCallResponseHeaders && r)
        return const_cast<StrPairs *>(&r->headers);
      if (type == WasmHeaderMapType::HttpCallResponseTrailers && r && r->trailers)
        return const_cast<StrPairs *>(&*r->trailers);
      return nullptr;
    }
    default: return nullptr;
    }
    return *m ? &**m : nullptr;
  }

  // Envoy Context::decodeHeaders & co. drop a map once its callback returned Continue; in the
  // access-log phase getConstMap serves the request and response headers and response trailers.
  bool envoyLive(WasmHeaderMapType type, bool for_write) {
    auto p = stream->phase;
    bool log = access_log_phase && !for_write;
    switch (type) {
    case WasmHeaderMapType::RequestHeaders: return p == Stream::ReqHeaders || log;
    case WasmHeaderMapType::RequestTrailers:
      return p == Stream::ReqTrailers || (for_write && p == Stream::ReqBody);
    case WasmHeaderMapType::ResponseHeaders: return p == Stream::RespHeaders || log;
    case WasmHeaderMapType::ResponseTrailers:
      return p == Stream::RespTrailers || (for_write && p == Stream::RespBody) || log;
    default: return true;
    }
  }

  // Envoy Context::getHeaderMapValue.
  WasmResult getHeaderMapValue(WasmHeaderMapType type, std::string_view key,
                               std::string_view *result) override {
    bool v010 = wasm()->abiVersion() == AbiVersion::ProxyWasm_0_1_0;
    auto *m = map(type, false);
    if (!m) {
      if (access_log_phase) {
        if (v010) {
          *result = "";
          return WasmResult::Ok;
        }
        return WasmResult::NotFound;
      }
      return WasmResult::BadArgument;
    }
    auto k = lower(key);
    for (auto &p : *m)
      if (p.first == k) {
        *result = p.second;
        return WasmResult::Ok;
      }
    if (v010) {
      *result = "";
      return WasmResult::Ok;
    }
    return WasmResult::NotFound;
  }
  // Envoy Context::getHeaderMapPairs: an unavailable map reads as empty.
  WasmResult getHeaderMapPairs(WasmHeaderMapType type, Pairs *result) override {
    result->clear();
    if (auto *m = map(type, false))
      for (auto &p : *m)
        result->emplace_back(p.first, p.second);
    return WasmResult::Ok;
  }
  // Envoy Context::setHeaderMapPairs.
  WasmResult setHeaderMapPairs(WasmHeaderMapType type, const Pairs &pairs) override {
    auto *m = map(type, true);
    if (!m)
      return WasmResult::BadArgument;
    StrPairs next;
    for (auto &p : pairs)
      next.emplace_back(lower(p.first), std::string(p.second));
    *m = std::move(next);
    return WasmResult::Ok;
  }
  // Envoy Context::addHeaderMapValue.
  WasmResult addHeaderMapValue(WasmHeaderMapType type, std::string_view key,
                               std::string_view value) override {
    auto *m = map(type, true);
    if (!m)
      return WasmResult::BadArgument;
    m->emplace_back(lower(key), std::string(value));
    return WasmResult::Ok;
  }
  // Envoy Context::replaceHeaderMapValue (HeaderMap::setCopy: one entry with the new value).
  WasmResult replaceHeaderMapValue(WasmHeaderMapType type, std::string_view key,
                                   std::string_view value) override {
    auto *m = map(type, true);
    if (!m)
      return WasmResult::BadArgument;
    auto k = lower(key);
    bool done = false;
    StrPairs next;
    for (auto &p : *m) {
      if (p.first != k) {
        next.push_back(p);
      } else if (!done) {
        next.emplace_back(k, std::string(value));
        done = true;
      }
    }
    if (!done)
      next.emplace_back(k, std::string(value));
    *m = std::move(next);
    return WasmResult::Ok;
  }
  // Envoy Context::removeHeaderMapValue.
  WasmResult removeHeaderMapValue(WasmHeaderMapType type, std::string_view key) override {
    auto *m = map(type, true);
    if (!m)
      return WasmResult::BadArgument;
    auto k = lower(key);
    StrPairs next;
    for (auto &p : *m)
      if (p.first != k)
        next.push_back(p);
    *m = std::move(next);
    return WasmResult::Ok;
  }
  // Envoy Context::getHeaderMapSize: HeaderMap::byteSize(), the sum of key and value lengths.
  WasmResult getHeaderMapSize(WasmHeaderMapType type, uint32_t *result) override {
    auto *m = map(type, true);
    if (!m)
      return WasmResult::BadArgument;
    uint32_t n = 0;
    for (auto &p : *m)
      n += p.first.size() + p.second.size();
    *result = n;
    return WasmResult::Ok;
  }

  // ---- Stream control: Envoy Context::continueStream / closeStream / sendLocalResponse.
  WasmResult continueStream(WasmStreamType type) override {
    switch (type) {
    case WasmStreamType::Request:
    case WasmStreamType::Response:
      if (stream)
        stream->resumed = true;
      return WasmResult::Ok;
    case WasmStreamType::Downstream: return WasmResult::Ok;
    case WasmStreamType::Upstream: return WasmResult::Unimplemented;
    }
    return WasmResult::BadArgument;
  }
  WasmResult closeStream(WasmStreamType type) override {
    if (stream && (type == WasmStreamType::Request || type == WasmStreamType::Response))
      stream->reset = true;
    return WasmResult::Ok;
  }
  void failStream(WasmStreamType) override { // Envoy Context::failStream: a 503 local reply
    if (stream && !stream->local) {
      stream->local = true;
      stream->local_code = 503;
    }
  }
  WasmResult sendLocalResponse(uint32_t code, std::string_view body, Pairs headers,
                               GrpcStatusCode, std::string_view) override {
    if (stream) { // Envoy defers sendLocalReply to after the callback; only streams have one
      stream->local = true;
      stream->local_code = code;
      stream->local_body = std::string(body);
      stream->local_headers.clear();
      for (auto &p : headers)
        stream->local_headers.emplace_back(lower(p.first), std::string(p.second));
    }
    return WasmResult::Ok;
  }
  void clearRouteCache() override {} // Envoy: clears the route cache; nothing to clear here

  // ---- HTTP calls: Envoy Context::httpCall, answered from the scenario's upstreams after the
  // callback returns (Envoy answers from its event loop, never inside the call).
  WasmResult httpCall(std::string_view target, const Pairs &headers, std::string_view,
                      const Pairs &, int timeout_ms, uint32_t *token_ptr) override {
    if (timeout_ms < 0)
      return WasmResult::BadArgument;
    auto it = scenario.upstreams.find(std::string(target));
    if (it == scenario.upstreams.end()) // Envoy: no such cluster
      return WasmResult::BadArgument;
    bool path = false, method = false, authority = false;
    for (auto &p : headers) {
      auto k = lower(p.first);
      path |= k == ":path";
      method |= k == ":method";
      // Envoy's Host() is `:authority`; a plain `host` counts too unless strict.
      authority |= k == ":authority" || (!strict && k == "host");
    }
    if (!path || !method || !authority)
      return WasmResult::BadArgument;
    uint32_t token = wasm()->nextHttpCallId();
    HttpReply reply;
    if (it->second.empty()) {
      reply.fail = true; // the script ran out: the call fails
    } else {
      reply = it->second.front();
      it->second.pop_front();
    }
    AdapterContext *self = this; // exports.cc calls httpCall on the root context
    pending_calls.push_back([self, token, reply] {
      if (reply.fail) { // Envoy Context::onHttpCallFailure
        self->status_code = static_cast<uint32_t>(WasmResult::BrokenConnection);
        self->status_message = "reset";
        self->onHttpCallResponse(token, 0, 0, 0);
        self->status_message = "";
        return;
      }
      HttpCallResponse r{reply.headers,
                         reply.has_trailers ? std::optional<StrPairs>(reply.trailers) : std::nullopt,
                         reply.body};
      self->http_call_response = &r; // Envoy Context::onHttpCallSuccess
      self->onHttpCallResponse(token, r.headers.size(), r.body.size(),
                               r.trailers ? r.trailers->size() : 0);
      self->http_call_response = nullptr;
    });
    *token_ptr = token;
    return WasmResult::Ok;
  }

  // ---- gRPC: Envoy Context::grpcCall / grpcStream / grpcSend / grpcClose / grpcCancel and the
  // GrpcCallClientHandler / GrpcStreamClientHandler callbacks, answered from the scenario's
  // grpc_upstreams. A unary call that succeeds gets only proxy_on_grpc_receive (Envoy's
  // onSuccessRaw); one that fails only proxy_on_grpc_close (onFailure). A stream gets its initial
  // metadata when opened, the next scripted message for each message it sends, and the rest
  // (messages, trailing metadata, close) once the plugin half-closes it.
  struct OpenGrpc {
    bool stream = false;
    GrpcReply reply;
    bool local_closed = false, remote_closed = false;
  };
  std::map<uint32_t, OpenGrpc> grpc;           // root: open calls and streams by token
  const StrPairs *grpc_initial = nullptr;      // root: during the metadata callbacks
  const StrPairs *grpc_trailing = nullptr;
  const std::string *grpc_message = nullptr;   // root: during proxy_on_grpc_receive

  void grpcReceive(uint32_t token, std::string message) {
    grpc_message = &message; // Envoy Context::onGrpcReceiveWrapper
    onGrpcReceive(token, message.size());
    grpc_message = nullptr;
  }
  void grpcClosed(uint32_t token) { // Envoy Context::onGrpcCloseWrapper
    auto it = grpc.find(token);
    if (it == grpc.end())
      return;
    status_code = it->second.reply.status;
    status_message = it->second.reply.status_message;
    it->second.remote_closed = true;
    if (!it->second.stream || it->second.local_closed)
      grpc.erase(it);
    onGrpcClose(token, status_code);
    status_message = "";
  }
  // What the upstream still owes once the stream is half-closed.
  void grpcFinish(uint32_t token) {
    auto *self = this;
    pending_calls.push_back([self, token] {
      auto it = self->grpc.find(token);
      if (it == self->grpc.end() || it->second.remote_closed)
        return;
      auto messages = std::move(it->second.reply.messages);
      it->second.reply.messages.clear();
      for (auto &m : messages) {
        if (!self->grpc.count(token))
          return; // cancelled meanwhile
        self->grpcReceive(token, m);
      }
      it = self->grpc.find(token);
      if (it == self->grpc.end())
        return;
      if (!it->second.reply.trailing_metadata.empty()) {
        StrPairs t = it->second.reply.trailing_metadata;
        self->grpc_trailing = &t;
        self->onGrpcReceiveTrailingMetadata(token, t.size());
        self->grpc_trailing = nullptr;
      }
      self->grpcClosed(token);
    });
  }
  WasmResult grpcOpen(std::string_view service, bool stream, std::optional<std::string> request,
                      GrpcToken *token_ptr) {
    auto it = scenario.grpc_upstreams.find(std::string(service));
    if (it == scenario.grpc_upstreams.end()) // Envoy: not a GrpcService proto, not a cluster
      return WasmResult::ParseFailure;
    GrpcReply reply;
    if (it->second.empty()) { // the script ran out: UNAVAILABLE
      reply.status = 14;
      reply.status_message = "no scripted reply left";
    } else {
      reply = it->second.front();
      it->second.pop_front();
    }
    uint32_t token = stream ? wasm()->nextGrpcStreamId() : wasm()->nextGrpcCallId();
    grpc[token] = OpenGrpc{stream, reply};
    auto *self = this;
    if (!stream) {
      pending_calls.push_back([self, token] {
        auto it = self->grpc.find(token);
        if (it == self->grpc.end())
          return; // cancelled or closed by the plugin
        if (it->second.reply.status != 0) {
          self->grpcClosed(token);
          return;
        }
        std::string all;
        for (auto &m : it->second.reply.messages)
          all += m;
        self->grpc.erase(it);
        self->grpcReceive(token, all);
      });
    } else if (!reply.initial_metadata.empty()) {
      pending_calls.push_back([self, token] {
        auto it = self->grpc.find(token);
        if (it == self->grpc.end())
          return;
        StrPairs m = it->second.reply.initial_metadata;
        self->grpc_initial = &m;
        self->onGrpcReceiveInitialMetadata(token, m.size());
        self->grpc_initial = nullptr;
      });
    }
    *token_ptr = token;
    return WasmResult::Ok;
  }
  WasmResult grpcCall(std::string_view service, std::string_view, std::string_view, const Pairs &,
                      std::string_view request, std::chrono::milliseconds,
                      GrpcToken *token_ptr) override {
    return grpcOpen(service, false, std::string(request), token_ptr);
  }
  WasmResult grpcStream(std::string_view service, std::string_view, std::string_view,
                        const Pairs &, GrpcToken *token_ptr) override {
    return grpcOpen(service, true, std::nullopt, token_ptr);
  }
  WasmResult grpcSend(uint32_t token, std::string_view, bool end_stream) override {
    if (!wasm()->isGrpcStreamId(token))
      return WasmResult::BadArgument;
    auto it = grpc.find(token);
    if (it == grpc.end())
      return WasmResult::NotFound;
    auto &msgs = it->second.reply.messages;
    if (!it->second.remote_closed && !msgs.empty()) {
      std::string answer = msgs.front();
      msgs.erase(msgs.begin());
      auto *self = this;
      pending_calls.push_back([self, token, answer] {
        if (self->grpc.count(token) && !self->grpc[token].remote_closed)
          self->grpcReceive(token, answer);
      });
    }
    if (end_stream)
      grpcFinish(token);
    return WasmResult::Ok;
  }
  WasmResult grpcClose(uint32_t token) override {
    if (wasm()->isGrpcCallId(token)) {
      auto it = grpc.find(token);
      if (it == grpc.end())
        return WasmResult::NotFound;
      grpc.erase(it); // cancelled: no callback
      return WasmResult::Ok;
    }
    if (wasm()->isGrpcStreamId(token)) {
      auto it = grpc.find(token);
      if (it == grpc.end())
        return WasmResult::NotFound;
      if (it->second.remote_closed) {
        grpc.erase(it);
      } else {
        it->second.local_closed = true;
        grpcFinish(token); // half-close: the upstream sends the rest and closes
      }
      return WasmResult::Ok;
    }
    return WasmResult::BadArgument;
  }
  WasmResult grpcCancel(uint32_t token) override {
    if (wasm()->isGrpcCallId(token) || wasm()->isGrpcStreamId(token)) {
      auto it = grpc.find(token);
      if (it == grpc.end())
        return WasmResult::NotFound;
      grpc.erase(it); // cancel / resetStream: no further callbacks
      return WasmResult::Ok;
    }
    return WasmResult::BadArgument;
  }

  // ---- Metrics: Envoy Context::defineMetric / incrementMetric / recordMetric / getMetric, with
  // ids carrying the type in their low bits and one stat per name.
  struct Metrics {
    std::map<uint32_t, std::string> names;
    std::map<std::pair<uint32_t, std::string>, uint64_t> values;
  };
  static Metrics &metrics() {
    static Metrics m;
    return m;
  }
  WasmResult defineMetric(uint32_t type, std::string_view name, uint32_t *id) override {
    if (type > static_cast<uint32_t>(MetricType::Max))
      return WasmResult::BadArgument;
    auto t = static_cast<MetricType>(type);
    uint32_t i = t == MetricType::Counter ? wasm()->nextCounterMetricId()
                 : t == MetricType::Gauge ? wasm()->nextGaugeMetricId()
                                          : wasm()->nextHistogramMetricId();
    metrics().names[i] = std::string(name);
    metrics().values.emplace(std::make_pair(type, std::string(name)), 0);
    *id = i;
    return WasmResult::Ok;
  }
  uint64_t *metric(uint32_t id) {
    auto it = metrics().names.find(id);
    if (it == metrics().names.end())
      return nullptr;
    return &metrics().values[{id & WasmBase::kMetricTypeMask, it->second}];
  }
  WasmResult incrementMetric(uint32_t id, int64_t offset) override {
    if (wasm()->isCounterMetricId(id)) {
      auto *v = metric(id);
      if (!v)
        return WasmResult::NotFound;
      if (offset <= 0)
        return WasmResult::BadArgument;
      *v += offset;
      return WasmResult::Ok;
    }
    if (wasm()->isGaugeMetricId(id)) {
      auto *v = metric(id);
      if (!v)
        return WasmResult::NotFound;
      *v += static_cast<uint64_t>(offset); // add, or sub(-offset): the same bits
      return WasmResult::Ok;
    }
    return WasmResult::BadArgument;
  }
  WasmResult recordMetric(uint32_t id, uint64_t value) override {
    auto *v = metric(id);
    if (!v)
      return WasmResult::NotFound;
    if (wasm()->isCounterMetricId(id))
      *v += value;
    else if (wasm()->isGaugeMetricId(id))
      *v = value;
    // histograms record a sample; nothing to read back (getMetric refuses them)
    return WasmResult::Ok;
  }
  WasmResult getMetric(uint32_t id, uint64_t *result) override {
    if (wasm()->isCounterMetricId(id) || wasm()->isGaugeMetricId(id)) {
      auto *v = metric(id);
      if (!v)
        return WasmResult::NotFound;
      *result = *v;
      return WasmResult::Ok;
    }
    return WasmResult::BadArgument;
  }

  // ---- Properties: Envoy Context::getProperty over the scenario's values, the plugin_* tokens,
  // the request/response attributes of a stream, and filter state set by the stream.
  static std::string dotted(std::string_view path, std::vector<std::string> *parts) {
    std::string out;
    size_t start = 0;
    while (start < path.size()) { // Envoy splits on 0x00; a trailing 0x00 ends the path
      size_t end = path.find('\0', start);
      if (end == std::string_view::npos)
        end = path.size();
      parts->emplace_back(path.substr(start, end - start));
      out += (out.empty() ? "" : ".") + parts->back();
      start = end + 1;
    }
    return out;
  }
  static std::string le64(int64_t v) { return std::string(reinterpret_cast<char *>(&v), 8); }
  std::optional<std::string> header(const std::optional<StrPairs> &m, const char *k) {
    if (m)
      for (auto &p : *m)
        if (p.first == k)
          return p.second;
    return std::nullopt;
  }
  WasmResult getProperty(std::string_view path, std::string *result) override {
    std::vector<std::string> parts;
    auto key = dotted(path, &parts);
    if (auto it = scenario.properties.find(key); it != scenario.properties.end()) {
      *result = it->second;
      return WasmResult::Ok;
    }
    std::optional<std::string> v;
    if (key == "plugin_name" && plugin_)
      v = plugin_->name_;
    else if (key == "plugin_root_id")
      v = std::string(root_id());
    else if (key == "plugin_vm_id")
      v = std::string(wasm()->vm_id());
    else if (stream) {
      auto &s = *stream;
      // Envoy's CEL activation sees the maps its context holds at the time.
      std::optional<StrPairs> none;
      auto live = [&](const std::optional<StrPairs> &m, WasmHeaderMapType t)
          -> const std::optional<StrPairs> & { return !strict || envoyLive(t, false) ? m : none; };
      const auto &req_headers = live(s.req_headers, WasmHeaderMapType::RequestHeaders);
      const auto &resp_headers = live(s.resp_headers, WasmHeaderMapType::ResponseHeaders);
      const auto &resp_trailers = live(s.resp_trailers, WasmHeaderMapType::ResponseTrailers);
      if (key == "request.path")
        v = header(req_headers, ":path");
      else if (key == "request.url_path") {
        v = header(req_headers, ":path");
        if (v)
          v = v->substr(0, v->find('?'));
      } else if (key == "request.host")
        v = header(req_headers, ":authority");
      else if (key == "request.scheme")
        v = header(req_headers, ":scheme");
      else if (key == "request.method")
        v = header(req_headers, ":method");
      else if (key == "request.protocol")
        v = "HTTP/1.1";
      else if (key == "request.headers" || key == "response.headers" ||
               key == "response.trailers") {
        auto &m = key == "request.headers"    ? req_headers
                  : key == "response.headers" ? resp_headers
                                              : resp_trailers;
        if (m) { // Envoy serializeValue: a map in the pairs format
          Pairs p;
          for (auto &e : *m)
            p.emplace_back(e.first, e.second);
          std::string out(PairsUtil::pairsSize(p), '\0');
          PairsUtil::marshalPairs(p, out.data(), out.size());
          v = out;
        }
      } else if (key == "response.code") {
        if (auto c = header(resp_headers, ":status"))
          v = le64(strtoll(c->c_str(), nullptr, 10));
      } else if (parts.size() == 1) { // Envoy findValue: filter state "wasm.<top identifier>"
        if (auto it = s.filter_state.find(parts[0]); it != s.filter_state.end())
          v = it->second;
      }
    }
    if (!v)
      return WasmResult::NotFound;
    *result = *v;
    return WasmResult::Ok;
  }
  // Envoy Context::setProperty: filter state of the stream; without a stream (root context)
  // there is no stream info and the answer is NotFound.
  WasmResult setProperty(std::string_view path, std::string_view value) override {
    if (!stream)
      return WasmResult::NotFound;
    std::vector<std::string> parts;
    auto key = dotted(path, &parts);
    stream->filter_state[key] = std::string(value);
    return WasmResult::Ok;
  }

private:
  AdapterBuffer buffer_;
};

// The WasmVm integration: records why cpp-host failed the VM and reports traps.
struct Integration : public WasmVmIntegration {
  WasmVmIntegration *clone() override { return new Integration(); }
  LogLevel getLogLevel() override { return LogLevel::info; } // no per-call trace lines
  void error(std::string_view message) override { std::cerr << "cpp-host: " << message << "\n"; }
  void error(FailState state, std::string_view message) override {
    if (!first_failure)
      first_failure = state;
    if (state == FailState::RuntimeError)
      emit(std::string("{\"event\":\"trap\",\"message\":") + jstr(message) + "}");
    error(message);
  }
  void trace(std::string_view) override {}
  bool getNullVmFunction(std::string_view, bool, int, NullPlugin *, void *) override {
    return false;
  }
};

class AdapterWasm : public WasmBase {
public:
  using WasmBase::WasmBase;
  ContextBase *createVmContext() override { return new AdapterContext(this); }
  ContextBase *createRootContext(const std::shared_ptr<PluginBase> &plugin) override {
    return new AdapterContext(this, plugin);
  }
  ContextBase *createContext(const std::shared_ptr<PluginBase> &plugin) override {
    return new AdapterContext(this, plugin);
  }
  // Envoy Wasm::setTickPeriod arms a timer per root context; here ticks are scenario events.
  void setTimerPeriod(uint32_t root_context_id, std::chrono::milliseconds period) override {
    WasmBase::setTimerPeriod(root_context_id, period);
    tick_period[root_context_id] = period;
  }
  // Envoy posts to the worker's dispatcher; here to a queue run between callbacks.
  CallOnThreadFunction callOnThreadFunction() override {
    return [](std::function<void()> f) { posted.push_back(std::move(f)); };
  }
};

// Runs what callbacks left owed (queue-ready notices, HTTP call answers) until nothing is.
void settle() {
  for (int n = 0; n < 10000 && (!posted.empty() || !pending_calls.empty()); n++) {
    auto &q = !posted.empty() ? posted : pending_calls;
    auto f = std::move(q.front());
    q.pop_front();
    f();
  }
}

void loadScenario(const J &s) {
  scenario.vm_configuration = s.str("vm_configuration");
  scenario.plugin_configuration = s.str("plugin_configuration");
  if (auto *p = s.get("properties"))
    for (auto &e : p->o)
      scenario.properties[e.first] = e.second.s;
  if (auto *l = s.get("log_level"); l && l->t == J::Str)
    for (uint32_t i = 0; i < 6; i++)
      if (l->s == kLevels[i])
        scenario.log_level = i;
  if (auto *e = s.get("environment"))
    for (auto &kv : e->a) {
      auto eq = kv.s.find('=');
      scenario.envs[kv.s.substr(0, eq)] = eq == std::string::npos ? "" : kv.s.substr(eq + 1);
    }
  if (auto *u = s.get("upstreams"))
    for (auto &e : u->o)
      for (auto &r : e.second.a) {
        HttpReply reply;
        if (auto *f = r.get("fail"))
          reply.fail = f->b;
        reply.headers = pairsOf(r.get("headers"));
        reply.body = r.str("body");
        reply.trailers = pairsOf(r.get("trailers"));
        reply.has_trailers = !reply.trailers.empty();
        scenario.upstreams[e.first].push_back(reply);
      }
  if (auto *g = s.get("grpc_upstreams"))
    for (auto &e : g->o) {
      auto &replies = scenario.grpc_upstreams[e.first];
      for (auto &r : e.second.a) {
        GrpcReply reply;
        reply.initial_metadata = pairsOf(r.get("initial_metadata"));
        reply.trailing_metadata = pairsOf(r.get("trailing_metadata"));
        if (auto *m = r.get("messages"))
          for (auto &x : m->a)
            reply.messages.push_back(x.s);
        if (auto *st = r.get("status"))
          reply.status = static_cast<uint32_t>(strtol(st->s.c_str(), nullptr, 10));
        reply.status_message = r.str("status_message");
        replies.push_back(reply);
      }
    }
  if (auto *f = s.get("foreign_functions"))
    for (auto &e : f->o)
      scenario.foreign_functions[e.first] = e.second.s;
  scenario.events = s.get("events");
}

std::string readFile(const char *path) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    throw std::runtime_error(std::string("cannot read ") + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// ---------------------------------------------------------------------------------------------
// Driving the scenario.

struct Driver {
  std::shared_ptr<WasmHandleBase> wasm_handle;
  std::shared_ptr<PluginHandleBase> plugin_handle;
  AdapterContext *root = nullptr;
  uint64_t next_tick_ns = 0;
  uint64_t period_ms = 0;

  void syncTimer() {
    auto it = tick_period.find(root->id());
    uint64_t p = it == tick_period.end() ? 0 : it->second.count();
    if (p != period_ms) {
      period_ms = p;
      next_tick_ns = virtual_ns + p * 1000000;
    }
  }
  void advance(uint64_t ms) {
    uint64_t target = virtual_ns + ms * 1000000;
    syncTimer();
    while (period_ms > 0 && next_tick_ns <= target) {
      virtual_ns = next_tick_ns;
      next_tick_ns += period_ms * 1000000;
      root->onTick(0); // Envoy Wasm::tickHandler
      settle();
      syncTimer();
    }
    virtual_ns = target;
  }

  // Whether the stream goes on after a callback answered `cont`.
  bool flows(AdapterContext *c, bool cont) {
    auto &s = *c->stream;
    if (s.local || s.reset)
      return false;
    return cont || s.resumed;
  }

  // One direction (request or response): headers, body chunks, trailers.
  bool direction(AdapterContext *c, const J *msg, bool request) {
    std::vector<std::string> body;
    if (auto *b = msg ? msg->get("body") : nullptr)
      for (auto &chunk : b->a)
        body.push_back(chunk.s);
    return direction(c, pairsOf(msg ? msg->get("headers") : nullptr), body,
                     pairsOf(msg ? msg->get("trailers") : nullptr), request);
  }
  bool direction(AdapterContext *c, StrPairs headers, std::vector<std::string> body,
                 StrPairs trailers, bool request) {
    auto &s = *c->stream;
    bool eos = body.empty() && trailers.empty();
    s.phase = request ? Stream::ReqHeaders : Stream::RespHeaders;
    s.resumed = false;
    s.end_of_stream = eos;
    if (!request)
      s.resp_headers = headers;
    bool cont = (request ? c->onRequestHeaders(headers.size(), eos)
                         : c->onResponseHeaders(headers.size(), eos)) ==
                FilterHeadersStatus::Continue;
    settle();
    if (!flows(c, cont))
      return false;
    std::string buffered, forwarded;
    for (size_t i = 0; i < body.size(); i++) {
      bool last = i + 1 == body.size() && trailers.empty();
      s.phase = request ? Stream::ReqBody : Stream::RespBody;
      s.resumed = false;
      s.end_of_stream = last;
      s.body = buffered + body[i];
      buffered.clear();
      bool cont = (request ? c->onRequestBody(s.body.size(), last)
                           : c->onResponseBody(s.body.size(), last)) ==
                  FilterDataStatus::Continue;
      settle();
      if (s.local || s.reset)
        return false;
      if (cont || s.resumed)
        forwarded += s.body;
      else if (!last)
        buffered = s.body; // Envoy buffers a paused body and offers it again with more
      else
        return false;
    }
    if (!trailers.empty()) {
      s.phase = request ? Stream::ReqTrailers : Stream::RespTrailers;
      s.resumed = false;
      s.end_of_stream = true;
      (request ? s.req_trailers : s.resp_trailers) = trailers;
      bool cont = (request ? c->onRequestTrailers(trailers.size())
                           : c->onResponseTrailers(trailers.size())) ==
                  FilterTrailersStatus::Continue;
      settle();
      if (!flows(c, cont))
        return false;
    }
    auto &h = request ? s.req_headers : s.resp_headers;
    auto &t = request ? s.req_trailers : s.resp_trailers;
    emit(std::string("{\"event\":\"") + (request ? "upstream_request" : "http_response") +
         "\",\"context\":" + std::to_string(c->id()) +
         (request ? "" : ",\"status\":" + header(h, ":status")) +
         ",\"headers\":" + jpairs(h ? *h : StrPairs{}) + ",\"body\":" + jstr(forwarded) +
         ",\"trailers\":" + jpairs(t ? *t : StrPairs{}) + "}");
    return true;
  }
  static std::string header(const std::optional<StrPairs> &h, const char *k) {
    if (h)
      for (auto &p : *h)
        if (p.first == k && !p.second.empty() &&
            p.second.find_first_not_of("0123456789") == std::string::npos)
          return p.second;
    return "0";
  }

  void http(const J &ev) {
    auto *c = new AdapterContext(plugin_handle->wasm().get(), root->id(), plugin_handle);
    c->stream = std::make_unique<Stream>();
    auto *req = ev.get("request");
    c->stream->req_headers = pairsOf(req ? req->get("headers") : nullptr);
    c->onCreate(); // Envoy Context::decodeHeaders
    settle();
    auto &s = *c->stream;
    if (direction(c, req, true)) {
      direction(c, ev.get("response"), false);
    } else if (strict && s.local && s.phase <= Stream::ReqTrailers) {
      // Envoy's sendLocalReply runs through the filter's own encodeHeaders/encodeData.
      StrPairs h = {{":status", std::to_string(s.local_code)}};
      if (!s.local_body.empty()) {
        h.emplace_back("content-length", std::to_string(s.local_body.size()));
        h.emplace_back("content-type", "text/plain");
      }
      for (auto &p : s.local_headers)
        h.push_back(p);
      std::vector<std::string> b;
      if (!s.local_body.empty())
        b.push_back(s.local_body);
      s.local = false;
      direction(c, h, b, {}, false);
    }
    if (s.local)
      emit("{\"event\":\"http_response\",\"context\":" + std::to_string(c->id()) +
           ",\"status\":" + std::to_string(s.local_code) + ",\"headers\":" +
           jpairs(s.local_headers) + ",\"body\":" + jstr(s.local_body) + "}");
    // The end of an HTTP stream. cpp-host has no order of its own (onDone, onLog and onDelete
    // are separate entry points); the spec's is proxy_on_done, proxy_on_log, proxy_on_delete.
    // PWTCK_END_ORDER=envoy gives Envoy's (Context::log before Context::onDestroy,
    // envoyproxy/envoy#12850): proxy_on_log, proxy_on_done (result ignored), proxy_on_delete.
    const char *order = getenv("PWTCK_END_ORDER");
    bool envoy_order = strict || (order && std::string(order) == "envoy");
    auto log = [&] {
      s.phase = Stream::Log;
      c->access_log_phase = true;
      c->onLog();
      c->access_log_phase = false;
      settle();
    };
    if (envoy_order)
      log();
    s.phase = Stream::Done;
    c->onDone(); // the result is ignored, as Envoy's Context::onDestroy does
    settle();
    if (!envoy_order)
      log();
    s.phase = Stream::Done;
    c->onDelete();
    settle();
    delete c;
  }

  void enqueue(const J &ev) {
    auto name = ev.str("queue");
    uint32_t token = resolveQueueForTest(plugin_handle->wasm()->vm_id(), name);
    if (token == 0) {
      emit("{\"event\":\"error\",\"message\":" +
           jstr("the scenario enqueues on `" + name + "`, which the plugin has not registered") +
           "}");
      return;
    }
    root->enqueueSharedQueue(token, ev.str("data")); // another producer of the same VM id
    settle();
  }

  void foreignFunction(const J &ev) {
    auto data = ev.str("data");
    root->foreign_args = data;
    root->onForeignFunction(ev.get("id") ? ev.get("id")->num() : 0, data.size());
    settle();
    root->foreign_args.clear();
  }
};

int info() {
  emit(std::string("{\"protocol\":1,\"name\":\"proxy-wasm-cpp-host\",\"version\":") +
       jstr(ADAPTER_HOST_VERSION) +
       ",\"abi_versions\":[\"0.1.0\",\"0.2.0\",\"0.2.1\"],\"capabilities\":[\"http\",\"http_events\",\"ticks\","
       "\"http_calls\",\"shared_data\",\"shared_queues\",\"metrics\",\"properties\","
       "\"foreign_functions\",\"grpc\",\"refusal\"],\"serve\":false}");
  return 0;
}

int refused(const std::string &why) {
  emit("{\"event\":\"refused\",\"message\":" + jstr(why) + "}");
  return 3;
}

int run(const char *module_path, const char *scenario_path) {
  std::string code = readFile(module_path);
  std::string text = readFile(scenario_path);
  JParser parser{text};
  J s = parser.value();
  loadScenario(s);
  for (auto &f : scenario.foreign_functions) { // cpp-host's registry of foreign functions
    std::string result = f.second;
    RegisterForeignFunction(f.first, [result](WasmBase &, std::string_view,
                                              std::function<void *(size_t)> alloc) {
      void *p = alloc(result.size());
      if (p == nullptr && !result.empty()) // the plugin's allocator failed; cpp-host does not
        return WasmResult::InvalidMemoryAccess; // check, each foreign function must
      if (!result.empty())
        memcpy(p, result.data(), result.size());
      return WasmResult::Ok;
    });
  }

  const std::string vm_id, root_id;
  auto vm = createWamrVm();
  vm->integration() = std::make_unique<Integration>();
  auto vm_key = makeVmKey(vm_id, scenario.vm_configuration, code);
  auto base = std::make_shared<AdapterWasm>(std::move(vm), vm_id, scenario.vm_configuration,
                                            vm_key, scenario.envs, AllowedCapabilitiesMap{});
  // The base VM is only loaded (ABI version, module compiled); Envoy then initializes clones.
  if (!base->load(code, false))
    return refused("cpp-host refused the module at load (WasmBase::load)");
  auto base_handle = std::make_shared<WasmHandleBase>(base);
  auto plugin = std::make_shared<PluginBase>("pwtck-plugin", root_id, vm_id, "wamr",
                                             scenario.plugin_configuration, false, "");
  auto clone_factory = [](std::shared_ptr<WasmHandleBase> b) -> std::shared_ptr<WasmHandleBase> {
    return std::make_shared<WasmHandleBase>(
        std::make_shared<AdapterWasm>(b, []() { return createWamrVm(); }));
  };
  auto plugin_factory = [](std::shared_ptr<WasmHandleBase> w, std::shared_ptr<PluginBase> p) {
    return std::make_shared<PluginHandleBase>(w, p);
  };
  Driver d;
  // Clone, link, start functions, proxy_on_context_create + proxy_on_vm_start, proxy_on_configure.
  d.plugin_handle = getOrCreateThreadLocalPlugin(base_handle, plugin, clone_factory, plugin_factory);
  d.wasm_handle = getThreadLocalWasm(vm_key);
  settle();
  if (!d.plugin_handle) {
    // Failing to link or initialize (a missing import, a failed instantiation, no allocator, a
    // callback with the wrong signature) is a refusal; a trap or a `false` from the plugin is not.
    // getThreadLocalWasm finds the clone only if WasmBase::initialize succeeded.
    if (!getThreadLocalWasm(vm_key) && first_failure != FailState::RuntimeError)
      return refused("cpp-host refused the module (link or initialization failed)");
    std::cerr << "the plugin did not start or configure; no events are driven\n";
    return 0;
  }
  d.root = static_cast<AdapterContext *>(
      d.plugin_handle->wasm()->getRootContext(plugin, /*allow_closed=*/false));
  if (scenario.events)
    for (auto &ev : scenario.events->a) {
      if (!ev.o.empty() && ev.o[0].first == "http")
        d.http(ev.o[0].second);
      else if (!ev.o.empty() && ev.o[0].first == "tick")
        d.advance(ev.o[0].second.num());
      else if (!ev.o.empty() && ev.o[0].first == "enqueue")
        d.enqueue(ev.o[0].second);
      else if (!ev.o.empty() && ev.o[0].first == "foreign_function")
        d.foreignFunction(ev.o[0].second);
      else
        std::cerr << "event not driven by this adapter: " << (ev.o.empty() ? "?" : ev.o[0].first)
                  << "\n";
    }
  // Shutdown as Envoy's handles do it: the plugin handle's end starts the root's shutdown
  // (proxy_on_done, then proxy_on_delete if it returned true).
  d.plugin_handle.reset();
  pending_calls.clear(); // Envoy's Context destructor cancels outstanding calls
  settle();
  d.wasm_handle.reset();
  settle();
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string cmd = argc > 1 ? argv[1] : "";
  try {
    if (cmd == "info")
      return info();
    if (cmd == "run" && argc == 4)
      return run(argv[2], argv[3]);
  } catch (const std::exception &e) {
    std::cerr << "adapter: " << e.what() << "\n";
    return 2;
  }
  std::cerr << "usage: " << argv[0] << " info | run MODULE.wasm SCENARIO.json\n";
  return 2;
}
