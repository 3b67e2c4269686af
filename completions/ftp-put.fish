complete -c ftp-put -l chmod -d 'Set the remote file\'s mode after the upload (SITE CHMOD), e.g. 644' -r
complete -c ftp-put -l parallel -d 'Upload with N sessions at once (several files, -R), each with its own data connections' -r
complete -c ftp-put -l limit-rate -d 'Limit file transfers (ftp-get, ftp-put) to RATE bytes per second in total across all --parallel sessions: 500000, 500K, 10M' -r
complete -c ftp-put -l cacert -d 'Add the PEM trust anchors in FILE to the system store' -r -F
complete -c ftp-put -l tls-min -d 'Lowest TLS version to accept' -r -f -a "1.2\t'TLS 1.2'
1.3\t'TLS 1.3'"
complete -c ftp-put -l tls-max -d 'Highest TLS version to offer' -r -f -a "1.2\t'TLS 1.2'
1.3\t'TLS 1.3'"
complete -c ftp-put -s u -l user -d 'Log in as USER (when the URL names none)' -r
complete -c ftp-put -l password-file -d 'Read the password from the first line of FILE' -r -F
complete -c ftp-put -l password-command -d 'Run CMD (with /bin/sh) and use its standard output as the password or token' -r
complete -c ftp-put -l netrc-file -d 'Read credentials from FILE instead of ~/.netrc' -r -F
complete -c ftp-put -l account -d 'Take user and password settings from account NAME of the config file ($XDG_CONFIG_HOME/ferry/config.toml, then /etc/ferry/config.toml)' -r
complete -c ftp-put -l connect-timeout -d 'Seconds to wait for a TCP connection' -r
complete -c ftp-put -l timeout -d 'Seconds any one reply, or any one data read, may take in total' -r
complete -c ftp-put -l retries -d 'Retry transient failures (connect, 4xx, timeouts, cut transfers) N times, with backoff, resuming where possible' -r
complete -c ftp-put -s R -l recursive -d 'Upload directories with everything in them, creating remote directories (at most 64 levels; local symlinks are not followed)'
complete -c ftp-put -l mkdirs -d 'Create missing remote directories of the URL first (MKD; "already exists" is fine)'
complete -c ftp-put -l append -d 'Append to the remote file (APPE) instead of replacing it'
complete -c ftp-put -s c -l resume -d 'Resume: ask the remote size (SIZE), send only the rest (APPE), then check the final size'
complete -c ftp-put -l atomic -d 'Upload to a temporary name in the target directory, then rename it (RNFR/RNTO) over the target; if the server refuses the rename, exit 6 naming the temporary file (nothing is deleted)'
complete -c ftp-put -l delete-after -d 'Remove each local file once the server has confirmed its upload'
complete -c ftp-put -l no-epsv -d 'Use PASV only (no EPSV)'
complete -c ftp-put -l active -d 'Active mode: the server connects to us (EPRT, PORT on IPv4)'
complete -c ftp-put -l starttls -d 'Upgrade the plain connection to TLS (FTP AUTH TLS); fail (exit 4) if the server does not offer it'
complete -c ftp-put -s k -l insecure -d 'Do not verify the server\'s certificate (says so on stderr)'
complete -c ftp-put -s v -l verbose -d 'Print the protocol transcript on stderr (secrets shown as ****)'
complete -c ftp-put -s q -l quiet -d 'Print errors only'
complete -c ftp-put -l json -d 'Print one JSON document describing the result on stdout'
complete -c ftp-put -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ftp-put -s V -l version -d 'Print version'
