//! Real-shaped messages written for the tests: nested multiparts, message/rfc822, RFC 2231 continuations,
//! CJK bodies, QP soft breaks in CRLF messages, hostile file names, part-count and depth limits.

use base64::Engine;

use super::Rng;

fn b64_lines(data: &[u8]) -> String {
    let s = base64::engine::general_purpose::STANDARD.encode(data);
    s.as_bytes()
        .chunks(76)
        .map(|c| format!("{}\r\n", std::str::from_utf8(c).unwrap()))
        .collect()
}

/// The binary attachment inside [`nested`].
pub fn nested_attachment() -> Vec<u8> {
    Rng(42).bytes(20_000)
}

/// The image inside the encapsulated message of [`nested`].
pub fn nested_image() -> Vec<u8> {
    Rng(99).bytes(3_000)
}

/// multipart/mixed { multipart/alternative { text/plain QP, text/html }, application/pdf (RFC 2231 name in
/// two sections), message/rfc822 { multipart/mixed { text/plain gb2312 base64, image/png } } }.
pub fn nested() -> Vec<u8> {
    let gb = b"\xc4\xe3\xba\xc3\xa3\xac\xca\xc0\xbd\xe7"; // 你好，世界
    format!(
        "From: =?UTF-8?Q?J=C3=B6rg?= <j@example.org>\r\n\
To: a@example.com\r\n\
Subject: =?ISO-8859-1?Q?Pr=FCfbericht?= =?UTF-8?B?IOKAlCBmaW5hbA==?=\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"outer\"\r\n\
\r\n\
This is the preamble.\r\n\
--outer\r\n\
Content-Type: multipart/alternative; boundary=\"alt\"\r\n\
\r\n\
--alt\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
Sch=C3=B6ne Gr=C3=BC=C3=9Fe aus K=C3=B6ln. This line is long enough that it =\r\n\
needs a soft break, and trailing spaces   \r\n\
are padding.\r\n\
--alt\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<p>Sch\u{f6}ne Gr\u{fc}\u{df}e</p>\r\n\
--alt--\r\n\
\r\n\
--outer\r\n\
Content-Type: application/pdf;\r\n\
\x20name*0*=UTF-8''Pr%C3%BCfbericht%202024%20;\r\n\
\x20name*1*=%E2%80%93%20final.pdf\r\n\
Content-Disposition: attachment;\r\n\
\x20filename*0*=UTF-8''Pr%C3%BCfbericht%202024%20;\r\n\
\x20filename*1*=%E2%80%93%20final.pdf\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
{}\
--outer\r\n\
Content-Type: message/rfc822\r\n\
Content-Disposition: attachment; filename=\"forwarded.eml\"\r\n\
\r\n\
From: b@example.net\r\n\
Subject: inner\r\n\
Content-Type: multipart/mixed; boundary=inner\r\n\
\r\n\
--inner\r\n\
Content-Type: text/plain; charset=gb2312\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
{}\
--inner\r\n\
Content-Type: image/png\r\n\
Content-Disposition: attachment; filename=\"=?UTF-8?Q?bild_=C3=BC.png?=\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
{}\
--inner--\r\n\
--outer--\r\n\
epilogue\r\n",
        b64_lines(&nested_attachment()),
        b64_lines(gb),
        b64_lines(&nested_image()),
    )
    .into_bytes()
}

/// A single-part text message in `charset` with the body bytes as given, transfer-encoded with `cte`.
pub fn single(charset: &str, cte: &str, body: &[u8]) -> Vec<u8> {
    let mut m = format!(
        "From: a@example.org\r\nSubject: {charset}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n"
    )
    .into_bytes();
    match cte {
        "base64" => m.extend_from_slice(b64_lines(body).as_bytes()),
        _ => m.extend_from_slice(body),
    }
    m
}

/// Parts whose suggested names try to escape, hide or clobber.
pub const HOSTILE: &[&str] = &[
    "../../../../tmp/ferry-escape",
    "/etc/passwd",
    "C:\\\\Windows\\\\system32\\\\evil.dll",
    ".bashrc",
    "..",
    "CON",
    "nul.txt",
    "a\x1b[31mred",
    "same.txt",
    "same.txt",
    "link",
];

/// A multipart/mixed message with one attachment per [`HOSTILE`] name plus a 300-byte name and a name
/// smuggling CR/LF through RFC 2047.
pub fn hostile() -> Vec<u8> {
    let mut m =
        String::from("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n");
    let long = "x".repeat(300) + ".txt";
    let mut names: Vec<String> = HOSTILE.iter().map(|s| format!("\"{s}\"")).collect();
    names.push(format!("\"{long}\""));
    names.push("\"=?UTF-8?Q?evil=0D=0AX-Header:_1.txt?=\"".to_string());
    for (i, n) in names.iter().enumerate() {
        m.push_str(&format!(
            "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename={n}\r\n\r\npart {i}\r\n"
        ));
    }
    m.push_str("--b--\r\n");
    m.into_bytes()
}

/// A flat multipart/mixed with `n` small leaves (n + 1 entities with the root).
pub fn flat(n: usize) -> Vec<u8> {
    let mut m = String::from("Content-Type: multipart/mixed; boundary=f\r\n\r\n");
    for i in 0..n {
        m.push_str(&format!("--f\r\n\r\n{i}\r\n"));
    }
    m.push_str("--f--\r\n");
    m.into_bytes()
}

/// `depth` nested multiparts with a text leaf at the bottom.
pub fn deep(depth: usize) -> Vec<u8> {
    let mut m = String::new();
    for i in 0..depth {
        m.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=d{i}\r\n\r\n--d{i}\r\n"
        ));
    }
    m.push_str("Content-Type: text/plain\r\n\r\nbottom\r\n");
    for i in (0..depth).rev() {
        m.push_str(&format!("--d{i}--\r\n"));
    }
    m.into_bytes()
}
