//! Prometheus metrics (`GET /metrics`): requests by route and status,
//! latencies, data-key unwraps, audit writes, leases, session states.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of a request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// HTTP method.
    pub method: String,
    /// Route template (`/v1/credentials/{id}`), never a raw path.
    pub route: String,
    /// Status code.
    pub status: u16,
}

/// Labels of a latency.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// Route template.
    pub route: String,
}

/// Labels of a lease event.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LeaseLabels {
    /// `granted`, `refused`, `released`, `reclaimed`.
    pub outcome: String,
}

/// Labels of a session-state event.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabels {
    /// `put`, `get`, `delete`, `expired` (on use), `swept`.
    pub event: String,
}

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// Every metric of the server, in its own registry.
pub struct Metrics {
    registry: Registry,
    /// Requests.
    pub requests: Family<RequestLabels, Counter>,
    /// Latency in seconds.
    pub latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    /// Data-key unwraps.
    pub unwraps: Counter,
    /// Audit records written.
    pub audit_writes: Counter,
    /// Lease events.
    pub leases: Family<LeaseLabels, Counter>,
    /// Session-state events.
    pub session_states: Family<StateLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("sealvault");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let unwraps = Counter::default();
        let audit_writes = Counter::default();
        let leases = Family::<LeaseLabels, Counter>::default();
        let session_states = Family::<StateLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP latency by route",
            latency.clone(),
        );
        registry.register("data_key_unwraps", "Data-key unwraps", unwraps.clone());
        registry.register(
            "audit_writes",
            "Audit records written",
            audit_writes.clone(),
        );
        registry.register("leases", "Lease events by outcome", leases.clone());
        registry.register(
            "session_states",
            "Session-state events",
            session_states.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            unwraps,
            audit_writes,
            leases,
            session_states,
        }
    }

    /// Counts a lease event.
    pub fn lease(&self, outcome: &str) {
        self.leases
            .get_or_create(&LeaseLabels {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// Counts a session-state event.
    pub fn session_state(&self, event: &str) {
        self.session_states
            .get_or_create(&StateLabels {
                event: event.to_owned(),
            })
            .inc();
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
