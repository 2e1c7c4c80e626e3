#!/usr/bin/env python3
"""Which B-trees a SQLite WAL's frames belong to, per commit.

    bench/wal_frames.py COPY-OF-WAL DATABASE

Take the WAL copy while the server runs (stop it with SIGSTOP, copy
`arvak.db-wal`, SIGCONT), and name the database file: its pages are
mapped to tables and indexes through SQLite's `dbstat`. Only the frames
of the WAL's current generation (its header's salts) are counted; a
page the database does not have yet is counted as `new`.
"""
import collections
import sqlite3
import struct
import sys


def main(wal_path, db_path):
    data = open(wal_path, "rb").read()
    page_size = struct.unpack(">I", data[8:12])[0]
    salts = struct.unpack(">2I", data[16:24])
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        owner = {page: name for name, page in db.execute("SELECT name, pageno FROM dbstat")}
    frames, commits = collections.Counter(), 0
    offset = 32
    while offset + 24 + page_size <= len(data):
        page, size_after_commit, *frame_salts = struct.unpack(">4I", data[offset:offset + 16])
        if tuple(frame_salts) != salts:
            break
        frames[owner.get(page, "new")] += 1
        commits += size_after_commit != 0
        offset += 24 + page_size
    total = sum(frames.values())
    print(f"{total} frames, {commits} commits, {total / max(commits, 1):.1f} frames per commit")
    for name, count in frames.most_common():
        print(f"  {name}: {count / max(commits, 1):.2f} per commit")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(*sys.argv[1:])
