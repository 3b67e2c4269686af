complete -c pop3-fetch -l delete-after-days -d 'Delete each message on the server N days after it was first stored (the first-seen time is kept in the --state file, by UIDL; needs UIDL). 0 deletes what earlier runs stored' -r
complete -c pop3-fetch -l state -d 'The UIDL state file (created if missing; rewritten atomically)' -r -F
complete -c pop3-fetch -l top -d 'Fetch only the header and the first N body lines of each message (TOP)' -r
complete -c pop3-fetch -l max-size -d 'Skip messages larger than BYTES (suffixes k, M, G: powers of 1024)' -r
complete -c pop3-fetch -l max-messages -d 'Fetch at most N messages in this run' -r
complete -c pop3-fetch -l auth -d 'SASL mechanism for AUTH: plain, login, xoauth2, oauthbearer (default: PLAIN or LOGIN when the server offers SASL, else USER/PASS)' -r
complete -c pop3-fetch -l maildir -d 'Deliver into the Maildir DIR (tmp, fsync, then new/; created if missing)' -r -F
complete -c pop3-fetch -l mbox -d 'Append to the mbox FILE (mboxrd quoting, locked; a failed write is rolled back)' -r -F
complete -c pop3-fetch -l dir -d 'Write one .eml file per message into DIR (safe, unique names)' -r -F
complete -c pop3-fetch -l mda -d 'Pipe each message to CMD (run with /bin/sh); a non-zero exit means not delivered' -r
complete -c pop3-fetch -l cacert -d 'Add the PEM trust anchors in FILE to the system store' -r -F
complete -c pop3-fetch -l tls-min -d 'Lowest TLS version to accept' -r -f -a "1.2\t'TLS 1.2'
1.3\t'TLS 1.3'"
complete -c pop3-fetch -l tls-max -d 'Highest TLS version to offer' -r -f -a "1.2\t'TLS 1.2'
1.3\t'TLS 1.3'"
complete -c pop3-fetch -s u -l user -d 'Log in as USER (when the URL names none). The password, first found: the URL, --password-file, --password-command, the FERRY_PASSWORD environment variable, --account, the netrc file, a prompt on a terminal' -r
complete -c pop3-fetch -l password-file -d 'Read the password from the first line of FILE' -r -F
complete -c pop3-fetch -l password-command -d 'Run CMD (with /bin/sh) and use its standard output as the password or token' -r
complete -c pop3-fetch -l netrc-file -d 'Read credentials from FILE instead of ~/.netrc' -r -F
complete -c pop3-fetch -l account -d 'Take user and password settings from account NAME of the config file ($XDG_CONFIG_HOME/ferry/config.toml, then /etc/ferry/config.toml)' -r
complete -c pop3-fetch -l connect-timeout -d 'Seconds to wait for a TCP connection' -r
complete -c pop3-fetch -l timeout -d 'Seconds any one reply, or any one data read or write, may take in total. A file, message body or literal must also move at 1 KiB/s or more on average over each such span (half a lower --limit-rate): a server dripping bytes is a timeout' -r
complete -c pop3-fetch -l bind -d 'Connect from the local address ADDR (to the server, or to the proxy)' -r
complete -c pop3-fetch -l proxy -d 'Connect through the proxy URL: socks5h://[USER:PASS@]HOST[:PORT] (the proxy resolves names), socks5://… (names resolved here) or http://[USER:PASS@]HOST[:PORT] (HTTP CONNECT); port 1080 by default. Overrides the <scheme>_proxy and ALL_PROXY variables; \'\' connects directly. FTP data connections go through it too (passive mode only)' -r
complete -c pop3-fetch -l noproxy -d 'Connect directly to the hosts in LIST (commas: names with their subdomains, addresses, CIDR blocks; \'*\' for all), replacing NO_PROXY' -r
complete -c pop3-fetch -l retries -d 'Retry transient failures (connect, 4xx, timeouts, cut transfers) N times, with backoff, resuming where possible' -r
complete -c pop3-fetch -l log -d 'Append one line per message or file to FILE (time, tool, account, server, item, size, result, reply, queue ID); `syslog` sends the lines to syslog (facility mail). Default: the account\'s `log` setting' -r
complete -c pop3-fetch -s l -l list -d 'List the messages (number, size, UIDL) instead of fetching them'
complete -c pop3-fetch -l delete -d 'Delete each message on the server once it is stored locally (default: keep)'
complete -c pop3-fetch -l new-only -d 'Fetch only messages whose UIDL is not in the --state file'
complete -c pop3-fetch -l headers-only -d 'Fetch only the header of each message (TOP n 0)'
complete -c pop3-fetch -l apop -d 'Log in with APOP (MD5 digest of the greeting\'s timestamp and the password)'
complete -c pop3-fetch -l starttls -d 'Upgrade the plain connection to TLS (FTP AUTH TLS); fail (exit 4) if the server does not offer it'
complete -c pop3-fetch -s k -l insecure -d 'Do not verify the server\'s certificate (says so on stderr)'
complete -c pop3-fetch -s 4 -l ipv4 -d 'Connect over IPv4 only'
complete -c pop3-fetch -s 6 -l ipv6 -d 'Connect over IPv6 only'
complete -c pop3-fetch -s v -l verbose -d 'Print the protocol transcript on stderr (secrets shown as ****)'
complete -c pop3-fetch -s q -l quiet -d 'Print errors only'
complete -c pop3-fetch -l json -d 'Print one JSON document describing the result on stdout'
complete -c pop3-fetch -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pop3-fetch -s V -l version -d 'Print version'
