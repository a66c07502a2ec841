//! ABI 0.1.0 and 0.2.0 through the 0.2.1 implementation: every host function they share is
//! forwarded with its enums converted up and its status converted back (conversions generated
//! from the IR); what only they have is implemented here.

use crate::state::HostState;
use proxy_wasm_host_abi::v0_2_1 as latest;

/// Forwards methods to the 0.2.1 implementation; `=> into` converts an argument, `=> same`
/// passes it as it is.
macro_rules! delegate {
    (@into $e:expr) => { $e.into() };
    (@same $e:expr) => { $e };
    ($( fn $name:ident(&mut self $(, $arg:ident: $ty:ty => $conv:ident)*) -> $ret:ty; )*) => {
        $(
            fn $name(&mut self $(, $arg: $ty)*) -> $ret {
                latest::Host::$name(self $(, delegate!(@$conv $arg))*).map_err(Into::into)
            }
        )*
    };
}

/// The host functions 0.1.0 and 0.2.0 share with 0.2.1, written against the importing module's
/// types.
macro_rules! shared {
    () => {
        delegate! {
            fn proxy_log(&mut self, log_level: LogLevel => into, message: &[u8] => same) -> Result<(), Status>;
            fn proxy_get_current_time_nanoseconds(&mut self) -> Result<u64, Status>;
            fn proxy_set_tick_period_milliseconds(&mut self, tick_period: u32 => same) -> Result<(), Status>;
            fn proxy_done(&mut self) -> Result<(), Status>;
            fn proxy_set_effective_context(&mut self, context_id: u32 => same) -> Result<(), Status>;
            fn proxy_get_buffer_bytes(&mut self, buffer_id: BufferType => into, start: u32 => same, max_size: u32 => same) -> Result<Vec<u8>, Status>;
            fn proxy_set_buffer_bytes(&mut self, buffer_id: BufferType => into, start: u32 => same, size: u32 => same, value: &[u8] => same) -> Result<(), Status>;
            fn proxy_get_buffer_status(&mut self, buffer_id: BufferType => into) -> Result<(u32, u32), Status>;
            fn proxy_get_header_map_size(&mut self, map_id: MapType => into) -> Result<u32, Status>;
            fn proxy_get_header_map_pairs(&mut self, map_id: MapType => into) -> Result<Vec<u8>, Status>;
            fn proxy_set_header_map_pairs(&mut self, map_id: MapType => into, serialized_pairs: &[u8] => same) -> Result<(), Status>;
            fn proxy_add_header_map_value(&mut self, map_id: MapType => into, key: &[u8] => same, value: &[u8] => same) -> Result<(), Status>;
            fn proxy_replace_header_map_value(&mut self, map_id: MapType => into, key: &[u8] => same, value: &[u8] => same) -> Result<(), Status>;
            fn proxy_remove_header_map_value(&mut self, map_id: MapType => into, key: &[u8] => same) -> Result<(), Status>;
            fn proxy_get_status(&mut self) -> Result<(u32, Vec<u8>), Status>;
            fn proxy_send_local_response(&mut self, status_code: u32 => same, status_code_details: &[u8] => same, body: &[u8] => same, serialized_headers: &[u8] => same, grpc_status: i32 => same) -> Result<(), Status>;
            fn proxy_http_call(&mut self, upstream_name: &[u8] => same, serialized_headers: &[u8] => same, body: &[u8] => same, serialized_trailers: &[u8] => same, timeout: u32 => same) -> Result<u32, Status>;
            fn proxy_grpc_call(&mut self, upstream_name: &[u8] => same, service_name: &[u8] => same, method_name: &[u8] => same, serialized_initial_metadata: &[u8] => same, message: &[u8] => same, timeout: u32 => same) -> Result<u32, Status>;
            fn proxy_grpc_stream(&mut self, upstream_name: &[u8] => same, service_name: &[u8] => same, method_name: &[u8] => same, serialized_initial_metadata: &[u8] => same) -> Result<u32, Status>;
            fn proxy_grpc_send(&mut self, stream_id: u32 => same, message: &[u8] => same, end_stream: bool => same) -> Result<(), Status>;
            fn proxy_grpc_cancel(&mut self, call_or_stream_id: u32 => same) -> Result<(), Status>;
            fn proxy_grpc_close(&mut self, call_or_stream_id: u32 => same) -> Result<(), Status>;
            fn proxy_set_shared_data(&mut self, key: &[u8] => same, value: &[u8] => same, cas: u32 => same) -> Result<(), Status>;
            fn proxy_get_shared_data(&mut self, key: &[u8] => same) -> Result<(Vec<u8>, u32), Status>;
            fn proxy_register_shared_queue(&mut self, name: &[u8] => same) -> Result<u32, Status>;
            fn proxy_resolve_shared_queue(&mut self, vm_id: &[u8] => same, name: &[u8] => same) -> Result<u32, Status>;
            fn proxy_enqueue_shared_queue(&mut self, queue_id: u32 => same, value: &[u8] => same) -> Result<(), Status>;
            fn proxy_dequeue_shared_queue(&mut self, queue_id: u32 => same) -> Result<Vec<u8>, Status>;
            fn proxy_define_metric(&mut self, metric_type: MetricType => into, name: &[u8] => same) -> Result<u32, Status>;
            fn proxy_record_metric(&mut self, metric_id: u32 => same, value: u64 => same) -> Result<(), Status>;
            fn proxy_increment_metric(&mut self, metric_id: u32 => same, delta: i64 => same) -> Result<(), Status>;
            fn proxy_get_metric(&mut self, metric_id: u32 => same) -> Result<u64, Status>;
            fn proxy_get_property(&mut self, path: &[u8] => same) -> Result<Vec<u8>, Status>;
            fn proxy_set_property(&mut self, path: &[u8] => same, value: &[u8] => same) -> Result<(), Status>;
            fn proxy_call_foreign_function(&mut self, name: &[u8] => same, arguments: &[u8] => same) -> Result<Vec<u8>, Status>;
            fn fd_write(&mut self, fd_id: Fd => into, iovec: &[&[u8]] => same) -> Result<u32, Errno>;
            fn clock_time_get(&mut self, clock_id: ClockId => into, unused: u64 => same) -> Result<u64, Errno>;
            fn random_get(&mut self, buffer: &mut [u8] => same) -> Result<(), Errno>;
            fn environ_sizes_get(&mut self) -> Result<(u32, u32), Errno>;
            fn environ_get(&mut self) -> Result<Vec<Vec<u8>>, Errno>;
            fn args_sizes_get(&mut self) -> Result<(u32, u32), Errno>;
            fn args_get(&mut self) -> Result<Vec<Vec<u8>>, Errno>;
            fn poll_oneoff(&mut self, subscriptions: u32 => same, events: u32 => same, nsubscriptions: u32 => same) -> Result<u32, Errno>;
            fn sched_yield(&mut self) -> Result<(), Errno>;
        }

        fn proc_exit(&mut self, exit_code: u32) {
            latest::Host::proc_exit(self, exit_code)
        }
    };
}

mod v0_2_0 {
    use super::*;
    use proxy_wasm_host_abi::v0_2_0::{
        BufferType, ClockId, Errno, Fd, Host, LogLevel, MapType, MetricType, Status, StreamType,
    };

    impl Host for HostState {
        shared!();

        delegate! {
            fn proxy_get_header_map_value(&mut self, map_id: MapType => into, key: &[u8] => same) -> Result<Vec<u8>, Status>;
            fn proxy_continue_stream(&mut self, stream_type: StreamType => into) -> Result<(), Status>;
            fn proxy_close_stream(&mut self, stream_type: StreamType => into) -> Result<(), Status>;
        }
    }
}

mod v0_1_0 {
    use super::*;
    use proxy_wasm_host_abi::v0_1_0::{
        BufferType, ClockId, Errno, Fd, Host, LogLevel, MapType, MetricType, Status,
    };

    impl Host for HostState {
        shared!();

        fn proxy_get_header_map_value(
            &mut self,
            map_id: MapType,
            key: &[u8],
        ) -> Result<Vec<u8>, Status> {
            // 0.1.0 has no NOT_FOUND here: Envoy and Kong answer a missing key with an empty value.
            match latest::Host::proxy_get_header_map_value(self, map_id.into(), key) {
                Err(latest::Status::NotFound) => Ok(Vec::new()),
                other => other.map_err(Into::into),
            }
        }

        fn proxy_get_configuration(&mut self) -> Result<Vec<u8>, Status> {
            // cpp-host: the plugin configuration inside proxy_on_configure, else the VM's.
            Ok(
                if self.configuration_visible == Some(latest::BufferType::PluginConfiguration) {
                    self.plugin_configuration.clone()
                } else {
                    self.vm_configuration.clone()
                },
            )
        }

        fn proxy_continue_request(&mut self) -> Result<(), Status> {
            latest::Host::proxy_continue_stream(self, latest::StreamType::HttpRequest)
                .map_err(Into::into)
        }

        fn proxy_continue_response(&mut self) -> Result<(), Status> {
            latest::Host::proxy_continue_stream(self, latest::StreamType::HttpResponse)
                .map_err(Into::into)
        }

        fn proxy_clear_route_cache(&mut self) -> Result<(), Status> {
            // Routes are not modelled; Envoy answers Ok.
            Ok(())
        }
    }
}
