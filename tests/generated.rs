//! Man pages, shell completions and README's exit-code table are generated from the clap definitions and
//! `EXIT_CODES`; this test fails when the checked-in copies drift. `FERRY_BLESS=1 cargo test` rewrites them.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn check(path: &Path, want: &[u8], stale: &mut Vec<String>) {
    if std::env::var_os("FERRY_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, want).unwrap();
        return;
    }
    match std::fs::read(path) {
        Ok(have) if have == want => {}
        _ => stale.push(path.display().to_string()),
    }
}

/// The SEE ALSO section appended to each tool's page: the config file's page and the sibling tools.
fn see_also(name: &str) -> String {
    let mut refs = vec!["ferry\\-config (5)".to_string()];
    let network = !name.starts_with("mime-");
    for cmd in ferry::cli::commands() {
        let other = cmd.get_name();
        if other != name && other.starts_with("mime-") != network {
            refs.push(format!("{} (1)", other.replace('-', "\\-")));
        }
    }
    let mut out = String::from(".SH \"SEE ALSO\"\n");
    for (i, r) in refs.iter().enumerate() {
        let sep = if i + 1 < refs.len() { "," } else { "" };
        out.push_str(&format!(".BR {r}{sep}\n"));
    }
    out
}

/// Issue 15, item 7: every account key is documented in man/ferry-config.5, and every key documented
/// there is one the config file accepts. Adding a field to `Account` breaks the destructuring below
/// until the key is listed (and so checked against the page).
#[test]
fn ferry_config_page_documents_every_key() {
    let ferry::config::Account {
        url: _,
        user: _,
        password: _,
        password_file: _,
        password_command: _,
        starttls: _,
        cacert: _,
        from: _,
        domain: _,
        aliases: _,
        helo: _,
        queue: _,
        log: _,
        mx: _,
        dead_letter: _,
    } = ferry::config::Account::default();
    const KEYS: &[(&str, &str)] = &[
        ("url", "\"smtp://h\""),
        ("user", "\"u\""),
        ("password", "\"p\""),
        ("password_file", "\"/f\""),
        ("password_command", "\"c\""),
        ("starttls", "true"),
        ("cacert", "\"/ca.pem\""),
        ("from", "\"a@b\""),
        ("domain", "\"example.com\""),
        ("aliases", "\"/etc/aliases\""),
        ("helo", "\"h.example\""),
        ("queue", "\"/q\""),
        ("log", "\"syslog\""),
        ("mx", "true"),
        ("dead_letter", "\"/var/mail/dead/\""),
    ];
    let page = std::fs::read_to_string(root().join("man/ferry-config.5")).unwrap();
    let documented: Vec<String> = page
        .split(".TP\n.B ")
        .skip(1)
        .filter_map(|s| s.lines().next())
        .map(|k| k.trim().replace("\\-", "-"))
        .collect();
    let mut toml = String::from("default = \"a\"\n[account.a]\n");
    for (key, value) in KEYS {
        assert!(
            documented.iter().any(|d| d == key),
            "ferry-config(5) does not document {key}"
        );
        toml.push_str(&format!("{key} = {value}\n"));
    }
    for d in documented.iter().filter(|d| d.as_str() != "default") {
        assert!(
            KEYS.iter().any(|(k, _)| k == d),
            "ferry-config(5) documents {d}, which Account does not have"
        );
    }
    let account = ferry::config::parse_account(&toml, None).expect("every documented key parses");
    assert_eq!(account.log.as_deref(), Some("syslog"));
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(readme.contains("ferry-config(5)"), "README links the page");
}

/// The man page clap_mangen renders, with `...` after each repeatable argument in the SYNOPSIS (as
/// man-pages(7) writes them; clap_mangen 0.3 leaves them out): `<URL>...`, `[--to]...` (issue 18).
fn man_page(cmd: &clap::Command) -> Vec<u8> {
    let mut man = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut man).unwrap();
    let text = String::from_utf8(man).unwrap();
    let mut out = String::new();
    let mut in_synopsis = false;
    for line in text.split_inclusive('\n') {
        if line.starts_with(".SH") {
            in_synopsis = line.starts_with(".SH SYNOPSIS");
            out.push_str(line);
            continue;
        }
        if !in_synopsis {
            out.push_str(line);
            continue;
        }
        let mut line = line.to_string();
        for arg in cmd.get_arguments() {
            let repeatable = matches!(arg.get_action(), clap::ArgAction::Append)
                || arg.get_num_args().is_some_and(|n| n.max_values() > 1);
            if !repeatable || arg.is_hide_set() {
                continue;
            }
            let shown = match arg.get_long() {
                Some(long) => format!("\\fB\\-\\-{}\\fR]", long.replace('-', "\\-")),
                None => {
                    let name = arg.get_value_names().and_then(|v| v.first().cloned());
                    let name = name.map_or_else(|| arg.get_id().to_string(), |n| n.to_string());
                    let close = if arg.is_required_set() { '>' } else { ']' };
                    format!("\\fI{name}\\fR{close}")
                }
            };
            if let Some(at) = line.find(&format!("{shown} ")) {
                line.insert_str(at + shown.len(), "...");
            }
        }
        out.push_str(&line);
    }
    out.into_bytes()
}

#[test]
fn man_pages_completions_and_readme_are_up_to_date() {
    let mut stale = Vec::new();
    for cmd in ferry::cli::commands() {
        let name = cmd.get_name().to_string();
        let mut man = man_page(&cmd);
        man.extend_from_slice(see_also(&name).as_bytes());
        check(&root().join(format!("man/{name}.1")), &man, &mut stale);
        for (shell, file) in [
            (clap_complete::Shell::Bash, format!("{name}.bash")),
            (clap_complete::Shell::Zsh, format!("_{name}")),
            (clap_complete::Shell::Fish, format!("{name}.fish")),
        ] {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cmd.clone(), name.clone(), &mut out);
            check(&root().join("completions").join(file), &out, &mut stale);
        }
    }
    let readme_path = root().join("README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap();
    let (start, end) = ("<!-- exit-codes:start -->\n", "<!-- exit-codes:end -->");
    let a = readme.find(start).expect("README exit-code markers") + start.len();
    let b = readme.find(end).expect("README exit-code markers");
    let mut table = String::from("| code | meaning |\n|---|---|\n");
    for (code, meaning) in ferry::error::EXIT_CODES {
        table.push_str(&format!("| {code} | {meaning} |\n"));
    }
    let want = format!("{}{}{}", &readme[..a], table, &readme[b..]);
    check(&readme_path, want.as_bytes(), &mut stale);
    assert!(
        stale.is_empty(),
        "generated files are stale: {stale:?}; run `FERRY_BLESS=1 cargo test --test tests generated`"
    );
}
