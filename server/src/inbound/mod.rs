//! Inbound second factors (DESIGN §7, issue 9): email through the SMTP
//! listener or the signed raw-MIME webhook, SMS through the Twilio or the
//! signed JSON webhook; MIME parsing, code extraction, routing to the one
//! credential whose login lease is waiting, sealed storage under the
//! inbound key, and the `tfa-code` long poll.

pub mod extract;
pub mod mime;
pub mod smtp;
