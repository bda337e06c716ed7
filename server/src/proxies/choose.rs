//! Which healthy member a credential gets: pure functions, no IO.

use std::cmp::Ordering;
use std::net::IpAddr;

use super::{GeoDb, Member};
use crate::config::GeoPoint;

/// Leading bits two addresses share; 0 across families.
pub fn common_prefix(a: IpAddr, b: IpAddr) -> u32 {
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (a.to_bits() ^ b.to_bits()).leading_zeros(),
        (IpAddr::V6(a), IpAddr::V6(b)) => (a.to_bits() ^ b.to_bits()).leading_zeros(),
        _ => 0,
    }
}

/// How near a member is to the target: distance (when both are located),
/// then common prefix, then id — smaller is nearer.
struct Rank<'a> {
    distance_km: Option<f64>,
    prefix: u32,
    id: &'a str,
}

impl Rank<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        let by_distance = match (self.distance_km, other.distance_km) {
            (Some(a), Some(b)) => a.total_cmp(&b),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        by_distance
            .then(other.prefix.cmp(&self.prefix))
            .then(self.id.cmp(other.id))
    }
}

/// The member of `healthy` nearest `target`: by great-circle distance when
/// `geo` locates the target (members without a location rank after those
/// with one), else by longest common prefix; ties by id. Without a target,
/// the first by id.
pub fn nearest<'a>(
    healthy: &[&'a Member],
    target: Option<IpAddr>,
    geo: Option<&GeoDb>,
) -> Option<&'a Member> {
    let Some(target) = target else {
        return healthy.iter().min_by(|a, b| a.id.cmp(&b.id)).copied();
    };
    let here: Option<GeoPoint> = geo.and_then(|g| g.locate(target));
    let rank = |m: &'a Member| Rank {
        distance_km: here
            .zip(m.location)
            .map(|(a, b)| super::geo::distance_km(a, b)),
        prefix: common_prefix(target, m.ip),
        id: &m.id,
    };
    healthy
        .iter()
        .map(|m| (rank(m), *m))
        .min_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, m)| m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sealvault::wire::SecretString;

    fn member(id: &str, ip: &str, location: Option<(f64, f64)>) -> Member {
        Member {
            id: id.into(),
            url: SecretString::new(String::new()),
            ip: ip.parse().unwrap(),
            location: location.map(|(lat, lon)| GeoPoint { lat, lon }),
            host: "127.0.0.1".into(),
            port: 1,
        }
    }

    #[test]
    fn common_prefixes() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(common_prefix(ip("10.0.0.1"), ip("10.0.0.1")), 32);
        assert_eq!(common_prefix(ip("10.0.0.0"), ip("10.0.0.128")), 24);
        assert_eq!(common_prefix(ip("10.0.0.1"), ip("::1")), 0);
        assert_eq!(common_prefix(ip("2001:db8::1"), ip("2001:db8::2")), 126);
    }

    #[test]
    fn prefix_then_id_without_a_database() {
        let b20 = member("b", "198.51.100.20", None);
        let a30 = member("a", "198.51.100.30", None);
        let c = member("c", "203.0.113.1", None);
        let all = [&b20, &a30, &c];
        let target = Some("198.51.100.7".parse().unwrap());
        // .7 shares 27 bits with .20 (0b0001_0100 vs 0b0000_0111) and with
        // .30 (0b0001_1110): a tie, to the smaller id.
        assert_eq!(nearest(&all, target, None).unwrap().id, "a");
        assert_eq!(nearest(&[&c, &b20], target, None).unwrap().id, "b");
        assert_eq!(nearest(&[&c], target, None).unwrap().id, "c");
        assert_eq!(nearest(&all, None, None).unwrap().id, "a");
        assert!(nearest(&[], target, None).is_none());
    }
}
