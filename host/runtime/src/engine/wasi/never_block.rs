//! WASI functions shadowed so that no call waits: a workflow task runs on a tokio worker
//! thread (where wasmtime-wasi's synchronous bindings would panic trying to block) and
//! under a deadline (where a real sleep has no place).
//!
//! - `wasi:clocks/monotonic-clock`: `subscribe-duration` and `subscribe-instant` trap
//!   with [`WasiSleep`]; `now` and `resolution` are wasmtime-wasi's, reading our clock.
//! - `wasi:io/poll` and `wasi:io/streams`: every call that may wait polls its future once;
//!   our streams are always ready, so it completes, and anything else traps with
//!   [`WasiWouldBlock`].
//! - `wasi:sockets/tcp-create-socket` and `udp-create-socket`: refused with
//!   `access-denied`, so no socket (and no call on one) ever exists.

use std::future::Future;
use std::pin::pin;

use wasmtime::component::{HasData, Linker, Resource, ResourceTable};
use wasmtime_wasi::clocks::{WasiClocksCtxView, WasiClocksView};
use wasmtime_wasi::p2::bindings::clocks::monotonic_clock;
use wasmtime_wasi::p2::bindings::io::{poll as async_poll, streams as async_streams};
use wasmtime_wasi::p2::bindings::sockets::network::{self, ErrorCode, IpAddressFamily};
use wasmtime_wasi::p2::bindings::sockets::tcp_create_socket;
use wasmtime_wasi::p2::bindings::sync::io::{poll, streams};
use wasmtime_wasi::p2::bindings::sync::sockets::udp_create_socket;
use wasmtime_wasi::p2::{
    DynInputStream, DynOutputStream, DynPollable, SocketError, SocketResult, StreamError,
    StreamResult, TcpSocket, UdpSocket,
};
use wasmtime_wasi::runtime::poll_noop;
use wasmtime_wasi::sockets::{WasiSocketsCtxView, WasiSocketsView};
use wasmtime_wasi::WasiView;

use super::{WasiSleep, WasiWouldBlock};
use crate::engine::InstanceState;

pub(super) fn add_to_linker(linker: &mut Linker<InstanceState>) -> wasmtime::Result<()> {
    monotonic_clock::add_to_linker::<_, Sleepless>(linker, |state| SleeplessClock(state.clocks()))?;
    poll::add_to_linker::<_, NeverBlock>(linker, |state| Io(state.ctx().table))?;
    streams::add_to_linker::<_, NeverBlock>(linker, |state| Io(state.ctx().table))?;
    tcp_create_socket::add_to_linker::<_, Offline>(linker, |state| NoSockets(state.sockets()))?;
    udp_create_socket::add_to_linker::<_, Offline>(linker, |state| NoSockets(state.sockets()))?;
    Ok(())
}

/// Runs a WASI future that must be ready at once.
fn at_once<T>(call: &'static str, future: impl Future<Output = T>) -> wasmtime::Result<T> {
    poll_noop(pin!(future)).ok_or_else(|| wasmtime::Error::new(WasiWouldBlock { call }))
}

/// [`at_once`] for the stream functions, whose traps travel inside a [`StreamError`].
fn stream_at_once<T>(
    call: &'static str,
    future: impl Future<Output = StreamResult<T>>,
) -> StreamResult<T> {
    at_once(call, future).map_err(StreamError::Trap)?
}

struct Sleepless;

impl HasData for Sleepless {
    type Data<'a> = SleeplessClock<'a>;
}

struct SleeplessClock<'a>(WasiClocksCtxView<'a>);

impl monotonic_clock::Host for SleeplessClock<'_> {
    fn now(&mut self) -> wasmtime::Result<monotonic_clock::Instant> {
        monotonic_clock::Host::now(&mut self.0)
    }

    fn resolution(&mut self) -> wasmtime::Result<monotonic_clock::Duration> {
        monotonic_clock::Host::resolution(&mut self.0)
    }

    fn subscribe_instant(
        &mut self,
        _: monotonic_clock::Instant,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        Err(wasmtime::Error::new(WasiSleep {
            call: "wasi:clocks/monotonic-clock.subscribe-instant",
        }))
    }

    fn subscribe_duration(
        &mut self,
        _: monotonic_clock::Duration,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        Err(wasmtime::Error::new(WasiSleep {
            call: "wasi:clocks/monotonic-clock.subscribe-duration",
        }))
    }
}

struct NeverBlock;

impl HasData for NeverBlock {
    type Data<'a> = Io<'a>;
}

/// The instance's resource table, seen through functions that never wait.
struct Io<'a>(&'a mut ResourceTable);

impl poll::Host for Io<'_> {
    fn poll(&mut self, pollables: Vec<Resource<DynPollable>>) -> wasmtime::Result<Vec<u32>> {
        at_once(
            "wasi:io/poll.poll",
            async_poll::Host::poll(self.0, pollables),
        )?
    }
}

impl poll::HostPollable for Io<'_> {
    fn ready(&mut self, pollable: Resource<DynPollable>) -> wasmtime::Result<bool> {
        at_once(
            "wasi:io/poll.pollable.ready",
            async_poll::HostPollable::ready(self.0, pollable),
        )?
    }

    fn block(&mut self, pollable: Resource<DynPollable>) -> wasmtime::Result<()> {
        at_once(
            "wasi:io/poll.pollable.block",
            async_poll::HostPollable::block(self.0, pollable),
        )?
    }

    fn drop(&mut self, pollable: Resource<DynPollable>) -> wasmtime::Result<()> {
        poll::HostPollable::drop(self.0, pollable)
    }
}

impl streams::Host for Io<'_> {
    fn convert_stream_error(
        &mut self,
        error: StreamError,
    ) -> wasmtime::Result<streams::StreamError> {
        streams::Host::convert_stream_error(self.0, error)
    }
}

impl streams::HostOutputStream for Io<'_> {
    fn drop(&mut self, stream: Resource<DynOutputStream>) -> wasmtime::Result<()> {
        at_once(
            "wasi:io/streams.output-stream.drop",
            async_streams::HostOutputStream::drop(self.0, stream),
        )?
    }

    fn check_write(&mut self, stream: Resource<DynOutputStream>) -> StreamResult<u64> {
        streams::HostOutputStream::check_write(self.0, stream)
    }

    fn write(&mut self, stream: Resource<DynOutputStream>, bytes: Vec<u8>) -> StreamResult<()> {
        streams::HostOutputStream::write(self.0, stream, bytes)
    }

    fn blocking_write_and_flush(
        &mut self,
        stream: Resource<DynOutputStream>,
        bytes: Vec<u8>,
    ) -> StreamResult<()> {
        stream_at_once(
            "wasi:io/streams.output-stream.blocking-write-and-flush",
            async_streams::HostOutputStream::blocking_write_and_flush(self.0, stream, bytes),
        )
    }

    fn blocking_write_zeroes_and_flush(
        &mut self,
        stream: Resource<DynOutputStream>,
        len: u64,
    ) -> StreamResult<()> {
        stream_at_once(
            "wasi:io/streams.output-stream.blocking-write-zeroes-and-flush",
            async_streams::HostOutputStream::blocking_write_zeroes_and_flush(self.0, stream, len),
        )
    }

    fn subscribe(
        &mut self,
        stream: Resource<DynOutputStream>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        streams::HostOutputStream::subscribe(self.0, stream)
    }

    fn write_zeroes(&mut self, stream: Resource<DynOutputStream>, len: u64) -> StreamResult<()> {
        streams::HostOutputStream::write_zeroes(self.0, stream, len)
    }

    fn flush(&mut self, stream: Resource<DynOutputStream>) -> StreamResult<()> {
        streams::HostOutputStream::flush(self.0, stream)
    }

    fn blocking_flush(&mut self, stream: Resource<DynOutputStream>) -> StreamResult<()> {
        stream_at_once(
            "wasi:io/streams.output-stream.blocking-flush",
            async_streams::HostOutputStream::blocking_flush(self.0, stream),
        )
    }

    fn splice(
        &mut self,
        dst: Resource<DynOutputStream>,
        src: Resource<DynInputStream>,
        len: u64,
    ) -> StreamResult<u64> {
        streams::HostOutputStream::splice(self.0, dst, src, len)
    }

    fn blocking_splice(
        &mut self,
        dst: Resource<DynOutputStream>,
        src: Resource<DynInputStream>,
        len: u64,
    ) -> StreamResult<u64> {
        stream_at_once(
            "wasi:io/streams.output-stream.blocking-splice",
            async_streams::HostOutputStream::blocking_splice(self.0, dst, src, len),
        )
    }
}

impl streams::HostInputStream for Io<'_> {
    fn drop(&mut self, stream: Resource<DynInputStream>) -> wasmtime::Result<()> {
        at_once(
            "wasi:io/streams.input-stream.drop",
            async_streams::HostInputStream::drop(self.0, stream),
        )?
    }

    fn read(&mut self, stream: Resource<DynInputStream>, len: u64) -> StreamResult<Vec<u8>> {
        streams::HostInputStream::read(self.0, stream, len)
    }

    fn blocking_read(
        &mut self,
        stream: Resource<DynInputStream>,
        len: u64,
    ) -> StreamResult<Vec<u8>> {
        stream_at_once(
            "wasi:io/streams.input-stream.blocking-read",
            async_streams::HostInputStream::blocking_read(self.0, stream, len),
        )
    }

    fn skip(&mut self, stream: Resource<DynInputStream>, len: u64) -> StreamResult<u64> {
        streams::HostInputStream::skip(self.0, stream, len)
    }

    fn blocking_skip(&mut self, stream: Resource<DynInputStream>, len: u64) -> StreamResult<u64> {
        stream_at_once(
            "wasi:io/streams.input-stream.blocking-skip",
            async_streams::HostInputStream::blocking_skip(self.0, stream, len),
        )
    }

    fn subscribe(
        &mut self,
        stream: Resource<DynInputStream>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        streams::HostInputStream::subscribe(self.0, stream)
    }
}

struct Offline;

impl HasData for Offline {
    type Data<'a> = NoSockets<'a>;
}

/// Socket constructors that always refuse.
struct NoSockets<'a>(WasiSocketsCtxView<'a>);

impl network::Host for NoSockets<'_> {
    fn convert_error_code(&mut self, error: SocketError) -> wasmtime::Result<ErrorCode> {
        network::Host::convert_error_code(&mut self.0, error)
    }

    fn network_error_code(
        &mut self,
        error: Resource<network::Error>,
    ) -> wasmtime::Result<Option<ErrorCode>> {
        network::Host::network_error_code(&mut self.0, error)
    }
}

impl network::HostNetwork for NoSockets<'_> {
    fn drop(&mut self, network: Resource<network::Network>) -> wasmtime::Result<()> {
        network::HostNetwork::drop(&mut self.0, network)
    }
}

impl tcp_create_socket::Host for NoSockets<'_> {
    fn create_tcp_socket(&mut self, _: IpAddressFamily) -> SocketResult<Resource<TcpSocket>> {
        Err(ErrorCode::AccessDenied.into())
    }
}

impl udp_create_socket::Host for NoSockets<'_> {
    fn create_udp_socket(&mut self, _: IpAddressFamily) -> SocketResult<Resource<UdpSocket>> {
        Err(ErrorCode::AccessDenied.into())
    }
}
