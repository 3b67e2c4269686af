complete -c ftp-get -s o -l output -d 'Write to FILE ("-" for stdout). One URL only, unless FILE is "-"' -r -F
complete -c ftp-get -s O -l output-dir -d 'Write files into DIR under their remote names (default: the current directory)' -r -F
complete -c ftp-get -l parallel -d 'Download with N sessions at once (several URLs, globs, -R), each with its own data connections' -r
complete -c ftp-get -l limit-rate -d 'Limit file transfers (ftp-get, ftp-put) to RATE bytes per second in total across all --parallel sessions: 500000, 500K, 10M' -r
complete -c ftp-get -l cacert -d 'Add the PEM trust anchors in FILE to the system store' -r -F
complete -c ftp-get -l tls-min -d 'Lowest TLS version to accept' -r -f -a "1.2\t'TLS 1.2'
1.3\t'TLS 1.3'"
complete -c ftp-get -l tls-max -d 'Highest TLS version to offer' -r -f -a "1.2\t'TLS 1.2'
1.3\t'TLS 1.3'"
complete -c ftp-get -s u -l user -d 'Log in as USER (when the URL names none)' -r
complete -c ftp-get -l password-file -d 'Read the password from the first line of FILE' -r -F
complete -c ftp-get -l password-command -d 'Run CMD (with /bin/sh) and use its standard output as the password or token' -r
complete -c ftp-get -l netrc-file -d 'Read credentials from FILE instead of ~/.netrc' -r -F
complete -c ftp-get -l account -d 'Take user and password settings from account NAME of the config file ($XDG_CONFIG_HOME/ferry/config.toml, then /etc/ferry/config.toml)' -r
complete -c ftp-get -l connect-timeout -d 'Seconds to wait for a TCP connection' -r
complete -c ftp-get -l timeout -d 'Seconds any one reply, or any one data read, may take in total' -r
complete -c ftp-get -l retries -d 'Retry transient failures (connect, 4xx, timeouts, cut transfers) N times, with backoff, resuming where possible' -r
complete -c ftp-get -s c -l resume -d 'Resume: continue a partial download (SIZE + REST); a complete file is left as it is'
complete -c ftp-get -l ascii -d 'ASCII mode (TYPE A): CRLF line endings become LF'
complete -c ftp-get -l preserve -d 'Set the local file\'s modification time from the server\'s (MDTM)'
complete -c ftp-get -l delete-after -d 'Delete the remote file after the local copy is committed (DELE)'
complete -c ftp-get -s R -l recursive -d 'Mirror directory URLs: the tree goes into DIR/NAME (NAME: the URL\'s last segment). At most 64 levels; remote symlinks are not followed and never become local symlinks; unsafe names are skipped (exit 10)'
complete -c ftp-get -l no-epsv -d 'Use PASV only (no EPSV)'
complete -c ftp-get -l active -d 'Active mode: the server connects to us (EPRT, PORT on IPv4)'
complete -c ftp-get -l starttls -d 'Upgrade the plain connection to TLS (FTP AUTH TLS); fail (exit 4) if the server does not offer it'
complete -c ftp-get -s k -l insecure -d 'Do not verify the server\'s certificate (says so on stderr)'
complete -c ftp-get -s v -l verbose -d 'Print the protocol transcript on stderr (secrets shown as ****)'
complete -c ftp-get -s q -l quiet -d 'Print errors only'
complete -c ftp-get -l json -d 'Print one JSON document describing the result on stdout'
complete -c ftp-get -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ftp-get -s V -l version -d 'Print version'
