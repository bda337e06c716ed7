//! The little the client needs from an async runtime: sleeping and
//! spawning a background task. tokio natively; the JS event loop on wasm32.

use std::future::Future;
use std::time::Duration;

/// Sleeps for `duration`.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) async fn sleep(duration: Duration) {
    tokio::time::sleep(duration).await;
}

/// Sleeps for `duration` in a background task (the heartbeat).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) async fn background_sleep(duration: Duration) {
    tokio::time::sleep(duration).await;
}

/// Sleeps for `duration` (a `setTimeout` promise).
#[cfg(target_arch = "wasm32")]
pub(crate) async fn sleep(duration: Duration) {
    timeout(duration, false).await;
}

/// Sleeps for `duration` without keeping Node's event loop alive (an
/// unref'd timer), so a script whose lease guard is gone can exit.
#[cfg(target_arch = "wasm32")]
pub(crate) async fn background_sleep(duration: Duration) {
    timeout(duration, true).await;
}

#[cfg(target_arch = "wasm32")]
async fn timeout(duration: Duration, unref: bool) {
    use wasm_bindgen_futures::wasm_bindgen::JsCast;
    let millis = f64::from(u32::try_from(duration.as_millis()).unwrap_or(u32::MAX));
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let global = js_sys::global();
        let function = |target: &wasm_bindgen_futures::wasm_bindgen::JsValue, name: &str| {
            js_sys::Reflect::get(target, &name.into())
                .ok()
                .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        };
        let Some(set_timeout) = function(&global, "setTimeout") else {
            let _ = resolve.call0(&global);
            return;
        };
        let Ok(timer) = set_timeout.call2(&global, &resolve, &millis.into()) else {
            let _ = resolve.call0(&global);
            return;
        };
        // Node returns a Timeout object with unref(); browsers a number.
        if unref && let Some(unref) = function(&timer, "unref") {
            let _ = unref.call0(&timer);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Runs `task` in the background when a runtime is there to run it;
/// returns whether it was spawned.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn spawn<F>(task: F) -> bool
where
    F: Future<Output = ()> + Send + 'static,
{
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => {
            drop(handle.spawn(task));
            true
        }
        Err(_) => false,
    }
}

/// Runs `task` on the JS event loop.
#[cfg(target_arch = "wasm32")]
pub(crate) fn spawn<F>(task: F) -> bool
where
    F: Future<Output = ()> + 'static,
{
    wasm_bindgen_futures::spawn_local(task);
    true
}

/// Time since an arbitrary origin, for measuring how long a wait has run
/// (`Instant`; `Date.now()` on wasm32, where `Instant` is missing).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn now() -> Duration {
    static ORIGIN: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    ORIGIN.get_or_init(std::time::Instant::now).elapsed()
}

/// Time since the epoch, from `Date.now()`.
#[cfg(target_arch = "wasm32")]
pub(crate) fn now() -> Duration {
    Duration::from_secs_f64((js_sys::Date::now() / 1000.0).max(0.0))
}
