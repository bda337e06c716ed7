//! A vault inside another program (the quickstart, tests): binds
//! `config.listen` (port 0 for an ephemeral one), serves plain HTTP in a
//! background task (with the proxy pool's health checks) and stops when
//! dropped.

use std::net::SocketAddr;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::api;
use crate::config::Config;
use crate::proxies::health;

/// A running in-process vault.
pub struct Embedded {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    _checker: health::Checker,
}

impl Embedded {
    /// Starts a vault from `config` (`dev`: generate a development master
    /// key in the data folder when none is configured).
    pub async fn start(config: &Config, dev: bool) -> Result<Embedded, String> {
        let state = super::state(config, dev).await?;
        let checker = health::Checker::new(health::spawn(state.clone()).await?);
        let listener = tokio::net::TcpListener::bind(&config.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let app = api::router(state).into_make_service_with_connect_info::<SocketAddr>();
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
            stop: Some(stop),
            task: Some(task),
            _checker: checker,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, drains in-flight requests and waits for the end.
    pub async fn shutdown(mut self) {
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
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
