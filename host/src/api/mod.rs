//! The HTTP/JSON API of a long-running host (`weft server`).

mod control;
pub mod describe;
mod listing;
mod messages;
mod server;
pub mod types;

pub use server::{router, serve};
