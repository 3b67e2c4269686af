"""pyftpdlib for ferry's interop tests: one user `ferry` (password ferry-secret) with every right in HOME,
plain FTP on 127.0.0.1:PORT, passive ports PASV_MIN..PASV_MIN+49. MLSD, MFMT and SITE CHMOD on; its MLST
offers unix.mode without turning it on (a client must ask with OPTS MLST) and writes modes as 0o644.

Usage: server.py PORT PASV_MIN HOME"""
import logging
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

port, pasv_min, home = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
logging.basicConfig(level=logging.WARNING)
users = DummyAuthorizer()
users.add_user("ferry", "ferry-secret", home, perm="elradfmwMT")


class Handler(FTPHandler):
    authorizer = users
    passive_ports = range(pasv_min, pasv_min + 50)


server = FTPServer(("127.0.0.1", port), Handler)
server.max_cons = 256
server.serve_forever()
