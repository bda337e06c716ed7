//! Prometheus metrics (`GET /metrics`): requests by route and status,
//! latencies, data-key unwraps, audit writes, leases, session states,
//! proxy pool health and proxy resolutions.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
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

/// Labels of a proxy resolution.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProxySourceLabels {
    /// `credential`, `workflow`, `none`.
    pub source: String,
}

/// Labels of a master-key use.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MasterKeyLabels {
    /// Keyring member id.
    pub member: String,
    /// `wrap`, `unwrap` or `probe` (a `/healthz` check).
    pub op: String,
    /// `ok`, `unavailable`, `refused` (did not authenticate) or `unknown_member`.
    pub result: String,
}

/// Labels of a master-key latency.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MasterKeyOpLabels {
    /// Keyring member id.
    pub member: String,
    /// `wrap`, `unwrap` or `probe`.
    pub op: String,
}

/// Labels of an inbound message.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct InboundLabels {
    /// `email` or `sms`.
    pub channel: String,
    /// `stored`, `held`, `unknown_recipient`, `filtered`, `no_code`,
    /// `replayed`, `bad_signature`, `handed_out`.
    pub outcome: String,
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
    /// Data keys served from the key cache.
    pub key_cache_hits: Counter,
    /// Audit records written.
    pub audit_writes: Counter,
    /// Lease events.
    pub leases: Family<LeaseLabels, Counter>,
    /// Session-state events.
    pub session_states: Family<StateLabels, Counter>,
    /// Proxy pool members currently healthy (TCP check and admin mark).
    pub proxies_healthy: Gauge,
    /// Proxy resolutions by the source that won.
    pub proxy_resolutions: Family<ProxySourceLabels, Counter>,
    /// Master-key uses by member, operation and result.
    pub master_key_uses: Family<MasterKeyLabels, Counter>,
    /// Master-key latency by member and operation, in seconds.
    pub master_key_latency: Family<MasterKeyOpLabels, Histogram, fn() -> Histogram>,
    /// Inbound second-factor messages by channel and outcome.
    pub inbound: Family<InboundLabels, Counter>,
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
        let key_cache_hits = Counter::default();
        registry.register(
            "data_key_cache_hits",
            "Data keys served from the key cache instead of unwrapped",
            key_cache_hits.clone(),
        );
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
        let proxies_healthy = Gauge::default();
        let proxy_resolutions = Family::<ProxySourceLabels, Counter>::default();
        registry.register(
            "proxy_members_healthy",
            "Proxy pool members currently healthy",
            proxies_healthy.clone(),
        );
        registry.register(
            "proxy_resolutions",
            "Proxy resolutions by source",
            proxy_resolutions.clone(),
        );
        let master_key_uses = Family::<MasterKeyLabels, Counter>::default();
        let master_key_latency =
            Family::<MasterKeyOpLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram,
            );
        registry.register(
            "master_key_uses",
            "Master-key uses by member, operation and result",
            master_key_uses.clone(),
        );
        registry.register(
            "master_key_duration_seconds",
            "Master-key latency by member and operation",
            master_key_latency.clone(),
        );
        let inbound = Family::<InboundLabels, Counter>::default();
        registry.register(
            "inbound_messages",
            "Inbound second-factor messages by channel and outcome",
            inbound.clone(),
        );
        Self {
            registry,
            inbound,
            requests,
            latency,
            unwraps,
            key_cache_hits,
            audit_writes,
            leases,
            session_states,
            proxies_healthy,
            proxy_resolutions,
            master_key_uses,
            master_key_latency,
        }
    }

    /// Counts an inbound message's outcome.
    pub fn inbound(&self, channel: &str, outcome: &str) {
        self.inbound
            .get_or_create(&InboundLabels {
                channel: channel.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// Counts a proxy resolution.
    pub fn proxy_resolution(&self, source: &str) {
        self.proxy_resolutions
            .get_or_create(&ProxySourceLabels {
                source: source.to_owned(),
            })
            .inc();
    }

    /// Counts and times one master-key use.
    pub fn master_key_use(&self, member: &str, op: &str, result: &str, took: std::time::Duration) {
        self.master_key_uses
            .get_or_create(&MasterKeyLabels {
                member: member.to_owned(),
                op: op.to_owned(),
                result: result.to_owned(),
            })
            .inc();
        self.master_key_latency
            .get_or_create(&MasterKeyOpLabels {
                member: member.to_owned(),
                op: op.to_owned(),
            })
            .observe(took.as_secs_f64());
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
