//! imap-fetch --list against scripted servers (issue 17, item 1): the exact UID FETCH of envelopes
//! (BODYSTRUCTURE only with --json), the human line with RFC 2047 decoded and control characters
//! escaped, and the JSON document with envelope, flags, INTERNALDATE, size and part tree.

use crate::support::*;

const CAPS: &str = "IMAP4rev1 UIDPLUS LITERAL+";

fn opening(search: &str, result: &str) -> Vec<Step> {
    vec![
        s(&format!("* OK [CAPABILITY {CAPS}] ready")),
        e("A0001 LOGIN \"ann\" \"pw\""),
        s(&format!("A0001 OK [CAPABILITY {CAPS}] Logged in")),
        e("A0002 EXAMINE \"INBOX\""),
        s("* 2 EXISTS"),
        s("* OK [UIDVALIDITY 9] ok"),
        s("A0002 OK [READ-ONLY] done"),
        e(&format!("A0003 UID SEARCH {search}")),
        s(&format!("* SEARCH {result}")),
        s("A0003 OK done"),
    ]
}

const ENV4: &str = "ENVELOPE (\"Fri, 5 Jan 2024 10:00:00 +0000\" \"=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\\x1b[2J\" ((\"=?ISO-8859-1?Q?J=F6rg?=\" NIL \"joerg\" \"example.org\")) NIL NIL ((NIL NIL \"ann\" \"h\")) NIL NIL NIL \"<m4@h>\")";

#[test]
fn list_lines_are_decoded_and_escaped() {
    let env4 = ENV4.replace("\\x1b", "\u{1b}");
    let srv = Server::start(script(vec![
        opening("UNSEEN", "4 9"),
        vec![
            e("A0004 UID FETCH 4,9 (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)"),
            s(&format!(
                "* 1 FETCH (UID 4 FLAGS (\\Seen $Label1) INTERNALDATE \"05-Jan-2024 10:00:01 +0100\" RFC822.SIZE 1234 {env4})"
            )),
            // A flag change by another client: no envelope, not listed.
            s("* 2 FETCH (UID 9 FLAGS (\\Deleted))"),
            s(
                "* 2 FETCH (UID 9 FLAGS () INTERNALDATE \" 6-Jan-2024 08:00:00 +0000\" RFC822.SIZE 7 ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL))",
            ),
            s("A0004 OK done"),
            e("A0005 LOGOUT"),
            s("* BYE bye"),
            s("A0005 OK done"),
        ],
    ]));
    let u = format!("imap://ann:pw@{}/", srv.addr);
    let (r, _d) = run("imap-fetch", &[&u, "--list", "--search", "UNSEEN"]);
    assert_code(&r, 0);
    srv.finish();
    assert_eq!(
        r.stdout_str(),
        "4\t2024-01-05 10:00:01 +0100\t1234\t\\Seen $Label1\tJörg <joerg@example.org>\tGrüße\u{fffd}[2J\n\
         9\t2024-01-06 08:00:00 +0000\t7\t-\t\t\n"
    );
    assert_eq!(r.stderr, "");
}

#[test]
fn list_json_has_envelope_flags_date_size_and_parts() {
    let srv = Server::start(script(vec![
        opening("ALL", "4"),
        vec![
            e("A0004 UID FETCH 4 (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE)"),
            s(&format!(
                "* 1 FETCH (UID 4 FLAGS (\\Seen) INTERNALDATE \"05-Jan-2024 10:00:01 +0100\" RFC822.SIZE 1234 {} BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 12 1)(\"APPLICATION\" \"PDF\" (\"NAME\" \"a.pdf\") NIL NIL \"BASE64\" 400 NIL NIL NIL NIL) \"MIXED\"))",
                ENV4.replace("\\x1b", "")
            )),
            s("A0004 OK done"),
            e("A0005 LOGOUT"),
            s("A0005 OK done"),
        ],
    ]));
    let u = format!("imap://ann:pw@{}/", srv.addr);
    let (r, _d) = run("imap-fetch", &[&u, "--list", "--json"]);
    assert_code(&r, 0);
    srv.finish();
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(
        doc,
        serde_json::json!({
            "mailbox": "INBOX", "uidvalidity": 9,
            "messages": [{
                "uid": 4, "internal_date": "05-Jan-2024 10:00:01 +0100", "size": 1234, "flags": ["\\Seen"],
                "envelope": {
                    "date": "Fri, 5 Jan 2024 10:00:00 +0000", "subject": "Grüße[2J",
                    "from": [{"name": "Jörg", "email": "joerg@example.org"}], "sender": [], "reply_to": [],
                    "to": [{"name": null, "email": "ann@h"}], "cc": [], "bcc": [],
                    "in_reply_to": null, "message_id": "<m4@h>"
                },
                "structure": {"content_type": "multipart/mixed", "parts": [
                    {"path": "1", "type": "text/plain", "size": 12, "filename": null},
                    {"path": "2", "type": "application/pdf", "size": 400, "filename": "a.pdf"}
                ]}
            }]
        })
    );
}
