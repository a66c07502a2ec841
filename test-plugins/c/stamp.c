/*
 * A plugin in C for ABI 0.2.0 (which no Rust SDK release targets): stamps requests with the
 * plugin configuration in `x-stamp`, answers 401 itself for paths under /private, renames the
 * response's `server`, appends a line to the response body and counts requests in a metric.
 * Built with `clang --target=wasm32 -nostdlib`: no libc, so it brings its own allocator. The
 * header exports every callback defined here under its own name.
 */
#define PROXY_WASM_ABI_0_2_0
#include "proxy_wasm_abi.h"

PROXY_WASM_DEFINE_ABI_MARKER()

/* A bump allocator over the memory past the data and stack, growing the memory as needed;
 * nothing is freed, which a short-lived test plugin can afford. */
extern unsigned char __heap_base;
static uintptr_t heap_top = 0;

uint8_t* proxy_on_memory_allocate(proxy_size_t size) {
  if (heap_top == 0) heap_top = (uintptr_t)&__heap_base;
  uintptr_t start = (heap_top + 7) & ~(uintptr_t)7;
  uintptr_t end = start + size;
  uintptr_t have = __builtin_wasm_memory_size(0) * 65536;
  if (end > have) {
    uintptr_t pages = (end - have + 65535) / 65536;
    if (__builtin_wasm_memory_grow(0, pages) == (uintptr_t)-1) return 0;
  }
  heap_top = end;
  return (uint8_t*)start;
}

static proxy_size_t length(const char* s) {
  proxy_size_t n = 0;
  while (s[n]) n++;
  return n;
}

static void copy(uint8_t* to, const uint8_t* from, proxy_size_t n) {
  for (proxy_size_t i = 0; i < n; i++) to[i] = from[i];
}

/* Logs the parts in order as one message. */
static void info(const char* a, const uint8_t* b, proxy_size_t b_size) {
  proxy_size_t a_size = length(a);
  uint8_t* line = proxy_on_memory_allocate(a_size + b_size);
  if (!line) return;
  copy(line, (const uint8_t*)a, a_size);
  copy(line + a_size, b, b_size);
  proxy_log(PROXY_LOG_LEVEL_INFO, line, a_size + b_size);
}

static void put_u32(uint8_t* at, uint32_t v) {
  for (int i = 0; i < 4; i++) at[i] = (uint8_t)(v >> (8 * i));
}

/* One header in the map format: count, the two sizes, then both strings NUL-ended. */
static proxy_size_t one_header(uint8_t* out, const char* key, const char* value) {
  proxy_size_t k = length(key), v = length(value);
  put_u32(out, 1);
  put_u32(out + 4, k);
  put_u32(out + 8, v);
  copy(out + 12, (const uint8_t*)key, k + 1);
  copy(out + 13 + k, (const uint8_t*)value, v + 1);
  return 14 + k + v;
}

static uint8_t* stamp = 0;
static proxy_size_t stamp_size = 0;
static proxy_metric_id_t requests = 0;

uint32_t proxy_on_vm_start(proxy_context_id_t unused, proxy_size_t vm_configuration_size) {
  (void)unused;
  (void)vm_configuration_size;
  return 1;
}

uint32_t proxy_on_configure(proxy_context_id_t root, proxy_size_t size) {
  (void)root;
  if (proxy_get_buffer_bytes(PROXY_BUFFER_TYPE_PLUGIN_CONFIGURATION, 0, size, &stamp, &stamp_size)
      != PROXY_STATUS_OK) {
    return 0;
  }
  info("stamp: ", stamp, stamp_size);
  const char* name = "c.requests";
  return proxy_define_metric(PROXY_METRIC_TYPE_COUNTER, (const uint8_t*)name, length(name),
                             &requests) == PROXY_STATUS_OK;
}

void proxy_on_context_create(proxy_context_id_t context, proxy_context_id_t parent) {
  (void)context;
  (void)parent;
}

proxy_action_t proxy_on_request_headers(proxy_context_id_t context, uint32_t headers,
                                        uint32_t end_of_stream) {
  (void)context;
  (void)headers;
  (void)end_of_stream;
  proxy_increment_metric(requests, 1);
  uint8_t* path = 0;
  proxy_size_t path_size = 0;
  if (proxy_get_header_map_value(PROXY_MAP_TYPE_HTTP_REQUEST_HEADERS, (const uint8_t*)":path", 5,
                                 &path, &path_size) != PROXY_STATUS_OK) {
    path_size = 0;
  }
  info("path ", path, path_size);
  const char* private_prefix = "/private";
  proxy_size_t n = length(private_prefix);
  int is_private = path_size >= n;
  for (proxy_size_t i = 0; is_private && i < n; i++) is_private = path[i] == private_prefix[i];
  if (is_private) {
    uint8_t map[64];
    proxy_size_t map_size = one_header(map, "www-authenticate", "Basic");
    const char* body = "private\n";
    proxy_send_local_response(401, 0, 0, (const uint8_t*)body, length(body), map, map_size, -1);
    return PROXY_ACTION_PAUSE;
  }
  proxy_add_header_map_value(PROXY_MAP_TYPE_HTTP_REQUEST_HEADERS, (const uint8_t*)"x-stamp", 7,
                             stamp, stamp_size);
  return PROXY_ACTION_CONTINUE;
}

proxy_action_t proxy_on_response_headers(proxy_context_id_t context, uint32_t headers,
                                         uint32_t end_of_stream) {
  (void)context;
  (void)headers;
  (void)end_of_stream;
  const char* name = "c-plugin";
  proxy_replace_header_map_value(PROXY_MAP_TYPE_HTTP_RESPONSE_HEADERS, (const uint8_t*)"server", 6,
                                 (const uint8_t*)name, length(name));
  return PROXY_ACTION_CONTINUE;
}

proxy_action_t proxy_on_response_body(proxy_context_id_t context, proxy_size_t size,
                                      uint32_t end_of_stream) {
  (void)context;
  if (end_of_stream) {
    /* Inserting at the end: a range of size 0 there. */
    const char* tail = "\n-- stamped by C";
    proxy_set_buffer_bytes(PROXY_BUFFER_TYPE_HTTP_RESPONSE_BODY, size, 0, (const uint8_t*)tail,
                           length(tail));
  }
  return PROXY_ACTION_CONTINUE;
}

uint32_t proxy_on_done(proxy_context_id_t context) {
  (void)context;
  return 1;
}

void proxy_on_log(proxy_context_id_t context) {
  (void)context;
  uint64_t count = 0;
  if (proxy_get_metric(requests, &count) != PROXY_STATUS_OK) return;
  uint8_t digits[20];
  proxy_size_t n = 0;
  do {
    digits[19 - n++] = (uint8_t)('0' + count % 10);
    count /= 10;
  } while (count && n < 20);
  info("requests so far: ", digits + 20 - n, n);
}

void proxy_on_delete(proxy_context_id_t context) {
  (void)context;
}
