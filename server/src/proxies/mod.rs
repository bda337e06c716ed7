//! Per-credential proxies (DESIGN §7 "Proxy", §9): the pool from the
//! config, member health, and the resolution `POST /v1/credentials/{id}/proxy`.
//!
//! # About
//! The pool is `[[proxies]]` in the config: id, URL, exit IP, optional
//! location. Replicas share, in the `proxies` table, only what they must
//! agree on — id, exit IP and health — and each credential's sticky member
//! in `credentials.proxy_id`.
//!
//! Health is two flags, both in the database so every replica sees the
//! same: `check_healthy`, written by the periodic TCP connect check of
//! every replica ([`health::spawn`]), and `admin_healthy`, written by
//! `POST /v1/admin/proxies/{id}/health`. A member is chosen only when both
//! hold: an admin's `{"healthy": false}` takes it out of rotation until an
//! admin sends `{"healthy": true}`, which clears the mark but cannot bring
//! in a member whose TCP check fails.
//!
//! Choice ([`choose`]): a credential keeps its member while it is in the
//! pool and healthy; otherwise the healthy member nearest its `target_ip`
//! is chosen (great-circle distance when a MaxMind database is configured
//! and locates the target, else the longest common address prefix), ties
//! broken by id; without `target_ip`, the first healthy member by id.
//!
//! # Security
//! A member's URL may hold proxy credentials: it lives in a
//! [`SecretString`] (redacted `Debug`, wiped on drop), is handed only to a
//! lease holder of a credential that uses it, and never reaches a log, an
//! error message, the audit log or the database.

pub mod choose;
pub mod geo;
pub mod health;
pub mod resolve;

use std::net::IpAddr;

use sealvault::wire::SecretString;

use crate::config::{Config, GeoPoint, ProxyMemberConfig};

pub use geo::GeoDb;

/// One pool member.
#[derive(Debug)]
pub struct Member {
    /// Stable id.
    pub id: String,
    /// The URL, possibly with credentials.
    pub url: SecretString,
    /// Exit IP.
    pub ip: IpAddr,
    /// Where the exit IP is: configured, else looked up in the database.
    pub location: Option<GeoPoint>,
    /// Host of the URL (the TCP check's target).
    pub host: String,
    /// Port of the URL (explicit, or the scheme's default).
    pub port: u16,
}

/// The configured pool and its settings.
#[derive(Debug, Default)]
pub struct Pool {
    /// Members, sorted by id.
    pub members: Vec<Member>,
    /// The MaxMind database, when configured.
    pub geo: Option<GeoDb>,
    /// Seconds between TCP checks.
    pub check_interval_secs: u64,
    /// Seconds a TCP connect may take.
    pub check_timeout_secs: u64,
}

impl Pool {
    /// Reads the pool from the config: every member's URL (inline, from
    /// its variable or its file), the MaxMind database. Errors name the
    /// member, never the URL.
    pub fn from_config(config: &Config) -> Result<Pool, String> {
        let geo = match &config.proxy.maxmind_db {
            Some(path) => Some(GeoDb::open(path)?),
            None => None,
        };
        let mut members = Vec::with_capacity(config.proxies.len());
        for member in &config.proxies {
            members.push(member_from_config(member, geo.as_ref())?);
        }
        members.sort_by(|a, b| a.id.cmp(&b.id));
        if members.windows(2).any(|w| w[0].id == w[1].id) {
            return Err("[[proxies]]: member ids must be unique".into());
        }
        Ok(Pool {
            members,
            geo,
            check_interval_secs: config.proxy.check_interval_secs.max(1),
            check_timeout_secs: config.proxy.check_timeout_secs.max(1),
        })
    }

    /// The member with this id.
    pub fn member(&self, id: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.id == id)
    }
}

fn member_from_config(member: &ProxyMemberConfig, geo: Option<&GeoDb>) -> Result<Member, String> {
    let id = &member.id;
    if id.is_empty() || id.len() > 128 {
        return Err("[[proxies]]: id must be 1 to 128 bytes".into());
    }
    let url = member_url(member)?;
    let (host, port) = host_port(url.expose_secret())
        .ok_or_else(|| format!("proxy {id:?}: url must be scheme://[user:pass@]host[:port]"))?;
    let location = match member.location {
        Some(point) => Some(point),
        None => geo.and_then(|g| g.locate(member.ip)),
    };
    Ok(Member {
        id: id.clone(),
        url,
        ip: member.ip,
        location,
        host,
        port,
    })
}

/// The URL from exactly one of `url`, `url_env`, `url_file`.
fn member_url(member: &ProxyMemberConfig) -> Result<SecretString, String> {
    let id = &member.id;
    match (&member.url, &member.url_env, &member.url_file) {
        (Some(url), None, None) => Ok(SecretString::new(url.expose_secret().to_owned())),
        (None, Some(var), None) => std::env::var(var)
            .map(SecretString::new)
            .map_err(|_| format!("proxy {id:?}: variable {var} is not set")),
        (None, None, Some(path)) => {
            let text = zeroize::Zeroizing::new(
                std::fs::read_to_string(path)
                    .map_err(|e| format!("proxy {id:?}: cannot read {}: {e}", path.display()))?,
            );
            Ok(SecretString::new(text.trim().to_owned()))
        }
        _ => Err(format!(
            "proxy {id:?}: give exactly one of url, url_env, url_file"
        )),
    }
}

/// Host and port of a proxy URL (the scheme's default port when known).
fn host_port(url: &str) -> Option<(String, u16)> {
    let parsed = url::Url::parse(url).ok()?;
    let host = match parsed.host()? {
        url::Host::Ipv6(ip) => ip.to_string(),
        other => other.to_string(),
    };
    Some((host, parsed.port_or_known_default()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_port_come_from_the_url() {
        assert_eq!(
            host_port("http://u:p@127.0.0.1:3128"),
            Some(("127.0.0.1".into(), 3128))
        );
        assert_eq!(
            host_port("http://proxy.example"),
            Some(("proxy.example".into(), 80))
        );
        assert_eq!(host_port("socks5://[::1]:1080"), Some(("::1".into(), 1080)));
        assert_eq!(host_port("socks5://proxy.example"), None);
        assert_eq!(host_port("not a url"), None);
    }

    #[test]
    fn a_bad_url_is_refused_without_echoing_it() {
        let config: Config = toml::from_str(
            "[[proxies]]\nid = \"p\"\nurl = \"http//user:CANARY@\"\nip = \"192.0.2.1\"\n",
        )
        .unwrap();
        let error = Pool::from_config(&config).unwrap_err();
        assert!(
            error.contains("\"p\"") && !error.contains("CANARY"),
            "{error}"
        );
    }
}
