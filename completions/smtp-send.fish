complete -c smtp-send -l from -d 'The sender: the From field of a composed message and the envelope sender (MAIL FROM); with --message the envelope sender only (default: the message\'s From address)' -r
complete -c smtp-send -l to -d 'A recipient (To field when composing; with --message an extra envelope recipient). Repeatable' -r
complete -c smtp-send -l cc -d 'A Cc recipient. Repeatable' -r
complete -c smtp-send -l bcc -d 'A blind-copy recipient: in the envelope only, never in a header. Repeatable' -r
complete -c smtp-send -l subject -d 'The Subject (UTF-8; encoded per RFC 2047 when not ASCII)' -r
complete -c smtp-send -l body -d 'The text body (UTF-8)' -r
complete -c smtp-send -l body-file -d 'Read the text body from FILE (`-` for stdin)' -r -F
complete -c smtp-send -l attach -d 'Attach FILE (content type from its extension). Repeatable' -r -F
complete -c smtp-send -l message -d 'Send the ready message in FILE (`-` for stdin) instead of composing one' -r -F
complete -c smtp-send -l helo -d 'The name to introduce ourselves with in EHLO/HELO (default: this host\'s name)' -r
complete -c smtp-send -l auth -d 'SASL mechanism: plain, login, xoauth2 or oauthbearer (the OAuth ones take the token from --password-command). Default: PLAIN, else LOGIN, when a user is given' -r
complete -c smtp-send -l queue -d 'When delivery fails transiently (connect, 4xx, timeout), keep the message in DIR and exit 7' -r -F
complete -c smtp-send -l flush-queue -d 'Resend every message queued in DIR, removing each only after the server accepted it' -r -F
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
complete -c smtp-send -l timeout -d 'Seconds any one reply, or any one data read, may take in total' -r
complete -c smtp-send -l retries -d 'Retry transient failures (connect, 4xx, timeouts, cut transfers) N times, with backoff, resuming where possible' -r
complete -c smtp-send -s t -l read-recipients -d 'With --message: take recipients from the To, Cc and Bcc fields (groups, comments and quoted names understood) and remove the Bcc fields'
complete -c smtp-send -l all-or-nothing -d 'When some recipients are refused, send nothing (RSET) and exit 6'
complete -c smtp-send -l starttls -d 'Upgrade the plain connection to TLS (FTP AUTH TLS); fail (exit 4) if the server does not offer it'
complete -c smtp-send -s k -l insecure -d 'Do not verify the server\'s certificate (says so on stderr)'
complete -c smtp-send -s v -l verbose -d 'Print the protocol transcript on stderr (secrets shown as ****)'
complete -c smtp-send -s q -l quiet -d 'Print errors only'
complete -c smtp-send -l json -d 'Print one JSON document describing the result on stdout'
complete -c smtp-send -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smtp-send -s V -l version -d 'Print version'
