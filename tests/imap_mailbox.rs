//! imap-mailbox against scripted servers: LIST with literal and modified UTF-7 names, STATUS, CREATE,
//! RENAME, DELETE, SUBSCRIBE, refusals and usage errors.

use crate::support::*;

fn url(srv: &Server) -> String {
    format!("imap://ann:pw@{}", srv.addr)
}

fn login() -> Vec<Step> {
    vec![
        s("* OK [CAPABILITY IMAP4rev1 LITERAL+] ready"),
        e("A0001 LOGIN \"ann\" \"pw\""),
        s("A0001 OK [CAPABILITY IMAP4rev1 LITERAL+] Logged in"),
    ]
}

fn logout(tag: &str) -> Vec<Step> {
    vec![
        e(&format!("{tag} LOGOUT")),
        s("* BYE bye"),
        s(&format!("{tag} OK done")),
    ]
}

#[test]
fn list_decodes_names_and_keeps_attributes() {
    let name = "Entw&APw-rfe \"x\"";
    let srv = Server::start(script(vec![
        login(),
        vec![
            e("A0002 LIST \"\" \"*\""),
            s("* LIST (\\HasNoChildren) \".\" INBOX"),
            Raw(format!(
                "* LIST (\\HasNoChildren \\Drafts) \".\" {{{}}}\r\n{name}\r\n",
                name.len()
            )
            .into_bytes()),
            s("* LIST (\\Noselect \\HasChildren) NIL \"&ZeVnLIqe-\""),
            s("A0002 OK List completed"),
        ],
        logout("A0003"),
    ]));
    let (r, _d) = run("imap-mailbox", &[&url(&srv), "list"]);
    assert_code(&r, 0);
    srv.finish();
    assert_eq!(
        r.stdout_str(),
        "INBOX\t\\HasNoChildren\nEntwürfe \"x\"\t\\HasNoChildren \\Drafts\n日本語\t\\Noselect \\HasChildren\n"
    );
}

#[test]
fn list_json_with_pattern() {
    let srv = Server::start(script(vec![
        login(),
        vec![
            e("A0002 LIST \"\" \"Archive.%\""),
            s("* LIST () \".\" Archive.2024"),
            s("A0002 OK List completed"),
        ],
        logout("A0003"),
    ]));
    let (r, _d) = run("imap-mailbox", &[&url(&srv), "list", "Archive.%", "--json"]);
    srv.finish();
    assert_code(&r, 0);
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(doc["mailboxes"][0]["name"], "Archive.2024");
    assert_eq!(doc["mailboxes"][0]["delimiter"], ".");
}

#[test]
fn status_create_rename_delete_subscribe() {
    let srv = Server::start(script(vec![
        login(),
        vec![
            e("A0002 STATUS \"Entw&APw-rfe\" (MESSAGES UNSEEN UIDNEXT UIDVALIDITY)"),
            s("* STATUS \"Entw&APw-rfe\" (MESSAGES 3 UNSEEN 1 UIDNEXT 9 UIDVALIDITY 77)"),
            s("A0002 OK done"),
        ],
        logout("A0003"),
    ]));
    let (r, _d) = run(
        "imap-mailbox",
        &[&url(&srv), "status", "Entwürfe", "--json"],
    );
    srv.finish();
    assert_code(&r, 0);
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(doc["messages"], 3);
    assert_eq!(doc["uidvalidity"], 77);

    for (args, line) in [
        (
            vec!["create", "a.b.Grüße"],
            "A0002 CREATE \"a.b.Gr&APwA3w-e\"",
        ),
        (vec!["delete", "Old"], "A0002 DELETE \"Old\""),
        (
            vec!["rename", "Old", "New \"1\""],
            "A0002 RENAME \"Old\" \"New \\\"1\\\"\"",
        ),
        (vec!["subscribe", "Old"], "A0002 SUBSCRIBE \"Old\""),
        (vec!["unsubscribe", "Old"], "A0002 UNSUBSCRIBE \"Old\""),
    ] {
        let srv = Server::start(script(vec![
            login(),
            vec![e(line), s("A0002 OK done")],
            logout("A0003"),
        ]));
        let u = url(&srv);
        let mut a = vec![u.as_str()];
        a.extend(args);
        let (r, _d) = run("imap-mailbox", &a);
        srv.finish();
        assert_code(&r, 0);
        assert_eq!(r.stderr, "", "quiet success off a terminal (issue 18)");
    }
}

#[test]
fn refusals_and_usage_errors() {
    let srv = Server::start(script(vec![
        login(),
        vec![e("A0002 DELETE \"INBOX\""), s("A0002 NO [CANNOT] no way")],
    ]));
    let (r, _d) = run("imap-mailbox", &[&url(&srv), "delete", "INBOX"]);
    srv.finish();
    assert_code(&r, 6);
    assert!(r.stderr.contains("CANNOT"), "{}", r.stderr);
    for args in [
        vec!["imap://a:b@127.0.0.1:9", "rename", "x"],
        vec!["imap://a:b@127.0.0.1:9", "create"],
        vec!["imap://a:b@127.0.0.1:9", "create", "a\r\nA1 LOGOUT"],
        vec!["imap://a:b@127.0.0.1:9", "frobnicate", "x"],
        vec!["ftp://a:b@127.0.0.1:9", "list"],
    ] {
        let (r, _d) = run("imap-mailbox", &args);
        assert_code(&r, 2);
    }
}
