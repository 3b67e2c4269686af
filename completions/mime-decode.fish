complete -c mime-decode -s e -l encoding -d 'Transfer encoding of the input (without --list/--extract/--text/--header)' -r -f -a "base64\t'base64 (RFC 2045 §6.8)'
qp\t'quoted-printable (RFC 2045 §6.7)'"
complete -c mime-decode -l header -d 'With a message FILE (`-` for stdin): print the decoded value of its header field NAME, one line per occurrence. Without FILE: decode the RFC 2047 encoded-words in TEXT and print it (unknown charsets are left as they are; a trailing CR/LF is trimmed)' -r
complete -c mime-decode -l part -d 'Write the decoded body of one part (its PATH as --list shows it, e.g. 1.2) to stdout' -r
complete -c mime-decode -l extract -d 'Write every leaf part into DIR (created if missing) under a safe, unique name; prints the names' -r -F
complete -c mime-decode -l strict -d 'Make junk in the input an error (exit 9) naming its byte offset, instead of skipping it'
complete -c mime-decode -l crlf -d 'Quoted-printable: keep hard line breaks as CRLF (canonical MIME) instead of writing LF, so a text file encoded on Unix comes back byte for byte. Encoded =0D=0A is data and always kept'
complete -c mime-decode -l addresses -d 'With --header NAME FILE: print the addr-spec of each address in the field, one per line'
complete -c mime-decode -l list -d 'List the message\'s part tree: path, type, charset, encoding, decoded size, file name'
complete -c mime-decode -l json -d 'With --list or --extract: one JSON document on stdout'
complete -c mime-decode -l text -d 'Print the readable body (the first inline text/plain part, else text/html) converted to UTF-8'
complete -c mime-decode -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mime-decode -s V -l version -d 'Print version'
