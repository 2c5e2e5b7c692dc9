//! The host's spans exported to an OpenTelemetry collector over OTLP/HTTP (protobuf),
//! behind the `otel` feature.
//!
//! The host opens a `workflow_task` span around each workflow task and an
//! `activity_attempt` span around each activity attempt (at debug level, so they cost
//! nothing unless something listens). [`OtlpExporter::layer`] is a `tracing` layer
//! that sends the host's spans, and nothing else, to a collector; the `weft` command
//! installs it when given `--otlp-endpoint`. Spans are batched on a thread of their
//! own; [`OtlpExporter::shutdown`] sends what is left.

use tracing::Subscriber;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// The exporter could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("this weft was built without OpenTelemetry; build it with `--features otel` to export spans to {0}")]
    NotBuilt(String),
    #[error("the OTLP endpoint `{0}` is not an http:// URL (the exporter speaks plain OTLP/HTTP: a collector on loopback or a private network)")]
    BadEndpoint(String),
    #[error("cannot set up the OTLP exporter: {0}")]
    Exporter(String),
}

/// The traces URL of a collector: `endpoint` itself when it names `/v1/traces`, else
/// that path under it (OTLP/HTTP's convention for a base endpoint).
pub fn traces_url(endpoint: &str) -> Result<String, TelemetryError> {
    if !endpoint.starts_with("http://") {
        return Err(TelemetryError::BadEndpoint(endpoint.to_string()));
    }
    let base = endpoint.trim_end_matches('/');
    Ok(if base.ends_with("/v1/traces") {
        base.to_string()
    } else {
        format!("{base}/v1/traces")
    })
}

/// Spans on their way to a collector.
pub struct OtlpExporter {
    #[cfg(feature = "otel")]
    provider: opentelemetry_sdk::trace::SdkTracerProvider,
}

/// Only the host's own spans go out: not its log lines, not other crates' spans. The
/// host is several crates (`weft_runtime`, `weft_server`, …), all named `weft_*`.
fn host_spans(metadata: &tracing::Metadata<'_>) -> bool {
    metadata.is_span() && metadata.target().starts_with("weft_")
}

impl OtlpExporter {
    /// An exporter to the collector at `endpoint` (`http://localhost:4318`, or the
    /// full traces URL), naming the service `service`. Call it outside an async
    /// runtime: the HTTP client it makes is a blocking one, on the batch thread.
    #[cfg(feature = "otel")]
    pub fn new(endpoint: &str, service: &str) -> Result<OtlpExporter, TelemetryError> {
        use opentelemetry_otlp::{Protocol, WithExportConfig};
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(traces_url(endpoint)?)
            .build()
            .map_err(|e| TelemetryError::Exporter(e.to_string()))?;
        let resource = opentelemetry_sdk::Resource::builder()
            .with_service_name(service.to_string())
            .build();
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource)
            .build();
        Ok(OtlpExporter { provider })
    }

    /// Without the `otel` feature: an error that says how to get it.
    #[cfg(not(feature = "otel"))]
    pub fn new(endpoint: &str, _service: &str) -> Result<OtlpExporter, TelemetryError> {
        traces_url(endpoint)?;
        Err(TelemetryError::NotBuilt(endpoint.to_string()))
    }

    /// The layer that hands the host's spans to this exporter.
    pub fn layer<S>(&self) -> Box<dyn Layer<S> + Send + Sync>
    where
        S: Subscriber + for<'a> LookupSpan<'a> + Send + Sync,
    {
        #[cfg(feature = "otel")]
        {
            use opentelemetry::trace::TracerProvider as _;
            let tracer = self.provider.tracer("weft");
            tracing_opentelemetry::layer()
                .with_tracer(tracer)
                .with_filter(tracing_subscriber::filter::filter_fn(host_spans))
                .boxed()
        }
        #[cfg(not(feature = "otel"))]
        {
            tracing_subscriber::layer::Identity::new()
                .with_filter(tracing_subscriber::filter::filter_fn(host_spans))
                .boxed()
        }
    }

    /// Send the spans still batched and stop (waits up to five seconds).
    pub fn shutdown(self) {
        #[cfg(feature = "otel")]
        if let Err(e) = self.provider.shutdown() {
            eprintln!("warning: exporting the last spans failed: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_endpoint_gets_the_traces_path() {
        assert_eq!(
            traces_url("http://localhost:4318").unwrap(),
            "http://localhost:4318/v1/traces"
        );
        assert_eq!(
            traces_url("http://c:4318/v1/traces/").unwrap(),
            "http://c:4318/v1/traces"
        );
        for bad in ["localhost:4318", "https://c:4318"] {
            assert!(matches!(
                traces_url(bad),
                Err(TelemetryError::BadEndpoint(_))
            ));
        }
    }
}
