//! weft's HTTP client: a blocking client for the JSON API of `weft server`
//! ([`client::Client`]). It speaks the API's bodies (`weft_api`), nothing of
//! a running host.

pub mod client;

pub(crate) use weft_api as api;
pub(crate) use weft_api::pem;
