//! The demo's sample tree, created once through the WorkDocs API (as any client would): folders,
//! documents of several sizes, a name with a slash, a folder a colleague shares, and an item in
//! the recycle bin.

use anyhow::{Context, bail};
use serde_json::{Value, json};

struct Api {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Api {
    fn new(base: &str, token: &str) -> Self {
        Self {
            base: base.to_owned(),
            token: token.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("Authentication", &self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let text = resp.text().await?;
        if !status.is_success() {
            bail!("{path}: {status} {text}");
        }
        Ok(if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)?
        })
    }

    async fn me(&self) -> anyhow::Result<(String, String)> {
        let u = self.call(reqwest::Method::GET, "/api/v1/me", None).await?;
        let s = |k: &str| {
            u["User"][k]
                .as_str()
                .map(str::to_owned)
                .context("malformed GetCurrentUser")
        };
        Ok((s("Id")?, s("RootFolderId")?))
    }

    async fn mkdir(&self, parent: &str, name: &str) -> anyhow::Result<String> {
        let r = self
            .call(
                reqwest::Method::POST,
                "/api/v1/folders",
                Some(json!({ "ParentFolderId": parent, "Name": name })),
            )
            .await?;
        r["Metadata"]["Id"]
            .as_str()
            .map(str::to_owned)
            .context("malformed CreateFolder")
    }

    async fn upload(&self, parent: &str, name: &str, bytes: Vec<u8>) -> anyhow::Result<String> {
        let init =
            json!({ "ParentFolderId": parent, "Name": name, "DocumentSizeInBytes": bytes.len() });
        let r = self
            .call(reqwest::Method::POST, "/api/v1/documents", Some(init))
            .await?;
        let doc = r["Metadata"]["Id"]
            .as_str()
            .context("malformed upload")?
            .to_owned();
        let version = r["Metadata"]["LatestVersionMetadata"]["Id"]
            .as_str()
            .context("malformed upload")?
            .to_owned();
        let mut put = self
            .http
            .put(
                r["UploadMetadata"]["UploadUrl"]
                    .as_str()
                    .context("no upload URL")?,
            )
            .body(bytes);
        for (k, v) in r["UploadMetadata"]["SignedHeaders"]
            .as_object()
            .context("no signed headers")?
        {
            put = put.header(k, v.as_str().unwrap_or_default());
        }
        let status = put.send().await?.status();
        if !status.is_success() {
            bail!("upload of {name}: {status}");
        }
        let path = format!("/api/v1/documents/{doc}/versions/{version}");
        self.call(
            reqwest::Method::PATCH,
            &path,
            Some(json!({ "VersionStatus": "ACTIVE" })),
        )
        .await?;
        Ok(doc)
    }
}

/// Deterministic filler bytes.
fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_be_bytes()[0] ^ seed)
        .collect()
}

const WELCOME: &str = "Welcome to docsfs.\n\nThis folder is a document store mounted as a directory: \
every folder and document here lives on the demo server, and listings and reads go over its \
WorkDocs API. Try ls, find, cat, cp and sha256sum. 'Shared with me' holds what a colleague \
shared; 'Recycle Bin' what was deleted.\n";

/// Creates the sample tree unless the demo user's root already has content; returns whether it did.
pub async fn fill_once(base: &str, me: &str, colleague: &str) -> anyhow::Result<bool> {
    let api = Api::new(base, me);
    let (_, root) = api.me().await?;
    let listing = api
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/folders/{root}/contents?limit=1"),
            None,
        )
        .await?;
    let empty = |k: &str| listing[k].as_array().is_none_or(Vec::is_empty);
    if !empty("Folders") || !empty("Documents") {
        return Ok(false);
    }
    api.upload(&root, "Welcome.txt", WELCOME.as_bytes().to_vec())
        .await?;
    let projects = api.mkdir(&root, "Projects").await?;
    let apollo = api.mkdir(&projects, "Apollo").await?;
    api.upload(
        &apollo,
        "plan.md",
        b"# Apollo\n\n1. Launch\n2. Land\n3. Return\n".to_vec(),
    )
    .await?;
    api.upload(
        &apollo,
        "budget.csv",
        b"item,cost\nrocket,100\nfuel,20\n".to_vec(),
    )
    .await?;
    api.upload(&apollo, "empty.txt", Vec::new()).await?;
    let gemini = api.mkdir(&projects, "Gemini").await?;
    api.upload(
        &gemini,
        "Q3/Q4 review.txt",
        b"A name with a slash, shown as Q3\xef\xbc\x8fQ4.\n".to_vec(),
    )
    .await?;
    let media = api.mkdir(&root, "Media").await?;
    api.upload(&media, "photo.jpg.bin", bytes(1 << 20, 7))
        .await?;
    api.upload(&media, "video.bin", bytes(24 << 20, 9)).await?;
    let draft = api
        .upload(
            &root,
            "old-draft.txt",
            b"deleted, but restorable\n".to_vec(),
        )
        .await?;
    let path = format!("/api/v1/documents/{draft}");
    api.call(
        reqwest::Method::PATCH,
        &path,
        Some(json!({ "ResourceState": "RECYCLED" })),
    )
    .await?;
    let other = Api::new(base, colleague);
    let (_, other_root) = other.me().await?;
    let handbook = other.mkdir(&other_root, "Team handbook").await?;
    other
        .upload(
            &handbook,
            "onboarding.md",
            b"# Onboarding\n\nRead-only for you: shared as VIEWER.\n".to_vec(),
        )
        .await?;
    let (my_id, _) = api.me().await?;
    let share = json!({ "Principals": [{ "Id": my_id, "Type": "USER", "Role": "VIEWER" }] });
    other
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/resources/{handbook}/permissions"),
            Some(share),
        )
        .await?;
    Ok(true)
}
