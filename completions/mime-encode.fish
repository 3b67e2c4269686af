complete -c mime-encode -s e -l encoding -d 'Transfer encoding of the output' -r -f -a "base64\t'base64 (RFC 2045 §6.8), 76-column lines'
qp\t'quoted-printable (RFC 2045 §6.7)'
auto\t'quoted-printable for mostly-ASCII text, base64 otherwise (decided on the first 128 KiB)'"
complete -c mime-encode -s w -l wrap -d 'base64 line length in characters; 0 writes one unbroken line (like `base64 -w 0`)' -r
complete -c mime-encode -l header -d 'Encode TEXT as an RFC 2047 header value (encoded-words, B or Q, folded) and print it' -r
complete -c mime-encode -l text -d 'The message\'s text body (UTF-8)' -r
complete -c mime-encode -l text-file -d 'Read the message\'s text body from FILE' -r -F
complete -c mime-encode -l attach -d 'Attach FILE (streamed; content type from the extension). One file per flag; repeatable' -r -F
complete -c mime-encode -l from -d 'From address, e.g. `Jörg <j@example.org>`' -r
complete -c mime-encode -l to -d 'To address (repeatable)' -r
complete -c mime-encode -l cc -d 'Cc address (repeatable)' -r
complete -c mime-encode -l subject -d 'Subject (RFC 2047-encoded when not ASCII)' -r
complete -c mime-encode -l date -d 'Date header value (default: now, UTC)' -r
complete -c mime-encode -l message-id -d 'Message-ID header value (default: generated)' -r
complete -c mime-encode -l crlf -d 'End output lines with CRLF, canonical MIME (default: LF, like coreutils `base64` and `qprint`). A whole message (--message) always has CRLF'
complete -c mime-encode -l lf -d 'LF line endings: the default (kept so older scripts keep working)'
complete -c mime-encode -l binary -d 'Quoted-printable binary mode: CR and LF are encoded (=0D, =0A) so decoding restores the exact bytes'
complete -c mime-encode -l message -d 'Build a complete MIME message (multipart/mixed when there are attachments) on stdout'
complete -c mime-encode -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mime-encode -s V -l version -d 'Print version'
