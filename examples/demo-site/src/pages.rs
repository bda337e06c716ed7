//! The HTML pages: login, second factor, dashboard, logout.
//!
//! Element ids a browser test relies on: `#username`, `#password`, `#code`,
//! `#submit`, `#error`, `#dashboard`, `#local`, `#session`, `#logout`.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header::SET_COOKIE};
use axum::response::{AppendHeaders, Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use sha1::{Digest, Sha1};

use crate::accounts::{Kind, LoginRecord, TOTP_WINDOW};
use crate::sessions::{PENDING_COOKIE, Pending, SESSION_COOKIE, cookie, random_id, set_cookie};
use crate::{AppState, tfa, unix_now};

/// The header test proxies add; recorded per login.
pub const PROXY_HEADER: &str = "x-demo-proxy";

/// Escapes text for HTML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{title} - Demo Site</title></head>\n<body>\n{body}\n</body></html>\n",
        title = escape(title)
    ))
}

fn error_html(error: Option<&str>) -> String {
    error
        .map(|e| format!("<p id=\"error\" role=\"alert\">{}</p>\n", escape(e)))
        .unwrap_or_default()
}

fn login_page(error: Option<&str>) -> Html<String> {
    page(
        "Sign in",
        &format!(
            "<h1>Sign in</h1>\n{}<form method=\"post\" action=\"/login\">\n\
             <label>Username <input id=\"username\" name=\"username\" autocomplete=\"username\"></label>\n\
             <label>Password <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\"></label>\n\
             <button id=\"submit\" type=\"submit\">Sign in</button>\n</form>",
            error_html(error)
        ),
    )
}

fn tfa_page(kind: Kind, error: Option<&str>) -> Html<String> {
    let prompt = match kind {
        Kind::Totp => "Enter the code from your authenticator app.",
        Kind::Email => "Enter the code we emailed you.",
        Kind::Sms => "Enter the code we texted you.",
        Kind::Password => "Enter your code.",
    };
    page(
        "Verification",
        &format!(
            "<h1>Verification</h1>\n<p id=\"prompt\">{prompt}</p>\n{}<form method=\"post\" action=\"/login/tfa\">\n\
             <label>Code <input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\"></label>\n\
             <button id=\"submit\" type=\"submit\">Verify</button>\n</form>",
            error_html(error)
        ),
    )
}

fn error_page(status: StatusCode, message: &str) -> Response {
    (status, login_page(Some(message))).into_response()
}

/// `GET /`: to the login form.
pub async fn root() -> Redirect {
    Redirect::to("/login")
}

/// `GET /login`.
pub async fn login_form() -> Html<String> {
    login_page(None)
}

/// The login form's fields.
#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
}

/// `POST /login`: checks the password, then signs in or asks for a code.
pub async fn login_submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let record = LoginRecord {
        proxy: headers
            .get(PROXY_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        peer: peer.to_string(),
    };
    let previous_pending = cookie(&headers, PENDING_COOKIE);
    // Decide under the lock; send codes after releasing it.
    let (kind, destination, pending_id, code) = {
        let mut inner = state.lock();
        // The same browser starting over abandons its own pending login.
        if let Some(previous) = previous_pending {
            inner.pending.remove(&previous);
        }
        let Some(entry) = inner.accounts.get_mut(&form.username) else {
            return error_page(StatusCode::UNAUTHORIZED, "Invalid username or password.");
        };
        if entry.locked {
            entry.stats.locked_attempts += 1;
            return error_page(
                StatusCode::LOCKED,
                "This account is locked after too many failed attempts.",
            );
        }
        if entry.account.password != form.password {
            entry.fail();
            let message = if entry.locked {
                "Invalid username or password. This account is now locked."
            } else {
                "Invalid username or password."
            };
            return error_page(StatusCode::UNAUTHORIZED, message);
        }
        let kind = entry.account.kind;
        let destination = match kind {
            Kind::Email => entry.account.email.clone(),
            Kind::Sms => entry.account.phone.clone(),
            Kind::Password | Kind::Totp => None,
        };
        inner.login_started(&form.username);
        if kind == Kind::Password {
            let id = inner.start_session(&form.username, record);
            return signed_in(&id);
        }
        let code = matches!(kind, Kind::Email | Kind::Sms).then(tfa::random_code);
        if let (Some(code), Some(entry)) = (&code, inner.accounts.get_mut(&form.username)) {
            entry.stats.codes_sent.push(code.clone());
        }
        let pending_id = random_id();
        inner.pending.insert(
            pending_id.clone(),
            Pending {
                username: form.username.clone(),
                code: code.clone(),
                created: std::time::Instant::now(),
                record,
            },
        );
        (kind, destination, pending_id, code)
    };
    if let (Some(to), Some(code)) = (destination, code) {
        let sent = match kind {
            Kind::Email => tfa::send_email(&state.delivery, &to, &code).await,
            _ => tfa::send_sms(&state.delivery, &to, &code).await,
        };
        if let Err(error) = sent {
            tracing::error!(%error, username = %form.username, "could not send the code");
            state.lock().pending.remove(&pending_id);
            return error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "We could not send your code. Try again later.",
            );
        }
        tracing::info!(username = %form.username, ?kind, "code sent");
    }
    (
        AppendHeaders([(SET_COOKIE, set_cookie(PENDING_COOKIE, Some(&pending_id)))]),
        Redirect::to("/login/tfa"),
    )
        .into_response()
}

/// Sets the session cookie, clears the pending one, goes to the dashboard.
fn signed_in(session_id: &str) -> Response {
    (
        AppendHeaders([
            (SET_COOKIE, set_cookie(SESSION_COOKIE, Some(session_id))),
            (SET_COOKIE, set_cookie(PENDING_COOKIE, None)),
        ]),
        Redirect::to("/dashboard"),
    )
        .into_response()
}

/// The kind of the pending login of this request, if it has one.
fn pending_kind(state: &AppState, headers: &HeaderMap) -> Option<Kind> {
    let id = cookie(headers, PENDING_COOKIE)?;
    let mut inner = state.lock();
    inner.prune_pending();
    let username = inner.pending.get(&id)?.username.clone();
    Some(inner.accounts.get(&username)?.account.kind)
}

/// `GET /login/tfa`: the code form, or back to the login form without a
/// pending login.
pub async fn tfa_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match pending_kind(&state, &headers) {
        Some(kind) => tfa_page(kind, None).into_response(),
        None => Redirect::to("/login").into_response(),
    }
}

/// The code form's field.
#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
}

/// `POST /login/tfa`: checks the code; a right one signs in.
pub async fn tfa_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    let Some(pending_id) = cookie(&headers, PENDING_COOKIE) else {
        return Redirect::to("/login").into_response();
    };
    let typed: String = form.code.chars().filter(|c| !c.is_whitespace()).collect();
    let mut inner = state.lock();
    inner.prune_pending();
    let Some(pending) = inner.pending.get(&pending_id) else {
        return Redirect::to("/login").into_response();
    };
    let username = pending.username.clone();
    let expected = pending.code.clone();
    let Some(entry) = inner.accounts.get_mut(&username) else {
        inner.pending.remove(&pending_id);
        return Redirect::to("/login").into_response();
    };
    let kind = entry.account.kind;
    if entry.locked {
        entry.stats.locked_attempts += 1;
        inner.pending.remove(&pending_id);
        return error_page(
            StatusCode::LOCKED,
            "This account is locked after too many failed attempts.",
        );
    }
    let right = match (&expected, &entry.totp) {
        (Some(code), _) => typed == *code,
        (None, Some(totp)) => match totp.verify(&typed, unix_now(), TOTP_WINDOW) {
            // A step is accepted once: a replayed or older code is refused.
            Ok(Some(step)) if entry.last_totp_step.is_none_or(|last| step > last) => {
                entry.last_totp_step = Some(step);
                true
            }
            _ => false,
        },
        (None, None) => false,
    };
    if !right {
        entry.fail();
        if entry.locked {
            inner.pending.remove(&pending_id);
            return error_page(
                StatusCode::LOCKED,
                "Invalid code. This account is now locked.",
            );
        }
        return (
            StatusCode::UNAUTHORIZED,
            tfa_page(kind, Some("Invalid or expired code.")),
        )
            .into_response();
    }
    let Some(pending) = inner.pending.remove(&pending_id) else {
        return Redirect::to("/login").into_response();
    };
    let id = inner.start_session(&username, pending.record);
    signed_in(&id)
}

/// The signed-in user of this request, if its session is active.
fn session_user(state: &AppState, headers: &HeaderMap) -> Option<(String, String)> {
    let id = cookie(headers, SESSION_COOKIE)?;
    let inner = state.lock();
    let session = inner.sessions.get(&id)?;
    Some((id, session.username.clone()))
}

/// `GET /dashboard`: the signed-in page; without an active session, to the
/// login form.
///
/// Its script sets `localStorage.demo_pref` and `sessionStorage.demo_tab`
/// only when absent and shows both in `#local` and `#session`, so a test
/// can tell restored storage from fresh storage.
pub async fn dashboard(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some((session_id, username)) = session_user(&state, &headers) else {
        return Redirect::to("/login").into_response();
    };
    // Derived from the session id (which stays HttpOnly), not the id itself.
    let tab = format!(
        "tab-{}",
        &hex::encode(Sha1::digest(session_id.as_bytes()))[..12]
    );
    page(
        "Dashboard",
        &format!(
            "<h1 id=\"dashboard\">Welcome, {user}</h1>\n\
             <p>Preference: <span id=\"local\"></span></p>\n\
             <p>Tab: <span id=\"session\"></span></p>\n\
             <form method=\"post\" action=\"/logout\"><button id=\"logout\" type=\"submit\">Sign out</button></form>\n\
             <script>\n\
             if (localStorage.getItem(\"demo_pref\") === null) localStorage.setItem(\"demo_pref\", \"dark\");\n\
             if (sessionStorage.getItem(\"demo_tab\") === null) sessionStorage.setItem(\"demo_tab\", \"{tab}\");\n\
             document.getElementById(\"local\").textContent = localStorage.getItem(\"demo_pref\");\n\
             document.getElementById(\"session\").textContent = sessionStorage.getItem(\"demo_tab\");\n\
             </script>",
            user = escape(&username),
        ),
    )
    .into_response()
}

/// `POST /logout`: ends the session, clears its cookie, to the login form.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(id) = cookie(&headers, SESSION_COOKIE) {
        state.lock().sessions.remove(&id);
    }
    (
        AppendHeaders([(SET_COOKIE, set_cookie(SESSION_COOKIE, None))]),
        Redirect::to("/login"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
