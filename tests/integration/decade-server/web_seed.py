#!/usr/bin/python3
"""A real BitTorrent engine (libtorrent 2.0, Debian's python3-libtorrent) for the web seed
test, tests/integration/decade-server/web_seed_test.cpp:

  web_seed.py create FILE URL OUT.torrent   a torrent of FILE whose url-list (BEP 19) is URL
  web_seed.py get OUT.torrent DIR SECONDS   downloads it into DIR with a libtorrent session
                                            that knows no peer: from the web seed alone

`get` exits 0 once every piece is in and checked against the torrent's hashes, 1 when
SECONDS pass first, and prints the bytes it took from the web seed.
"""
import os
import sys
import time

import libtorrent as lt


def create(path, url, out):
    fs = lt.file_storage()
    lt.add_files(fs, path)
    t = lt.create_torrent(fs, 64 * 1024)
    t.add_url_seed(url)
    lt.set_piece_hashes(t, os.path.dirname(os.path.abspath(path)))
    with open(out, "wb") as f:
        f.write(lt.bencode(t.generate()))


def get(torrent, folder, seconds):
    session = lt.session({
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "alert_mask": lt.alert.category_t.error_notification,
    })
    handle = session.add_torrent({"ti": lt.torrent_info(torrent), "save_path": folder})
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = handle.status()
        if status.is_seeding:
            print(f"complete: {status.total_wanted_done} bytes, "
                  f"{status.total_payload_download} from the web seed")
            return 0
        time.sleep(0.1)
    status = handle.status()
    print(f"incomplete: {status.total_wanted_done} of {status.total_wanted} bytes")
    return 1


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "create":
        create(sys.argv[2], sys.argv[3], sys.argv[4])
        sys.exit(0)
    if len(sys.argv) == 5 and sys.argv[1] == "get":
        sys.exit(get(sys.argv[2], sys.argv[3], float(sys.argv[4])))
    sys.exit(__doc__)
