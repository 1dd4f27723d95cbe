//! Unit tests of the model checker on hand-written responses.

use super::*;
use serde_json::json;

/// One response per line: [op, status, x-amzn-ErrorType or null, body (a string is sent
/// raw, anything else as JSON), expected violations as [location prefix, text] pairs].
/// Every response is sent with `Content-Type: application/json`.
const RESPONSES: &str = r#"
["GetFolder", 200, null, {"Metadata": {"Id": "f1", "Name": "Docs", "CreatorId": "u1",
  "ParentFolderId": "r", "CreatedTimestamp": 1763925300, "ModifiedTimestamp": 1763925300.5,
  "ResourceState": "ACTIVE", "Size": 0, "LatestVersionSize": 0, "Labels": ["a"],
  "Signature": ""}, "CustomMetadata": {"k": "v"}}, []]
["GetFolder", 200, null, "", []]
["DeleteFolder", 204, null, "", []]
["DescribeUsers", 200, null, {"TotalNumberOfUsers": 9223372036854775807, "Users": []}, []]
["GetFolder", 200, null, {"Metadata": {"Colour": 1}}, [["$.Metadata.Colour", "unknown member"]]]
["GetFolder", 200, null, {"Extra": true}, [["$.Extra", "unknown member"]]]
["GetFolder", 200, null, {"Metadata": {"Size": "0"}}, [["$.Metadata.Size", "expected long"]]]
["GetFolder", 200, null, {"Metadata": {"Size": 1.5}}, [["$.Metadata.Size", "not a 64-bit"]]]
["DescribeActivities", 200, null, {"UserActivities": [{"TimeStamp": "2025-01-01T00:00:00Z"}]},
  [["$.UserActivities[0].TimeStamp", "expected timestamp, got string"]]]
["GetFolder", 200, null, {"Metadata": {"ResourceState": "GONE"}},
  [["$.Metadata.ResourceState", "\"GONE\" is not one of"]]]
["GetFolder", 200, null, {"Metadata": {"Id": ""}}, [["$.Metadata.Id", "length 0, allowed 1..=128"]]]
["GetFolder", 200, null, {"Metadata": {"Id": null}}, [["$.Metadata.Id", "null"]]]
["GetFolder", 200, null, {"Metadata": {"Labels": "a"}}, [["$.Metadata.Labels", "expected list"]]]
["GetFolder", 200, null, {"CustomMetadata": {}}, [["$.CustomMetadata", "0 entries"]]]
["GetFolder", 200, null, {"Metadata": []}, [["$.Metadata", "expected structure, got array"]]]
["DescribeComments", 200, null, {"Comments": [{"CommentId": "c1"}, {"Text": "hi"}]},
  [["$.Comments[1].CommentId", "required member missing"]]]
["GetDocumentVersion", 200, null, {"Metadata": {"Source": {"ORIGINAL": "u", "RAW": "u"}}},
  [["$.Metadata.Source[\"RAW\"]<key>", "not one of"]]]
["DescribeUsers", 200, null, [], [["$", "expected an object, got array"]]]
["DescribeUsers", 200, null, "null", [["$", "expected an object, got null"]]]
["GetFolder", 201, null, {}, [["status", "201, but the model says 200"]]]
["CreateFolder", 200, null, {}, [["status", "200, but the model says 201"]]]
["GetFolder", 302, null, {}, [["status", "unexpected 302"]]]
["DeleteFolder", 204, null, {}, [["$", "2 body bytes in a 204"]]]
["GetFolder", 200, null, "<html>", [["$", "body is not JSON"]]]
["UpdateDocument", 200, null, {"Ok": 1}, [["$.Ok", "unknown member"]]]
["GetFolder", 200, "EntityNotExistsException", {}, [["header x-amzn-ErrorType", "success"]]]
["GetFolder", 404, "EntityNotExistsException", {"Message": "no such folder"}, []]
["GetFolder", 404, "EntityNotExistsException:http://internal.amazon.com/",
  {"Message": "m", "EntityIds": ["f1"], "__type": "EntityNotExistsException"}, []]
["GetFolder", 403, "UnauthorizedOperationException", {"Message": "m"}, []]
["GetFolder", 429, "ThrottlingException", {"Message": "m"}, []]
["DeleteDocumentVersion", 503, "ServiceUnavailableException", {}, []]
["GetFolder", 429, "TooManyLabelsException", {},
  [["header x-amzn-ErrorType", "TooManyLabelsException is not an error of GetFolder"]]]
["GetFolder", 400, "EntityNotExistsException", {},
  [["status", "400, but EntityNotExistsException has 404"]]]
["GetFolder", 500, "InternalFailure", {},
  [["status", "500 is a fault"], ["header x-amzn-ErrorType", "not an error of GetFolder"]]]
["GetFolder", 500, "ServiceUnavailableException", {},
  [["status", "500 is a fault"], ["status", "but ServiceUnavailableException has 503"]]]
["GetFolder", 404, null, {}, [["header x-amzn-ErrorType", "missing on a 404"]]]
["GetFolder", 404, "EntityNotExistsException", {"message": "m"}, [["$.message", "unknown"]]]
["GetFolder", 404, "EntityNotExistsException", {"Message": 1}, [["$.Message", "expected string"]]]
["GetFolder", 404, "aws#EntityNotExistsException", {}, [["header x-amzn-ErrorType", "namespace"]]]
["GetFolder", 404, "EntityNotExistsException", {"__type": "X"}, [["$.__type", "is not Entity"]]]
["GetFolder", 400, "InvalidArgumentException", "", [["$", "body is not JSON"]]]
"#;

#[test]
fn responses_are_checked_against_the_model() {
    let stream = serde_json::Deserializer::from_str(RESPONSES).into_iter::<Value>();
    let mut cases = 0;
    for case in stream {
        let case = case.unwrap();
        let [op, status, error, body, expected] = case.as_array().unwrap().as_slice() else {
            panic!("bad case {case}");
        };
        let mut h = HeaderMap::new();
        h.insert("content-type", "application/json".parse().unwrap());
        if let Some(e) = error.as_str() {
            h.insert("x-amzn-ErrorType", e.parse().unwrap());
        }
        let body = body.as_str().map_or(body.to_string(), str::to_string);
        let status = status.as_u64().unwrap() as u16;
        let got = Model::get().check_response(op.as_str().unwrap(), status, &h, body.as_bytes());
        let got = got.err().unwrap_or_default();
        let expected = expected.as_array().unwrap();
        let matches = |(g, e): (&String, &Value)| {
            g.starts_with(e[0].as_str().unwrap()) && g.contains(e[1].as_str().unwrap())
        };
        let ok = got.len() == expected.len() && got.iter().zip(expected).all(matches);
        assert!(ok, "case {case}\nexpected {expected:?}\ngot {got:#?}");
        cases += 1;
    }
    assert_eq!(cases, 41);
}

#[test]
fn lengths_count_chars_and_content_type_is_required() {
    let m = Model::get();
    let name = json!({"Metadata": {"Name": "é".repeat(255)}});
    assert!(m.check_value(&name, "GetFolderResponse", "$").is_empty());
    let long = json!({"Metadata": {"Name": "é".repeat(256)}});
    let v = m.check_value(&long, "GetFolderResponse", "$");
    assert!(
        v.len() == 1 && v[0].contains("length 256, allowed 1..=255"),
        "{v:?}"
    );
    let v = m
        .check_response("GetFolder", 200, &HeaderMap::new(), b"{}")
        .unwrap_err();
    assert!(
        v.len() == 1 && v[0].starts_with("header Content-Type: \"\" is not JSON"),
        "{v:?}"
    );
}

#[test]
fn build_request_places_members() {
    let m = Model::get();
    let input = json!({"FolderId": "a b/ü", "Limit": 5, "Sort": "NAME", "Type": "ALL",
        "AuthenticationToken": "tok", "Marker": null});
    let r = m.build_request("DescribeFolderContents", &input).unwrap();
    assert_eq!(r.method, http::Method::GET);
    let want = "/api/v1/folders/a%20b%2F%C3%BC/contents?limit=5&sort=NAME&type=ALL";
    assert_eq!(r.path_and_query, want);
    assert_eq!(r.headers, vec![("Authentication".into(), "tok".into())]);
    assert!(r.body.is_none());

    let input = json!({"ResourceId": "d", "Labels": ["x y", "z"], "DeleteAll": false});
    let r = m.build_request("DeleteLabels", &input).unwrap();
    let want = "/api/v1/resources/d/labels?deleteAll=false&labels=x%20y&labels=z";
    assert_eq!(r.path_and_query, want);
    let input = json!({"StartTime": 1795461300, "EndTime": 1795461300.25, "Limit": "x"});
    let r = m.build_request("DescribeActivities", &input).unwrap();
    let want = "/api/v1/activities?endTime=2026-11-23T19%3A15%3A00.250000Z&limit=x\
                &startTime=2026-11-23T19%3A15%3A00Z";
    assert_eq!(r.path_and_query, want);

    let input = json!({"Name": "n", "ContentCreatedTimestamp": 1795461300,
        "DocumentSizeInBytes": -1, "ParentFolderId": null});
    let r = m
        .build_request("InitiateDocumentVersionUpload", &input)
        .unwrap();
    assert_eq!(
        (r.method.as_str(), r.path_and_query.as_str()),
        ("POST", "/api/v1/documents")
    );
    let body: Value = serde_json::from_slice(&r.body.unwrap()).unwrap();
    assert_eq!(body, input); // raw values (and explicit nulls) are sent as given
    assert!(
        r.headers
            .contains(&("Content-Type".into(), "application/json".into()))
    );
    let r = m.build_request("CreateFolder", &Value::Null).unwrap();
    assert_eq!(r.body.as_deref(), Some(&b"{}"[..]));
}

#[test]
fn build_request_errors_and_helpers() {
    let m = Model::get();
    let err = |op: &str, input: Value| m.build_request(op, &input).unwrap_err();
    assert!(err("GetFolder", json!({"Folder": "x"})).contains("unknown member \"Folder\""));
    assert!(err("GetFolder", json!({})).contains("missing uri member FolderId"));
    assert!(err("GetFolder", json!({"FolderId": ["a"]})).contains("not a scalar"));
    assert!(err("Nope", json!({})).contains("unknown operation"));
    let nested = json!({"Filters": {"CreatedRange": {"Start": 1}}});
    assert!(err("SearchResources", nested).contains("Filters.CreatedRange: unknown member"));
    assert_eq!(m.op_names().count(), 44);
    let members = m.input_members("GetFolder");
    assert!(members.contains(&("FolderId".into(), "uri".into(), "string".into())));
    let include = (
        "IncludeCustomMetadata".into(),
        "querystring".into(),
        "boolean".into(),
    );
    assert!(members.contains(&include));
    assert!(
        m.errors_of("GetFolder")
            .contains(&("EntityNotExistsException".into(), 404))
    );
    assert_eq!(
        m.input_member_shape("GetFolder", "FolderId"),
        Some("ResourceIdType")
    );
    assert_eq!(m.response_code("CreateFolder"), Some(201));
    assert_eq!(format_iso8601(-1.0), "1969-12-31T23:59:59Z");
    assert_eq!(
        format_iso8601(951_782_400.000_001),
        "2000-02-29T00:00:00.000001Z"
    );
}
