complete -c ftp-put -l chmod -d 'Set the remote file\'s mode after the upload (SITE CHMOD), e.g. 644' -r
complete -c ftp-put -l parallel -d 'Upload with N sessions at once (several files, -R), each with its own data connections' -r
complete -c ftp-put -l max-delete -d 'With --delete: refuse to delete anything when more than N entries would go' -r
complete -c ftp-put -l include -d 'Mirror only paths matching GLOB (repeatable). Rules are tried in command-line order with --exclude, the first match decides, and a path no rule matches is included. A GLOB without "/" matches the name at any depth; with "/" the path relative to the mirrored directory ("/" at the start anchors it); "**" crosses directories, "*" does not; a trailing "/" matches directories only' -r
complete -c ftp-put -l exclude -d 'Leave out paths matching GLOB (repeatable; see --include). An excluded directory is not entered' -r
complete -c ftp-put -l exclude-from -d 'Read exclude patterns from FILE, one per line, tried where the flag stands among --include and --exclude ("# comment"; "+ GLOB" includes, "- GLOB" excludes)' -r
complete -c ftp-put -l newer-than -d 'Only files modified after WHEN: a date (2024-05-01, 2024-05-01T12:00:00Z; UTC) or a duration ago (90s, 30m, 12h, 7d, 2w)' -r
complete -c ftp-put -l older-than -d 'Only files modified before WHEN (as --newer-than)' -r
complete -c ftp-put -l min-size -d 'Only files of at least SIZE bytes (64k, 10M, 1G)' -r
complete -c ftp-put -l max-size -d 'Only files of at most SIZE bytes' -r
complete -c ftp-put -l limit-rate -d 'Limit every FTP transfer (files and directory listings) to RATE bytes per second in total across all --parallel sessions: 500000, 500K, 10M' -r
complete -c ftp-put -l cacert -d 'Add the PEM trust anchors in FILE to the system store' -r -F
complete -c ftp-put -l tls-min -d 'Lowest TLS version to accept' -r -f -a "1.2\t'TLS 1.2'
1.3\t'TLS 1.3'"
complete -c ftp-put -l tls-max -d 'Highest TLS version to offer' -r -f -a "1.2\t'TLS 1.2'
1.3\t'TLS 1.3'"
complete -c ftp-put -s u -l user -d 'Log in as USER (when the URL names none). The password, first found: the URL, --password-file, --password-command, the FERRY_PASSWORD environment variable, --account, the netrc file, a prompt on a terminal' -r
complete -c ftp-put -l password-file -d 'Read the password from the first line of FILE' -r -F
complete -c ftp-put -l password-command -d 'Run CMD (with /bin/sh) and use its standard output as the password or token' -r
complete -c ftp-put -l netrc-file -d 'Read credentials from FILE instead of ~/.netrc' -r -F
complete -c ftp-put -l account -d 'Take user and password settings from account NAME of the config file ($XDG_CONFIG_HOME/ferry/config.toml, then /etc/ferry/config.toml)' -r
complete -c ftp-put -l connect-timeout -d 'Seconds to wait for a TCP connection' -r
complete -c ftp-put -l timeout -d 'Seconds any one reply, or any one data read or write, may take in total. A file, message body or literal must also move at 1 KiB/s or more on average over each such span (half a lower --limit-rate): a server dripping bytes is a timeout' -r
complete -c ftp-put -l bind -d 'Connect from the local address ADDR (to the server, or to the proxy)' -r
complete -c ftp-put -l proxy -d 'Connect through the proxy URL: socks5h://[USER:PASS@]HOST[:PORT] (the proxy resolves names), socks5://… (names resolved here) or http://[USER:PASS@]HOST[:PORT] (HTTP CONNECT); port 1080 by default. Overrides the <scheme>_proxy and ALL_PROXY variables; \'\' connects directly. FTP data connections go through it too (passive mode only)' -r
complete -c ftp-put -l noproxy -d 'Connect directly to the hosts in LIST (commas: names with their subdomains, addresses, CIDR blocks; \'*\' for all), replacing NO_PROXY' -r
complete -c ftp-put -l retries -d 'Retry transient failures (connect, 4xx, timeouts, cut transfers) N times, with backoff, resuming where possible' -r
complete -c ftp-put -l log -d 'Append one line per message or file to FILE (time, tool, account, server, item, size, result, reply, queue ID); `syslog` sends the lines to syslog (facility mail). Default: the account\'s `log` setting' -r
complete -c ftp-put -s R -l recursive -d 'Upload directories with everything in them, creating remote directories (at most 64 levels; local symlinks are not followed)'
complete -c ftp-put -l mkdirs -d 'Create missing remote directories of the URL first (MKD; "already exists" is fine); with -R and only directories to send, once a tree\'s target turns out missing (an existing one costs no MKD)'
complete -c ftp-put -l append -d 'Append to the remote file (APPE) instead of replacing it'
complete -c ftp-put -s c -l resume -d 'Resume: ask the remote size (SIZE), send only the rest (APPE), then check the final size. The remote part must be the start of the local file (server MD5 via HASH/XMD5, else written after the local file last changed); otherwise the whole file is uploaded. A remote file as long as the local one is left as it is on the same evidence'
complete -c ftp-put -l atomic -d 'Upload to a temporary name in the target directory, then rename it (RNFR/RNTO) over the target; if the server refuses the rename, exit 6 naming the temporary file (nothing is deleted). Stopped by a signal, it deletes the temporary file (DELE, waiting at most 2 s); it remains if the connection is gone'
complete -c ftp-put -l delete-after -d 'Remove each local file once the server has confirmed its upload'
complete -c ftp-put -l newer -d 'Skip a file whose target has the same size and modification time (the default with -R; without -R every named file is transferred unless this is given). Times are kept: downloads get the server\'s time (as --preserve), uploads set the remote time with MFMT or SITE UTIME; a server with neither keeps the upload time, and a same-size file counts as unchanged there when the remote copy is not older than the local one (said once per run; MDTM asked only when the listing\'s date, to the minute or day in the server\'s zone, is within a day of the local time)'
complete -c ftp-put -l overwrite -d 'Transfer every file, changed or not'
complete -c ftp-put -l size-only -d 'Skip a file whose target has the same size, whatever its time (times are still kept)'
complete -c ftp-put -l ignore-time -d 'Compare sizes only, and neither ask, compare nor set modification times (fewer round trips)'
complete -c ftp-put -l only-missing -l ignore-existing -d 'Transfer only files the target lacks: an existing one is left as it is, whatever its size or time (lftp\'s --only-missing, rsync\'s --ignore-existing)'
complete -c ftp-put -l delete -d 'With -R: remove target files and directories that are not in the source (local ones for ftp-get, remote ones with DELE/RMD for ftp-put), only after every transfer succeeded. Nothing is deleted when part of the source could not be listed, when the source is empty and the target is not, or when more than --max-delete entries would go (exit 10 saying why). Excluded entries are kept. A target directory where the source now has a file goes too, with all it holds, just before that file lands (without --delete that file fails); a target file where the source has a directory is always replaced, a symlink never'
complete -c ftp-put -l delete-excluded -d '--delete, and also remove target entries that --exclude/--no-dotfiles leave out (implies --delete, as rsync\'s)'
complete -c ftp-put -l prune-empty-dirs -l no-empty-dirs -d 'With -R: make a target directory only when a file goes into it (lftp\'s --no-empty-dirs, rsync\'s --prune-empty-dirs): with filters such as --include \'*/\' --include \'*.pdf\' --exclude \'*\', the directories without a PDF are not made. Directories that exist are left as they are'
complete -c ftp-put -l no-dotfiles -d 'Leave out names starting with "." (dotfiles are mirrored by default: MLSD, or LIST -a)'
complete -c ftp-put -l no-perms -d 'With -R: leave file modes alone. A mirror otherwise gives each file its source\'s permission bits (read, write, execute for user, group and others; never set-id or sticky): a download the mode the listing shows, less the umask (the owner can always read it), an upload the local file\'s mode with SITE CHMOD (a server refusing it is said once). An unchanged file whose mode differs gets its mode alone. Directories get their source\'s bits too, always with all rights for their owner (so the next run can write into them)'
complete -c ftp-put -l dry-run -d 'Print the plan (transfer, skip, mkdir, chmod, delete, each with its reason) and change nothing; with --json the plan is {"dry_run": true, "plan": [{"action", "path", "reason"}], "failed": [...]} (failed: what the plan already knows fails, as the real run\'s --json records)'
complete -c ftp-put -l no-epsv -d 'Use PASV only (no EPSV)'
complete -c ftp-put -l active -d 'Active mode: the server connects to us (EPRT, PORT on IPv4)'
complete -c ftp-put -l starttls -d 'Upgrade the plain connection to TLS (FTP AUTH TLS); fail (exit 4) if the server does not offer it'
complete -c ftp-put -s k -l insecure -d 'Do not verify the server\'s certificate (says so on stderr)'
complete -c ftp-put -s 4 -l ipv4 -d 'Connect over IPv4 only'
complete -c ftp-put -s 6 -l ipv6 -d 'Connect over IPv6 only'
complete -c ftp-put -s v -l verbose -d 'Print the protocol transcript on stderr (secrets shown as ****)'
complete -c ftp-put -s q -l quiet -d 'Print errors only'
complete -c ftp-put -l json -d 'Print one JSON document describing the result on stdout'
complete -c ftp-put -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ftp-put -s V -l version -d 'Print version'
