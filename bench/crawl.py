#!/usr/bin/env python3
"""The reference for a cold `find` of a docsfs mount: a plain crawl of a folder tree over the
WorkDocs API, breadth first, one folder at a time, on one keep-alive connection.

Every folder is listed with DescribeFolderContents (GET /api/v1/folders/{id}/contents?limit=999,
following Marker until the last page); nothing runs in parallel, nothing is cached. This is what a
simple client does, and what a sequential `find` of a mount can hope to match.

Usage: crawl.py --endpoint http://127.0.0.1:PORT --token-file FILE [--root FOLDER_ID]

The token is sent in the `Authentication` header. Without --root the crawl starts at the user's
root folder (GET /api/v1/me; that call is not timed). Prints one JSON line:
{"seconds": S, "calls": N, "folders": F, "documents": D}, where `seconds` covers the crawl only
(not the interpreter's start-up) and `calls` counts the listing requests made.
"""

import argparse
import http.client
import json
import sys
import time
import urllib.parse
from collections import deque


class Api:
    def __init__(self, endpoint, token):
        url = urllib.parse.urlsplit(endpoint)
        if url.scheme != "http":
            sys.exit("crawl.py: only http:// (loopback) endpoints are supported")
        self.conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=60)
        self.prefix = url.path.rstrip("/")
        self.headers = {"Authentication": token, "Accept": "application/json"}
        self.calls = 0

    def get(self, path):
        self.calls += 1
        self.conn.request("GET", self.prefix + path, headers=self.headers)
        resp = self.conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            sys.exit(f"crawl.py: GET {path.split('?')[0]}: {resp.status} {body[:200]!r}")
        return json.loads(body)


def crawl(api, root):
    folders = documents = 0
    queue = deque([root])
    while queue:
        folder = queue.popleft()
        marker = None
        while True:
            query = {"limit": "999"}
            if marker:
                query["marker"] = marker
            page = api.get(
                f"/api/v1/folders/{urllib.parse.quote(folder, safe='')}/contents?"
                + urllib.parse.urlencode(query)
            )
            for f in page.get("Folders") or []:
                folders += 1
                queue.append(f["Id"])
            documents += len(page.get("Documents") or [])
            marker = page.get("Marker")
            if not marker:
                break
    return folders, documents


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--root", help="folder id to start at (default: the user's root folder)")
    args = ap.parse_args()
    with open(args.token_file) as f:
        token = f.read().strip()
    api = Api(args.endpoint, token)
    root = args.root or api.get("/api/v1/me")["User"]["RootFolderId"]
    api.calls = 0
    started = time.perf_counter()
    folders, documents = crawl(api, root)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": round(seconds, 4), "calls": api.calls,
                      "folders": folders, "documents": documents}))


if __name__ == "__main__":
    main()
