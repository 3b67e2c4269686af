//! Issue 18, item 8: `mime-decode --part PATH`, `--header NAME FILE [--addresses]`, and `--text` on an
//! HTML-only message and on one with an attached message.

use super::{DECODE, code, run};

const MIXED: &str = "From: =?UTF-8?Q?J=C3=B6rg?= <joerg@example.org>\r\n\
To: \"Doe, John\" <john@example.com>, =?UTF-8?B?R3LDvMOfZQ==?= <gruss@example.net>,\r\n \
team: a@example.com, b@example.com;\r\n\
Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus\r\n \
=?UTF-8?Q?K=C3=B6ln?=\r\n\
Received: one\r\n\
Received: two\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=b1\r\n\
\r\n\
--b1\r\n\
Content-Type: text/html; charset=iso-8859-1\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
<html><body><h1>Hello</h1><p>Gr=FC=DFe, <b>world</b>.</p><ul><li>one</li><li>two</li></ul></body></html>\r\n\
--b1\r\n\
Content-Type: message/rfc822\r\n\
\r\n\
Subject: inner\r\n\
Content-Type: text/plain\r\n\
\r\n\
forwarded text\r\n\
--b1\r\n\
Content-Type: application/octet-stream\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
AAECAw0KBAU=\r\n\
--b1--\r\n";

#[test]
fn part_writes_one_decoded_part() {
    let r = run(DECODE, &["--part", "3", "-"], MIXED.as_bytes());
    assert_eq!(code(&r), 0);
    assert_eq!(r.stdout, b"\x00\x01\x02\x03\r\n\x04\x05");
    assert!(r.stderr.is_empty());
    let r = run(DECODE, &["--part", "2.1"], MIXED.as_bytes());
    assert_eq!(r.stdout, b"forwarded text");
    let missing = run(DECODE, &["--part", "9"], MIXED.as_bytes());
    assert_eq!(code(&missing), 6);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no part 9"));
    assert_eq!(code(&run(DECODE, &["--part", "0"], MIXED.as_bytes())), 2);
}

#[test]
fn header_prints_a_decoded_field_and_addresses_one_per_line() {
    let r = run(DECODE, &["--header", "subject", "-"], MIXED.as_bytes());
    assert_eq!(code(&r), 0);
    assert_eq!(String::from_utf8(r.stdout).unwrap(), "Grüße aus Köln\n");
    let r = run(DECODE, &["--header", "Received", "-"], MIXED.as_bytes());
    assert_eq!(String::from_utf8(r.stdout).unwrap(), "one\ntwo\n");
    let r = run(
        DECODE,
        &["--header", "To", "--addresses", "-"],
        MIXED.as_bytes(),
    );
    assert_eq!(
        String::from_utf8(r.stdout).unwrap(),
        "john@example.com\ngruss@example.net\na@example.com\nb@example.com\n"
    );
    let r = run(DECODE, &["--header", "From", "-"], MIXED.as_bytes());
    assert_eq!(
        String::from_utf8(r.stdout).unwrap(),
        "Jörg <joerg@example.org>\n"
    );
    // Without a FILE, --header decodes its text as before; --addresses then has nothing to read.
    let r = run(DECODE, &["--header", "=?UTF-8?Q?K=C3=B6ln?="], b"");
    assert_eq!(String::from_utf8(r.stdout).unwrap(), "Köln\n");
    assert_eq!(
        code(&run(DECODE, &["--header", "To", "--addresses"], b"")),
        2
    );
    assert_eq!(code(&run(DECODE, &["--header", "Bad Name", "-"], b"")), 2);
}

#[test]
fn text_renders_top_level_html_before_an_attached_messages_text() {
    let r = run(DECODE, &["--text"], MIXED.as_bytes());
    assert_eq!(code(&r), 0);
    let text = String::from_utf8(r.stdout).unwrap();
    assert!(text.contains("Hello"), "{text}");
    assert!(text.contains("Grüße, **world**."), "{text}");
    assert!(text.contains("* one\n* two"), "{text}");
    assert!(!text.contains('<'), "no markup left: {text}");
    assert!(
        !text.contains("forwarded"),
        "the message's own body first: {text}"
    );
    // With no body of its own, the attached message's text is the last resort.
    let only_inner = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
Content-Type: message/rfc822\r\n\r\nContent-Type: text/plain\r\n\r\ninner only\r\n--b--\r\n";
    let r = run(DECODE, &["--text"], only_inner.as_bytes());
    assert_eq!(String::from_utf8(r.stdout).unwrap(), "inner only");
}
