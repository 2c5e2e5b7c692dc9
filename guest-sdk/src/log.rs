//! Logging through the host: goes to the host's tracing, suppressed while replaying, so a
//! replay does not log the same lines twice.

pub use crate::wit::LogLevel;

/// Writes `message` to the host's log.
pub fn log(level: LogLevel, message: &str) {
    crate::host::log(level, message);
}

/// Logs at `trace` level: `weft_sdk::trace!("x = {}", x)`.
#[macro_export]
macro_rules! trace {
    ($($arg:tt)+) => { $crate::log($crate::LogLevel::Trace, &::std::format!($($arg)+)) };
}

/// Logs at `debug` level: `weft_sdk::debug!("x = {}", x)`.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)+) => { $crate::log($crate::LogLevel::Debug, &::std::format!($($arg)+)) };
}

/// Logs at `info` level: `weft_sdk::info!("x = {}", x)`.
#[macro_export]
macro_rules! info {
    ($($arg:tt)+) => { $crate::log($crate::LogLevel::Info, &::std::format!($($arg)+)) };
}

/// Logs at `warn` level: `weft_sdk::warn!("x = {}", x)`.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)+) => { $crate::log($crate::LogLevel::Warn, &::std::format!($($arg)+)) };
}

/// Logs at `error` level: `weft_sdk::error!("x = {}", x)`.
#[macro_export]
macro_rules! error {
    ($($arg:tt)+) => { $crate::log($crate::LogLevel::Error, &::std::format!($($arg)+)) };
}
