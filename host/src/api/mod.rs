//! The HTTP/JSON API of a long-running host (`weft server`).

mod control;
pub mod describe;
mod messages;
pub mod schedule_types;
mod schedules;
mod server;
pub mod types;

pub use server::{router, serve};
