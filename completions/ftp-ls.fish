complete -c ftp-ls -l limit-rate -d 'Limit every FTP transfer (files and directory listings) to RATE bytes per second in total across all --parallel sessions: 500000, 500K, 10M' -r
complete -c ftp-ls -l cacert -d 'Add the PEM trust anchors in FILE to the system store' -r -F
complete -c ftp-ls -l tls-min -d 'Lowest TLS version to accept' -r -f -a "1.2\t'TLS 1.2'
1.3\t'TLS 1.3'"
complete -c ftp-ls -l tls-max -d 'Highest TLS version to offer' -r -f -a "1.2\t'TLS 1.2'
1.3\t'TLS 1.3'"
complete -c ftp-ls -s u -l user -d 'Log in as USER (when the URL names none). The password, first found: the URL, --password-file, --password-command, the FERRY_PASSWORD environment variable, --account, the netrc file, a prompt on a terminal' -r
complete -c ftp-ls -l password-file -d 'Read the password from the first line of FILE' -r -F
complete -c ftp-ls -l password-command -d 'Run CMD (with /bin/sh) and use its standard output as the password or token' -r
complete -c ftp-ls -l netrc-file -d 'Read credentials from FILE instead of ~/.netrc' -r -F
complete -c ftp-ls -l account -d 'Take user and password settings from account NAME of the config file ($XDG_CONFIG_HOME/ferry/config.toml, then /etc/ferry/config.toml)' -r
complete -c ftp-ls -l connect-timeout -d 'Seconds to wait for a TCP connection' -r
complete -c ftp-ls -l timeout -d 'Seconds any one reply, or any one data read or write, may take in total. A file, message body or literal must also move at 1 KiB/s or more on average over each such span (half a lower --limit-rate): a server dripping bytes is a timeout' -r
complete -c ftp-ls -l bind -d 'Connect from the local address ADDR (to the server, or to the proxy)' -r
complete -c ftp-ls -l proxy -d 'Connect through the proxy URL: socks5h://[USER:PASS@]HOST[:PORT] (the proxy resolves names), socks5://… (names resolved here) or http://[USER:PASS@]HOST[:PORT] (HTTP CONNECT); port 1080 by default. Overrides the <scheme>_proxy and ALL_PROXY variables; \'\' connects directly. FTP data connections go through it too (passive mode only)' -r
complete -c ftp-ls -l noproxy -d 'Connect directly to the hosts in LIST (commas: names with their subdomains, addresses, CIDR blocks; \'*\' for all), replacing NO_PROXY' -r
complete -c ftp-ls -l retries -d 'Retry transient failures (connect, 4xx, timeouts, cut transfers) N times, with backoff, resuming where possible' -r
complete -c ftp-ls -l log -d 'Append one line per message or file to FILE (time, tool, account, server, item, size, result, reply, queue ID); `syslog` sends the lines to syslog (facility mail). Default: the account\'s `log` setting' -r
complete -c ftp-ls -s l -l long -d 'Long format: type, permissions, size, modification time (UTC), name'
complete -c ftp-ls -s R -l recursive -d 'Recurse into subdirectories (at most 64 levels; symlinks are not followed)'
complete -c ftp-ls -s a -l all -d 'Show names starting with a dot on every server: MLSD, else `LIST -a` (without it, dotfiles show as the server\'s NLST or LIST gives them: vsftpd and ProFTPD hide them). A directory the server may not be read is an error, not a listing of itself'
complete -c ftp-ls -l no-epsv -d 'Use PASV only (no EPSV)'
complete -c ftp-ls -l active -d 'Active mode: the server connects to us (EPRT, PORT on IPv4)'
complete -c ftp-ls -l starttls -d 'Upgrade the plain connection to TLS (FTP AUTH TLS); fail (exit 4) if the server does not offer it'
complete -c ftp-ls -s k -l insecure -d 'Do not verify the server\'s certificate (says so on stderr)'
complete -c ftp-ls -s 4 -l ipv4 -d 'Connect over IPv4 only'
complete -c ftp-ls -s 6 -l ipv6 -d 'Connect over IPv6 only'
complete -c ftp-ls -s v -l verbose -d 'Print the protocol transcript on stderr (secrets shown as ****)'
complete -c ftp-ls -s q -l quiet -d 'Print errors only'
complete -c ftp-ls -l json -d 'Print one JSON document describing the result on stdout'
complete -c ftp-ls -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ftp-ls -s V -l version -d 'Print version'
