#!/usr/bin/env python3
"""The official AWS SDK for Python (botocore) against a running `docsfs serve`.

Usage: botocore_smoke.py BASE ALICE_TOKEN BOB_TOKEN ADMIN_ID ADMIN_SECRET

botocore validates every request against its own copy of the WorkDocs model, signs it with
SigV4, and parses every response by that model (status, headers, JSON members, timestamps,
error codes). This script walks the whole API surface docsfs serves, with plain asserts, and
exits non-zero naming the step that failed. It talks only to BASE (loopback).
"""

import os
import sys
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

# Nothing from the environment may redirect the SDK: no proxies, no profiles, no configured
# endpoints, no shared config or credential files.
for var in list(os.environ):
    if var.lower() in ("http_proxy", "https_proxy", "all_proxy") or var in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ) or var.startswith("AWS_ENDPOINT_URL"):
        del os.environ[var]
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "*"
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "true"

import botocore  # noqa: E402
import botocore.config  # noqa: E402
import botocore.session  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

STEP = "start"
SDK_CALLS = 0
HTTP_CALLS = 0
_LOCK = threading.Lock()


def step(name):
    global STEP
    STEP = name
    print(f"  . {name}", flush=True)


def _count_call(**_kwargs):
    global SDK_CALLS
    with _LOCK:
        SDK_CALLS += 1


def make_client(base, key_id, secret):
    session = botocore.session.get_session()
    session.register("after-call.workdocs", _count_call)
    return session.create_client(
        "workdocs",
        region_name="us-east-1",
        endpoint_url=base,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=botocore.config.Config(
            retries={"max_attempts": 1},
            connect_timeout=10,
            read_timeout=60,
            max_pool_connections=16,
        ),
    )


class User:
    """One user's view: the botocore client plus the token passed on every call."""

    def __init__(self, client, token):
        self.client = client
        self.token = token

    def __getattr__(self, op):
        method = getattr(self.client, op)

        def call(**kwargs):
            return method(AuthenticationToken=self.token, **kwargs)

        return call

    def paginate(self, op, **kwargs):
        return self.client.get_paginator(op).paginate(AuthenticationToken=self.token, **kwargs)


def expect_error(code, status, fn, **kwargs):
    """Calls fn(**kwargs), which must raise a ClientError with that code and HTTP status."""
    try:
        fn(**kwargs)
    except ClientError as e:
        got_code = e.response["Error"]["Code"]
        got_status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        assert (got_code, got_status) == (code, status), (
            f"{STEP}: expected {code} ({status}), got {got_code} ({got_status}): {e.response}"
        )
        return e
    raise AssertionError(f"{STEP}: expected {code} ({status}), but the call succeeded")


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http(url, method="GET", data=None, headers=None):
    """A raw HTTP request (content URLs are not SDK operations); returns (status, headers, body)."""
    global HTTP_CALLS
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with _OPENER.open(req, timeout=60) as r:
            result = (r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        result = (e.code, e.headers, e.read())
    HTTP_CALLS += 1
    return result


def same_server(base, url):
    b, u = urllib.parse.urlsplit(base), urllib.parse.urlsplit(url)
    assert (u.scheme, u.netloc) == (b.scheme, b.netloc), (
        f"{STEP}: URL {url!r} does not point at the test server {base!r}"
    )


def ids(items):
    return [i["Id"] for i in items]


def main(base, alice_token, bob_token, admin_id, admin_secret):
    t0 = time.monotonic()
    print(f"botocore {botocore.__version__} against {base}", flush=True)
    sdk = make_client(base, admin_id, admin_secret)
    alice = User(sdk, alice_token)
    bob = User(sdk, bob_token)
    # Activities of this run start after this instant (microseconds included, so botocore puts
    # an ISO 8601 time with a fraction in the query string).
    started = datetime.now(timezone.utc) - timedelta(seconds=5)

    step("get_current_user (alice)")
    me = alice.get_current_user()["User"]
    assert me["Username"] == "alice", me
    root, bin_id = me["RootFolderId"], me["RecycleBinFolderId"]
    assert root and bin_id and root != bin_id, me
    bob_me = bob.get_current_user()["User"]
    assert bob_me["Username"] == "bob", bob_me
    bob_id = bob_me["Id"]

    step("describe_root_folders")
    roots = alice.describe_root_folders()["Folders"]
    assert root in ids(roots), f"root {root} not in {roots}"

    step("describe_users")
    users = alice.describe_users()["Users"]
    names = {u["Username"]: u["Id"] for u in users}
    assert names.get("bob") == bob_id and names.get("alice") == me["Id"], users

    step("create_folder")
    top = alice.create_folder(ParentFolderId=root, Name="botocore-smoke")["Metadata"]
    assert top["Name"] == "botocore-smoke" and top["ParentFolderId"] == root, top
    assert isinstance(top["CreatedTimestamp"], datetime), top
    top_id = top["Id"]

    step("get_folder")
    got = alice.get_folder(FolderId=top_id)["Metadata"]
    assert got["Id"] == top_id and got["Name"] == "botocore-smoke", got
    assert got["ResourceState"] == "ACTIVE", got

    step("get_folder_path(Fields='NAME')")
    path = alice.get_folder_path(FolderId=top_id, Fields="NAME")["Path"]["Components"]
    assert [c["Id"] for c in path] == [root, top_id], path
    assert path[-1]["Name"] == "botocore-smoke", path

    step("update_folder (rename)")
    alice.update_folder(FolderId=top_id, Name="botocore smoke ✓")
    got = alice.get_folder(FolderId=top_id)["Metadata"]
    assert got["Name"] == "botocore smoke ✓", got

    step("error: EntityAlreadyExistsException (duplicate folder name)")
    expect_error(
        "EntityAlreadyExistsException",
        409,
        alice.create_folder,
        ParentFolderId=root,
        Name="botocore smoke ✓",
    )

    step("error: EntityNotExistsException (get_folder of an unknown id)")
    expect_error(
        "EntityNotExistsException", 404, alice.get_folder, FolderId="f" * 40 + "nonexistent"
    )

    step("create_folder x 250 (for paging)")
    many_id = alice.create_folder(ParentFolderId=top_id, Name="many")["Metadata"]["Id"]
    count = 250
    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(
            pool.map(
                lambda i: alice.create_folder(ParentFolderId=many_id, Name=f"item-{i:04}")[
                    "Metadata"
                ]["Id"],
                range(count),
            )
        )
    assert len(set(created)) == count, "create_folder returned a duplicate id"

    step("describe_folder_contents paginator (Limit=100)")
    pages = list(
        alice.paginate(
            "describe_folder_contents", FolderId=many_id, PaginationConfig={"PageSize": 100}
        )
    )
    sizes = [len(p.get("Folders", [])) + len(p.get("Documents", [])) for p in pages]
    assert sizes == [100, 100, 50], f"page sizes {sizes}"
    assert all("Marker" in p for p in pages[:-1]) and "Marker" not in pages[-1], pages[-1]
    listed = [f["Id"] for p in pages for f in p.get("Folders", [])]
    assert len(listed) == count, f"{len(listed)} folders listed, {count} created"
    assert len(set(listed)) == count, "the paginator saw a folder twice"
    assert set(listed) == set(created), "the listing is not the set created"
    names_in_order = [f["Name"] for p in pages for f in p.get("Folders", [])]
    assert names_in_order == sorted(names_in_order), "the default NAME order is not ascending"

    step("error: InvalidArgumentException (a Marker the server never issued)")
    expect_error(
        "InvalidArgumentException",
        400,
        alice.describe_folder_contents,
        FolderId=many_id,
        Marker="bm90LWEtbWFya2Vy-never-issued",
    )

    step("error: UnauthorizedResourceAccessException (a wrong token)")
    expect_error(
        "UnauthorizedResourceAccessException",
        404,
        User(sdk, "tok-not-a-real-token").get_folder,
        FolderId=top_id,
    )

    step("admin SigV4 only: get_folder on alice's root")
    got = sdk.get_folder(FolderId=root)["Metadata"]
    assert got["Id"] == root, got

    step("admin SigV4 with a wrong secret: UnauthorizedResourceAccessException")
    forged = make_client(base, admin_id, admin_secret + "-wrong")
    expect_error("UnauthorizedResourceAccessException", 404, forged.get_folder, FolderId=root)

    # -- content -------------------------------------------------------------------------------
    body = b"hello, botocore! " * 64 + b"the end"
    # botocore sends body timestamps as whole epoch seconds for this service.
    content_time = datetime(2021, 3, 4, 5, 6, 7, tzinfo=timezone.utc)

    def put_upload(upload, data):
        url, headers = upload["UploadUrl"], upload["SignedHeaders"]
        same_server(base, url)
        assert headers.get("x-amz-server-side-encryption") == "AES256", headers
        status, _, resp = http(url, "PUT", data, headers)
        assert status == 200, f"{STEP}: PUT {url} answered {status}: {resp[:300]!r}"

    step("initiate_document_version_upload")
    init = alice.initiate_document_version_upload(
        ParentFolderId=top_id,
        Name="hello.txt",
        ContentType="text/plain",
        ContentCreatedTimestamp=content_time,
        ContentModifiedTimestamp=content_time,
        DocumentSizeInBytes=len(body),
    )
    doc_id = init["Metadata"]["Id"]
    v1 = init["Metadata"]["LatestVersionMetadata"]["Id"]
    assert init["Metadata"]["LatestVersionMetadata"]["Status"] == "INITIALIZED", init
    assert init["UploadMetadata"]["SignedHeaders"]["Content-Type"] == "text/plain", init

    step("PUT the content to UploadUrl with every SignedHeaders header")
    put_upload(init["UploadMetadata"], body)

    step("update_document_version(VersionStatus='ACTIVE')")
    alice.update_document_version(DocumentId=doc_id, VersionId=v1, VersionStatus="ACTIVE")

    step("get_document")
    doc = alice.get_document(DocumentId=doc_id)["Metadata"]
    latest = doc["LatestVersionMetadata"]
    assert doc["ParentFolderId"] == top_id and latest["Name"] == "hello.txt", doc
    assert latest["Id"] == v1 and latest["Status"] == "ACTIVE", latest
    assert latest["Size"] == len(body), f"Size {latest['Size']} != {len(body)}"
    assert latest["ContentModifiedTimestamp"] == content_time, (
        f"ContentModifiedTimestamp {latest['ContentModifiedTimestamp']!r} != {content_time!r}"
    )
    assert latest["ContentCreatedTimestamp"] == content_time, latest

    step("get_document_version(Fields='SOURCE')")
    ver = alice.get_document_version(DocumentId=doc_id, VersionId=v1, Fields="SOURCE")["Metadata"]
    assert ver["Id"] == v1 and ver["Size"] == len(body), ver
    source = ver["Source"]["ORIGINAL"]
    same_server(base, source)

    step("download with a Range header")
    status, headers, got_bytes = http(source, headers={"Range": "bytes=7-15"})
    assert status == 206, f"Range download answered {status}"
    assert got_bytes == body[7:16], got_bytes
    assert headers["Content-Range"] == f"bytes 7-15/{len(body)}", headers["Content-Range"]
    status, _, got_bytes = http(source)
    assert status == 200 and got_bytes == body, f"full download: {status}, {len(got_bytes)} bytes"

    step("a second version (initiate, PUT, activate)")
    body2 = b"version two"
    init2 = alice.initiate_document_version_upload(
        Id=doc_id, ContentType="text/plain", DocumentSizeInBytes=len(body2)
    )
    v2 = init2["Metadata"]["LatestVersionMetadata"]["Id"]
    assert v2 != v1 and init2["Metadata"]["Id"] == doc_id, init2
    put_upload(init2["UploadMetadata"], body2)
    alice.update_document_version(DocumentId=doc_id, VersionId=v2, VersionStatus="ACTIVE")

    step("describe_document_versions")
    versions = alice.describe_document_versions(DocumentId=doc_id)["DocumentVersions"]
    assert ids(versions) == [v2, v1], f"versions {ids(versions)}, expected newest first"
    assert [v["Size"] for v in versions] == [len(body2), len(body)], versions

    step("abort_document_version_upload")
    init3 = alice.initiate_document_version_upload(Id=doc_id, DocumentSizeInBytes=3)
    v3 = init3["Metadata"]["LatestVersionMetadata"]["Id"]
    pending = alice.describe_document_versions(DocumentId=doc_id, Include="INITIALIZED")
    assert v3 in ids(pending["DocumentVersions"]), pending
    alice.abort_document_version_upload(DocumentId=doc_id, VersionId=v3)
    after = alice.describe_document_versions(DocumentId=doc_id, Include="INITIALIZED")
    assert ids(after["DocumentVersions"]) == [v2, v1], after

    # -- update_document: rename, recycle, restore --------------------------------------------
    step("update_document (rename)")
    alice.update_document(DocumentId=doc_id, Name="renamed.txt")
    doc = alice.get_document(DocumentId=doc_id)["Metadata"]
    assert doc["LatestVersionMetadata"]["Name"] == "renamed.txt", doc

    step("update_document(ResourceState='RECYCLED')")
    alice.update_document(DocumentId=doc_id, ResourceState="RECYCLED")
    contents = alice.describe_folder_contents(FolderId=top_id)
    assert doc_id not in ids(contents.get("Documents", [])), contents

    step("describe_folder_contents on RecycleBinFolderId")
    in_bin = alice.describe_folder_contents(FolderId=bin_id)
    assert doc_id in ids(in_bin.get("Documents", [])), in_bin

    step("update_document(ResourceState='ACTIVE') restores")
    alice.update_document(DocumentId=doc_id, ResourceState="ACTIVE")
    contents = alice.describe_folder_contents(FolderId=top_id)
    assert doc_id in ids(contents.get("Documents", [])), contents
    in_bin = alice.describe_folder_contents(FolderId=bin_id)
    assert doc_id not in ids(in_bin.get("Documents", [])), in_bin

    # -- sharing -------------------------------------------------------------------------------
    step("add_resource_permissions to bob")
    shared = alice.add_resource_permissions(
        ResourceId=doc_id,
        Principals=[{"Id": bob_id, "Type": "USER", "Role": "VIEWER"}],
        NotificationOptions={"SendEmail": False},
    )["ShareResults"]
    assert [(r["PrincipalId"], r["Status"]) for r in shared] == [(bob_id, "SUCCESS")], shared

    step("bob: get_resources(CollectionType='SHARED_WITH_ME')")
    mine = bob.get_resources(CollectionType="SHARED_WITH_ME")
    assert doc_id in ids(mine.get("Documents", [])), mine

    step("describe_resource_permissions")
    principals = alice.describe_resource_permissions(ResourceId=doc_id)["Principals"]
    roles = {p["Id"]: [r["Role"] for r in p["Roles"]] for p in principals}
    assert roles.get(bob_id) == ["VIEWER"], principals
    assert "OWNER" in roles.get(me["Id"], []), principals

    step("remove_resource_permission")
    alice.remove_resource_permission(ResourceId=doc_id, PrincipalId=bob_id, PrincipalType="USER")
    principals = alice.describe_resource_permissions(ResourceId=doc_id)["Principals"]
    assert bob_id not in ids(principals), principals
    mine = bob.get_resources(CollectionType="SHARED_WITH_ME")
    assert doc_id not in ids(mine.get("Documents", [])), mine

    # -- labels and custom metadata ------------------------------------------------------------
    step("create_labels")
    alice.create_labels(ResourceId=doc_id, Labels=["red", "green", "blue"])
    labels = alice.get_document(DocumentId=doc_id)["Metadata"].get("Labels", [])
    assert sorted(labels) == ["blue", "green", "red"], labels

    step("delete_labels (a list in the query string)")
    alice.delete_labels(ResourceId=doc_id, Labels=["red", "blue"])
    labels = alice.get_document(DocumentId=doc_id)["Metadata"].get("Labels", [])
    assert labels == ["green"], labels
    alice.delete_labels(ResourceId=doc_id, DeleteAll=True)
    labels = alice.get_document(DocumentId=doc_id)["Metadata"].get("Labels", [])
    assert labels == [], labels

    step("create_custom_metadata")
    alice.create_custom_metadata(ResourceId=doc_id, CustomMetadata={"k1": "v1", "k2": "v2"})
    meta = alice.get_document(DocumentId=doc_id, IncludeCustomMetadata=True)
    assert meta.get("CustomMetadata") == {"k1": "v1", "k2": "v2"}, meta

    step("delete_custom_metadata")
    alice.delete_custom_metadata(ResourceId=doc_id, Keys=["k1"])
    meta = alice.get_document(DocumentId=doc_id, IncludeCustomMetadata=True)
    assert meta.get("CustomMetadata") == {"k2": "v2"}, meta
    alice.delete_custom_metadata(ResourceId=doc_id, DeleteAll=True)
    meta = alice.get_document(DocumentId=doc_id, IncludeCustomMetadata=True)
    assert not meta.get("CustomMetadata"), meta

    # -- activities ----------------------------------------------------------------------------
    step("describe_activities(StartTime=datetime) via the paginator")
    activities = [
        a
        for page in alice.paginate(
            "describe_activities", StartTime=started, PaginationConfig={"PageSize": 100}
        )
        for a in page.get("UserActivities", [])
    ]
    types = {a["Type"] for a in activities}
    expected = {
        "FOLDER_CREATED",
        "FOLDER_RENAMED",
        "DOCUMENT_VERSION_UPLOADED",
        "DOCUMENT_RENAMED",
        "DOCUMENT_RECYCLED",
        "DOCUMENT_RESTORED",
        "DOCUMENT_SHARED",
        "DOCUMENT_UNSHARED",
    }
    assert expected <= types, f"missing activity types {expected - types}; got {types}"
    assert sum(a["Type"] == "FOLDER_CREATED" for a in activities) == count + 2, (
        f"{sum(a['Type'] == 'FOLDER_CREATED' for a in activities)} FOLDER_CREATED"
    )
    assert all(a["TimeStamp"] >= started for a in activities), "an activity before StartTime"
    stamps = [a["TimeStamp"] for a in activities]
    assert stamps == sorted(stamps, reverse=True), "activities are not newest first"

    step("describe_activities(ActivityTypes=..., ResourceId=...)")
    renamed = alice.describe_activities(
        StartTime=started, ActivityTypes="DOCUMENT_RENAMED,DOCUMENT_SHARED", ResourceId=doc_id
    )["UserActivities"]
    assert sorted(a["Type"] for a in renamed) == ["DOCUMENT_RENAMED", "DOCUMENT_SHARED"], renamed
    future = alice.describe_activities(StartTime=datetime.now(timezone.utc) + timedelta(hours=1))
    assert future.get("UserActivities", []) == [], future

    # -- versions, deletion --------------------------------------------------------------------
    step("delete_document_version")
    alice.delete_document_version(DocumentId=doc_id, VersionId=v1, DeletePriorVersions=False)
    versions = alice.describe_document_versions(DocumentId=doc_id)["DocumentVersions"]
    assert ids(versions) == [v2], versions

    step("restore_document_versions")
    alice.restore_document_versions(DocumentId=doc_id)
    versions = alice.describe_document_versions(DocumentId=doc_id)["DocumentVersions"]
    assert ids(versions) == [v2, v1], versions

    step("delete_document")
    alice.delete_document(DocumentId=doc_id)
    expect_error("EntityNotExistsException", 404, alice.get_document, DocumentId=doc_id)

    step("delete_folder_contents")
    alice.delete_folder_contents(FolderId=many_id)
    left = alice.describe_folder_contents(FolderId=many_id)
    assert not left.get("Folders") and not left.get("Documents"), left

    step("delete_folder")
    alice.delete_folder(FolderId=many_id)
    alice.delete_folder(FolderId=top_id)
    expect_error("EntityNotExistsException", 404, alice.get_folder, FolderId=top_id)
    roots_left = alice.describe_folder_contents(FolderId=root)
    assert top_id not in ids(roots_left.get("Folders", [])), roots_left

    elapsed = time.monotonic() - t0
    print(
        f"botocore smoke: {SDK_CALLS + HTTP_CALLS} calls OK "
        f"({SDK_CALLS} SDK, {HTTP_CALLS} content URLs) in {elapsed:.2f}s",
        flush=True,
    )


if __name__ == "__main__":
    if len(sys.argv) != 6:
        sys.exit(f"usage: {sys.argv[0]} BASE ALICE_TOKEN BOB_TOKEN ADMIN_ID ADMIN_SECRET")
    try:
        main(*sys.argv[1:])
    except Exception as e:  # noqa: BLE001 - report any failure with its step
        traceback.print_exc()
        if isinstance(e, ClientError):
            print(f"botocore error response: {e.response}", file=sys.stderr)
        print(f"botocore smoke FAILED at step: {STEP}: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
