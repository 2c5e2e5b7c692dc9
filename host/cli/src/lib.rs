//! weft's command line (`weft`): the verbs over an embedded host, a server and its
//! client ([`cli`]), and the logging and span export they set up ([`telemetry`]).

pub mod cli;
pub mod telemetry;

pub(crate) use weft_client::client;
pub(crate) use weft_runtime::{activities, contract, engine, history, payload_codec, replay};
pub(crate) use weft_runtime::{masking, runtime, schedules, storage};
pub(crate) use weft_server::{api, ui};
