"""A real Subsonic client library (py-sonic, from PyPI) against a running Soirée.

Usage: client.py BASE_URL PORT USERNAME APP_PASSWORD (the server holds the sample folder).
py-sonic signs in with the salted token (u + t + s) and sends its calls as form posts.
"""

import sys
import urllib.parse
import urllib.request

import libsonic


def check(condition, what):
    if not condition:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok: {what}")


def main():
    base, port, username, password = sys.argv[1:5]
    conn = libsonic.Connection(base, username, password, port=int(port), appName="py-sonic-test")
    check(conn.ping(), "ping")

    artists = conn.getArtists()["artists"]["index"]
    names = [artist["name"] for index in artists for artist in index["artist"]]
    check(names == ["Beyoncé", "Nobody", "Sigur Rós"], f"artists {names}")
    beyonce = artists[0]["artist"][0]["id"]
    albums = conn.getArtist(beyonce)["artist"]["album"]
    check(albums[0]["name"] == "I Am… Sasha Fierce", "an artist's albums")
    songs = conn.getAlbum(albums[0]["id"])["album"]["song"]
    check(songs[0]["title"] == "Halo", "an album's songs")

    found = conn.search3("hoppipolla")["searchResult3"]["song"]
    check([song["title"] for song in found] == ["Hoppípolla"], "search without accents")

    halo = songs[0]
    response = conn.stream(halo["id"])
    data = response.read()
    check(len(data) == halo["size"], "stream the whole file")
    check(response.headers["Content-Type"] == "audio/flac", "its real media type")
    # A range, as a player seeking asks for it, with the same credentials.
    query = dict(conn._getBaseQdict(), id=halo["id"])
    request = urllib.request.Request(
        f"{base}:{port}/rest/stream.view?" + urllib.parse.urlencode(query),
        headers={"Range": "bytes=10-19"},
    )
    with urllib.request.urlopen(request) as ranged:
        body = ranged.read()
        check(ranged.status == 206 and len(body) == 10, f"stream a range ({ranged.status}, {len(body)} bytes)")

    created = conn.createPlaylist(name="From py-sonic", songIds=[halo["id"], found[0]["id"]])
    playlist = created["playlist"]
    check(playlist["songCount"] == 2, "create a playlist with songs")
    conn.updatePlaylist(playlist["id"], name="Renamed", songIndexesToRemove=[0])
    read = conn.getPlaylist(playlist["id"])["playlist"]
    check(read["name"] == "Renamed", "rename a playlist")
    check([entry["title"] for entry in read["entry"]] == ["Hoppípolla"], "remove a song by index")
    conn.deletePlaylist(playlist["id"])
    check(conn.getPlaylists()["playlists"].get("playlist", []) == [], "delete a playlist")

    try:
        libsonic.Connection(base, username, "wrong", port=int(port)).ping()
        check(False, "a wrong password is refused")
    except libsonic.errors.CredentialError:
        check(True, "a wrong password is refused")
    print("all checks passed")


if __name__ == "__main__":
    main()
