//! Turning the core wasm module that rustc produces into a component.

use wit_component::ComponentEncoder;

use crate::error::ComponentError;

/// The first 8 bytes of every component: the wasm magic, then version 0x0d and layer 1.
pub const COMPONENT_HEADER: [u8; 8] = *b"\0asm\x0d\x00\x01\x00";

/// Wraps a core wasm module into a component and validates the result.
///
/// The module's imports and exports are described by the `component-type` custom
/// sections that `wit-bindgen` embeds; a module without any becomes a component with no
/// imports and exports.
///
/// ```
/// // The smallest core module: the magic and version 1, nothing else.
/// let component = weft_toolchain::componentize(b"\0asm\x01\0\0\0").unwrap();
/// assert!(component.starts_with(&weft_toolchain::COMPONENT_HEADER));
/// ```
pub fn componentize(core_module: &[u8]) -> Result<Vec<u8>, ComponentError> {
    ComponentEncoder::default()
        .module(core_module)
        .map_err(chain)?
        .validate(true)
        .encode()
        .map_err(chain)
}

/// Wraps a core module built for `wasm32-wasip1` into a component, adapting its
/// `wasi_snapshot_preview1` imports to WASI 0.2 with wasmtime's preview 1 adapter (the
/// reactor flavour: a workflow is a library, it has no `main`).
///
/// ```
/// // A module that imports nothing from WASI needs no adapter, and gets none.
/// let component = weft_toolchain::componentize_wasip1(b"\0asm\x01\0\0\0").unwrap();
/// assert!(component.starts_with(&weft_toolchain::COMPONENT_HEADER));
/// ```
pub fn componentize_wasip1(core_module: &[u8]) -> Result<Vec<u8>, ComponentError> {
    use wasi_preview1_component_adapter_provider::{
        WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
    };
    ComponentEncoder::default()
        .module(core_module)
        .map_err(chain)?
        .adapter(
            WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME,
            WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
        )
        .map_err(chain)?
        .validate(true)
        .encode()
        .map_err(chain)
}

/// wit-component's errors are `anyhow` chains; `{:#}` prints the whole chain on one line.
fn chain(error: impl std::fmt::Display) -> ComponentError {
    ComponentError {
        message: format!("{error:#}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_module_becomes_a_component() {
        let component = componentize(b"\0asm\x01\0\0\0").unwrap();
        assert!(component.starts_with(&COMPONENT_HEADER));
    }

    #[test]
    fn garbage_is_rejected_with_a_message() {
        let error = componentize(b"not wasm").unwrap_err();
        assert!(!error.to_string().is_empty());
    }
}
