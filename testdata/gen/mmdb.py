"""Writes testdata/geo-test.mmdb: a tiny MaxMind-format (GeoIP2-City shaped)
database used by the server's proxy tests to pick the pool member nearest a
target IP. Documentation ranges only (RFC 5737), each placed in a distinct
city:

    198.51.100.0/24  Paris     48.8566,   2.3522
    203.0.113.0/24   Tokyo     35.6762, 139.6503
    192.0.2.0/24     New York  40.7128, -74.0060

Run from the repository root:

    python3 -m venv /tmp/mmdb && /tmp/mmdb/bin/pip install -r testdata/gen/requirements-mmdb.txt
    /tmp/mmdb/bin/python testdata/gen/mmdb.py

The metadata's build_epoch is the time of the run (mmdb-writer takes no
override), so two runs differ in those bytes only; nothing reads it.
"""

from pathlib import Path

from mmdb_writer import MMDBWriter
from netaddr import IPSet

PLACES = [
    ("198.51.100.0/24", "Paris", "FR", 48.8566, 2.3522),
    ("203.0.113.0/24", "Tokyo", "JP", 35.6762, 139.6503),
    ("192.0.2.0/24", "New York", "US", 40.7128, -74.0060),
]

OUT = Path(__file__).resolve().parent.parent / "geo-test.mmdb"


def main() -> None:
    writer = MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type="SealVault-Test-City",
        languages=["en"],
        description={"en": "SealVault proxy test database (documentation ranges only)"},
    )
    for network, city, country, lat, lon in PLACES:
        writer.insert_network(
            IPSet([network]),
            {
                "city": {"names": {"en": city}},
                "country": {"iso_code": country},
                "location": {"latitude": lat, "longitude": lon},
            },
        )
    writer.to_db_file(str(OUT))
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
