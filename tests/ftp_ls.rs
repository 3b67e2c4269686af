//! ftp-ls against the scripted server: MLSD, LIST (Unix and DOS), NLST fallback, recursion, JSON.

use crate::support::*;

fn login_without_mlst() -> Vec<Step> {
    vec![
        s("220 hi"),
        e("USER anonymous"),
        s("230 ok"),
        e("FEAT"),
        s("500 FEAT not understood"),
    ]
}

fn listing(cmd: &str, body: &[u8]) -> Vec<Step> {
    vec![
        e("EPSV"),
        Epsv,
        e(cmd),
        s("150 Here comes the listing."),
        DataSend(body.to_vec()),
        s("226 ok"),
    ]
}

#[test]
fn unix_list_long_and_json() {
    let body = b"total 8\r\n-rw-r--r--    1 0  0   1234 Mar 05  2021 a file.txt\r\ndrwxr-xr-x 2 0 0 4096 Mar 05  2021 sub\r\nlrwxrwxrwx 1 0 0 3 Mar 05 2021 l -> a file.txt\r\n";
    let srv = Server::start(script(vec![
        login_without_mlst(),
        listing("LIST pub", body),
        quit(),
    ]));
    let (r, _d) = run("ftp-ls", &["--json", &srv.url("pub/")]);
    assert_code(&r, 0);
    assert_eq!(r.stderr, "", "quiet success off a terminal (issue 18)");
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let entries = v["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0]["name"], "a file.txt");
    assert_eq!(entries[0]["type"], "file");
    assert_eq!(entries[0]["size"], 1234);
    assert_eq!(entries[0]["modified"], "2021-03-05T00:00:00Z");
    assert_eq!(entries[0]["perm"], "rw-r--r--");
    assert_eq!(entries[1]["type"], "dir");
    assert_eq!(entries[2]["type"], "link");
    srv.finish();
}

#[test]
fn dos_list_names() {
    let body = b"01-02-23  10:00PM       <DIR>          Sub Dir\r\n01-02-23  09:00AM                 12 file.txt\r\n";
    let srv = Server::start(script(vec![
        login_without_mlst(),
        listing("LIST", body),
        quit(),
    ]));
    let (r, _d) = run("ftp-ls", &["-l", &srv.url("")]);
    assert_code(&r, 0);
    let out = r.stdout_str();
    assert!(out.contains("d -"), "{out}");
    assert!(out.contains("12 2023-01-02T09:00:00Z file.txt"), "{out}");
    srv.finish();
}

#[test]
fn nlst_when_list_is_refused() {
    let srv = Server::start(script(vec![
        login_without_mlst(),
        vec![e("EPSV"), Epsv, e("LIST d"), s("550 LIST not allowed")],
        listing("NLST d", b"d/one\r\nd/two\r\n"),
        quit(),
    ]));
    let (r, _d) = run("ftp-ls", &["--json", &srv.url("d")]);
    assert_code(&r, 0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout_str()).unwrap();
    assert_eq!(v["entries"][0]["path"], "one");
    assert_eq!(v["entries"][1]["path"], "two");
    srv.finish();
}

#[test]
fn names_only_asks_nlst_and_falls_back_to_list_when_refused() {
    // Issue 19: without -l, -R or --json only names are printed, and NLST carries just those.
    let srv = Server::start(script(vec![
        login_without_mlst(),
        listing("NLST d", b"d/one\r\nd/two\r\n"),
        quit(),
    ]));
    let (r, _d) = run("ftp-ls", &[&srv.url("d")]);
    assert_code(&r, 0);
    assert_eq!(r.stdout_str(), "one\ntwo\n");
    srv.finish();
    let srv = Server::start(script(vec![
        login_without_mlst(),
        vec![e("EPSV"), Epsv, e("NLST e"), s("550 No files found")],
        listing(
            "LIST e",
            b"-rw-r--r--    1 0        0              12 Jan 01  2024 three\r\n",
        ),
        quit(),
    ]));
    let (r, _d) = run("ftp-ls", &[&srv.url("e")]);
    assert_code(&r, 0);
    assert_eq!(r.stdout_str(), "three\n");
    srv.finish();
}

#[test]
fn recursive_mlsd_with_escaped_names() {
    let mlsd = |b: &[u8]| b.to_vec();
    let srv = Server::start(script(vec![
        vec![
            s("220 hi"),
            e("USER anonymous"),
            s("230 ok"),
            e("FEAT"),
            s("211-Features:"),
            s(" MLST type*;size*;modify*;"),
            s("211 End"),
        ],
        listing(
            "MLSD top",
            &mlsd(b"type=cdir; .\r\ntype=dir; sub\r\ntype=file;size=3; evil\x1b]0;x\x07\r\n"),
        ),
        listing(
            "MLSD top/sub",
            &mlsd(b"type=file;size=1;modify=20240101000000; inner\r\n"),
        ),
        quit(),
    ]));
    let (r, _d) = run("ftp-ls", &["-R", &srv.url("top")]);
    assert_code(&r, 0);
    assert_eq!(r.stdout_str(), "sub\nsub/inner\nevil\\x1b]0;x\\x07\n");
    srv.finish();
}

#[test]
fn a_trickled_listing_ends_at_the_timeout() {
    // Hostile-server pass: each read of a listing waited at most --timeout, so a server sending it a
    // byte at a time (or forever) held the client as long as it liked. The whole listing gets one
    // --timeout, as a reply does.
    let line = b"-rw-r--r-- 1 0 0 1 Jan 01 2024 slow\r\n".repeat(2);
    let srv = Server::start(script(vec![
        login_without_mlst(),
        vec![
            e("EPSV"),
            Epsv,
            e("LIST pub"),
            s("150 Here comes the listing."),
            DataTrickle(line, std::time::Duration::from_millis(100)),
            Drain,
        ],
    ]));
    let (r, _d) = run("ftp-ls", &["-l", "--timeout", "2", &srv.url("pub/")]);
    assert_code(&r, 11);
    assert!(r.stderr.starts_with("ftp-ls: error: "), "{}", r.stderr);
    assert!(r.stderr.contains("timed out"), "{}", r.stderr);
    assert!(
        r.elapsed < std::time::Duration::from_millis(4500),
        "{:?}",
        r.elapsed
    );
    srv.finish();
}

#[test]
fn a_directory_named_like_an_option_is_listed_as_a_path() {
    // Hostile-server pass: a directory `-R` in the login directory was listed with `LIST -R`, which
    // servers may read as an ls option (a recursive listing of the whole tree, under that name).
    let srv = Server::start(script(vec![
        login_without_mlst(),
        listing("LIST", b"drwxr-xr-x 2 0 0 4096 Mar 05  2021 -R\r\n"),
        listing("LIST ./-R", b"-rw-r--r-- 1 0 0 1 Mar 05  2021 x\r\n"),
        quit(),
    ]));
    let (r, _d) = run("ftp-ls", &["-R", &srv.url("")]);
    assert_code(&r, 0);
    assert_eq!(r.stdout_str(), "-R\n-R/x\n");
    srv.finish();
}

/// `-l` shows the Unix mode where the server gives one (MLSD's UNIX.mode), and a server's permission
/// text, which carried control characters to the terminal as they came, escaped.
#[test]
fn long_listing_shows_unix_modes_and_escapes_the_servers_perm_text() {
    let srv = Server::start(script(vec![
        vec![
            s("220 hi"),
            e("USER anonymous"),
            s("230 ok"),
            e("FEAT"),
            s("211-Features:"),
            s(" MLST type*;size*;modify*;perm*;UNIX.mode*;"),
            s("211 End"),
        ],
        listing(
            "MLSD top",
            b"type=file;size=1;modify=20240101000000;perm=r;UNIX.mode=04751; a\r\n\
              type=file;size=2;modify=20240101000000;perm=r\x1b[2J\x07; b\r\n",
        ),
        quit(),
    ]));
    let (r, _d) = run("ftp-ls", &["-l", &srv.url("top")]);
    assert_code(&r, 0);
    let line = |perm: &str, size: u64, name: &str| {
        format!("- {perm:<10} {size:>12} 2024-01-01T00:00:00Z {name}\n")
    };
    assert_eq!(
        r.stdout_str(),
        line("rwsr-x--x", 1, "a") + &line("r\\x1b[2J\\x07", 2, "b")
    );
    srv.finish();
}

/// `-R` does not walk a symlink the server lists as a directory (its MLSD `unique` fact is an
/// ancestor's): it is shown as the link it is.
#[test]
fn recursion_stops_at_a_loop_the_unique_fact_shows() {
    let srv = Server::start(script(vec![
        vec![
            s("220 hi"),
            e("USER anonymous"),
            s("230 ok"),
            e("FEAT"),
            s("211-Features:"),
            s(" MLST type*;size*;modify*;unique*;"),
            s("211 End"),
        ],
        listing(
            "MLSD top",
            b"type=cdir;unique=T; .\r\ntype=dir;unique=A; a\r\n",
        ),
        listing(
            "MLSD top/a",
            b"type=dir;unique=B; b\r\ntype=dir;unique=T; up\r\n",
        ),
        listing("MLSD top/a/b", b"type=dir;unique=A; back\r\n"),
        quit(),
    ]));
    let (r, _d) = run("ftp-ls", &["-R", "-l", &srv.url("top")]);
    assert_code(&r, 0);
    let out = r.stdout_str();
    let kinds: Vec<&str> = out.lines().map(|l| &l[..1]).collect();
    assert_eq!(kinds, ["d", "d", "l", "l"], "{out}");
    srv.finish();
}

#[test]
fn all_lists_dotfiles_with_list_a_and_refuses_a_directory_listed_as_itself() {
    let body = b"drwxr-xr-x 3 0 0 4096 Mar 05  2021 .\r\ndrwxr-xr-x 3 0 0 4096 Mar 05  2021 ..\r\n-rw-r--r-- 1 0 0 9 Mar 05  2021 .htaccess\r\n-rw-r--r-- 1 0 0 3 Mar 05  2021 index.html\r\n";
    let srv = Server::start(script(vec![
        login_without_mlst(),
        listing("LIST -a www", body),
        quit(),
    ]));
    let (r, _d) = run("ftp-ls", &["-a", &srv.url("www/")]);
    assert_code(&r, 0);
    assert_eq!(r.stdout_str(), ".htaccess\nindex.html\n");
    srv.finish();
    // vsftpd's answer for a directory it may not read: its own line, no `.`.
    let own = b"d--------- 2 0 0 4096 Mar 05  2021 closed\r\n";
    let srv = Server::start(script(vec![
        login_without_mlst(),
        listing("LIST -a www/closed", own),
        quit(),
    ]));
    let (r, _d) = run("ftp-ls", &["-a", &srv.url("www/closed/")]);
    assert_code(&r, 6);
    assert!(
        r.stderr
            .contains("cannot list www/closed: the server lists the directory itself"),
        "{}",
        r.stderr
    );
    srv.finish();
}

/// Without `-a` nothing shows `.`: a plain listing (NLST for names, LIST for `-l`) that is only the
/// directory's own name is asked once more with `LIST -a`, which tells the directory's own line
/// (vsftpd's answer for a directory it may not read: an error) from a directory holding only a
/// subdirectory of its name (listed as it is).
#[test]
fn a_plain_listing_of_only_the_directorys_own_name_is_checked_with_list_a() {
    let own = b"d--------- 2 0 0 4096 Mar 05  2021 closed\r\n";
    for (args, first) in [
        (&[][..], listing("NLST www/closed", b"www/closed\r\n")),
        (&["-l"][..], listing("LIST www/closed", own)),
    ] {
        let srv = Server::start(script(vec![
            login_without_mlst(),
            first,
            listing("LIST -a www/closed", own),
            quit(),
        ]));
        let url = srv.url("www/closed/");
        let (r, _d) = run("ftp-ls", &[args, &[url.as_str()]].concat());
        assert_code(&r, 6);
        assert_eq!(
            r.stderr,
            "ftp-ls: error: cannot list www/closed: the server lists the directory itself, not what \
             it holds (no permission to read it?)\n"
        );
        srv.finish();
    }
    let inner = b"drwxr-xr-x 3 0 0 4096 Mar 05  2021 .\r\ndrwxr-xr-x 3 0 0 4096 Mar 05  2021 ..\r\ndrwxr-xr-x 2 0 0 4096 Mar 05  2021 same\r\n";
    let srv = Server::start(script(vec![
        login_without_mlst(),
        listing("NLST www/same", b"www/same\r\n"),
        listing("LIST -a www/same", inner),
        quit(),
    ]));
    let (r, _d) = run("ftp-ls", &[&srv.url("www/same/")]);
    assert_code(&r, 0);
    assert_eq!(r.stdout_str(), "same\n");
    srv.finish();
}
