//! Unit tests of the pop3 session over the scripted stream (`pingpong::mock`).

use super::*;

#[test]
fn rfc1939_apop_example() {
    let stamp = apop_timestamp("POP3 server ready <1896.697170952@dbc.mtview.ca.us>").unwrap();
    assert_eq!(stamp, "<1896.697170952@dbc.mtview.ca.us>");
    let d = apop_digest(&stamp, &Secret::new("tanstaaf"));
    assert_eq!(d.expose(), "c4c9334bac560ecc979e58001b3e22fb");
    assert_eq!(apop_timestamp("ready"), None);
    assert_eq!(apop_timestamp("ready <>"), None);
    assert_eq!(apop_timestamp("ready <a b>"), None);
}

#[test]
fn capabilities() {
    let lines: Vec<String> = [
        "TOP",
        "user",
        "SASL PLAIN LOGIN",
        "PIPELINING",
        "UIDL",
        "STLS",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let c = Capabilities::parse(&lines);
    assert!(c.known && c.top && c.user && c.pipelining && c.uidl && c.stls);
    assert_eq!(c.sasl, vec!["PLAIN", "LOGIN"]);
}

#[test]
fn listings() {
    assert_eq!(scan_listing("1 200", "LIST").unwrap(), (1, "200"));
    for bad in ["0 1", "x 1", "1", "1 2 3", ""] {
        assert!(scan_listing(bad, "LIST").is_err(), "{bad}");
    }
}
