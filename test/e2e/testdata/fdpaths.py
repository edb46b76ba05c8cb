# Descriptors of every kind strace -y and -yy name, for TestStraceCommandFdPaths:
# files (a deleted one, a directory, a device), pipes, an eventfd, a UNIX
# socket pair, UDP and TCP sockets before and after they have ports, dups
# and the working directory.
import os
import socket

a, b = socket.socketpair()
a.send(b"x")
b.recv(1)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.connect(("127.0.0.1", 9))
u.send(b"x")
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen()
c = socket.socket()
c.connect(l.getsockname())
s, _ = l.accept()
s.send(b"y")
c.recv(1)
os.read(os.open("/dev/null", os.O_RDONLY), 1)
r, w = os.pipe()
os.write(w, b"z")
os.read(r, 1)
os.eventfd(0)
os.dup2(w, 20)
os.write(20, b"z")
f = open("gone", "w")
os.unlink("gone")
f.write("x")
f.flush()
os.mkdir("sub")
os.chdir("sub")
os.open(".", os.O_RDONLY)
os.open("/", os.O_RDONLY)
