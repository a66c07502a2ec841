/*
 * A plugin in C for ABI 0.2.1 built against wasi-libc, as the C++ SDK builds plugins: stdio,
 * malloc and time from libc, so the module imports WASI functions beyond the spec's (fd_seek,
 * fd_close, fd_fdstat_get). It prints a line per request to stdout and to stderr, stamps the
 * request with the number of requests seen and how long the plugin has run, and hands the host
 * libc's malloc as its allocator. Built with `clang --target=wasm32-wasi -mexec-model=reactor`.
 */
#define PROXY_WASM_ABI_0_2_1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proxy_wasm_abi.h"

PROXY_WASM_DEFINE_ABI_MARKER()

uint8_t* proxy_on_memory_allocate(proxy_size_t size) { return malloc(size); }

static unsigned requests = 0;
static struct timespec started;

uint32_t proxy_on_vm_start(proxy_context_id_t root, proxy_size_t vm_configuration_size) {
  (void)root;
  (void)vm_configuration_size;
  clock_gettime(CLOCK_MONOTONIC, &started);
  printf("greet: started\n");
  fflush(stdout);
  return 1;
}

void proxy_on_context_create(proxy_context_id_t context, proxy_context_id_t parent) {
  (void)context;
  (void)parent;
}

proxy_action_t proxy_on_request_headers(proxy_context_id_t context, uint32_t headers,
                                        uint32_t end_of_stream) {
  (void)headers;
  (void)end_of_stream;
  requests++;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  long ms = (now.tv_sec - started.tv_sec) * 1000 + (now.tv_nsec - started.tv_nsec) / 1000000;
  char value[64];
  int n = snprintf(value, sizeof value, "%u after %ld ms", requests, ms);
  proxy_add_header_map_value(PROXY_MAP_TYPE_HTTP_REQUEST_HEADERS, (const uint8_t*)"x-greet", 7,
                             (const uint8_t*)value, (proxy_size_t)n);
  printf("greet: request %u on context %u\n", requests, (unsigned)context);
  fprintf(stderr, "greet: %s\n", value);
  fflush(stdout);
  return PROXY_ACTION_CONTINUE;
}
