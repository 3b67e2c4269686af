complete -c imap-fetch -l search -d 'IMAP SEARCH criteria selecting the messages, e.g. \'UNSEEN\', \'SINCE 1-Feb-2024 FROM "bob"\'' -r
complete -c imap-fetch -l part -d 'Fetch only the MIME part SECTION of each message, e.g. 1 or 1.2 (BODY.PEEK[SECTION])' -r
complete -c imap-fetch -l move-to -d 'Move each message to mailbox MBOX on the server once it is stored locally (MOVE, else COPY and delete)' -r
complete -c imap-fetch -l state -d 'The state file: UIDVALIDITY and last UID (created if missing; replaced atomically)' -r -F
complete -c imap-fetch -l max-size -d 'Skip messages larger than BYTES (RFC822.SIZE; suffixes k, M, G: powers of 1024)' -r
complete -c imap-fetch -l max-messages -d 'Fetch at most N messages in this run (the oldest first)' -r
complete -c imap-fetch -l batch -d 'UIDs per UID FETCH command' -r
complete -c imap-fetch -l mailbox -d 'Fetch every mailbox matching the LIST pattern PATTERN (`*` any levels, `%` one level; repeatable), each into its own folder under the output: Maildir++ `.A.B` subfolders of --maildir (INBOX is the Maildir itself), or one mbox file / directory per mailbox in the --mbox / --dir directory, named A.B. Instead of a mailbox in the URL' -r
complete -c imap-fetch -l interval -d 'With --idle on a server without IDLE: seconds between polls (NOOP)' -r
complete -c imap-fetch -l idle-interval -d 'Seconds between DONE + IDLE renewals (tests)' -r
complete -c imap-fetch -l exec -d 'With --idle: run CMD (with /bin/sh) after each batch that stored mail; FERRY_FETCHED holds the number of messages stored, FERRY_MAILBOX the mailbox' -r
complete -c imap-fetch -l auth -d 'SASL mechanism for AUTHENTICATE: plain, login, xoauth2, oauthbearer (default: PLAIN or LOGIN when the server offers SASL, else LOGIN)' -r
complete -c imap-fetch -l maildir -d 'Deliver into the Maildir DIR (tmp, fsync, then new/; created if missing)' -r -F
complete -c imap-fetch -l mbox -d 'Append to the mbox FILE (mboxrd quoting, locked; a failed write is rolled back)' -r -F
complete -c imap-fetch -l dir -d 'Write one .eml file per message into DIR (safe, unique names)' -r -F
complete -c imap-fetch -l mda -d 'Pipe each message to CMD (run with /bin/sh); a non-zero exit means not delivered' -r
complete -c imap-fetch -l cacert -d 'Add the PEM trust anchors in FILE to the system store' -r -F
complete -c imap-fetch -l tls-min -d 'Lowest TLS version to accept' -r -f -a "1.2\t'TLS 1.2'
1.3\t'TLS 1.3'"
complete -c imap-fetch -l tls-max -d 'Highest TLS version to offer' -r -f -a "1.2\t'TLS 1.2'
1.3\t'TLS 1.3'"
complete -c imap-fetch -s u -l user -d 'Log in as USER (when the URL names none). The password, first found: the URL, --password-file, --password-command, the FERRY_PASSWORD environment variable, --account, the netrc file, a prompt on a terminal' -r
complete -c imap-fetch -l password-file -d 'Read the password from the first line of FILE' -r -F
complete -c imap-fetch -l password-command -d 'Run CMD (with /bin/sh) and use its standard output as the password or token' -r
complete -c imap-fetch -l netrc-file -d 'Read credentials from FILE instead of ~/.netrc' -r -F
complete -c imap-fetch -l account -d 'Take user and password settings from account NAME of the config file ($XDG_CONFIG_HOME/ferry/config.toml, then /etc/ferry/config.toml)' -r
complete -c imap-fetch -l connect-timeout -d 'Seconds to wait for a TCP connection' -r
complete -c imap-fetch -l timeout -d 'Seconds any one reply, or any one data read or write, may take in total. A file, message body or literal must also move at 1 KiB/s or more on average over each such span (half a lower --limit-rate): a server dripping bytes is a timeout' -r
complete -c imap-fetch -l bind -d 'Connect from the local address ADDR (to the server, or to the proxy)' -r
complete -c imap-fetch -l proxy -d 'Connect through the proxy URL: socks5h://[USER:PASS@]HOST[:PORT] (the proxy resolves names), socks5://… (names resolved here) or http://[USER:PASS@]HOST[:PORT] (HTTP CONNECT); port 1080 by default. Overrides the <scheme>_proxy and ALL_PROXY variables; \'\' connects directly. FTP data connections go through it too (passive mode only)' -r
complete -c imap-fetch -l noproxy -d 'Connect directly to the hosts in LIST (commas: names with their subdomains, addresses, CIDR blocks; \'*\' for all), replacing NO_PROXY' -r
complete -c imap-fetch -l retries -d 'Retry transient failures (connect, 4xx, timeouts, cut transfers) N times, with backoff, resuming where possible' -r
complete -c imap-fetch -l log -d 'Append one line per message or file to FILE (time, tool, account, server, item, size, result, reply, queue ID); `syslog` sends the lines to syslog (facility mail). Default: the account\'s `log` setting' -r
complete -c imap-fetch -l mark-seen -d 'Fetch with BODY[] so the server marks messages \\Seen (default: BODY.PEEK, flags untouched)'
complete -c imap-fetch -l headers-only -d 'Fetch only each message\'s header (BODY.PEEK[HEADER])'
complete -c imap-fetch -l decode -d 'With --part: decode the part\'s Content-Transfer-Encoding (base64, quoted-printable)'
complete -c imap-fetch -l delete -d 'Delete each message on the server once it is stored locally (UID STORE \\Deleted, then UID EXPUNGE with UIDPLUS, else EXPUNGE)'
complete -c imap-fetch -l new-only -d 'Fetch only messages newer than those recorded in the --state file'
complete -c imap-fetch -l list -d 'List the matching messages instead of fetching them: one line each with UID, date, size, flags, From and Subject; with --json also the envelope and the MIME part tree. No bodies are downloaded'
complete -c imap-fetch -l idle -d 'After fetching, keep watching the mailbox (IDLE; NOOP every --interval without it) and fetch new mail as it arrives, reconnecting after a drop; stop with SIGTERM or SIGINT'
complete -c imap-fetch -l starttls -d 'Upgrade the plain connection to TLS (FTP AUTH TLS); fail (exit 4) if the server does not offer it'
complete -c imap-fetch -s k -l insecure -d 'Do not verify the server\'s certificate (says so on stderr)'
complete -c imap-fetch -s 4 -l ipv4 -d 'Connect over IPv4 only'
complete -c imap-fetch -s 6 -l ipv6 -d 'Connect over IPv6 only'
complete -c imap-fetch -s v -l verbose -d 'Print the protocol transcript on stderr (secrets shown as ****)'
complete -c imap-fetch -s q -l quiet -d 'Print errors only'
complete -c imap-fetch -l json -d 'Print one JSON document describing the result on stdout'
complete -c imap-fetch -s h -l help -d 'Print help (see more with \'--help\')'
complete -c imap-fetch -s V -l version -d 'Print version'
