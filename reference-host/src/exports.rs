//! The plugin's callbacks behind one interface, whatever version it was built for: the
//! generated `Callbacks` of that version, with enums turned into numbers the driver compares.

use crate::load::AbiVersion;
use crate::state::HostState;
use proxy_wasm_host_abi::v0_2_1::{GrpcStatus, PeerType};
use proxy_wasm_host_abi::{CallError, v0_1_0, v0_2_0, v0_2_1};
use wasmtime::{Instance, Store};

/// `proxy_on_*` results of type action.
pub const CONTINUE: u32 = 0;

/// A loaded plugin's callbacks.
pub enum Exports {
    /// Built for 0.1.0.
    V0_1_0(v0_1_0::Callbacks),
    /// Built for 0.2.0.
    V0_2_0(v0_2_0::Callbacks),
    /// Built for 0.2.1.
    V0_2_1(v0_2_1::Callbacks),
}

type Store_ = Store<HostState>;
type Called<T> = Result<Option<T>, CallError>;

/// Runs the same expression on whichever version's callbacks the plugin has.
macro_rules! each {
    ($exports:expr, $c:ident => $e:expr) => {
        match $exports {
            Exports::V0_1_0($c) => $e,
            Exports::V0_2_0($c) => $e,
            Exports::V0_2_1($c) => $e,
        }
    };
}

/// Callbacks returning an action, with the same parameters in every version.
macro_rules! action {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            /// Calls the callback of that name; the action as a number.
            pub fn $method(&self, store: &mut Store_ $(, $arg: $ty)*) -> Called<u32> {
                each!(self, c => c.$method(store $(, $arg)*).map(|a| a.map(u32::from)))
            }
        )*
    };
}

/// Callbacks with the same parameters and result in every version.
macro_rules! plain {
    ($($method:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        $(
            /// Calls the callback of that name.
            pub fn $method(&self, store: &mut Store_ $(, $arg: $ty)*) -> Called<$ret> {
                each!(self, c => c.$method(store $(, $arg)*))
            }
        )*
    };
}

/// The header callbacks: 0.1.0 has no `end_of_stream` parameter (spec v0.1.0
/// `proxy_on_request_headers` lines 911-913 against spec v0.2.0 lines 936-939).
macro_rules! headers {
    ($($method:ident;)*) => {
        $(
            /// Calls the callback of that name; `eos` is dropped for 0.1.0 plugins.
            pub fn $method(&self, store: &mut Store_, id: u32, n: u32, eos: bool) -> Called<u32> {
                match self {
                    Exports::V0_1_0(c) => c.$method(store, id, n).map(|a| a.map(u32::from)),
                    Exports::V0_2_0(c) => c.$method(store, id, n, eos).map(|a| a.map(u32::from)),
                    Exports::V0_2_1(c) => c.$method(store, id, n, eos).map(|a| a.map(u32::from)),
                }
            }
        )*
    };
}

impl Exports {
    /// Looks up the callbacks of `version` in `instance`.
    pub fn new(
        version: AbiVersion,
        store: &mut Store_,
        instance: &Instance,
    ) -> Result<Self, CallError> {
        Ok(match version {
            AbiVersion::V0_1_0 => Exports::V0_1_0(v0_1_0::Callbacks::new(store, instance)?),
            AbiVersion::V0_2_0 => Exports::V0_2_0(v0_2_0::Callbacks::new(store, instance)?),
            AbiVersion::V0_2_1 => Exports::V0_2_1(v0_2_1::Callbacks::new(store, instance)?),
        })
    }

    /// Whether the plugin exports `name`.
    pub fn has(&self, name: &str) -> bool {
        each!(self, c => c.has(name))
    }

    plain! {
        _initialize() -> ();
        _start() -> ();
        main(argc: u32, argv: u32) -> u32;
        __main_void() -> u32;
        proxy_on_context_create(context_id: u32, parent_context_id: u32) -> ();
        proxy_on_vm_start(root_context_id: u32, size: u32) -> bool;
        proxy_on_configure(root_context_id: u32, size: u32) -> bool;
        proxy_on_tick(root_context_id: u32) -> ();
        proxy_on_done(context_id: u32) -> bool;
        proxy_on_log(context_id: u32) -> ();
        proxy_on_delete(context_id: u32) -> ();
        proxy_on_http_call_response(root_context_id: u32, call_id: u32, num_headers: u32, body_size: u32, num_trailers: u32) -> ();
        proxy_on_grpc_receive_initial_metadata(root_context_id: u32, call_id: u32, num_elements: u32) -> ();
        proxy_on_grpc_receive(root_context_id: u32, call_id: u32, message_size: u32) -> ();
        proxy_on_grpc_receive_trailing_metadata(root_context_id: u32, call_id: u32, num_elements: u32) -> ();
        proxy_on_queue_ready(root_context_id: u32, queue_id: u32) -> ();
    }

    /// Calls `proxy_on_grpc_close`.
    pub fn proxy_on_grpc_close(
        &self,
        store: &mut Store_,
        root_context_id: u32,
        call_id: u32,
        status: GrpcStatus,
    ) -> Called<()> {
        let (root, id) = (root_context_id, call_id);
        match self {
            Exports::V0_1_0(c) => c.proxy_on_grpc_close(store, root, id, status.into()),
            Exports::V0_2_0(c) => c.proxy_on_grpc_close(store, root, id, status.into()),
            Exports::V0_2_1(c) => c.proxy_on_grpc_close(store, root, id, status),
        }
    }

    /// Calls `proxy_on_downstream_connection_close`.
    pub fn proxy_on_downstream_connection_close(
        &self,
        store: &mut Store_,
        id: u32,
        peer: PeerType,
    ) -> Called<()> {
        match self {
            Exports::V0_1_0(c) => c.proxy_on_downstream_connection_close(store, id, peer.into()),
            Exports::V0_2_0(c) => c.proxy_on_downstream_connection_close(store, id, peer.into()),
            Exports::V0_2_1(c) => c.proxy_on_downstream_connection_close(store, id, peer),
        }
    }

    /// Calls `proxy_on_upstream_connection_close`.
    pub fn proxy_on_upstream_connection_close(
        &self,
        store: &mut Store_,
        id: u32,
        peer: PeerType,
    ) -> Called<()> {
        match self {
            Exports::V0_1_0(c) => c.proxy_on_upstream_connection_close(store, id, peer.into()),
            Exports::V0_2_0(c) => c.proxy_on_upstream_connection_close(store, id, peer.into()),
            Exports::V0_2_1(c) => c.proxy_on_upstream_connection_close(store, id, peer),
        }
    }

    /// Calls `proxy_on_foreign_function`, which 0.1.0 does not have (as if not exported).
    pub fn proxy_on_foreign_function(
        &self,
        store: &mut Store_,
        root_context_id: u32,
        function_id: u32,
        size: u32,
    ) -> Called<()> {
        match self {
            Exports::V0_1_0(_) => Ok(None),
            Exports::V0_2_0(c) => {
                c.proxy_on_foreign_function(store, root_context_id, function_id, size)
            }
            Exports::V0_2_1(c) => {
                c.proxy_on_foreign_function(store, root_context_id, function_id, size)
            }
        }
    }

    action! {
        proxy_on_new_connection(context_id: u32);
        proxy_on_downstream_data(context_id: u32, data_size: u32, end_of_stream: bool);
        proxy_on_upstream_data(context_id: u32, data_size: u32, end_of_stream: bool);
        proxy_on_request_body(context_id: u32, body_size: u32, end_of_stream: bool);
        proxy_on_request_trailers(context_id: u32, num_trailers: u32);
        proxy_on_response_body(context_id: u32, body_size: u32, end_of_stream: bool);
        proxy_on_response_trailers(context_id: u32, num_trailers: u32);
    }

    headers! {
        proxy_on_request_headers;
        proxy_on_response_headers;
    }
}
