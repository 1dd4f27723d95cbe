#!/usr/bin/env python3
"""The reference for reading many small files: a plain client that reads every document of a
folder tree through the API, one after another, on one keep-alive connection with TCP_NODELAY.

WorkDocs: per document, GetDocumentVersion (`fields=SOURCE`) for the signed URL, then a GET of
that URL (the same host here, so the same connection) — the two requests the API needs. LogicalDOC:
per document, `GET /download?docId=N` with Basic authentication — its one request. The tree is
listed first (not timed): DescribeFolderContents, or folder/listChildren and document/list.

Usage: readall.py --backend workdocs|logicaldoc --endpoint http://127.0.0.1:PORT
                  --user NAME --secret-file FILE --folder NAME

--folder names a folder in the user's root (WorkDocs) or in the Default workspace (LogicalDOC).
Prints one JSON line: {"seconds": S, "files": N, "bytes": B, "requests": R}; `seconds` covers the
reads only, and `requests` counts the timed requests.
"""

import argparse
import base64
import http.client
import json
import socket
import sys
import time
import urllib.parse


class Conn:
    def __init__(self, endpoint, headers):
        url = urllib.parse.urlsplit(endpoint)
        if url.scheme != "http":
            sys.exit("readall.py: only http:// (loopback) endpoints are supported")
        self.host, self.port = url.hostname, url.port or 80
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self.conn.connect()
        self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.headers = headers
        self.requests = 0

    def get(self, path, headers=None):
        self.requests += 1
        self.conn.request("GET", path, headers=self.headers if headers is None else headers)
        resp = self.conn.getresponse()
        body = resp.read()
        if resp.status not in (200, 206):
            sys.exit(f"readall.py: GET {path.split('?')[0]}: {resp.status} {body[:200]!r}")
        return body


def workdocs(conn, folder_name):
    root = json.loads(conn.get("/api/v1/me"))["User"]["RootFolderId"]

    def contents(folder):
        marker, folders, docs = None, [], []
        while True:
            q = {"limit": "999", **({"marker": marker} if marker else {})}
            page = json.loads(conn.get(f"/api/v1/folders/{folder}/contents?" + urllib.parse.urlencode(q)))
            folders += page.get("Folders") or []
            docs += page.get("Documents") or []
            marker = page.get("Marker")
            if not marker:
                return folders, docs

    top = next(f["Id"] for f in contents(root)[0] if f["Name"] == folder_name)
    queue, docs = [top], []
    while queue:
        folders, found = contents(queue.pop(0))
        queue += [f["Id"] for f in folders]
        docs += [(d["Id"], d["LatestVersionMetadata"]["Id"]) for d in found]
    conn.requests = 0
    started, total = time.perf_counter(), 0
    for doc, version in docs:
        meta = json.loads(conn.get(f"/api/v1/documents/{doc}/versions/{version}?fields=SOURCE"))
        url = urllib.parse.urlsplit(meta["Metadata"]["Source"]["ORIGINAL"])
        if (url.hostname, url.port) != (conn.host, conn.port):
            sys.exit("readall.py: the content URL names another host")
        total += len(conn.get(url.path + "?" + url.query, headers={}))
    return time.perf_counter() - started, len(docs), total


def logicaldoc(conn, folder_name):
    def call(op, **query):
        return json.loads(conn.get(f"/services/rest/{op}?" + urllib.parse.urlencode(query)))

    top = call("folder/findByPath", path=f"/Default/{folder_name}")["id"]
    queue, docs = [top], []
    while queue:
        folder = queue.pop(0)
        queue += [f["id"] for f in call("folder/listChildren", folderId=folder)]
        docs += [d["id"] for d in call("document/list", folderId=folder)]
    conn.requests = 0
    started, total = time.perf_counter(), 0
    for doc in docs:
        total += len(conn.get(f"/download?docId={doc}"))
    return time.perf_counter() - started, len(docs), total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backend", choices=["workdocs", "logicaldoc"], required=True)
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--secret-file", required=True)
    ap.add_argument("--folder", required=True)
    args = ap.parse_args()
    with open(args.secret_file) as f:
        secret = f.read().strip()
    if args.backend == "workdocs":
        conn = Conn(args.endpoint, {"Authentication": secret, "Accept": "application/json"})
        seconds, files, total = workdocs(conn, args.folder)
    else:
        basic = base64.b64encode(f"{args.user}:{secret}".encode()).decode()
        conn = Conn(args.endpoint, {"Authorization": f"Basic {basic}", "Accept": "application/json"})
        seconds, files, total = logicaldoc(conn, args.folder)
    print(json.dumps({"seconds": round(seconds, 4), "files": files, "bytes": total,
                      "requests": conn.requests}))


if __name__ == "__main__":
    main()
