//! A vault inside another program (the quickstart, tests): binds
//! `config.listen` (port 0 for an ephemeral one), serves plain HTTP and
//! runs the session-state sweeper and the proxy pool's health checks in
//! background tasks, and stops when dropped. Tests hand it a
//! [`ManualClock`](crate::clock::ManualClock) to move time for
//! session-state expiry.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::api::{self, AppState};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::proxies::health;

/// A running in-process vault.
pub struct Embedded {
    addr: SocketAddr,
    state: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    sweeper: JoinHandle<()>,
    _checker: health::Checker,
    _inbound: super::inbound::InboundTasks,
}

impl Embedded {
    /// Starts a vault from `config` (`dev`: generate a development master
    /// key in the data folder when none is configured).
    pub async fn start(config: &Config, dev: bool) -> Result<Embedded, String> {
        Self::start_with_clock(config, dev, Arc::new(SystemClock)).await
    }

    /// [`Embedded::start`] with the session-state code reading `clock`.
    pub async fn start_with_clock(
        config: &Config,
        dev: bool,
        clock: Arc<dyn Clock>,
    ) -> Result<Embedded, String> {
        let state = super::state_with_clock(config, dev, clock).await?;
        let checker = health::Checker::new(health::spawn(state.clone()).await?);
        let listener = tokio::net::TcpListener::bind(&config.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let sweeper =
            crate::session_state::spawn_sweeper(state.clone(), super::sweep_interval(config));
        let inbound = super::inbound::start(config, &state).await?;
        let app = api::router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!("embedded vault stopped: {e}");
            }
        });
        tracing::info!("listening on {addr}");
        Ok(Embedded {
            addr,
            state,
            stop: Some(stop),
            task: Some(task),
            sweeper,
            _checker: checker,
            _inbound: inbound,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The shared state (e.g. to run a session-state sweep now).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// `http://<addr>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, drains in-flight requests and waits for the end.
    pub async fn shutdown(mut self) {
        self.sweeper.abort();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        self.sweeper.abort();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
