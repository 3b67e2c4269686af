complete -c smtp-send -l from -d 'The sender: the From field of a composed message and the envelope sender (MAIL FROM); with --message the envelope sender only (default: the message\'s From address)' -r
complete -c smtp-send -l to -d 'A recipient (To field when composing; with --message an extra envelope recipient). Repeatable' -r
complete -c smtp-send -l cc -d 'A Cc recipient. Repeatable' -r
complete -c smtp-send -l bcc -d 'A blind-copy recipient: in the envelope only, never in a header. Repeatable' -r
complete -c smtp-send -l subject -d 'The Subject (UTF-8; encoded per RFC 2047 when not ASCII)' -r
complete -c smtp-send -l body -d 'The text body (UTF-8)' -r
complete -c smtp-send -l body-file -d 'Read the text body from FILE (`-` for stdin)' -r -F
complete -c smtp-send -l attach -d 'Attach FILE (content type from its extension). Repeatable' -r -F
complete -c smtp-send -l html -d 'An HTML version of the body, read from FILE: sent with the text body as multipart/alternative (alone when there is no text body)' -r -F
complete -c smtp-send -l reply-to -d 'A Reply-To address. Repeatable' -r
complete -c smtp-send -l header -d 'An extra header field, \'Name: value\' (UTF-8 values are RFC 2047-encoded). Repeatable. Date and Message-ID replace the generated ones; Reply-To, Sender, Date and Message-ID are validated; From/To/Cc/Bcc/Subject have their own flags; MIME fields are refused' -r
complete -c smtp-send -l message -d 'Send the ready message in FILE (`-` for stdin) instead of composing one' -r -F
complete -c smtp-send -l helo -d 'The name to introduce ourselves with in EHLO/HELO (default: this host\'s name)' -r
complete -c smtp-send -l auth -d 'SASL mechanism: plain, login, xoauth2 or oauthbearer (the OAuth ones take the token from --password-command). Default: PLAIN, else LOGIN, when a user is given' -r
complete -c smtp-send -l queue -d 'When delivery fails transiently (connect, 4xx, timeout), keep the message in DIR and exit 7 (default: the account\'s `queue`)' -r -F
complete -c smtp-send -l notify -d 'DSN (RFC 3461): when to report delivery, `never` or a comma-separated set of success, failure, delay. Sent only to a server that offers DSN (else a warning, and the message goes without)' -r
complete -c smtp-send -l ret -d 'DSN: what a failure report returns, the full message or its headers only' -r
complete -c smtp-send -l envid -d 'DSN: an envelope ID the reports quote (printable ASCII, at most 100 characters)' -r
complete -c smtp-send -l tls -d 'TLS with --mx: opportunistic (STARTTLS when offered, any certificate; a failed upgrade is retried in plain text on a new connection and reported), verify (STARTTLS required, the certificate must verify for the exchanger\'s name), none' -r -f -a "opportunistic\t''
verify\t''
none\t''"
complete -c smtp-send -l dns-server -d 'With --mx: ask this DNS server (IP[:PORT], port 53 by default) instead of /etc/resolv.conf\'s' -r
complete -c smtp-send -l mx-port -d 'Tests: the exchangers\' port instead of 25' -r
complete -c smtp-send -l mx-seed -d 'Tests: a fixed shuffle of exchangers of equal preference' -r
complete -c smtp-send -l flush-queue -d 'Resend every message queued in DIR, removing each only after the server accepted it' -r -F
complete -c smtp-send -l retry-after -d 'With --flush-queue: wait DURATION after an entry\'s first attempt before the next (doubling after each, at most 4h): 90s, 30m, 2h' -r
complete -c smtp-send -l max-age -d 'With --flush-queue: give up an entry queued longer than DURATION (a non-delivery notice goes to its sender): 12h, 5d' -r
complete -c smtp-send -l queue-list -d 'List the entries queued in DIR (ID, age, attempts, next attempt, last reply); with --json, a document. Needs no server' -r -F
complete -c smtp-send -l queue-drop -d 'Remove entry ID (as --queue-list shows it) from the queue given with --queue, without a notice' -r
complete -c smtp-send -l cacert -d 'Add the PEM trust anchors in FILE to the system store' -r -F
complete -c smtp-send -l tls-min -d 'Lowest TLS version to accept' -r -f -a "1.2\t'TLS 1.2'
1.3\t'TLS 1.3'"
complete -c smtp-send -l tls-max -d 'Highest TLS version to offer' -r -f -a "1.2\t'TLS 1.2'
1.3\t'TLS 1.3'"
complete -c smtp-send -s u -l user -d 'Log in as USER (when the URL names none). The password, first found: the URL, --password-file, --password-command, the FERRY_PASSWORD environment variable, --account, the netrc file, a prompt on a terminal' -r
complete -c smtp-send -l password-file -d 'Read the password from the first line of FILE' -r -F
complete -c smtp-send -l password-command -d 'Run CMD (with /bin/sh) and use its standard output as the password or token' -r
complete -c smtp-send -l netrc-file -d 'Read credentials from FILE instead of ~/.netrc' -r -F
complete -c smtp-send -l account -d 'Take user and password settings from account NAME of the config file ($XDG_CONFIG_HOME/ferry/config.toml, then /etc/ferry/config.toml)' -r
complete -c smtp-send -l connect-timeout -d 'Seconds to wait for a TCP connection' -r
complete -c smtp-send -l timeout -d 'Seconds any one reply, or any one data read or write, may take in total. A file, message body or literal must also move at 1 KiB/s or more on average over each such span (half a lower --limit-rate): a server dripping bytes is a timeout' -r
complete -c smtp-send -l bind -d 'Connect from the local address ADDR (to the server, or to the proxy)' -r
complete -c smtp-send -l proxy -d 'Connect through the proxy URL: socks5h://[USER:PASS@]HOST[:PORT] (the proxy resolves names), socks5://… (names resolved here) or http://[USER:PASS@]HOST[:PORT] (HTTP CONNECT); port 1080 by default. Overrides the <scheme>_proxy and ALL_PROXY variables; \'\' connects directly. FTP data connections go through it too (passive mode only)' -r
complete -c smtp-send -l noproxy -d 'Connect directly to the hosts in LIST (commas: names with their subdomains, addresses, CIDR blocks; \'*\' for all), replacing NO_PROXY' -r
complete -c smtp-send -l retries -d 'Retry transient failures (connect, 4xx, timeouts, cut transfers) N times, with backoff, resuming where possible' -r
complete -c smtp-send -l log -d 'Append one line per message or file to FILE (time, tool, account, server, item, size, result, reply, queue ID); `syslog` sends the lines to syslog (facility mail). Default: the account\'s `log` setting' -r
complete -c smtp-send -s t -l read-recipients -d 'With --message: take recipients from the To, Cc and Bcc fields (groups, comments and quoted names understood) and remove the Bcc fields'
complete -c smtp-send -l all-or-nothing -d 'When some recipients are refused, send nothing (RSET) and exit 6'
complete -c smtp-send -l mx -d 'Deliver directly to each recipient domain\'s mail exchangers (DNS MX records, port 25; the domain itself when it has none), instead of a server URL. Also `mx = true` in the account. With --flush-queue, each due entry is delivered the same way: recipients that take it leave the entry, deferred ones stay in it'
complete -c smtp-send -l starttls -d 'Upgrade the plain connection to TLS (FTP AUTH TLS); fail (exit 4) if the server does not offer it'
complete -c smtp-send -s k -l insecure -d 'Do not verify the server\'s certificate (says so on stderr)'
complete -c smtp-send -s 4 -l ipv4 -d 'Connect over IPv4 only'
complete -c smtp-send -s 6 -l ipv6 -d 'Connect over IPv6 only'
complete -c smtp-send -s v -l verbose -d 'Print the protocol transcript on stderr (secrets shown as ****)'
complete -c smtp-send -s q -l quiet -d 'Print errors only'
complete -c smtp-send -l json -d 'Print one JSON document describing the result on stdout'
complete -c smtp-send -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smtp-send -s V -l version -d 'Print version'
