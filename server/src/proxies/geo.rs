//! Locating IPs in a MaxMind-format database (GeoIP2/GeoLite2 City shape:
//! `location.latitude`, `location.longitude`) and great-circle distance.

use std::net::IpAddr;
use std::path::Path;

use maxminddb::{PathElement, Reader};

use crate::config::GeoPoint;

/// An opened MaxMind-format database, read into memory once.
pub struct GeoDb(Reader<Vec<u8>>);

impl std::fmt::Debug for GeoDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("GeoDb")
            .field(&self.0.metadata().database_type)
            .finish()
    }
}

impl GeoDb {
    /// Opens `path`.
    pub fn open(path: &Path) -> Result<GeoDb, String> {
        Reader::open_readfile(path)
            .map(GeoDb)
            .map_err(|e| format!("MaxMind database {}: {e}", path.display()))
    }

    /// Where `ip` is, when the database knows.
    pub fn locate(&self, ip: IpAddr) -> Option<GeoPoint> {
        let found = self.0.lookup(ip).ok()?;
        let coordinate = |name| {
            found
                .decode_path::<f64>(&[PathElement::Key("location"), PathElement::Key(name)])
                .ok()
                .flatten()
        };
        Some(GeoPoint {
            lat: coordinate("latitude")?,
            lon: coordinate("longitude")?,
        })
    }
}

/// Mean Earth radius, km.
const EARTH_RADIUS_KM: f64 = 6371.0;

/// Great-circle distance in km (haversine).
pub fn distance_km(a: GeoPoint, b: GeoPoint) -> f64 {
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paris_to_new_york_is_about_5837_km() {
        let paris = GeoPoint {
            lat: 48.8566,
            lon: 2.3522,
        };
        let new_york = GeoPoint {
            lat: 40.7128,
            lon: -74.0060,
        };
        let d = distance_km(paris, new_york);
        assert!((d - 5837.0).abs() < 10.0, "{d}");
        assert_eq!(distance_km(paris, paris), 0.0);
    }

    #[test]
    fn the_test_database_locates_its_three_ranges() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/geo-test.mmdb");
        let db = GeoDb::open(&path).unwrap();
        let tokyo = db.locate("203.0.113.7".parse().unwrap()).unwrap();
        assert!((tokyo.lat - 35.6762).abs() < 1e-9 && (tokyo.lon - 139.6503).abs() < 1e-9);
        assert!(db.locate("198.51.100.200".parse().unwrap()).is_some());
        assert!(db.locate("192.0.2.1".parse().unwrap()).is_some());
        assert_eq!(db.locate("10.0.0.1".parse().unwrap()), None);
    }
}
