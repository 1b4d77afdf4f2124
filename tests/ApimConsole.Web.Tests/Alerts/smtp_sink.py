"""A real SMTP server for the alert tests: aiosmtpd (Debian python3-aiosmtpd) on 127.0.0.1.

Usage: /usr/bin/python3 smtp_sink.py <port> <folder> <user> <password>
Every message it accepts is written to <folder>/<n>.eml (its raw bytes, as received). AUTH PLAIN/LOGIN is offered
without TLS and only <user>/<password> is accepted; a client that sends without authenticating is refused (530).
Prints READY once it listens; stops when stdin closes.
"""
import pathlib
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, folder, user, password = int(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3], sys.argv[4]
folder.mkdir(parents=True, exist_ok=True)


class Sink:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        target = folder / f"{self.count}.eml"
        partial = folder / f"{self.count}.part"
        partial.write_bytes(envelope.original_content or envelope.content)
        partial.rename(target)
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data):
    if isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password:
        return AuthResult(success=True)
    return AuthResult(success=False, handled=False)


controller = Controller(Sink(), hostname="127.0.0.1", port=port, authenticator=authenticate,
                        auth_required=True, auth_require_tls=False)
controller.start()
print("READY", flush=True)
try:
    sys.stdin.read()
finally:
    controller.stop()
