"""A fake FreeSWITCH inbound event socket: auth, then `api` commands answered and recorded."""
from __future__ import annotations

from gevent.server import StreamServer


class FakeEventSocket:
    def __init__(self, password: str = "ClueCon", host: str = "127.0.0.1"):
        self.password = password
        self.commands: list[str] = []
        self.answers: dict[str, str] = {}  # a command's first word -> its reply (else "+OK")
        self.server = StreamServer((host, 0), self._session)

    def start(self) -> int:
        self.server.start()
        return self.server.address[1]

    def stop(self) -> None:
        self.server.stop()

    def _session(self, sock, _address):
        reader = sock.makefile("rb")
        sock.sendall(b"Content-Type: auth/request\n\n")
        while True:
            command = _read_command(reader)
            if command is None:
                return
            if command.startswith("auth "):
                if command[5:] != self.password:
                    sock.sendall(b"Content-Type: command/reply\nReply-Text: -ERR invalid\n\n")
                    return
                sock.sendall(b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n")
            elif command.startswith("api "):
                self.commands.append(command[4:])
                body = self.answers.get(command[4:].split(" ", 1)[0], "+OK").encode()
                sock.sendall(b"Content-Type: api/response\nContent-Length: %d\n\n%s" % (len(body), body))
            elif command == "exit":
                sock.sendall(b"Content-Type: command/reply\nReply-Text: +OK bye\n\n")
                return


def _read_command(reader) -> str | None:
    lines = []
    while True:
        line = reader.readline()
        if not line:
            return None
        if line == b"\n":
            if lines:
                return "\n".join(lines)
            continue
        lines.append(line.decode().rstrip("\n"))
