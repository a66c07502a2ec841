//! What only the older ABI versions have, or have differently; the rest of 0.1.0 and 0.2.0 is
//! served by the 0.2.1 implementation in `state.rs` through the generated `*ViaLatest` traits.

use crate::state::HostState;
use proxy_wasm_host_abi::v0_1_0::{HostViaLatest, MapType, Status, WasiViaLatest};
use proxy_wasm_host_abi::{HostError, v0_2_0, v0_2_1 as latest};

impl HostViaLatest for HostState {
    fn proxy_get_header_map_value(
        &mut self,
        map_id: MapType,
        key: &[u8],
    ) -> Result<Vec<u8>, HostError<Status>> {
        // 0.1.0 has no NOT_FOUND here: Envoy and Kong answer a missing key with an empty value.
        match latest::Host::proxy_get_header_map_value(self, map_id.into(), key) {
            Err(HostError::Status(latest::Status::NotFound)) => Ok(Vec::new()),
            other => other.map_err(|e| e.map_status(Status::from)),
        }
    }

    fn proxy_get_configuration(&mut self) -> Result<Vec<u8>, HostError<Status>> {
        // cpp-host: the plugin configuration inside proxy_on_configure, else the VM's.
        Ok(
            if self.configuration_visible == Some(latest::BufferType::PluginConfiguration) {
                self.plugin_configuration.clone()
            } else {
                self.vm_configuration.clone()
            },
        )
    }

    fn proxy_continue_request(&mut self) -> Result<(), HostError<Status>> {
        latest::Host::proxy_continue_stream(self, latest::StreamType::HttpRequest)
            .map_err(|e| e.map_status(Status::from))
    }

    fn proxy_continue_response(&mut self) -> Result<(), HostError<Status>> {
        latest::Host::proxy_continue_stream(self, latest::StreamType::HttpResponse)
            .map_err(|e| e.map_status(Status::from))
    }

    fn proxy_clear_route_cache(&mut self) -> Result<(), HostError<Status>> {
        // Routes are not modelled; Envoy answers Ok.
        Ok(())
    }
}

impl WasiViaLatest for HostState {}

// 0.2.0 has nothing 0.2.1 lacks.
impl v0_2_0::HostViaLatest for HostState {}
impl v0_2_0::WasiViaLatest for HostState {}
