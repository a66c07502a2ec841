// A plugin written with the AssemblyScript SDK (@solo-io/proxy-runtime) for ABI 0.2.0: its root
// context, registered under the root id "tag", keeps the plugin configuration; each request gets
// it as `x-tag`, a request for /deny is answered 403 by the plugin, and each response is logged.
// Built by asc with `--use abort=abort_proc_exit`, so it imports wasi_unstable.proc_exit.
export * from "@solo-io/proxy-runtime/proxy";
import {
  Context, FilterHeadersStatusValues, LogLevelValues, RootContext, log, registerRootContext,
  send_local_response, stream_context,
} from "@solo-io/proxy-runtime";

class TagRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new Tag(context_id, this);
  }
}

class Tag extends Context {
  constructor(context_id: u32, root: TagRoot) {
    super(context_id, root);
  }

  onRequestHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    if (stream_context.headers.request.get(":path") == "/deny") {
      send_local_response(403, "denied by tag", String.UTF8.encode("no\n"), [], -1);
      return FilterHeadersStatusValues.StopIteration;
    }
    stream_context.headers.request.add("x-tag", this.root_context.getConfiguration());
    return FilterHeadersStatusValues.Continue;
  }

  onResponseHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    log(LogLevelValues.info, "response " + stream_context.headers.response.get(":status"));
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((context_id: u32) => { return new TagRoot(context_id); }, "tag");
